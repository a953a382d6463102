"""A best lr at the edge of its sweep is a bound, not a tuned value (Shallue et al. 2018 check that the best lr
lies inside the search space).

Per configuration (optimizer × batch size × shuffle, × budget where the runs have one) the grid is every lr
tried there, whatever became of it. ``edge`` is the one rule (the auto lr search, the runs table's
``lr_at_edge``, the S(B) fit's bounds, the summary notes and the CLI warning all use it): the chosen lr
(``best_lr``) is at the edge when it is the largest of that grid ("high": a larger lr was not tried, so nothing
showed where the lr stops paying off) or the smallest ("low"); a larger lr that was tried and diverged, stalled
or lost puts the chosen one inside the grid (""). A configuration trained at one lr has neither neighbour
("single"): a lone lr is not a tuned value, on either side. Every number built on an edge or single
configuration (steps to target, the S(B) fit, B_crit, the fastest batch size) is only a bound; ``next_lr`` is
the lr to try next, one grid step beyond the edge (for "single", STEP above; STEP below is the other try).
Pure pandas, no torch: the store, the CLI, the pages and the lr search call it.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..i18n import Markdown, plain, t

KEYS = ["optimizer", "batch_size", "shuffle"]
COLUMNS = ["optimizer", "batch_size", "shuffle", "budget", "lr", "lr_at_edge", "next_lr", "n_lrs"]
STEP = 2.0   # the factor beyond the edge when the grid has no step to copy


SIDES = ("high", "low", "single")


def edge(tried, best: float) -> str:
    """Where ``best`` sits among the lrs ``tried`` (any order, repeats allowed): "single" when it is the only
    one (no neighbour on either side: not a tuned value), "high" when it is the largest, "low" the smallest,
    "" strictly inside — or when ``best`` was not tried (or nothing was)."""
    grid = sorted({float(x) for x in tried if x == x})
    best = float(best)
    if not grid or not any(math.isclose(best, x, rel_tol=1e-9) for x in grid):
        return ""
    if len(grid) == 1:
        return "single"
    if math.isclose(best, grid[-1], rel_tol=1e-9):
        return "high"
    if math.isclose(best, grid[0], rel_tol=1e-9):
        return "low"
    return ""


def _keys(runs: pd.DataFrame) -> list[str]:
    return KEYS + (["budget"] if "budget" in runs.columns else [])


def lr_edges(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration with a chosen lr (``best_lr``): its ``lr``, ``lr_at_edge`` (``edge``: "high",
    "low", "single" or "" inside the grid), ``next_lr`` (the grid's step copied beyond the edge, STEP above a
    single lr; NaN inside) and ``n_lrs`` (the lrs tried). Empty (with the columns) when the runs have no
    ``best_lr`` or ``lr``. One ``edge`` call per configuration (not per run): the pages and the runner call it
    on every read of a 1,000-run study."""
    if runs.empty or not {"lr", "best_lr", *KEYS} <= set(runs.columns):
        return pd.DataFrame(columns=COLUMNS)
    keys = _keys(runs)
    df = runs[keys + ["lr"]].assign(lr=pd.to_numeric(runs.lr, errors="coerce"))
    grid = df.groupby(keys, dropna=False).lr
    df["top"], df["bottom"] = grid.transform("max"), grid.transform("min")
    below = df.lr.where(df.lr < df.top).groupby([df[k] for k in keys], dropna=False).transform("max")
    above = df.lr.where(df.lr > df.bottom).groupby([df[k] for k in keys], dropna=False).transform("min")
    df["below"], df["above"], df["n_lrs"] = below, above, grid.transform("nunique")
    df["_g"] = df.groupby(keys, dropna=False, sort=False).ngroup()
    grids = df.groupby("_g").lr.agg(tuple).to_dict()
    best = df[runs.best_lr.fillna(False).astype(bool).to_numpy()].drop_duplicates(keys)
    side = np.array([edge(grids[g], lr) for g, lr in zip(best._g, best.lr)], dtype=object)
    step_up = (best.top / best.below).where(best.below > 0, STEP).clip(lower=STEP)
    step_down = (best.above / best.bottom).where(best.bottom > 0, STEP).clip(lower=STEP)
    up = (side == "high") | (side == "single")
    out = best[keys].assign(lr=best.lr, lr_at_edge=side,
                            next_lr=np.where(up, best.lr * step_up.fillna(STEP),
                                             np.where(side == "low", best.lr / step_down, math.nan)),
                            n_lrs=best.n_lrs.astype(int))
    if "budget" not in out:
        out["budget"] = None
    return out.sort_values(keys, kind="mergesort").reset_index(drop=True)[COLUMNS]


def lr_at_edge(runs: pd.DataFrame) -> pd.Series:
    """Per run (aligned with ``runs``): its configuration's edge ("high" / "low" / "single") on the runs of the
    chosen lr, "" on every other run and wherever the chosen lr lies inside its grid."""
    out = pd.Series("", index=runs.index, dtype=object)
    edges = lr_edges(runs)
    if edges.empty:
        return out
    keys = _keys(runs)
    marked = edges.loc[edges.lr_at_edge != "", keys + ["lr_at_edge"]]
    pos = runs[keys].assign(_pos=range(len(runs))).merge(marked, on=keys, how="inner")
    best = runs.best_lr.fillna(False).astype(bool).to_numpy()
    pos = pos[best[pos._pos.to_numpy()]]
    out.iloc[pos._pos.to_numpy()] = pos.lr_at_edge.to_numpy()
    return out


def with_lr_edges(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with the ``lr_at_edge`` column (needs ``best_lr``; unchanged without it)."""
    if "best_lr" not in runs.columns:
        return runs
    return runs.assign(lr_at_edge=lr_at_edge(runs))


def edge_sizes(runs: pd.DataFrame, optimizer, shuffle=None, edges: pd.DataFrame | None = None) -> dict[str, list[int]]:
    """{"high": [batch sizes], "low": [...], "single": [...]} of one optimizer (and order) whose chosen lr sits at
    an edge or was the only one tried (``edges``: lr_edges(runs), when the caller has it)."""
    e = lr_edges(runs) if edges is None else edges
    e = e[(e.optimizer == optimizer) & (e.lr_at_edge != "")]
    if shuffle is not None:
        e = e[e.shuffle.astype(bool) == bool(shuffle)]
    return {side: sorted({int(b) for b in g.batch_size}) for side, g in e.groupby("lr_at_edge")}


def edge_warnings(runs: pd.DataFrame) -> list[str]:
    """One line per optimizer whose chosen lr sits at an edge of its grid (or is the only lr tried), naming the
    edge, the batch sizes and the lr to try next, in the current language: "momentum: the best lr is the largest
    tried (0.1) at B = 64, 256 — at the edge of the grid, so steps to target, the S(B) fit and B_crit are only
    bounds; try lr 1"; "sgd: one lr tried (0.1) at B = 16, 64: not a tuned value; try lr 0.05 and 0.2"."""
    e = lr_edges(runs)
    e = e[e.lr_at_edge != ""]
    lines = []
    for opt, g in e.groupby("optimizer", sort=True):
        parts = []
        for side, s in g.groupby("lr_at_edge", sort=True):
            sizes = ", ".join(str(int(b)) for b in sorted(s.batch_size.unique()))
            lrs = ", ".join(f"{v:g}" for v in sorted(s.lr.unique()))
            nxt = ", ".join(f"{v:.3g}" for v in sorted(s.next_lr.unique()))
            if side == "single":   # both neighbours are missing: one STEP below each, too
                nxt = ", ".join(f"{v:.3g}" for v in sorted({*s.next_lr, *(s.lr / STEP)}))
            parts.append(t(f"edge.{side}", lrs=Markdown(lrs), sizes=Markdown(sizes), next=Markdown(nxt)))
        lines.append(t("edge.warning", opt=plain(opt), parts=Markdown(t("edge.and").join(parts))))
    return lines
