"""The closing note of a study (CLI): matched-fit verdict, the compared runs as a table, the S(B) fit.

The same numbers the pages draw: the table lists the best-lr runs (the ones charts vs batch size use), the
fit lines come from the fit stored with the study."""
from __future__ import annotations

import pandas as pd

from .fairness import compared_runs, held_equal, matched_fit
from .scaling import describe_fit

COLUMNS = {"batch_size": "B", "optimizer": "optimizer", "lr": "lr", "seed": "seed", "status": "status",
           "reached_target": "reached", "epochs": "epochs", "steps": "steps", "test_acc": "test acc",
           "gap_acc": "gap", "sharpness_eps": "ε-sharpness", "hessian_top_eig": "λ_max"}


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in COLUMNS if c in runs.columns]
    return runs.sort_values([c for c in ("optimizer", "batch_size", "seed") if c in runs.columns])[cols] \
        .rename(columns=COLUMNS).reset_index(drop=True)


def closing_note(runs: pd.DataFrame, info: dict | None) -> str:
    """Lines printed after a study: the fit verdict, the compared runs, the S(B) fits."""
    if runs.empty:
        return ""
    shown = compared_runs(runs)
    check = matched_fit(shown)
    head = (f"matched fit: {check.summary()}" if check.matched else f"NOT at a matched fit: {check.message}")
    if held := held_equal(runs):
        head += f"\n{held}"
    if "best_lr" in runs.columns and runs.lr.nunique() > 1:
        head += f"\n(best lr per optimizer × batch size: {len(shown)} of {len(runs)} runs shown)"
    table = runs_table(shown).to_string(index=False, float_format=lambda v: f"{v:.3g}")
    fits = [describe_fit(f) for f in (info or {}).get("steps_fit") or []]
    return "\n".join([head, table] + fits)
