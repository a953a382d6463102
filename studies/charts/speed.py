"""The Speed page's answer charts: time to the target against batch size with the device's saturation marked,
and McCandlish et al.'s steps–examples trade-off with its hyperbola (S/S_min − 1)(E/E_min − 1) = 1.

DataFrame in (runs with analysis.speed's columns), altair chart out; no torch, no streamlit. Points are runs
that reached the target (the compared, best-lr ones); lines join the geometric means over seeds, bars their
log-scale 95 % t-interval.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from ..analysis.speed import to_target_rows, tradeoff_curve
from ..i18n import t
from .common import RUN_HREF, _batch_axis, _color, run_pages


def _means(runs: pd.DataFrame, measure: str) -> pd.DataFrame:
    rows = to_target_rows(runs)
    rows = rows[rows.measure == measure].copy()
    rows["batch_size"] = pd.to_numeric(rows.batch_size)
    return rows


def time_to_target_chart(runs: pd.DataFrame, saturation: pd.DataFrame | None = None) -> alt.LayerChart:
    """Time to the target (s, log) against batch size (log₂): runs as points, the geometric mean over seeds as a
    line with its interval, and a dashed rule where step time starts to grow with B (``analysis.speed.saturation``)."""
    pts = run_pages(runs[runs.time_to_target_s.notna()].copy())
    means = _means(runs, "time_to_target_s")
    color = _color(sorted(set(pts.optimizer) | set(means.optimizer)))
    y = alt.Y("time_to_target_s:Q", title=t("speedc.time_to_target"), scale=alt.Scale(type="log"))
    x = _batch_axis(pts if len(pts) else runs)
    tip = [alt.Tooltip("batch_size:Q", title=t("chart.batch_size")), alt.Tooltip("optimizer:N"),
           alt.Tooltip("seed:Q"), alt.Tooltip("steps:Q", title=t("label.steps")),
           alt.Tooltip("time_to_target_s:Q", title=t("speedc.time_to_target"), format=".3g")]
    if "total_time_s" in pts.columns:
        tip.append(alt.Tooltip("total_time_s:Q", title=t("speedc.own_wall"), format=".3g"))
    dots = alt.Chart(pts).mark_point(filled=True, opacity=0.5, size=40).encode(   # a dot is a run: a click opens it
        x=x, y=y, color=color, tooltip=tip, href=RUN_HREF if "page" in pts else alt.Undefined)
    line = alt.Chart(means.rename(columns={"mean": "time_to_target_s"})).mark_line(point=True).encode(
        x="batch_size:Q", y="time_to_target_s:Q", color=color)
    bars = alt.Chart(means).mark_errorbar().encode(x="batch_size:Q", y=alt.Y("ci_low:Q", title=""), y2="ci_high:Q",
                                                   color=color)
    layers = [dots, bars, line]
    if saturation is not None and len(saturation):
        sat = saturation.assign(what=t("speedc.saturation"))
        layers.append(alt.Chart(sat).mark_rule(strokeDash=[6, 4], color="#555").encode(
            x="saturation_b:Q", tooltip=[alt.Tooltip("what:N", title=""),
                                         alt.Tooltip("saturation_b:Q", title=t("chart.batch_size"))]))
        layers.append(alt.Chart(sat).mark_text(align="left", dx=4, color="#555", fontSize=11).encode(
            x="saturation_b:Q", y=alt.value(10), text="what:N"))
    return alt.layer(*layers).properties(title=t("speedc.time_title"), height=300, width="container")


def tradeoff_chart(runs: pd.DataFrame, fits: list[dict] | None = None) -> alt.LayerChart:
    """Steps to the target against examples to the target (both log), one point per batch size (geometric means
    over seeds, labelled with B); where the S(B) fit of an lr sweep exists, McCandlish's hyperbola through
    S_min and E_min = S_min·B_crit."""
    steps = _means(runs, "examples_to_target")
    ex = steps.rename(columns={"mean": "examples_to_target"})[["optimizer", "batch_size", "examples_to_target"]]
    ex["steps_to_target"] = ex.examples_to_target / ex.batch_size
    color = _color(sorted(set(ex.optimizer)) or ["sgd"])
    x = alt.X("examples_to_target:Q", title=t("speedc.examples"), scale=alt.Scale(type="log"),
              axis=alt.Axis(format="~s", labelOverlap="greedy"))
    y = alt.Y("steps_to_target:Q", title=t("speedc.steps"), scale=alt.Scale(type="log"),
              axis=alt.Axis(format="~s"))
    tip = [alt.Tooltip("batch_size:Q", title=t("chart.batch_size")), alt.Tooltip("optimizer:N"),
           alt.Tooltip("steps_to_target:Q", title=t("speedc.steps"), format=",.0f"),
           alt.Tooltip("examples_to_target:Q", title=t("speedc.examples"), format=",.0f")]
    pts = alt.Chart(ex).mark_line(point=alt.OverlayMarkDef(size=60, filled=True)).encode(
        x=x, y=y, color=color, order="batch_size:Q", tooltip=tip)
    text = alt.Chart(ex.assign(b_label="B=" + ex.batch_size.astype(int).astype(str))).mark_text(
        align="left", dx=6, dy=-6, fontSize=11).encode(x="examples_to_target:Q", y="steps_to_target:Q",
                                                       text="b_label:N", color=color)
    layers = [pts, text]
    curves = [tradeoff_curve(f["s_min"], f["b_crit"], ex.batch_size.min() / 4, ex.batch_size.max() * 4)
              .assign(optimizer=f["optimizer"]) for f in fits or []
              if f.get("lr_tuned") and f.get("b_crit", 0) > 0 and f["optimizer"] in set(ex.optimizer)]
    if curves:
        c = pd.concat(curves, ignore_index=True).assign(what=t("speedc.hyperbola"))
        layers.insert(0, alt.Chart(c).mark_line(strokeDash=[2, 3], strokeWidth=1.5).encode(
            x="examples_to_target:Q", y="steps_to_target:Q", color=color, order="batch_size:Q",
            tooltip=[alt.Tooltip("what:N", title=""), alt.Tooltip("s_min:Q", title="S_min", format=",.0f"),
                     alt.Tooltip("e_min:Q", title="E_min", format=",.0f")]))
    return alt.layer(*layers).properties(title=t("speedc.tradeoff_title"), height=300, width="container")
