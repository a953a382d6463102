"""The run table: every run of a study with the columns a reader compares runs by (its grid, whether it sits
at the study's fit, the outcome, the measures it has), for a sortable table and the parallel-coordinates view.
Pure pandas (no torch, no streamlit)."""
from __future__ import annotations

import pandas as pd

from ..measures import measures
from .fairness import fitted

GRID = ["optimizer", "batch_size", "lr", "shuffle", "seed"]
OUTCOME = ["lr_at_edge", "status", "at_fit", "reached_target", "epochs", "steps", "train_acc", "test_acc", "gap_acc",
           "train_loss", "test_loss", "gap_loss", "epoch_time_s", "total_time_s"]


def measure_columns(runs: pd.DataFrame) -> list[str]:
    """The registry's measure columns this study has values for (sharpness, λ_max, B_simple, …)."""
    return [m.column for m in measures() if m.column in runs.columns and runs[m.column].notna().any()]


def run_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run: the grid, ``at_fit`` (in the means and bands: reached the study's fit), the outcome
    and the measures; the run id last. Sorted by optimizer, batch size, lr, order and seed."""
    if runs.empty:
        return pd.DataFrame(columns=GRID + OUTCOME + ["run_id"])
    df = runs.assign(at_fit=fitted(runs))
    cols = [c for c in GRID + ["budget", "lr_added", "lr_reason"] + OUTCOME if c in df.columns]
    cols += measure_columns(df) + ["run_id"]
    return df[cols].sort_values([c for c in GRID if c in df.columns], kind="mergesort", ignore_index=True)


def filter_runs(table: pd.DataFrame, optimizers=None, statuses=None, only_at_fit: bool = False) -> pd.DataFrame:
    """The table's rows of these optimizers and statuses (None: all), only those at the fit when asked."""
    keep = pd.Series(True, index=table.index)
    if optimizers is not None:
        keep &= table["optimizer"].isin(list(optimizers))
    if statuses is not None and "status" in table:
        keep &= table["status"].isin(list(statuses))
    if only_at_fit and "at_fit" in table:
        keep &= table["at_fit"].astype(bool)
    return table[keep]
