"""An lr search that extends itself (``[lr] sgd = "auto"`` or ``"auto:0.01"``): which lrs to add after a round of
runs, and why. Pure pandas; the driver (execution/auto_lr) trains what this asks for.

Shallue et al. 2019 extend every search until the best value lies inside it. Per (optimizer, batch size) the
best lr is analysis.fairness.best_lr's choice; where it is the smallest or the largest lr tried at that batch
size, or the only one (lr_edges.edge, the same rule as the runs table's ``lr_at_edge``, the fit's bounds and
the CLI's warning), the lr a fixed factor beyond it (on both sides for a lone lr) is added, until every best
lr has a tried neighbour on both sides — one that lost to it, or diverged, or stalled — or the cap on lrs per
batch size is reached (then the edge stays, and the runs table's ``lr_at_edge`` says so). Where no lr trained at all (every run diverged),
the lr a factor below the smallest is added. ``lr_added``/``lr_reason`` mark, per run, whether its lr was one
of the start grid's or added, and why.
"""
from __future__ import annotations

import math

import pandas as pd

from .fairness import best_lr
from .lr_edges import lr_edges
from ..spec.lr_auto import FACTOR, round_lr as _round

MAX_LRS = 12              # lrs per (optimizer, batch size) at most: then an edge stays an edge
MAX_ROUNDS = 12
WHY = {"high": "the largest tried", "low": "the smallest tried", "single": "the only one tried"}


def _beyond(lr: float, side: str) -> list[float]:
    """The lrs a FACTOR beyond ``lr`` on its open side(s): above a "high", below a "low", both for a "single"."""
    return ([_round(lr * FACTOR)] if side in ("high", "single") else []) + \
        ([_round(lr / FACTOR)] if side in ("low", "single") else [])


def to_add(runs: pd.DataFrame, auto: tuple[str, ...], known: dict | None = None) -> dict:
    """{(optimizer, batch size): {lr: reason}} to train next, for the optimizers searched ``auto``; empty when
    every best lr is inside its tried lrs (or capped). ``known``: what was added before (not added again)."""
    known = known or {}
    out: dict = {}
    if runs.empty or "lr" not in runs.columns:
        return out
    mine = runs[runs.optimizer.isin(auto)]
    if mine.empty:
        return out
    edges = lr_edges(mine.assign(best_lr=best_lr(mine)))       # the one edge rule (lr_edges.edge)
    for (opt, b), g in mine.groupby(["optimizer", "batch_size"], sort=True):
        tried = sorted(set(float(x) for x in g.lr))
        if len(tried) >= MAX_LRS:
            continue
        mark = edges[(edges.optimizer == opt) & (edges.batch_size == b)] if len(edges) else edges
        wants: dict = {}
        if mark.empty:                              # nothing trained at any lr: go lower
            wants[_round(tried[0] / FACTOR)] = f"no lr trained at B={b} (smallest tried {tried[0]:g})"
        for lr, side in zip(mark.lr, mark.lr_at_edge):
            for new in _beyond(float(lr), side):
                wants.setdefault(new, f"best lr {float(lr):g} at B={b} was {WHY[side]}")
        for new, why in wants.items():
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
