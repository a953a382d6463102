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


def compared_ends() -> tuple[str, ...]:
    """The smallest → largest batch comparisons the CLI prints and the summary writes: the outcomes, then the
    registry's measures that carry a `note` (ε-sharpness, λ_max)."""
    return ("test_acc", "gap_acc") + tuple(m.column for m in measures() if m.note)


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
    """A group whose chosen lr sits at its grid's edge (lr_edges.edge): "best lr at the top edge of its grid (…)",
    or was the only lr tried: "best lr the only lr tried, not a tuned value (…)"; else ""."""
    sides = sorted({str(v) for v in g.get("lr_at_edge", pd.Series(dtype=object)).dropna() if v})
    if not sides:
        return ""
    where = {"high": "at the top edge of its grid", "low": "at the bottom edge of its grid",
             "single": "the only lr tried, not a tuned value"}[sides[0]]
    return f"best lr {where}: a better lr may lie beyond it, so its steps are only an upper bound on the tuned steps"


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


def b_crit_rows(runs: pd.DataFrame) -> list[dict]:
    """b_crit rows per optimizer × shuffle, only where the S(B) fit is a critical batch size: with an lr sweep
    (without one the fit is an "S(B) scale at lr = …", written as measure ``s_b_scale``), at ≥ 3 batch sizes
    (fewer: a row without a number saying why), and as a bound without an interval where a best lr sits at its
    grid's edge (the note says "edge")."""
    shown = compared_runs(runs)
    left_fit = int((~comparable(runs).loc[shown.index]).sum()) if len(shown) else 0
    rows = []
    with language("en"):
        for f in fit_study(runs, short=True):
            kind = kind_of(f)
            base = {"batch_size": "all", "optimizer": f["optimizer"], "shuffle": f["shuffle"], "budget": "target",
                    "lr": "best" if f["lr_tuned"] else f.get("lr"), "n": f["n_points"], "n_left_out": left_fit,
                    "measure": "b_crit" if f["lr_tuned"] else "s_b_scale", "contended": ""}
            if kind == "too_few" or (kind == "bound" and not f.get("bound")):
                rows.append({**base, "mean": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                             "interval": "no number", "note": str(b_crit_text(f))})
                continue
            if kind == "bound":
                rows.append({**base, "mean": f["b_crit"], "ci_low": math.nan, "ci_high": math.nan,
                             "interval": "a bound, no interval (best lr at the edge of its grid)",
                             "note": f"{'lower' if f['bound'] == '>=' else 'upper'} bound: best lr at the edge of "
                                     f"its grid: {b_crit_text(f)}"})
                continue
            note = [x for x in ((f"> {f['b_max']:g}, the largest batch in the fit" if f["beyond"] == "above" else
                                 f"< {f['b_min']:g}, the smallest batch in the fit" if f["beyond"] == "below" else ""),
                                (f"S(B) scale at lr = {f['lr']:g}: no lr sweep, not a critical batch size"
                                 if kind == "scale" and f.get("lr") is not None else
                                 "lr not tuned per batch size: not a critical batch size" if kind == "scale" else ""),
                                (f"lack of fit (F = {bound(f['lof_f']):.3g}, p = {bound(f['lof_p']):.2g}): fitted to the "
                                 "per-batch-size means" if f.get("on_means") else "")) if x]
            low, high = bound(f["b_crit_low"]), bound(f["b_crit_high"])
            rows.append({**base, "mean": f["b_crit"], "ci_low": low, "ci_high": high,
                         "interval": "95 % profile-likelihood interval" if not math.isnan(low) else
                         "too few runs for an interval", "note": "; ".join(note)})
    return rows


def study_rows(runs: pd.DataFrame, epochs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The summary's study-level rows: b_simple per optimizer × budget (analysis.b_simple), and b_crit (or
    s_b_scale) per optimizer × shuffle (batch_size "all")."""
    rows = bsimple.rows(runs) + b_crit_rows(runs)
    rows += cbs.summary_rows(runs) + nqm_study.summary_rows(runs, epochs) + difference_rows(runs)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _lr_of(runs: pd.DataFrame, optimizer: str) -> float | str:
    """The optimizer's one lr, or "best" where its runs swept several (each batch size at its own best)."""
    lrs = pd.to_numeric(runs.loc[runs.optimizer == optimizer, "lr"], errors="coerce").dropna().unique()
    return float(lrs[0]) if len(lrs) == 1 else "best"


def difference_rows(runs: pd.DataFrame) -> list[dict]:
    """The CLI's smallest → largest batch comparisons as rows: measure ``<column>_diff`` (a difference) or
    ``<column>_ratio`` (a positive, skewed quantity: a ×-factor), batch_size "small->large", Welch's 95 %
    interval, and the verdict and the train losses compared in `note` ("outside the seed noise; at train
    loss 0.0095 vs 0.01 (medians)")."""
    rows = []
    for col in compared_ends():
        for d in end_difference(runs, col):
            verdict = ("no interval: fewer than 2 comparable seeds per batch size" if d["beyond_noise"] is None else
                       f"{'outside' if d['beyond_noise'] else 'inside'} the seed noise")
            losses = ("train loss not known" if d["loss_matched"] is None else
                      f"at train loss {d['loss_small']:.2g} vs {d['loss_large']:.2g} (medians)"
                      + ("" if d["loss_matched"] else ", not within the matched band"))
            rows.append({"measure": f"{col}_{'ratio' if d['ratio'] else 'diff'}",
                         "batch_size": f"{d['small']}->{d['large']}", "optimizer": d["optimizer"],
                         "shuffle": d["shuffle"], "lr": _lr_of(runs, d["optimizer"]), "budget": d["budget"] or "all",
                         "mean": d["diff"], "ci_low": d["low"], "ci_high": d["high"], "n": d["n"],
                         "n_left_out": math.nan,
                         "interval": "95 % Welch interval" + (" on the log scale (×)" if d["ratio"] else ""),
                         "note": f"{verdict}; {losses}"})
    return rows


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
                    "diff": d.value, "low": d.low, "high": d.high, "n": d.n, "beyond_noise": beyond,
                    **fit_losses(*ends)})
    return out
