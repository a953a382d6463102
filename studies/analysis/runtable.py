"""The run table: every run of a study with the columns a reader compares runs by (its grid, whether it sits
at the study's fit, the outcome, the measures it has), for a sortable table and the parallel-coordinates view.
Pure pandas (no torch, no streamlit)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import t
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


class FilterError(ValueError):
    """A runs-table filter that cannot be read: its message (current language) says what to change."""


OPS = (">=", "<=", "!=", "==", "=", ">", "<", "~")   # longest first: ">=" is not ">" then "=value"
TRUE, FALSE = {"true", "yes", "1", "是"}, {"false", "no", "0", "否"}


def _key(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def _condition(part: str, table: pd.DataFrame, names: dict[str, str], shown: dict) -> pd.Series:
    """The rows one condition keeps (``column op value``)."""
    at = min(((part.find(op), -len(op), op) for op in OPS if op in part), default=None)
    if at is None or at[0] <= 0:
        raise FilterError(t("runs.filter_no_op", part=part, ops=" ".join(OPS)))
    op = at[2]
    name, raw = part[:at[0]].strip(), part[at[0] + len(op):].strip()
    col = names.get(_key(name))
    if col is None:
        raise FilterError(t("runs.filter_column", name=name, columns=", ".join(table.columns)))
    values = [v.strip() for v in raw.split(",") if v.strip()] if op in ("=", "==", "!=") else [raw]
    if not values or not values[0]:
        raise FilterError(t("runs.filter_value", part=part))
    data = table[col]
    texts = [data.astype(str)] + ([data.map(shown[col]).astype(str)] if col in shown else [])   # stored or shown
    if op == "~":   # text contains, either case
        return pd.concat([s.str.contains(raw, case=False, regex=False) for s in texts], axis=1).any(axis=1)
    present = data.dropna()
    if pd.api.types.is_bool_dtype(data) or (data.dtype == object and len(present)
                                            and present.map(lambda v: isinstance(v, (bool, np.bool_))).all()):
        wanted = [v.lower() in TRUE if v.lower() in TRUE | FALSE else None for v in values]
        if None in wanted or op not in ("=", "==", "!="):
            raise FilterError(t("runs.filter_bool", column=col))
        keep = data.fillna(False).astype(bool).isin(wanted)
    elif pd.api.types.is_numeric_dtype(data):
        try:
            numbers = [float(v) for v in values]
        except ValueError:
            raise FilterError(t("runs.filter_number", column=col, value=raw)) from None
        x = pd.to_numeric(data, errors="coerce")
        keep = {"=": x.isin(numbers), "==": x.isin(numbers), "!=": x.isin(numbers), ">": x > numbers[0],
                ">=": x >= numbers[0], "<": x < numbers[0], "<=": x <= numbers[0]}[op]
    else:
        if op not in ("=", "==", "!="):
            raise FilterError(t("runs.filter_text_op", column=col))
        keep = pd.concat([s.str.lower().isin([v.lower() for v in values]) for s in texts], axis=1).any(axis=1)
    return ~keep if op == "!=" else keep


def filter_table(table: pd.DataFrame, text: str, labels: dict[str, str] | None = None,
                 shown: dict | None = None) -> pd.DataFrame:
    """The rows of ``table`` that meet every condition of ``text``: conditions joined by ";" or " and ", each
    ``column op value`` with op one of = == != < <= > >= ~ (contains). A column is named by its id or its label
    (``labels``: column → shown name; either case, "_" or space); ``=`` and ``!=`` take a list (``optimizer =
    sgd, adam``); numbers compare as numbers, yes/no columns take true/false; a text column matches its stored
    value or the one a page shows (``shown``: column → function of the stored value, e.g. "done" → "已完成").
    Empty text keeps every row; text that cannot be read raises FilterError, whose one line says what to change."""
    names = {_key(c): c for c in table.columns} | {_key(v): c for c, v in (labels or {}).items() if c in table}
    keep = pd.Series(True, index=table.index)
    for part in (p.strip() for p in text.replace(" and ", ";").replace(" AND ", ";").split(";")):
        if part:
            keep &= _condition(part, table, names, shown or {}).fillna(False).astype(bool)
    return table[keep]


def pick_columns(table: pd.DataFrame, columns) -> pd.DataFrame:
    """``table`` with only ``columns`` (in the table's order; None or empty: all), the run id and a study
    column always kept (a row stays linked to its run)."""
    wanted = set(columns or table.columns) | {"run_id", "study"}
    return table[[c for c in table.columns if c in wanted]]


def studies_table(per_study: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One run table over several studies: each study's run_table with a first column ``study`` (its name), the
    studies in the order given; a run two studies share appears once per study."""
    parts = [run_table(runs).assign(study=name) for name, runs in per_study.items() if len(runs)]
    if not parts:
        return run_table(pd.DataFrame()).assign(study=pd.Series(dtype=str))
    table = pd.concat(parts, ignore_index=True)
    return table[["study"] + [c for c in table.columns if c != "study"]]
