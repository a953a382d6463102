"""An lr search that extends itself (``[lr] sgd = "auto"`` or ``"auto:0.01"``): which lrs to add after a round of
runs, and why. Pure pandas; the driver (execution/auto_lr) trains what this asks for.

Shallue et al. 2019 extend every search until the best value lies inside it. Per (optimizer, batch size) the
best lr is analysis.fairness.best_lr's choice; where it is the smallest or the largest lr tried at that batch
size (``edge``), the lr a fixed factor beyond it is added, until every best lr has a tried neighbour on both
sides — one that lost to it, or diverged, or stalled — or the cap on lrs per batch size is reached (then the
edge stays, and the runs table's ``lr_at_edge`` says so). Where no lr trained at all (every run diverged),
the lr a factor below the smallest is added. ``lr_added``/``lr_reason`` mark, per run, whether its lr was one
of the start grid's or added, and why.
"""
from __future__ import annotations

import math

import pandas as pd

from .fairness import best_lr
from ..spec.lr_auto import FACTOR, round_lr as _round

MAX_LRS = 12              # lrs per (optimizer, batch size) at most: then an edge stays an edge
MAX_ROUNDS = 12


def edge(tried, best: float) -> str | None:
    """"low" where ``best`` is the smallest lr tried, "high" where it is the largest, else None (inside, or a
    single lr, which is both: "high" first, the side a too-small default lr usually misses on)."""
    tried = sorted(set(float(x) for x in tried))
    if not tried or best not in tried:
        return None
    if best == tried[-1]:
        return "high"
    if best == tried[0]:
        return "low"
    return None


def to_add(runs: pd.DataFrame, auto: tuple[str, ...], known: dict | None = None) -> dict:
    """{(optimizer, batch size): {lr: reason}} to train next, for the optimizers searched ``auto``; empty when
    every best lr is inside its tried lrs (or capped). ``known``: what was added before (not added again)."""
    known = known or {}
    out: dict = {}
    if runs.empty or "lr" not in runs.columns:
        return out
    runs = runs.assign(_best=best_lr(runs))
    for (opt, b), g in runs[runs.optimizer.isin(auto)].groupby(["optimizer", "batch_size"], sort=True):
        tried = sorted(set(float(x) for x in g.lr))
        if len(tried) >= MAX_LRS:
            continue
        winners = sorted(set(float(x) for x in g[g._best].lr))
        if not winners:                              # nothing trained at any lr: go lower
            new, why = _round(tried[0] / FACTOR), f"no lr trained at B={b} (smallest tried {tried[0]:g})"
        else:
            side = edge(tried, winners[0])
            if side is None:
                continue
            new = _round(winners[0] * (FACTOR if side == "high" else 1 / FACTOR))
            why = (f"best lr {winners[0]:g} at B={b} was the {'largest' if side == 'high' else 'smallest'} tried")
        if any(math.isclose(new, x, rel_tol=1e-3) for x in tried) or new in known.get((opt, int(b)), {}):
            continue
        out.setdefault((opt, int(b)), {})[new] = why
    return out


def annotate(runs: pd.DataFrame, added: dict) -> pd.DataFrame:
    """``runs`` with ``lr_added`` (the run's lr was added by the search) and ``lr_reason`` (why; empty for the
    start grid's lrs) — for runs of auto optimizers; others get False / ""."""
    if runs.empty:
        return runs.assign(lr_added=pd.Series(dtype=bool), lr_reason=pd.Series(dtype=str))
    reason = [added.get((o, int(b)), {}).get(_round(float(lr)), "")
              for o, b, lr in zip(runs.optimizer, runs.batch_size, runs.lr)]
    return runs.assign(lr_added=[bool(r) for r in reason], lr_reason=reason)
