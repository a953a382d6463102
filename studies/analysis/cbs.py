"""The critical batch size at 20 % overhead (Zhang et al. 2025, "How does critical batch size scale in
pre-training?"): model-free, beside the S(B) fit's B_crit.

Perfect scaling from the smallest batch B₀ would need S(B₀)·B₀/B steps at B; the overhead at B is
S(B)·B / (S(B₀)·B₀) − 1 (the extra examples processed). CBS₂₀ is the batch size where the overhead first
reaches 20 %, interpolated between the batch sizes measured on the log–log scale (both S and B change by
factors). Per seed, from that seed's best-lr runs that reached the target; over the seeds, the geometric mean
with its ×/÷ t-interval (``intervals.log_interval``). Where a seed's overhead stays under 20 % up to the
largest batch, CBS₂₀ is only known to be above it: the row is then a lower bound (no mean, ``ci_low`` = the
largest batch), never a number with an interval. Perfect scaling assumes the lr is tuned per batch size: a
study with one lr per batch size (no sweep) gets its overhead at that lr, which rises with B because the lr
does not, labelled so (``lr_tuned`` False: the row's lr is that lr and its note says it is not a critical
batch size, as the S(B) fit's ``s_b_scale``). No torch.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import intervals
from .fairness import GROUP
from .scaling import steps_points
from ..i18n import Markdown, t

OVERHEAD = 0.2
RULE = ("CBS₂₀: the batch size where the steps to the target exceed perfect scaling from the smallest batch "
        "by 20 % (Zhang et al. 2025), interpolated on the log scale, per seed from its best-lr runs")
UNTUNED = "lr not tuned per batch size: the overhead at {lr}, not a critical batch size"


def cbs(batch_sizes, steps, overhead: float = OVERHEAD) -> tuple[float, bool]:
    """(CBS, bounded) from one S(B) curve: the batch size where S(B)·B/(S(B₀)·B₀) first reaches 1 + overhead,
    interpolated log–log between neighbours; (largest B, True) when it never does; (nan, False) with fewer
    than two batch sizes."""
    b = np.asarray(batch_sizes, dtype=float)
    s = np.asarray(steps, dtype=float)
    ok = np.isfinite(b) & np.isfinite(s) & (b > 0) & (s > 0)
    b, s = b[ok], s[ok]
    order = np.argsort(b)
    b, s = b[order], s[order]
    if len(np.unique(b)) < 2:
        return math.nan, False
    ratio = s * b / (s[0] * b[0])
    level = 1.0 + overhead
    over = np.flatnonzero(ratio >= level)
    if not over.size:
        return float(b[-1]), True
    k = int(over[0])
    x0, x1, y0, y1 = math.log(b[k - 1]), math.log(b[k]), math.log(ratio[k - 1]), math.log(ratio[k])
    return float(math.exp(x0 + (math.log(level) - y0) * (x1 - x0) / (y1 - y0))), False


def study_cbs(runs: pd.DataFrame, overhead: float = OVERHEAD) -> list[dict]:
    """Per (optimizer, shuffle): CBS₂₀ over the seeds — value, interval, n, whether it is a lower bound, the
    batch sizes it saw, whether the lr was tuned per batch size (``lr_tuned``; else ``lr``, the one lr or None
    for several). Seeds with fewer than two batch sizes at the target are left out."""
    pts = steps_points(runs)
    out = []
    for (opt, sh), g in pts.groupby(["optimizer", "shuffle"], sort=True):
        b0 = g.batch_size.min()
        per_seed, bounded, left = [], False, 0
        for _, s in g.groupby("seed"):
            if b0 not in set(s.batch_size) or s.batch_size.nunique() < 2:
                left += 1                  # without the smallest batch there is no perfect-scaling line
                continue
            steps = s.groupby("batch_size").steps.median()
            value, bound = cbs(steps.index, steps.to_numpy(), overhead)
            if math.isfinite(value):
                per_seed.append(value)
                bounded |= bound
        if not per_seed:
            continue
        if bounded:
            est = intervals.Interval(math.nan, float(g.batch_size.max()), math.inf, len(per_seed))
        else:
            est = intervals.log_interval(per_seed)
        mine = runs[(runs.optimizer == opt) & (runs.shuffle == sh)]
        tuned = bool(mine.groupby(GROUP).lr.nunique().max() > 1) if "lr" in mine else False
        lrs = sorted({float(v) for v in g.lr}) if "lr" in g else []
        out.append({"optimizer": opt, "shuffle": bool(sh), "lr_tuned": tuned,
                    "lr": lrs[0] if len(lrs) == 1 else None, "value": est.value, "low": est.low, "high": est.high,
                    "n": est.n, "bounded": bounded, "b_min": float(b0), "b_max": float(g.batch_size.max()),
                    "n_left_out": left})
    return out


def summary_rows(runs: pd.DataFrame) -> list[dict]:
    """The summary export's ``cbs20`` rows (columns of conclusions.SUMMARY_COLUMNS)."""
    rows = []
    for c in study_cbs(runs):
        if c["bounded"]:
            interval, note = "lower bound", (f"> {c['b_max']:g}: the overhead stays under 20 % up to the largest "
                                             f"batch; {RULE}")
        else:
            interval = intervals.T_INTERVAL + " (log scale)" if c["n"] > 1 else "one seed: no interval"
            note = RULE
        tuned = c.get("lr_tuned", True)
        if not tuned:
            note = UNTUNED.format(lr=f"lr = {c['lr']:g}" if c.get("lr") is not None else "its lrs") + "; " + note
        rows.append({"measure": "cbs20", "batch_size": "all", "optimizer": c["optimizer"], "shuffle": c["shuffle"],
                     "lr": "best" if tuned else c.get("lr"), "budget": "target", "mean": c["value"], "ci_low": c["low"], "ci_high": c["high"],
                     "n": c["n"], "n_left_out": c["n_left_out"], "interval": interval, "note": note})
    return rows


def describe(c: dict) -> str:
    """One line for the CLI and Generalization: CBS₂₀ with its interval, or its lower bound; without an lr
    sweep, followed by the warning that it is the overhead at that lr, not a critical batch size."""
    if c["bounded"]:
        line = t("cbs.bound", opt=c["optimizer"], b=Markdown(f"{c['b_max']:,.0f}"))
    else:
        if math.isfinite(c["low"]):
            rng = t("cbs.interval", low=Markdown(f"{c['low']:,.0f}"), high=Markdown(f"{c['high']:,.0f}"))
        else:
            rng = t("cbs.one_seed")
        line = t("cbs.value", opt=c["optimizer"], b=Markdown(f"{c['value']:,.0f}"), rng=rng, n=c["n"])
    if c.get("lr_tuned", True):
        return line
    lr = t("cbs.at_lr", lr=Markdown(f"{c['lr']:g}")) if c.get("lr") is not None else t("cbs.at_lrs")
    return Markdown(f"{line} — {t('cbs.untuned', lr=lr)}")
