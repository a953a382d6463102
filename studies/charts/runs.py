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
from .common import _color, label, localised_run_label, run_labels
from .curve_tools import smooth as smooth_curve, zoomable

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


def _two_lines(name: str, width: int = 16) -> str:
    """An axis title of more than ``width`` characters broken at the space nearest its middle."""
    if len(name) <= width or " " not in name:
        return name
    spaces = [i for i, ch in enumerate(name) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return name[:cut] + "\n" + name[cut + 1:]


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
        name = _two_lines(label(c) + (" · log" if log else ""))
        names[c] = name
        text = df[c].map(lambda v: v if isinstance(v, str) else f"{v:.4g}")
        rows.append(pd.DataFrame({"run_id": df["run_id"], "run": runs, "optimizer": table["optimizer"], "axis": name,
                                  "order": i, "pos": pos, "value": text, "page": "Run?run=" + df["run_id"]}))
        ticks += [{"axis": name, "pos": p, "text": s} for p, s in marks]
    long = pd.concat(rows, ignore_index=True).dropna(subset=["pos"])
    long["picked"] = long["run_id"].isin(selected) if selected else True
    # a point scale with half a step at each end: the first and last titles have room; each title is centred on
    # its axis in at most two lines (a line break in the name), so neighbours never run into each other
    order = [names[c] for c in axes]
    x = alt.X("axis:N", sort=order, title=None, scale=alt.Scale(type="point", padding=0.5), axis=None)
    y = alt.Y("pos:Q", axis=None, scale=alt.Scale(domain=[-0.04, 1.04]))
    lines = alt.Chart(long).mark_line(strokeWidth=1.4).encode(
        x=x, y=y, detail="run_id:N", color=_color(sorted(set(table["optimizer"]))), href="page:N",   # its page
        opacity=alt.condition(alt.datum.picked, alt.value(0.75), alt.value(0.08)),
        tooltip=[alt.Tooltip("run:N", title=t("chart.legend.run")), alt.Tooltip("axis:N", title=t("runs.axis")),
                 alt.Tooltip("value:N", title=t("runs.value"))])
    rules = alt.Chart(pd.DataFrame({"axis": order})).mark_rule(color="#999").encode(x=x)
    labels = alt.Chart(pd.DataFrame(ticks)).mark_text(align="left", dx=4, fontSize=10, color="#333").encode(
        x=x, y=y, text="text:N")
    split = [(n.split("\n") + [""])[:2] if "\n" in n else ["", n] for n in order]   # (upper, lower) lines
    heads = pd.DataFrame({"axis": order, "pos": 1.04, "upper": [u for u, _ in split], "lower": [v for _, v in split]})
    head = alt.Chart(heads).encode(x=x, y=y)
    titles = [head.mark_text(align="center", baseline="bottom", dy=dy, fontWeight="bold", fontSize=11)
              .encode(text=f"{line}:N") for line, dy in (("lower", -6), ("upper", -20))]
    return alt.layer(rules, lines, labels, *titles).properties(height=320, width="container",
                                                      title=t("runs.parallel_title"))


def _smoothed_curve(df: pd.DataFrame, metric: str, group: str, tips: list, *, smooth: int, log: bool,
                    x: alt.X, style: dict, size: int, height: int, **encode) -> alt.Chart:
    """One curve per ``group`` of ``metric`` against ``x``: the centred moving average over ``smooth`` points
    (of the logarithm when ``log``, drawn on a log axis) bold with points and ``tips`` (+ the smoothed value),
    the measured curve faint behind it when ``smooth`` > 1; scales bound to the mouse."""
    df = df.sort_values([group, "epoch"], kind="mergesort")
    df["smoothed"] = smooth_curve(df[metric], smooth, log=log, groups=df[group])
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    tips = tips + [alt.Tooltip(f"{metric}:Q", title=label(metric), format=".4g")] + \
        ([alt.Tooltip("smoothed:Q", title=t("chart.tip.smoothed"), format=".4g")] if smooth > 1 else [])
    base = alt.Chart(df).encode(x=x, **encode)
    bold = base.mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=size), **style).encode(
        y=alt.Y("smoothed:Q", title=label(metric), scale=scale), tooltip=tips)
    chart = bold if smooth <= 1 else alt.layer(base.mark_line(strokeWidth=1, opacity=0.3, **style).encode(
        y=alt.Y(f"{metric}:Q", title=label(metric), scale=scale)), bold)
    return zoomable(chart.properties(width="container", height=height, title=label(metric)))


def run_curve(epochs: pd.DataFrame, metric: str = "loss", *, smooth: int = 1) -> alt.Chart:
    """One run's learning curve of ``metric`` ("loss", on a log scale, or "acc") per epoch: train solid, test
    dashed; ``smooth`` > 1 draws the centred moving average over that many epochs (of the logarithm on a log
    scale) bold and the measured curve faint behind it. Zoom and pan with the mouse."""
    splits = {s: t(f"chart.split_name.{s}") for s in ("train", "test")}
    long = pd.concat([pd.DataFrame({"epoch": epochs["epoch"], "split": name, metric: epochs[f"{s}_{metric}"]})
                      for s, name in splits.items()], ignore_index=True)
    tips = [alt.Tooltip("epoch:Q", title=t("chart.x.epoch")), alt.Tooltip("split:N", title=t("chart.split_title"))]
    return _smoothed_curve(
        long, metric, "split", tips, smooth=smooth, log=metric == "loss" and bool((long[metric] > 0).all()),
        x=alt.X("epoch:Q", title=t("chart.x.epoch"), scale=alt.Scale(nice=False, padding=8)),
        style={"color": "#4e79a7"}, size=18, height=260,
        strokeDash=alt.StrokeDash("split:N", title=t("chart.split_title"),
                                  legend=alt.Legend(orient="bottom", symbolOpacity=1),
                                  scale=alt.Scale(domain=list(splits.values()), range=[[1, 0], [6, 4]])))


def live_curve(rows: pd.DataFrame, metric: str = "train_loss", *, smooth: int = 1) -> alt.Chart:
    """The Jobs page's live curves: ``metric`` ("train_loss", log scale, or "test_acc") per epoch, one colour
    per run of the job (rows: progress.live_curves); ``smooth`` > 1 draws each run's centred moving average over
    that many epochs bold and its measured curve faint. Zoom and pan with the mouse."""
    df = rows.assign(run=rows["run"].map(localised_run_label)).dropna(subset=[metric])
    tips = [alt.Tooltip("run:N", title=t("chart.legend.run")), alt.Tooltip("epoch:Q", title=t("chart.x.epoch"))]
    log = bool(metric.endswith("loss") and len(df) and (df[metric] > 0).all())
    return _smoothed_curve(
        df, metric, "run", tips, smooth=smooth, log=log,
        x=alt.X("epoch:Q", title=t("chart.x.epoch"), scale=alt.Scale(nice=False, padding=6)), style={}, size=14,
        height=220, color=_color(list(dict.fromkeys(df["run"])), "run"))
