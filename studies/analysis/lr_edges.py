"""A best lr at the edge of its sweep is a bound, not a tuned value (Shallue et al. 2018 check that the best lr
lies inside the search space).

Per configuration (optimizer × batch size × shuffle, × budget where the runs have one) the grid is every lr
tried there, whatever became of it. The chosen lr (``best_lr``) is at the edge when it is the largest of that
grid ("high": a larger lr was not tried, so nothing showed where the lr stops paying off) or the smallest
("low"); a larger lr that was tried and diverged, stalled or lost puts the chosen one inside the grid. A
configuration trained at one lr has no sweep, so no edge (""): its lr was never tuned, which the fit says
separately. Every number built on an edge configuration (steps to target, the S(B) fit, B_crit, the fastest
batch size) is only a bound; ``next_lr`` is the lr to try next, one grid step beyond the edge.
Pure pandas, no torch: the store, the CLI, the pages and the lr search call it.
"""
from __future__ import annotations

import math

import pandas as pd

from ..i18n import Markdown, plain, t

KEYS = ["optimizer", "batch_size", "shuffle"]
COLUMNS = ["optimizer", "batch_size", "shuffle", "budget", "lr", "lr_at_edge", "next_lr", "n_lrs"]
STEP = 2.0   # the factor beyond the edge when the grid has no step to copy


def _keys(runs: pd.DataFrame) -> list[str]:
    return KEYS + (["budget"] if "budget" in runs.columns else [])


def lr_edges(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration with a chosen lr (``best_lr``): its ``lr``, ``lr_at_edge`` ("high", "low" or
    "" inside the grid or without a sweep), ``next_lr`` (the grid's step copied beyond the edge; NaN inside)
    and ``n_lrs`` (the lrs tried). Empty (with the columns) when the runs have no ``best_lr`` or ``lr``."""
    if runs.empty or not {"lr", "best_lr", *KEYS} <= set(runs.columns):
        return pd.DataFrame(columns=COLUMNS)
    keys = _keys(runs)
    rows = []
    best = runs[runs.best_lr.fillna(False).astype(bool)]
    grids = runs.groupby(keys, dropna=False).lr.agg(lambda s: sorted({float(v) for v in s.dropna()}))
    for key, g in best.groupby(keys, dropna=False, sort=True):
        lr = float(g.lr.iloc[0])
        grid = grids.loc[key]
        edge, nxt = "", math.nan
        if len(grid) > 1 and lr >= grid[-1]:
            edge, nxt = "high", lr * max(grid[-1] / grid[-2], STEP) if grid[-2] > 0 else lr * STEP
        elif len(grid) > 1 and lr <= grid[0]:
            edge, nxt = "low", lr / max(grid[1] / grid[0], STEP) if grid[0] > 0 else lr / STEP
        row = dict(zip(keys, key))
        rows.append({**row, "budget": row.get("budget"), "lr": lr, "lr_at_edge": edge, "next_lr": nxt,
                     "n_lrs": len(grid)})
    return pd.DataFrame(rows, columns=COLUMNS)


def lr_at_edge(runs: pd.DataFrame) -> pd.Series:
    """Per run (aligned with ``runs``): its configuration's edge ("high" / "low") on the runs of the chosen lr,
    "" on every other run and wherever the chosen lr lies inside its grid."""
    out = pd.Series("", index=runs.index, dtype=object)
    edges = lr_edges(runs)
    if edges.empty:
        return out
    keys = _keys(runs)
    marked = edges[edges.lr_at_edge != ""]
    best = runs.best_lr.fillna(False).astype(bool)
    for r in marked.itertuples(index=False):
        mine = best.copy()
        for k in keys:
            v = getattr(r, k)
            mine &= runs[k].isna() if v is None or (isinstance(v, float) and math.isnan(v)) else runs[k] == v
        out[mine] = r.lr_at_edge
    return out


def with_lr_edges(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with the ``lr_at_edge`` column (needs ``best_lr``; unchanged without it)."""
    if "best_lr" not in runs.columns:
        return runs
    return runs.assign(lr_at_edge=lr_at_edge(runs))


def edge_sizes(runs: pd.DataFrame, optimizer, shuffle=None) -> dict[str, list[int]]:
    """{"high": [batch sizes], "low": [...]} of one optimizer (and order) whose chosen lr sits at an edge."""
    e = lr_edges(runs)
    e = e[(e.optimizer == optimizer) & (e.lr_at_edge != "")]
    if shuffle is not None:
        e = e[e.shuffle.astype(bool) == bool(shuffle)]
    return {side: sorted({int(b) for b in g.batch_size}) for side, g in e.groupby("lr_at_edge")}


def edge_warnings(runs: pd.DataFrame) -> list[str]:
    """One line per optimizer whose chosen lr sits at an edge of its grid, naming the edge, the batch sizes and
    the lr to try next, in the current language: "momentum: the best lr is the largest tried (0.1) at B = 64,
    256 — at the edge of the grid, so steps to target, the S(B) fit and B_crit are only bounds; try lr 1"."""
    e = lr_edges(runs)
    e = e[e.lr_at_edge != ""]
    lines = []
    for opt, g in e.groupby("optimizer", sort=True):
        parts = []
        for side, s in g.groupby("lr_at_edge", sort=True):
            sizes = ", ".join(str(int(b)) for b in sorted(s.batch_size.unique()))
            lrs = ", ".join(f"{v:g}" for v in sorted(s.lr.unique()))
            nxt = ", ".join(f"{v:.3g}" for v in sorted(s.next_lr.unique()))
            parts.append(t(f"edge.{side}", lrs=Markdown(lrs), sizes=Markdown(sizes), next=Markdown(nxt)))
        lines.append(t("edge.warning", opt=plain(opt), parts=Markdown(t("edge.and").join(parts))))
    return lines
