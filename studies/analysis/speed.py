"""Which batch size trains soonest here: time and examples to the target, the fastest batch size with the ones
within the noise, the device's saturation, and McCandlish's steps–examples trade-off.

Per run that reached its target: ``time_to_target_s`` = steps to the target × the timed step time (the
interleaved timing pass: time on this device, not the run's own wall time, which shared the cores), and
``examples_to_target`` = steps × B (the data cost, McCandlish et al. 2018's E). Over the seeds of a group, both
are positive and skewed: geometric mean with the ×/÷ t-interval of ``intervals.log_interval``. The fastest batch
size is the one with the least geometric-mean time to the target; the batch sizes whose interval overlaps its
interval are "within the noise". With an lr sweep the S(B) = S_min(1 + B_crit/B) fit gives the trade-off curve
(S/S_min − 1)(E/E_min − 1) = 1 with E_min = S_min·B_crit. No torch.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import intervals
from .conclusions import GROUP, SUMMARY_COLUMNS, comparable
from .fairness import compared_runs

TO_TARGET = ("time_to_target_s", "examples_to_target")
LOG_T = "95 % t-interval over seeds, log scale (geometric mean)"
NOISE_RULE = "batch sizes whose 95 % interval of time_to_target_s overlaps the fastest's"
SATURATION = 1.25   # step time within this factor of the smallest batch's: the device is not yet saturated


def step_time(runs: pd.DataFrame) -> pd.Series:
    """Seconds per step: the stored ``step_time_s``, else epoch time / steps per epoch."""
    if "step_time_s" in runs.columns:
        return pd.to_numeric(runs.step_time_s, errors="coerce")
    spe = np.ceil(pd.to_numeric(runs.samples_per_epoch, errors="coerce") / runs.batch_size)
    return pd.to_numeric(runs.epoch_time_s, errors="coerce") / spe


def with_to_target(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with ``time_to_target_s`` and ``examples_to_target``: NaN for a run that did not reach its target
    (or has no target, or is not ``done``)."""
    df = runs.copy()
    if df.empty or not {"steps", "batch_size", "epoch_time_s"} <= set(df.columns):
        return df.assign(**{c: math.nan for c in TO_TARGET})
    reached = df.reached_target.fillna(False).astype(bool) if "reached_target" in df.columns else False
    ok = reached & (df.status.astype(str) == "done" if "status" in df.columns else True)
    steps = pd.to_numeric(df.steps, errors="coerce").where(ok)
    df["time_to_target_s"] = steps * step_time(df)
    df["examples_to_target"] = steps * pd.to_numeric(df.batch_size, errors="coerce")
    return df


def to_target_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """Summary rows (conclusions.SUMMARY_COLUMNS): per compared group, the geometric mean of time and examples to
    the target over its comparable runs with the log-scale t-interval."""
    df = with_to_target(runs)
    shown = compared_runs(df)
    if shown.empty or shown.time_to_target_s.notna().sum() == 0:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    ok = comparable(df).loc[shown.index]
    keys = [k for k in GROUP if k in shown.columns]
    rows = []
    for col in TO_TARGET:
        for key, g in shown.groupby(keys, dropna=False, sort=True):
            use = ok.loc[g.index] & g[col].notna()
            if not use.any():
                continue
            est = intervals.log_interval(g.loc[use, col])
            low, high = min(est.low, est.value), max(est.high, est.value)   # exp∘log may round across
            rows.append({**dict(zip(keys, key)), "measure": col, "mean": est.value,
                         "ci_low": low if est.has_interval else math.nan,
                         "ci_high": high if est.has_interval else math.nan, "n": est.n, "n_left_out": int((~use).sum()),
                         "interval": LOG_T if est.has_interval else "too few runs for an interval",
                         "note": _timing_note(g.loc[use]) if col == "time_to_target_s" else "steps × batch size"})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _timing_note(g: pd.DataFrame) -> str:
    reps = pd.to_numeric(g.get("timing_repeats"), errors="coerce").max() if "timing_repeats" in g else math.nan
    return "steps × step time" + (f" (minimum of {int(reps)} interleaved repeats)" if reps == reps else "")


def fastest(rows: pd.DataFrame) -> pd.DataFrame:
    """From ``to_target_rows``: per optimizer × shuffle × budget, the batch size with the least time to the target
    and the batch sizes within the noise (``NOISE_RULE``) as summary rows ``fastest_batch_size``: ``mean`` the
    batch size, ``ci_low``/``ci_high`` the smallest and largest within the noise, ``note`` the sentence."""
    t = rows[rows.measure == "time_to_target_s"]
    out = []
    keys = [k for k in ("optimizer", "shuffle", "budget") if k in t.columns]
    for key, g in t.groupby(keys, dropna=False, sort=True):
        g = g.assign(batch_size=pd.to_numeric(g.batch_size)).sort_values("batch_size")
        best = g.loc[g["mean"].idxmin()]
        has = g.ci_low.notna() & g.ci_high.notna() & (best.ci_low == best.ci_low)
        near = g[has & (g.ci_low <= best.ci_high) & (g.ci_high >= best.ci_low)] if has.any() else g.iloc[:0]
        sizes = sorted({int(b) for b in near.batch_size} | {int(best.batch_size)})
        out.append({**dict(zip(keys, key)), "measure": "fastest_batch_size", "batch_size": "all",
                    "lr": "best" if g.lr.nunique() > 1 else g.lr.iloc[0], "mean": int(best.batch_size),
                    "ci_low": sizes[0], "ci_high": sizes[-1], "n": len(g), "n_left_out": 0,
                    "interval": NOISE_RULE if has.any() else "too few runs for an interval",
                    "note": fastest_sentence(int(best.batch_size), sizes, bool(has.any()))})
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


def fastest_sentence(best: int, sizes: list[int], has_interval: bool = True) -> str:
    """"B = 256; 64–1024 within the noise" (English, for the export; the page says it through i18n)."""
    if not has_interval:
        return f"B = {best}; no interval (one seed)"
    if sizes == [best]:
        return f"B = {best}; no other batch size within the noise"
    return f"B = {best}; {sizes[0]}–{sizes[-1]} within the noise"


def saturation(runs: pd.DataFrame) -> pd.DataFrame:
    """Per optimizer × shuffle: ``saturation_b``, the largest batch size whose step time (median over its runs)
    stays within SATURATION × the smallest batch's — beyond it step time grows with B (the device is busy) —
    and ``saturated`` (some larger batch size grows past it)."""
    if runs.empty or "batch_size" not in runs.columns:
        return pd.DataFrame(columns=["optimizer", "shuffle", "saturation_b", "saturated"])
    df = runs.assign(step_time_s=step_time(runs))
    out = []
    for (opt, sh), g in df.groupby(["optimizer", "shuffle"], sort=True):
        st = g.groupby("batch_size").step_time_s.median().dropna().sort_index()
        if st.empty:
            continue
        flat = st[st <= SATURATION * st.iloc[0]]
        last = int(flat.index[-1]) if len(flat) else int(st.index[0])
        out.append({"optimizer": opt, "shuffle": bool(sh), "saturation_b": last, "saturated": last < st.index[-1]})
    return pd.DataFrame(out, columns=["optimizer", "shuffle", "saturation_b", "saturated"])


def tradeoff_curve(s_min: float, b_crit: float, b_lo: float, b_hi: float, points: int = 60) -> pd.DataFrame:
    """McCandlish's (S/S_min − 1)(E/E_min − 1) = 1 traced over B in [b_lo, b_hi]: S = S_min(1 + B_crit/B),
    E = B·S, E_min = S_min·B_crit."""
    b = np.geomspace(b_lo, b_hi, points)
    s = s_min * (1 + b_crit / b)
    return pd.DataFrame({"batch_size": b, "steps_to_target": s, "examples_to_target": s * b,
                         "s_min": s_min, "e_min": s_min * b_crit})


def speed_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """The summary export's speed rows: time and examples to the target per group, then ``fastest_batch_size``."""
    rows = to_target_rows(runs)
    parts = [p for p in (rows, fastest(rows) if len(rows) else None) if p is not None and len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SUMMARY_COLUMNS)


def answer(runs: pd.DataFrame) -> dict:
    """Everything the Speed page's answer draws, from one call: ``runs`` with the to-target columns, the summary
    rows, the fastest batch size per optimizer × shuffle (b, low, high, time, n, has_interval), the saturation
    and the S(B) fits (only lr-tuned ones draw the hyperbola)."""
    from .scaling import fit_study
    df = with_to_target(runs)
    rows = to_target_rows(df)
    best = fastest(rows) if len(rows) else pd.DataFrame(columns=SUMMARY_COLUMNS)
    lead = []
    for _, f in best.iterrows():
        mine = rows[(rows.measure == "time_to_target_s") & (rows.optimizer == f.optimizer)
                    & (rows.shuffle == f.shuffle) & (pd.to_numeric(rows.batch_size) == f["mean"])].iloc[0]
        lead.append({"optimizer": f.optimizer, "shuffle": bool(f.shuffle), "b": int(f["mean"]),
                     "low": int(f.ci_low), "high": int(f.ci_high), "time": float(mine["mean"]), "n": int(mine.n),
                     "has_interval": f.interval == NOISE_RULE})
    return {"runs": df, "rows": rows, "fastest": lead, "saturation": saturation(df), "fits": fit_study(runs)}


def table(rows: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per optimizer × shuffle × batch size: time and examples to the target with their intervals, seeds, and the
    runs' own median wall time (``total_time_s``) beside."""
    t_ = rows[rows.measure == "time_to_target_s"].set_index(["optimizer", "shuffle", "batch_size"])
    e_ = rows[rows.measure == "examples_to_target"].set_index(["optimizer", "shuffle", "batch_size"])
    out = pd.DataFrame({"time": t_["mean"], "time_low": t_.ci_low, "time_high": t_.ci_high, "n": t_.n,
                        "examples": e_["mean"], "examples_low": e_.ci_low, "examples_high": e_.ci_high})
    if "total_time_s" in runs.columns:
        ok = runs[runs.time_to_target_s.notna()] if "time_to_target_s" in runs else runs.iloc[:0]
        wall = ok.groupby(["optimizer", "shuffle", "batch_size"]).total_time_s.median()
        out["wall"] = wall.reindex([(o, s, int(b)) for o, s, b in out.index]).to_numpy()
    return out.reset_index()
