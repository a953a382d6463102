"""Tidy exports: every table a user downloads carries the grid columns of its run, so it can be plotted or
grouped without joining it to the runs table by run_id first. Pure pandas (no torch, no streamlit)."""
from __future__ import annotations

import pandas as pd

# The axes of a study's grid (config.expand) plus the run's learning rate after the LR rule.
GRID_COLUMNS = ("batch_size", "optimizer", "shuffle", "seed", "lr", "budget")   # budget: where runs have one


def with_grid(table: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """``table`` (rows keyed by run_id: epochs, landscape, curves) with the grid columns it lacks, taken from
    ``runs``, placed right after run_id. Rows whose run is not in ``runs`` keep empty grid cells; a table that
    already has a grid column keeps its own values; a table without run_id comes back unchanged."""
    if "run_id" not in table.columns or "run_id" not in runs.columns:
        return table
    missing = [c for c in GRID_COLUMNS if c in runs.columns and c not in table.columns]
    if not missing:
        return table
    grid = runs[["run_id", *missing]].drop_duplicates("run_id")
    out = table.merge(grid, on="run_id", how="left", validate="many_to_one")
    at = list(out.columns).index("run_id") + 1
    rest = [c for c in out.columns if c not in missing]
    return out[rest[:at] + missing + rest[at:]]
