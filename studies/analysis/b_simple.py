"""B_simple, the gradient noise scale (McCandlish et al. 2018), at one stage of training, per optimizer × budget.

Stage: each run's **final weights** (the runs table's ``noise_scale``: B_simple on the whole training set after
training). A run that trains to a target stops at its crossing, so for a targeted study the final weights are
the target's fit, the same train loss for every batch size; without a target they are the end of the budget.
The probes over training (the epochs table) are not pooled: they sit at log-spaced epochs, so a B=16 run and a
B=1024 run would be sampled at different stages (B_simple grows as the loss falls), and the epoch-0 probe is one
number shared by every batch size of a seed, which would count it several times.

Per optimizer × budget (the noise scale depends on where the optimizer ends; budgets are never pooled): the
geometric mean over the comparable runs (best lr, at the fit) and a 95 % percentile bootstrap that resamples
**seeds** (all runs of a drawn seed together: runs of one seed share their initial weights, so they are not
independent draws), 2,000 resamples, seeded; at least MIN_BOOTSTRAP seeds for an interval. No torch.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import intervals
from ..i18n import Markdown, plain, t
from .fairness import compared_runs, fitted

BOOTSTRAP = "95 % bootstrap interval over seeds (each seed's runs resampled together)"
STAGE = "at the final weights"
RESAMPLES = 2000


def keys_of(runs: pd.DataFrame) -> list[str]:
    return ["optimizer"] + (["budget"] if "budget" in runs.columns else [])


def seed_bootstrap(values, seeds, *, seed: int = 0, resamples: int = RESAMPLES) -> intervals.Interval:
    """The geometric mean of positive ``values`` and its percentile bootstrap interval, resampling whole seeds
    (clusters) with replacement; NaN bounds with fewer than MIN_BOOTSTRAP seeds."""
    v = np.asarray(values, dtype=float)
    s = np.asarray(seeds)
    keep = np.isfinite(v) & (v > 0)
    v, s = v[keep], s[keep]
    if len(v) == 0:
        return intervals.Interval(math.nan, math.nan, math.nan, 0)
    logs = np.log(v)
    g = float(math.exp(logs.mean()))
    ids, inverse = np.unique(s, return_inverse=True)
    if len(ids) < intervals.MIN_BOOTSTRAP:
        return intervals.Interval(g, math.nan, math.nan, len(v))
    sums = np.bincount(inverse, weights=logs)           # per seed: sum of logs and count
    counts = np.bincount(inverse).astype(float)
    draws = np.random.default_rng(seed).integers(0, len(ids), size=(resamples, len(ids)))
    est = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    lo, hi = np.quantile(est, [(1 - intervals.LEVEL) / 2, (1 + intervals.LEVEL) / 2])
    return intervals.Interval(g, float(math.exp(lo)), float(math.exp(hi)), len(v))


def per_group(runs: pd.DataFrame) -> list[dict]:
    """Per optimizer × budget with a final-weights estimate: its keys, ``est`` (Interval), ``seeds``, and
    ``left`` (compared runs with an estimate left out of it: missed the fit)."""
    if runs.empty or "noise_scale" not in runs.columns:
        return []
    shown = compared_runs(runs)
    value = pd.to_numeric(shown.noise_scale, errors="coerce")
    has = value > 0
    ok = fitted(runs).loc[shown.index] & has
    out = []
    keys = keys_of(shown)
    for key, g in shown[has].groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        use = ok.loc[g.index]
        seeds = g.seed if "seed" in g.columns else pd.Series(range(len(g)), index=g.index)
        est = seed_bootstrap(value.loc[g.index][use], seeds[use])
        out.append({**dict(zip(keys, key)), "est": est, "seeds": int(seeds[use].nunique()),
                    "left": int((~use).sum())})
    return out


def text(group: dict, several: bool = True) -> Markdown:
    """"B_simple (adam) ≈ 2,102 at the final weights (95 % bootstrap interval over seeds 1,417–3,165; 12 runs,
    3 seeds)", in the current language; the optimizer (and budget) named when ``several`` groups are shown."""
    est = group["est"]
    who = Markdown(" (" + ", ".join(plain(group[k]) for k in ("optimizer", "budget") if group.get(k) is not None)
                   + ")") if several else Markdown("")
    if not est.n:
        return t("bsx.none", who=who)
    rng = t("bsx.interval", low=est.low, high=est.high) if est.has_interval else t("bsx.too_few")
    left = t("bs.left", k=group["left"]) if group["left"] else Markdown("")
    return t("bsx.value", who=who, v=est.value, rng=rng, n=est.n, seeds=group["seeds"], left=left)


def texts(runs: pd.DataFrame) -> list[Markdown]:
    """One line per optimizer × budget; the optimizer named only when the study has several groups."""
    groups = per_group(runs)
    return [text(g, len(groups) > 1) for g in groups]


def rule(runs: pd.DataFrame) -> tuple[float, float, float] | None:
    """(value, low, high) for a chart's rule: only when the study has one optimizer × budget (one rule for
    several optimizers would stand for none of them)."""
    groups = [g for g in per_group(runs) if g["est"].n]
    if len(groups) != 1:
        return None
    e = groups[0]["est"]
    return e.value, e.low, e.high


def rows(runs: pd.DataFrame) -> list[dict]:
    """The summary export's b_simple rows: one per optimizer × budget (batch_size, shuffle, lr "all")."""
    out = []
    for g in per_group(runs):
        est = g["est"]
        if not est.n:
            continue
        out.append({"measure": "b_simple", "batch_size": "all", "optimizer": g["optimizer"], "shuffle": "all",
                    "lr": "all", "budget": g.get("budget", "all"), "mean": est.value, "ci_low": est.low,
                    "ci_high": est.high, "n": est.n, "n_left_out": g["left"],
                    "interval": BOOTSTRAP if est.has_interval else "too few seeds for an interval",
                    "note": f"geometric mean over runs {STAGE} ({g['seeds']} seeds)"})
    return out
