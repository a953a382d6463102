"""CSV that a spreadsheet opens as data, never as formulas (OWASP's CSV-injection rule).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=cmd|' /C calc'!A0``, ``=HYPERLINK(…)``, ``@SUM(…)``). Every CSV
the product writes — ``studies export --format csv``, the pages' CSV downloads and their tables' own download —
passes through ``neutralise``: such a cell gets a leading single quote (``'=cmd…``), which spreadsheets show
as the text itself. A cell that is a number (``-0.5``, ``+3``, ``-1e-05``, ``-inf``) is left as it is, and so
are number columns. Column names are treated like cells. No torch, no streamlit.
"""
from __future__ import annotations

import re

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE)


def safe_cell(value):
    """``value`` unchanged unless it is text a spreadsheet would run as a formula; then ``'`` + value."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names cannot start a formula (``safe_cell``); number,
    boolean and date columns are untouched (their CSV text is a number or a date). The input is not changed."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
                or pd.api.types.is_datetime64_any_dtype(col)):
            out[c] = col.map(safe_cell, na_action="ignore")
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def to_csv(df: pd.DataFrame, path_or_buf=None, **kw):
    """``neutralise(df).to_csv(…, index=False)``: the one way the product writes a CSV."""
    return neutralise(df).to_csv(path_or_buf, index=False, **kw)
