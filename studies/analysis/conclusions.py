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

from . import b_simple as bsimple, cbs, intervals, nqm_study
from ..i18n import language
from ..measures import measures
from .fairness import compared_runs, fitted, loss_band
from .scaling import b_crit_text, bound, fit_study, kind_of

GROUP = ["batch_size", "optimizer", "shuffle", "lr", "budget"]   # budget: where the runs table has one
# columns a summary row is written for, where the runs table has them, before the registry's measures
# (studies.measures, those with `summary`; sharpness_eps@ε columns are added)
OUTCOMES = ("test_acc", "train_acc", "gap_acc", "test_loss", "train_loss", "gap_loss", "epoch_time_s", "steps",
            "epochs")
SUMMARY_COLUMNS = ["measure", "batch_size", "optimizer", "shuffle", "lr", "budget", "mean", "ci_low", "ci_high", "n",
                   "n_left_out", "interval", "note", "contended"]
TIMED = ("epoch_time_s", "step_time_s", "samples_per_s")   # seeds in company report one timing pass
ONE_PASS = "one timing pass"


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


def group_estimate(g: pd.DataFrame, use: pd.Series, col: str) -> tuple[intervals.Interval, str]:
    """One group's number and the name of its interval: the geometric mean with a ×/÷ t-interval on the log
    scale for a positive, skewed quantity (intervals.log_scale), else the mean and its t-interval; a timing
    column whose runs all report their configuration's one timing pass is one measurement (n = 1, no interval)."""
    values = pd.to_numeric(g.loc[use, col], errors="coerce")
    if col in TIMED and "timing" in g.columns and use.any() and (g.loc[use, "timing"] == "timing-pass").all():
        v = values.dropna()
        return intervals.Interval(float(v.iloc[0]) if len(v) else math.nan, math.nan, math.nan, int(len(v) > 0)), \
            ONE_PASS
    if intervals.log_scale(col, values):
        est = intervals.log_interval(values)
        return est, intervals.LOG_T_INTERVAL if est.has_interval else "too few runs for an interval"
    est = intervals.mean_interval(values)
    return est, intervals.T_INTERVAL if est.has_interval else "too few runs for an interval"


def edge_note(g: pd.DataFrame) -> str:
    """A group whose chosen lr sits at its grid's edge: "best lr at the top edge of its grid (…)"; else ""."""
    sides = sorted({str(v) for v in g.get("lr_at_edge", pd.Series(dtype=object)).dropna() if v})
    return (f"best lr at the {'top' if sides[0] == 'high' else 'bottom'} edge of its grid: a better lr may lie "
            "beyond it, so its steps are only an upper bound on the tuned steps") if sides else ""


def group_summary(runs: pd.DataFrame, measures: list[str] | None = None) -> pd.DataFrame:
    """One row per measure × compared group: its number and 95 % interval over its comparable runs (group_estimate),
    ``n`` of them and ``n_left_out`` (compared runs of the group that missed the fit, stalled, diverged or failed);
    timing rows carry ``contended`` (some run's epoch times were taken while another process shared its cores)."""
    shown = compared_runs(runs)
    if shown.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    ok = comparable(runs).loc[shown.index]
    keys = [k for k in GROUP if k in shown.columns]
    rows = []
    for col in measures or measure_columns(shown):
        for key, g in shown.groupby(keys, dropna=False, sort=True):
            use = ok.loc[g.index]
            est, name = group_estimate(g, use, col)
            contended = bool(g.loc[use, "contended"].fillna(False).astype(bool).any()) \
                if col in TIMED and "contended" in g.columns else ""
            rows.append({**dict(zip(keys, key)), "measure": col, "mean": est.value, "ci_low": est.low,
                         "ci_high": est.high, "n": est.n, "n_left_out": int((~use).sum()), "interval": name,
                         "note": edge_note(g), "contended": contended})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def summary_table(runs: pd.DataFrame, epochs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Exactly what the charts draw: per measure and compared group the mean, interval, n and n_left_out;
    then the study's B_simple and B_crit rows."""
    groups = group_summary(runs)
    study = study_rows(runs, epochs)
    parts = [p for p in (groups, study) if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SUMMARY_COLUMNS)


def fit_losses(small: pd.DataFrame, large: pd.DataFrame) -> dict:
    """The train losses two compared groups ended at: each group's median, and whether every run of both lies
    within the matched band of the lowest (fairness.loss_band: at most 2× the best run's + 0.001)."""
    a = pd.to_numeric(small.get("train_loss", pd.Series(dtype=float)), errors="coerce").dropna()
    b = pd.to_numeric(large.get("train_loss", pd.Series(dtype=float)), errors="coerce").dropna()
    if a.empty or b.empty:
        return {"loss_small": math.nan, "loss_large": math.nan, "loss_matched": None}
    both = pd.concat([a, b])
    return {"loss_small": float(a.median()), "loss_large": float(b.median()),
            "loss_matched": bool(both.max() <= loss_band(float(both.min())))}


def end_difference(runs: pd.DataFrame, measure: str) -> list[dict]:
    """Per optimizer × shuffle (× budget, where the runs have one): the largest batch against the smallest over
    comparable runs, with Welch's interval and whether it is outside the seed noise (None when there is no
    interval), and the train losses both ends were taken at (fit_losses). A positive, skewed quantity
    (intervals.log_scale) is compared as a ratio (``ratio``: True; diff/low/high are ×-factors, Welch's interval
    of the difference of the logs mapped back), anything else as a difference."""
    shown = compared_runs(runs)
    ok = comparable(runs)
    out = []
    if measure not in shown.columns:
        return out
    keys = ["optimizer", "shuffle"] + (["budget"] if "budget" in shown.columns else [])
    cols = list(dict.fromkeys(keys + ["batch_size", measure] + (["train_loss"] if "train_loss" in shown else [])))
    for key, g in shown.loc[ok.loc[shown.index], cols].groupby(keys, sort=True, dropna=False):
        opt, sh = key[0], key[1]
        sizes = sorted(g.batch_size.unique())
        if len(sizes) < 2:
            continue
        ends = [g[g.batch_size == b] for b in (sizes[0], sizes[-1])]
        small, large = (pd.to_numeric(e[measure], errors="coerce") for e in ends)
        ratio = intervals.log_scale(measure, pd.concat([small, large]))
        if ratio:
            d = intervals.difference_interval(np.log(small[small > 0]), np.log(large[large > 0]))
            d = intervals.Interval(math.exp(d.value), math.exp(d.low), math.exp(d.high), d.n)
            beyond = None if not d.has_interval else bool(d.low > 1 or d.high < 1)
        else:
            d = intervals.difference_interval(small, large)
            beyond = intervals.beyond_noise(d)
        out.append({"optimizer": opt, "shuffle": bool(sh), "budget": key[2] if len(key) > 2 else None,
                    "small": int(sizes[0]), "large": int(sizes[-1]), "ratio": ratio,
                    "diff": d.value, "low": d.low, "high": d.high, "beyond_noise": beyond, **fit_losses(*ends)})
    return out
