"""The parallel-coordinates view of a study's runs: the grid (batch size, lr, optimizer, order) → outcomes
(test accuracy, gap, sharpness), one line per run, each axis scaled on its own (log where the values span a
decade or more, as batch size and lr do), its values written at its ends. No torch, no streamlit."""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from ..spec.config import SHUFFLE_LABELS
from ..i18n import t
from .common import _color, label, run_labels

INPUTS = ["batch_size", "lr", "optimizer", "shuffle"]


def _axis(values: pd.Series) -> tuple[np.ndarray, list[tuple[float, str]], bool]:
    """Positions in [0, 1] for one axis, its labelled ticks (position, text) and whether it is logarithmic."""
    if values.dtype == object or values.dtype == bool:
        cats = sorted(values.dropna().astype(str).unique())
        where = {c: (i + 0.5) / len(cats) for i, c in enumerate(cats)}
        return values.astype(str).map(where).to_numpy(float), [(p, c) for c, p in where.items()], False
    v = pd.to_numeric(values, errors="coerce").astype(float)
    lo, hi = v.min(), v.max()
    log = bool(lo > 0 and hi / lo >= 10)
    f = np.log if log else (lambda x: x)
    a, b = f(lo), f(hi)
    pos = ((f(v) - a) / (b - a)).to_numpy(float) if b > a else np.full(len(v), 0.5)
    mid = math.sqrt(lo * hi) if log else (lo + hi) / 2
    ticks = [(0.0, f"{lo:.4g}"), (1.0, f"{hi:.4g}")] + ([(0.5, f"{mid:.3g}")] if b > a else [])
    return pos, ticks if b > a else [(0.5, f"{lo:.4g}")], log


def parallel_coordinates(table: pd.DataFrame, outcomes: list[str], *, selected: tuple[str, ...] = ()) -> alt.Chart:
    """One line per run across the axes INPUTS + ``outcomes`` (columns of the run table), coloured by
    optimizer; with ``selected`` run ids, those stand out and the rest fade."""
    df = table.assign(shuffle=table["shuffle"].map(lambda s: t(f"order.{SHUFFLE_LABELS[bool(s)]}")))
    axes = [c for c in INPUTS + outcomes if c in df.columns and df[c].notna().any()]
    names: dict[str, str] = {}
    rows, ticks = [], []
    runs = run_labels(table)["run"].to_numpy()
    for i, c in enumerate(axes):
        pos, marks, log = _axis(df[c].astype(object) if c in ("optimizer", "shuffle") else df[c])
        name = label(c) + (" · log" if log else "")
        names[c] = name
        text = df[c].map(lambda v: v if isinstance(v, str) else f"{v:.4g}")
        rows.append(pd.DataFrame({"run_id": df["run_id"], "run": runs, "optimizer": table["optimizer"], "axis": name,
                                  "order": i, "pos": pos, "value": text}))
        ticks += [{"axis": name, "pos": p, "text": s} for p, s in marks]
    long = pd.concat(rows, ignore_index=True).dropna(subset=["pos"])
    long["picked"] = long["run_id"].isin(selected) if selected else True
    x = alt.X("axis:N", sort=[names[c] for c in axes], title=None,
              axis=alt.Axis(orient="top", labelAngle=0, labelLimit=120, domain=False, ticks=False))
    y = alt.Y("pos:Q", axis=None, scale=alt.Scale(domain=[-0.04, 1.04]))
    lines = alt.Chart(long).mark_line(strokeWidth=1.4).encode(
        x=x, y=y, detail="run_id:N", color=_color(sorted(set(table["optimizer"]))),
        opacity=alt.condition(alt.datum.picked, alt.value(0.75), alt.value(0.08)),
        tooltip=[alt.Tooltip("run:N", title=t("chart.legend.run")), alt.Tooltip("axis:N", title=t("runs.axis")),
                 alt.Tooltip("value:N", title=t("runs.value"))])
    rules = alt.Chart(pd.DataFrame({"axis": [names[c] for c in axes]})).mark_rule(color="#999").encode(
        x=alt.X("axis:N", sort=[names[c] for c in axes]))
    labels = alt.Chart(pd.DataFrame(ticks)).mark_text(align="left", dx=4, fontSize=10, color="#333").encode(
        x=alt.X("axis:N", sort=[names[c] for c in axes]), y=y, text="text:N")
    return alt.layer(rules, lines, labels).properties(height=320, width="container",
                                                      title=t("runs.parallel_title"))
