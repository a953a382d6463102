"""DataFrame in, chart out: the noisy quadratic model's predictions (analysis/nqm) — steps to the target against
the batch size per optimizer with each one's B_crit as a rule, and the best lr against the batch size; and a
study's measured S(B) beside the NQM's. Vega-Lite dicts (as the playground's charts). No torch, no streamlit."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .common import OPTIMIZER_COLORS
from .playground import records
from ..i18n import t


def _color(names) -> dict:
    known = list(dict.fromkeys(names))
    return {"field": "optimizer", "type": "nominal", "title": t("nqm.chart.optimizer"),
            "legend": {"orient": "bottom"},
            "scale": {"domain": known, "range": [OPTIMIZER_COLORS.get(o, "#888") for o in known]}}


def _log(field: str, title: str, base: int | None = None) -> dict:
    scale = {"type": "log", **({"base": base} if base else {})}
    return {"field": field, "type": "quantitative", "title": title, "scale": scale,
            **({"axis": {"tickCount": 8}} if base else {})}


def _tip(axis: dict, fmt: str | None = None) -> dict:
    return {"field": axis["field"], "type": "quantitative", "title": axis["title"], **({"format": fmt} if fmt else {})}


def _crit_rules(frame: pd.DataFrame, color: dict) -> dict:
    crit = frame.groupby("optimizer", as_index=False, sort=False).b_crit.first().dropna()
    return {"data": {"values": records(crit)}, "mark": {"type": "rule", "strokeDash": [4, 3]},
            "encoding": {"x": {"field": "b_crit", "type": "quantitative"}, "color": color,
                         "tooltip": [{"field": "optimizer", "type": "nominal"},
                                     {"field": "b_crit", "type": "quantitative", "format": ",.0f",
                                      "title": t("nqm.chart.b_crit")}]}}


def steps_chart(frame: pd.DataFrame) -> dict:
    """Predicted steps to the target against B (log₂ × log), one line per optimizer, its B_crit (S = 2·S_min)
    a dashed rule in its colour. ``frame``: analysis.nqm.curves' table."""
    f = frame[frame.steps.notna() & (frame.steps < float("inf"))]
    color = _color(f.optimizer)
    x, y = _log("batch_size", t("nqm.chart.batch"), 2), _log("steps", t("nqm.chart.steps"))
    line = {"data": {"values": records(f)}, "mark": {"type": "line", "point": True},
            "encoding": {"x": x, "y": y, "color": color,
                         "tooltip": [{"field": "optimizer", "type": "nominal"}, _tip(x), _tip(y, ",.0f"),
                                     {"field": "lr", "type": "quantitative", "format": ".3g"}]}}
    return {"$schema": alt.SCHEMA_URL, "width": 420, "height": 260, "layer": [line, _crit_rules(f, color)]}


def lr_chart(frame: pd.DataFrame) -> dict:
    """The best constant lr against B (log₂ × log): linear in B up to B_crit, then flat."""
    f = frame[frame.lr.notna() & frame.steps.notna() & (frame.steps < float("inf"))]
    color = _color(f.optimizer)
    x, y = _log("batch_size", t("nqm.chart.batch"), 2), _log("lr", t("nqm.chart.lr"))
    line = {"data": {"values": records(f)}, "mark": {"type": "line", "point": True},
            "encoding": {"x": x, "y": y, "color": color,
                         "tooltip": [{"field": "optimizer", "type": "nominal"}, _tip(x), _tip(y, ".3g")]}}
    return {"$schema": alt.SCHEMA_URL, "width": 420, "height": 260, "layer": [line, _crit_rules(f, color)]}


def predicted_vs_measured(measured: pd.DataFrame, predicted: pd.DataFrame) -> dict:
    """A study's measured steps to the target (points: its best-lr runs that reached it) beside the NQM's
    S(B) (dashed line, scaled to the measured steps at the smallest batch: the shape and B_crit are the
    prediction), per optimizer, log₂ × log; the NQM's B_crit as a dashed rule."""
    color = _color(list(measured.optimizer) + list(predicted.optimizer))
    x, y = _log("batch_size", t("nqm.chart.batch"), 2), _log("steps", t("nqm.chart.steps"))
    tips = [{"field": "optimizer", "type": "nominal"}, _tip(x), _tip(y, ",.0f")]
    line = {"data": {"values": records(predicted)}, "mark": {"type": "line", "strokeDash": [6, 3]},
            "encoding": {"x": x, "y": y, "color": color, "tooltip": tips}}
    pts = {"data": {"values": records(measured[["optimizer", "batch_size", "steps", "lr", "seed"]])},
           "mark": {"type": "point", "filled": True, "size": 70},
           "encoding": {"x": x, "y": y, "color": color,
                        "tooltip": tips + [{"field": "lr", "type": "quantitative", "format": ".3g"},
                                           {"field": "seed", "type": "ordinal"}]}}
    crit = predicted.groupby("optimizer", as_index=False, sort=False).b_crit.first()
    crit = crit[(crit.b_crit >= predicted.batch_size.min()) & (crit.b_crit <= predicted.batch_size.max())]
    return {"$schema": alt.SCHEMA_URL, "width": "container", "height": 280,   # the page's width
            "layer": [line, pts, _crit_rules(crit, color)]}
