"""B_simple and B_crit of several studies side by side, each with its interval (Compare's chart). Pure pandas."""
from __future__ import annotations

import math

import pandas as pd

from .b_simple import per_group
from .scaling import fit_study, kind_of

COLUMNS = ["study", "quantity", "value", "low", "high"]


def critical_sizes(studies: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Per study (name → (runs, epochs)): its B_simple per optimizer at the final weights (geometric mean, 95 %
    seed bootstrap) and each optimizer's fitted B_crit where the study swept the lr (95 % profile-likelihood
    interval; a bound or an S(B) scale is not drawn); an interval that is not known is NaN. A
    B_crit outside the batch sizes the study tried is not a value: it is left out."""
    rows = []
    for name, (runs, epochs) in studies.items():
        if runs.empty:
            continue
        for g in per_group(runs):   # B_simple at the final weights, per optimizer (× budget)
            est = g["est"]
            if est.n and math.isfinite(est.value):
                who = " · ".join(str(g[k]) for k in ("optimizer", "budget") if g.get(k) is not None)
                rows.append({"study": name, "quantity": f"B_simple · {who}", "value": est.value, "low": est.low,
                             "high": est.high})
        for f in fit_study(runs):   # B_crit only where it is one: an lr sweep, best lrs inside their grids
            v = f.get("b_crit")
            if kind_of(f) != "b_crit" or f.get("beyond") or v is None or not math.isfinite(v):
                continue
            rows.append({"study": name, "quantity": f"B_crit · {f['optimizer']}", "value": v,
                         "low": f.get("b_crit_low", math.nan), "high": f.get("b_crit_high", math.nan)})
    return pd.DataFrame(rows, columns=COLUMNS).astype({"value": float, "low": float, "high": float})
