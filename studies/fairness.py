"""Fair comparisons: the learning rate each batch size is compared at (``best_lr``).

A batch-size comparison at one learning rate for every batch size measures the learning rate as much as the
batch size (Shallue et al. 2018 tune it per batch size). With an lr sweep the study picks, per
(optimizer, batch_size, shuffle), one lr by a stated rule and marks every run (every seed) of it.
Pure pandas, no torch: the store and the pages call it.
"""
from __future__ import annotations

import math

import pandas as pd

GROUP = ["optimizer", "batch_size", "shuffle"]
BEST_LR_RULE = ("per optimizer, batch size and shuffle: the lr with most seeds reaching the target, then the "
                "fewest median steps to it; without a target (or when none reached it), the lowest median final "
                "train loss; stalled, diverged and failed runs never win")


def _has_target(runs: pd.DataFrame) -> bool:
    """Whether the study trains to a target: the spec's columns when stored, else any run that reached one."""
    cols = [c for c in ("target_train_acc", "target_train_loss") if c in runs.columns]
    if cols:
        return bool((runs[cols].fillna(0).astype(float) > 0).any().any())
    return "reached_target" in runs.columns and bool(runs.reached_target.fillna(False).astype(bool).any())


def _lr_key(rows: pd.DataFrame, with_target: bool) -> tuple | None:
    """Sort key of one lr's runs (smaller is better); None when no run of it trained (it never wins)."""
    done = rows[rows.status == "done"]
    if done.empty:
        return None
    n_bad = len(rows) - len(done)
    loss = done.train_loss.astype(float).median()
    loss = math.inf if not math.isfinite(loss) else loss
    if not with_target:
        return (n_bad, loss)
    reached = done[done.reached_target.fillna(False).astype(bool)] if "reached_target" in done else done.iloc[:0]
    steps = reached.steps.astype(float).median() if len(reached) else math.inf
    return (-len(reached), steps, n_bad, loss)


def best_lr(runs: pd.DataFrame) -> pd.Series:
    """Boolean Series aligned with ``runs``: True on every run of its group's chosen lr (BEST_LR_RULE).

    Exactly one lr per (optimizer, batch_size, shuffle) group is marked, unless no run of the group trained
    (all stalled, diverged or failed): then none is. With a single lr per group, its runs are marked when
    any of them trained."""
    out = pd.Series(False, index=runs.index, dtype=bool)
    if runs.empty or "lr" not in runs.columns:
        return out
    with_target = _has_target(runs)
    for _, group in runs.groupby(GROUP, sort=False, dropna=False):
        keys = {lr: _lr_key(rows, with_target) for lr, rows in group.groupby("lr", sort=True)}
        keys = {lr: k for lr, k in keys.items() if k is not None}
        if keys:
            chosen = min(keys, key=lambda lr: (keys[lr], lr))   # ties: the smaller lr
            out[group.index[group.lr == chosen]] = True
    return out


def with_best_lr(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with the boolean ``best_lr`` column (recomputed: runs may have been added since)."""
    if runs.empty or not set(GROUP + ["lr", "status"]) <= set(runs.columns):
        return runs
    return runs.assign(best_lr=best_lr(runs))
