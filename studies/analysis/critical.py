"""B_simple and B_crit of several studies side by side, each with its interval (Compare's chart). Pure pandas."""
from __future__ import annotations

import math

import pandas as pd

from .conclusions import b_simple
from .scaling import fit_study

COLUMNS = ["study", "quantity", "value", "low", "high"]


def critical_sizes(studies: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Per study (name → (runs, epochs)): its B_simple (geometric mean over runs, 95 % interval) and each
    optimizer's fitted B_crit (95 % profile-likelihood interval); an interval that is not known is NaN. A
    B_crit outside the batch sizes the study tried is not a value: it is left out."""
    rows = []
    for name, (runs, epochs) in studies.items():
        if runs.empty:
            continue
        est, _ = b_simple(runs, epochs)
        if est.n and math.isfinite(est.value):
            rows.append({"study": name, "quantity": "B_simple", "value": est.value, "low": est.low,
                         "high": est.high})
        for f in fit_study(runs):
            v = f.get("b_crit")
            if f.get("beyond") or v is None or not math.isfinite(v):
                continue
            rows.append({"study": name, "quantity": f"B_crit · {f['optimizer']}", "value": v,
                         "low": f.get("b_crit_low", math.nan), "high": f.get("b_crit_high", math.nan)})
    return pd.DataFrame(rows, columns=COLUMNS).astype({"value": float, "low": float, "high": float})
