"""The numbers a study concludes, each with the runs it comes from and how sure it is.

Only comparable runs make a conclusion: the compared (best-lr) runs that reached the study's fit
(`fairness.fitted`: done and at the target; without a target, trained to within the loss band). The others
stay on the charts as hollow points and are counted as left out, never averaged in. Per group (batch size ×
optimizer × shuffle × lr): the mean and its 95 % t-interval over seeds. Study-wide: one B_simple (the
gradient noise scale, geometric mean over the comparable runs of each run's mean over its training probes,
with a bootstrap interval) and one B_crit per optimizer (the S(B) fit, with its profile interval). The
summary export writes exactly these rows. No torch.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import cbs, intervals, nqm_study
from ..i18n import Markdown, t
from ..measures import measures
from .fairness import compared_runs, fitted
from .scaling import bound, fit_study

GROUP = ["batch_size", "optimizer", "shuffle", "lr", "budget"]   # budget: where the runs table has one
# columns a summary row is written for, where the runs table has them, before the registry's measures
# (studies.measures, those with `summary`; sharpness_eps@ε columns are added)
OUTCOMES = ("test_acc", "train_acc", "gap_acc", "test_loss", "train_loss", "gap_loss", "epoch_time_s", "steps",
            "epochs")
SUMMARY_COLUMNS = ["measure", "batch_size", "optimizer", "shuffle", "lr", "budget", "mean", "ci_low", "ci_high", "n",
                   "n_left_out", "interval", "note"]
B_SIMPLE_RULE = ("B_simple: per run, the geometric mean of the gradient noise scale over its training probes "
                 "(epoch 0 to the end of training); over the study's comparable runs, their geometric mean with a "
                 f"{intervals.BOOTSTRAP}")


def comparable(runs: pd.DataFrame) -> pd.Series:
    """Per run: True when it enters means, fits and τ (best lr and at the study's fit)."""
    if runs.empty:
        return pd.Series(False, index=runs.index, dtype=bool)
    shown = compared_runs(runs).index
    return fitted(runs) & runs.index.isin(shown)


def measure_columns(runs: pd.DataFrame) -> list[str]:
    extra = sorted(c for c in runs.columns if c.startswith("sharpness_eps@") and not c.endswith("_se"))
    summarised = OUTCOMES + tuple(m.column for m in measures() if m.summary)
    return [c for c in summarised if c in runs.columns and runs[c].notna().any()] + extra


def left_out(runs: pd.DataFrame) -> tuple[int, int]:
    """(compared runs left out of the conclusions, compared runs): "3 of 12 missed the fit"."""
    shown = compared_runs(runs)
    if shown.empty:
        return 0, 0
    return int((~comparable(runs).loc[shown.index]).sum()), len(shown)


def group_summary(runs: pd.DataFrame, measures: list[str] | None = None) -> pd.DataFrame:
    """One row per measure × compared group: mean and 95 % t-interval over its comparable runs, ``n`` of them
    and ``n_left_out`` (compared runs of the group that missed the fit, stalled, diverged or failed)."""
    shown = compared_runs(runs)
    if shown.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    ok = comparable(runs).loc[shown.index]
    keys = [k for k in GROUP if k in shown.columns]
    rows = []
    for col in measures or measure_columns(shown):
        for key, g in shown.groupby(keys, dropna=False, sort=True):
            use = ok.loc[g.index]
            est = intervals.mean_interval(pd.to_numeric(g.loc[use, col], errors="coerce"))
            rows.append({**dict(zip(keys, key)), "measure": col, "mean": est.value, "ci_low": est.low,
                         "ci_high": est.high, "n": est.n, "n_left_out": int((~use).sum()),
                         "interval": intervals.T_INTERVAL if est.has_interval else "too few runs for an interval",
                         "note": ""})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def run_b_simple(runs: pd.DataFrame, epochs: pd.DataFrame | None) -> pd.Series:
    """Per run (indexed like ``runs``): the geometric mean of its noise-scale probes over training; from the
    runs table's two ends (init, final) when the epochs table has no probes."""
    out = pd.Series(math.nan, index=runs.index, dtype=float)
    if epochs is not None and {"run_id", "noise_scale"} <= set(epochs.columns):
        probes = epochs[pd.to_numeric(epochs.noise_scale, errors="coerce") > 0]
        logs = np.log(probes.noise_scale.astype(float)).groupby(probes.run_id).mean()
        out = runs.run_id.map(np.exp(logs)).astype(float) if "run_id" in runs else out
    ends = [c for c in ("noise_scale_init", "noise_scale") if c in runs.columns]
    if ends:
        vals = runs[ends].apply(pd.to_numeric, errors="coerce").where(lambda v: v > 0)
        fallback = np.exp(np.log(vals).mean(axis=1, skipna=True))
        out = out.fillna(fallback)
    return out


def b_simple(runs: pd.DataFrame, epochs: pd.DataFrame | None = None) -> tuple[intervals.Interval, int]:
    """The study's one B_simple with its interval, and how many compared runs with an estimate were left out."""
    per_run = run_b_simple(runs, epochs)
    shown = compared_runs(runs).index
    has = per_run.notna() & runs.index.isin(shown)
    ok = comparable(runs)
    return intervals.geometric_mean_interval(per_run[has & ok]), int((has & ~ok).sum())


def b_simple_text(est: intervals.Interval, left_out: int = 0) -> str:
    """"B_simple ≈ 94 (95 % bootstrap interval 80–110; 6 runs, 2 left out)", in the current language."""
    if not est.n:
        return t("bs.none")
    rng = t("bs.interval", low=est.low, high=est.high) if est.has_interval else t("bs.too_few")
    return t("bs.value", v=est.value, rng=rng, n=est.n, left=t("bs.left", k=left_out) if left_out else Markdown(""))


def study_rows(runs: pd.DataFrame, epochs: pd.DataFrame | None) -> pd.DataFrame:
    """The summary's study-level rows: b_simple, and b_crit and cbs20 per optimizer × shuffle, the
    NQM's b_crit_predicted per optimizer (batch_size "all")."""
    rows = []
    est, left = b_simple(runs, epochs)
    if est.n:
        rows.append({"measure": "b_simple", "batch_size": "all", "optimizer": "all", "shuffle": "all", "lr": "all",
                     "budget": "all",
                     "mean": est.value, "ci_low": est.low, "ci_high": est.high, "n": est.n, "n_left_out": left,
                     "interval": intervals.BOOTSTRAP if est.has_interval else "too few runs for an interval",
                     "note": "geometric mean over runs of each run's mean over its training probes"})
    shown = compared_runs(runs)
    left_fit = int((~comparable(runs).loc[shown.index]).sum()) if len(shown) else 0
    for f in fit_study(runs):
        note = [x for x in ((f"> {f['b_max']:g}, the largest batch in the fit" if f["beyond"] == "above" else
                             f"< {f['b_min']:g}, the smallest batch in the fit" if f["beyond"] == "below" else ""),
                            ("" if f["lr_tuned"] else f"at lr = {f['lr']:g}, not tuned" if f.get("lr") is not None
                             else "lr not tuned per batch size")) if x]
        low, high = bound(f["b_crit_low"]), bound(f["b_crit_high"])
        rows.append({"measure": "b_crit", "batch_size": "all", "optimizer": f["optimizer"], "shuffle": f["shuffle"],
                     "lr": "best" if f["lr_tuned"] else f.get("lr"), "budget": "target", "mean": f["b_crit"],
                     "ci_low": low,
                     "ci_high": high, "n": f["n_points"], "n_left_out": left_fit,
                     "interval": "95 % profile-likelihood interval" if not math.isnan(low) else
                     "too few runs for an interval", "note": "; ".join(note)})
    rows += cbs.summary_rows(runs) + nqm_study.summary_rows(runs, epochs)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def summary_table(runs: pd.DataFrame, epochs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Exactly what the charts draw: per measure and compared group the mean, interval, n and n_left_out;
    then the study's B_simple and B_crit rows."""
    groups = group_summary(runs)
    study = study_rows(runs, epochs)
    parts = [p for p in (groups, study) if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SUMMARY_COLUMNS)


def end_difference(runs: pd.DataFrame, measure: str) -> list[dict]:
    """Per optimizer × shuffle (× budget, where the runs have one): the largest batch's mean minus the
    smallest's over comparable runs, with Welch's interval and whether it is outside the seed noise (None when
    there is no interval)."""
    shown = compared_runs(runs)
    ok = comparable(runs)
    out = []
    if measure not in shown.columns:
        return out
    keys = ["optimizer", "shuffle"] + (["budget"] if "budget" in shown.columns else [])
    for key, g in shown[ok.loc[shown.index]].groupby(keys, sort=True, dropna=False):
        opt, sh = key[0], key[1]
        sizes = sorted(g.batch_size.unique())
        if len(sizes) < 2:
            continue
        small, large = (pd.to_numeric(g.loc[g.batch_size == b, measure], errors="coerce") for b in (sizes[0], sizes[-1]))
        d = intervals.difference_interval(small, large)
        out.append({"optimizer": opt, "shuffle": bool(sh), "budget": key[2] if len(key) > 2 else None,
                    "small": int(sizes[0]), "large": int(sizes[-1]),
                    "diff": d.value, "low": d.low, "high": d.high, "beyond_noise": intervals.beyond_noise(d)})
    return out
