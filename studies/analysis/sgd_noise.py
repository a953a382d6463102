"""The SGD noise scale g = ηN/(B(1−m)) of each run (Smith & Le 2018; Smith et al. 2018), and whether runs of
equal g end alike.

SGD with learning rate η, training-set size N, batch size B and momentum m behaves, to first order, like a
stochastic differential equation whose noise has the scale g: two runs with the same g should reach the same
test accuracy, whatever η and B are, which is why multiplying B by k can stand in for dividing η by k. This is
not B_simple (McCandlish et al.'s gradient noise scale, a batch size measured from gradients): g is computed
from the run's settings. Momentum m (heavy-ball or Nesterov, torch's convention) multiplies the effective step
by 1/(1−m). Adaptive optimizers (Adagrad, RMSProp, Adam, AdamW) divide each step by a running gradient size,
so η·N/B is not their noise scale: they are left out, and the caption says so.

The view compares learning rates, so every lr counts (not only the best lr per batch size); only runs at the
study's fit (`fairness.fitted`: done and at the target, or within the loss band) make the reading, as in the
"every lr" view of the other charts. Pure pandas/scipy: no torch, no streamlit.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ..spec import optimizers
from ..i18n import Markdown, t
from ..measures import EPS_SHARPNESS, LAMBDA_MAX, drawn, measure
from .fairness import fitted

# Configurations whose g differ by less than this ratio count as equal (lr and B lists are rarely exact
# multiples of each other in floating point: 0.03·4 ≠ 0.12 to the last bit).
EQUAL_G = 1.05
# A study's equal-g configurations "fall together" when they differ (median over the groups) by at most this
# share of the spread across all configurations.
AGREE_SHARE = 0.5
OUTCOMES = ("gap_acc", "test_acc")
CONFIG = ["optimizer", "lr", "batch_size"]


def momentum_of(optimizer: str, optim: Mapping | None = None) -> float | None:
    """m of an SGD-family optimizer (0 for plain SGD; the [optim] value, else 0.9, for momentum and Nesterov);
    None for an adaptive optimizer, whose noise is not ηN/B."""
    rec = optimizers.get(optimizer)
    if rec.family != "sgd":
        return None
    return float(rec.torch_kwargs(optim).get("momentum", 0.0))


def noise_scale_g(lr: float, n_train: float, batch_size: float, momentum: float = 0.0) -> float:
    """g = ηN/(B(1−m))."""
    return float(lr) * float(n_train) / (float(batch_size) * (1.0 - float(momentum)))


def optim_of(spec_text: str | None) -> dict:
    """The [optim] values of a stored spec (its momentum β), {} when there is none or it does not parse."""
    from ..spec.config import SpecError, StudySpec
    try:
        return dict(StudySpec.from_toml_text(spec_text or "").optim)
    except SpecError:
        return {}


def sharpness_columns(runs: pd.DataFrame) -> list[str]:
    """The sharpness panels: ε-sharpness and λ_max where measured, else the first sharpness measure the study has."""
    have = [c for c in drawn("sharpness") if c in runs.columns and pd.to_numeric(runs[c], errors="coerce").notna().any()]
    preferred = [c for c in (EPS_SHARPNESS, LAMBDA_MAX) if c in have]
    return preferred or have[:1]


def g_table(runs: pd.DataFrame, optim: Mapping | None = None) -> pd.DataFrame:
    """Per run of an SGD-family optimizer: its momentum ``m``, ``g``, ``at_fit`` and ``g_group`` (the index of
    its equal-g cluster; configurations within EQUAL_G of each other share one). Adaptive runs are dropped."""
    if runs.empty or not {"optimizer", "lr", "batch_size", "n_train"} <= set(runs.columns):
        return runs.iloc[:0].assign(m=[], g=[], at_fit=[], g_group=[])
    m = runs.optimizer.map(lambda o: momentum_of(str(o), optim) if str(o) in optimizers.TABLE else None)
    df = runs.assign(m=m, at_fit=fitted(runs))[m.notna()].copy()
    df["m"] = df.m.astype(float)
    df["g"] = [noise_scale_g(lr, n, b, mm) for lr, n, b, mm in zip(df.lr, df.n_train, df.batch_size, df.m)]
    order = np.sort(df.g.unique())
    group, start, ids = 0, None, {}
    for g in order:   # chain values within EQUAL_G of the first value of their cluster
        if start is None or g > start * EQUAL_G:
            group, start = group + (start is not None), g
        ids[g] = group
    df["g_group"] = df.g.map(ids).astype(int)
    return df


def has_view(runs: pd.DataFrame, optim: Mapping | None = None) -> str:
    """"" when the study varies both lr and B over SGD-family runs that trained; else the catalogue key of why not."""
    df = g_table(runs, optim)
    if df.empty:
        return "gscale.absent_adaptive"
    done = df[df.status == "done"] if "status" in df else df
    if done.batch_size.nunique() < 2:
        return "gscale.absent_one_b"
    if done.lr.nunique() < 2:
        return "gscale.absent_one_lr"
    return ""


def _keys(df: pd.DataFrame) -> list[str]:
    """A configuration: optimizer, lr, batch size, and any other grid column the study varies (budget, order)."""
    return CONFIG + [c for c in ("budget", "shuffle") if c in df.columns and df[c].nunique(dropna=False) > 1]


def agreement(df: pd.DataFrame, y: str) -> dict:
    """For one outcome over the runs at the fit: Kendall τ of g vs ``y``; ``within``, the median over equal-g
    groups of the range of their configurations' means; ``across``, that range over all configurations;
    ``seeds``, the median range over the seeds of one configuration. Equal-g configurations ``agree`` when they
    differ by no more than their seeds do, or by at most AGREE_SHARE of the spread across g."""
    use = df[df.at_fit & pd.to_numeric(df[y], errors="coerce").notna()] if y in df else df.iloc[:0]
    out = {"measure": y, "n": len(use), "tau": math.nan, "p": math.nan, "within": math.nan, "across": math.nan,
           "seeds": math.nan, "groups": 0, "agree": None}
    if len(use) >= 3 and use.g.nunique() > 1:
        res = stats.kendalltau(use.g.astype(float), use[y].astype(float))
        out["tau"], out["p"] = float(res.statistic), float(res.pvalue)
    if use.empty:
        return out
    keys = _keys(use)
    values = use.assign(_y=use[y].astype(float))
    per = values.groupby(keys, dropna=False)["_y"]
    ranges = (per.max() - per.min())[per.count() > 1]
    out["seeds"] = float(ranges.median()) if len(ranges) else math.nan
    means = per.mean().rename("_y").reset_index().merge(values[keys + ["g_group"]].drop_duplicates(keys), on=keys)
    out["across"] = float(means._y.max() - means._y.min())
    extra = [k for k in keys if k not in CONFIG]   # an equal-g group never mixes budgets or orders
    spans = [float(g._y.max() - g._y.min()) for _, g in means.groupby(["g_group", *extra], dropna=False) if len(g) > 1]
    if spans:
        out["groups"], out["within"] = len(spans), float(np.median(spans))
        by_seeds = not math.isnan(out["seeds"]) and out["within"] <= out["seeds"]
        by_spread = means.g_group.nunique() > 1 and out["within"] <= AGREE_SHARE * out["across"]
        out["agree"] = bool(by_seeds or by_spread or out["across"] == 0)
    return out


def shared_groups(df: pd.DataFrame) -> int:
    """How many g values two or more configurations share among the runs that trained (at the fit or not)."""
    done = df[df.status == "done"] if "status" in df else df
    return int((done.drop_duplicates(_keys(done)).groupby("g_group").size() > 1).sum()) if len(done) else 0


def reading(runs: pd.DataFrame, optim: Mapping | None = None) -> list[Markdown]:
    """One sentence per panel, in the current language: τ(g, y) and whether equal-g configurations agree; one
    sentence for all when no panel has either (e.g. every equal-g pair missed the fit)."""
    df = g_table(runs, optim)
    found = [agreement(df, y) for y in (*OUTCOMES, *sharpness_columns(df))]
    shared = shared_groups(df)
    none = t("gscale.pairs_missed", k=shared) if shared else t("gscale.no_pairs")
    if found and not any(a["groups"] or not math.isnan(a["tau"]) for a in found):
        return [Markdown(t("gscale.no_tau", n=max(a["n"] for a in found)) + " " + none)]
    lines = []
    for a in found:
        tau = t("gscale.tau", tau=a["tau"], n=a["n"]) if not math.isnan(a["tau"]) else t("gscale.no_tau", n=a["n"])
        if not a["groups"]:
            verdict = none
        else:
            seeds = t("gscale.seeds", s=f"{a['seeds']:.3g}") if not math.isnan(a["seeds"]) else t("gscale.one_seed")
            verdict = t("gscale.agree" if a["agree"] else "gscale.disagree", within=f"{a['within']:.3g}",
                        across=f"{a['across']:.3g}", k=a["groups"], seeds=seeds)
        m = measure(a["measure"])
        lines.append(Markdown(f"**{t(m.label if m else 'label.' + a['measure'])}**: {tau} {verdict}"))
    return lines


def caption(runs: pd.DataFrame, optim: Mapping | None = None) -> Markdown:
    """The chart's caption: what g is made of in this study (N, each optimizer's m), how many runs missed the fit,
    and which adaptive runs are left out and why."""
    df = g_table(runs, optim)
    n = ", ".join(f"{int(v):,}" for v in sorted(df.n_train.unique())) if len(df) else "?"
    ms = "; ".join(t("gscale.momenta", m=f"{m:g}", opts=", ".join(sorted(map(str, g.optimizer.unique()))))
                   for m, g in df.groupby("m", sort=True))
    done = df[df.status == "done"] if "status" in df else df
    text = t("gscale.caption", n=n, ms=Markdown(ms), k=int((~done.at_fit).sum()))
    if len(done) < len(df):
        text = Markdown(text + " " + t("gscale.untrained", k=len(df) - len(done)))
    adaptive = runs[~runs.index.isin(df.index)] if len(runs) else runs
    if len(adaptive):
        opts = ", ".join(sorted(map(str, adaptive.optimizer.unique())))
        text = Markdown(text + " " + t("gscale.adaptive", opts=opts, k=len(adaptive)))
    if "batch_schedule" in df and (df.batch_schedule.fillna("constant") == "step").any():
        growth = sorted({int(v) for v in df.get("batch_growth", pd.Series(dtype=float)).dropna()}) or [10]
        text = Markdown(text + " " + t("gscale.growing", growth="/".join(map(str, growth))))
    return text
