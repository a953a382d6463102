"""One run, as its page shows it: its configuration, every measure with its error, and why it stopped. Pure
pandas (no torch, no streamlit); the texts come from the catalogue."""
from __future__ import annotations

import math

import pandas as pd

from ..i18n import t
from ..measures import measures

CONFIG = ["run_id", "dataset", "model", "hidden", "norm", "optimizer", "lr", "weight_decay", "batch_size",
          "batch_schedule", "shuffle", "seed", "budget", "epoch_budget", "schedule", "warmup_epochs", "loss",
          "device_name", "n_params", "n_train", "n_test"]
OUTCOME = ["status", "epochs", "steps", "train_loss", "train_acc", "test_loss", "test_acc", "gap_acc",
           "epoch_time_s", "total_time_s"]


def _error_of(row: pd.Series, column: str) -> float | None:
    """A measure's own error: its standard error (``_se``) or its deterministic bound (``_err``)."""
    for suffix in ("_se", "_err"):
        v = row.get(column + suffix)
        if v is not None and isinstance(v, (int, float)) and math.isfinite(v):
            return float(v)
    return None


def settings(row: pd.Series) -> pd.DataFrame:
    """(setting, value) rows: the run's configuration, then its outcome, as text."""
    keys = [c for c in CONFIG + OUTCOME if c in row.index and row[c] is not None and row[c] == row[c]]
    return pd.DataFrame({"setting": keys, "value": [f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c])
                                                    for c in keys]})


def measure_rows(row: pd.Series) -> pd.DataFrame:
    """(measure, column, value, error) for every registered measure the run has a value of; error is the
    estimator's standard error or its bound, NaN where the estimator gives none."""
    out = []
    for m in measures():
        v = row.get(m.column)
        if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
            continue
        err = _error_of(row, m.column)
        out.append({"measure": t(m.label), "column": m.column, "value": float(v),
                    "error": math.nan if err is None else err})
    return pd.DataFrame(out, columns=["measure", "column", "value", "error"])


def stop_reason(row: pd.Series) -> str:
    """Why the run ended, in a line: reached its target (at which epoch), spent its budget, diverged, stalled or
    was pruned (the loop's reason), or failed (its error)."""
    status, epochs = str(row.get("status", "")), row.get("epochs")
    why = str(row.get("stop_reason") or "")
    if status == "failed":
        return t("run.stop.failed", error=str(row.get("error") or "?"))
    if status == "diverged":
        return t("run.stop.diverged", epoch=row.get("diverged_epoch") or epochs)
    if bool(row.get("reached_target")):
        return t("run.stop.target", epochs=epochs)
    if why:
        return t("run.stop.reason", status=status, why=why, epochs=epochs)
    return t("run.stop.budget", epochs=epochs, budget=row.get("epoch_budget") or epochs)
