"""DataFrame in, chart out: the playground's contour map with trajectories, loss vs step, noise vs batch size.

One panel per batch size side by side, one colour per optimizer (the colours of every other chart). The step
shown is a Vega-Lite parameter ``upto``: a page caches a chart's spec and only sets that value when the user
scrubs, so scrubbing rebuilds nothing. The map's background is one PNG (loss quantile bands, their edges as
isolines), not thousands of rects, and the charts are Vega-Lite dicts (milliseconds to build, where altair takes
about a second of CPU for the many-layered map); tests validate them against the schema. No torch, no streamlit.
"""
from __future__ import annotations

import base64
import io
import json

import altair as alt
import numpy as np
import pandas as pd

from .common import OPTIMIZER_COLORS
from ..i18n import t

KIND_SHAPES = {"minimum": "circle", "saddle": "cross", "maximum": "triangle-up", "undecided": "diamond"}
UPTO = "upto"          # the parameter every chart here filters its steps by
MAX_POINTS = 400       # points drawn per trajectory (longer ones are thinned evenly, ends kept)


def batch_title(b: int, n: int, replacement: bool) -> list[str]:
    """A panel's title as lines (Vega-Lite draws a list as lines): a long one never widens a narrow panel."""
    if b == n:
        return str(t("pg.chart.full_replacement" if replacement else "pg.chart.full_batch", n=n)).split("\n")
    return [f"B = {b}"]


def heat_url(z: np.ndarray, bands: int = 14) -> str:
    """The loss grid (indexed [y, x], y upwards) as a PNG data URL: grey bands at the loss's quantiles (so
    Rosenbrock's 1e-3..1e3 gets as many shades as the saddle), darker where the band changes (isolines)."""
    from PIL import Image

    cuts = np.unique(np.quantile(z, np.linspace(0, 1, bands + 1)[1:-1]))
    band = np.searchsorted(cuts, z)
    shade = 246 - (band * (110 / max(len(cuts), 1))).astype(int)
    edge = np.zeros_like(band, bool)
    edge[:-1] |= band[:-1] != band[1:]
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    shade = np.where(edge, 95, shade)[::-1].astype(np.uint8)           # rows top-down in an image
    buf = io.BytesIO()
    Image.fromarray(np.stack([shade, shade, np.minimum(shade + 6, 255).astype(np.uint8)], -1)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def thin(steps: pd.DataFrame, most: int = MAX_POINTS) -> pd.DataFrame:
    """At most ``most`` evenly spaced steps per trajectory (its first and last kept), for drawing."""
    last = int(steps.step.max()) if len(steps) else 0
    if last < most:
        return steps
    keep = np.unique(np.r_[np.linspace(0, last, most).round().astype(int)])
    ends = steps.groupby(["optimizer", "batch"]).step.transform("max")
    return steps[steps.step.isin(keep) | (steps.step == ends)]


def records(df: pd.DataFrame) -> list[dict]:
    """Rows for a Vega-Lite dataset (NaN → null), via pandas' C JSON writer: ~50× faster than altair's path.
    Ten decimals: pandas rounds to decimal places, so anything below 5e-11 is written as 0."""
    return json.loads(df.to_json(orient="records", double_precision=10))


def _color(names) -> dict:
    known = list(dict.fromkeys(names))
    return {"field": "optimizer", "type": "nominal", "title": t("pg.chart.optimizer"), "legend": {"orient": "bottom"},
            "scale": {"domain": known, "range": [OPTIMIZER_COLORS.get(o, "#888") for o in known]}}


def _q(field: str, title: str | None = None, fmt: str | None = None, **kw) -> dict:
    return {"field": field, "type": "quantitative", **({"title": title} if title else {}),
            **({"format": fmt} if fmt else {}), **kw}


def _tips() -> list[dict]:
    return [{"field": "label", "type": "nominal", "title": t("pg.chart.optimizer")}, _q("step", t("pg.chart.step")),
            _q("x", fmt=".3f"), _q("y", fmt=".3f"), _q("loss", fmt=".4g"), _q("grad_norm", "‖∇L‖", ".3g")]


def trajectory_map(image: str, steps: pd.DataFrame, summary: pd.DataFrame, domain, *, upto: int = 10**9,
                   n_examples: int, replacement: bool = False, size: int = 270) -> dict:
    """Contour map (``image`` from heat_url) with each optimizer's path up to step ``upto``; a dot where it is
    then, a black square at the start and, where the full-batch gradient first became small, a hollow marker
    shaped by the notes' verdict (circle minimum, cross saddle, triangle maximum, diamond undecided).

    A Vega-Lite dict rather than altair: altair spends ~1 s of CPU composing these 4 × 5 layers (deep copies
    and schema hashing), a dict takes milliseconds, and the page must answer a widget at once. Its validity
    is tested against the Vega-Lite schema through altair."""
    (x0, x1), (y0, y1) = domain
    wide = (x1 - x0) >= (y1 - y0)
    width = size if wide else int(size * (x1 - x0) / (y1 - y0))
    height = int(size * (y1 - y0) / (x1 - x0)) if wide else size
    x = _q("x", "x", scale={"domain": [x0, x1], "nice": False, "zero": False})
    y = _q("y", "y", scale={"domain": [y0, y1], "nice": False, "zero": False})
    color = _color(steps.optimizer)
    cols = ["optimizer", "label", "batch", "step", "x", "y", "loss", "grad_norm"]
    found = summary.dropna(subset=["small_step"])[["optimizer", "label", "batch", "small_step", "small_kind",
                                                    "small_x", "small_y", "small_grad_norm"]]
    found = found.assign(small_kind=found.small_kind.map(lambda k: t(f"pg.short.{k}")))
    shape = {"field": "small_kind", "type": "nominal", "title": t("pg.chart.small"), "legend": {"orient": "bottom"},
             "scale": {"domain": [t(f"pg.short.{k}") for k in KIND_SHAPES], "range": list(KIND_SHAPES.values())}}
    tips = _tips()
    panels = []
    for b in sorted(steps.batch.unique()):
        mine = f"datum.batch == {int(b)}"
        shown = f"{mine} && datum.step <= {UPTO}"
        layers = [
            {"data": {"values": [{"x": (x0 + x1) / 2, "y": (y0 + y1) / 2, "url": image}]},
             "mark": {"type": "image", "width": width, "height": height, "aspect": False},
             "encoding": {"x": x, "y": y, "url": {"field": "url", "type": "nominal"}}},
            {"data": {"name": "path"}, "transform": [{"filter": shown}],
             "mark": {"type": "line", "strokeWidth": 2, "clip": True},
             "encoding": {"x": x, "y": y, "color": color, "order": _q("step"),
                          "detail": {"field": "optimizer", "type": "nominal"}, "tooltip": tips}},
            {"data": {"name": "path"}, "transform": [{"filter": f"{mine} && datum.step == 0"}],
             "mark": {"type": "square", "size": 80, "color": "black", "clip": True},
             "encoding": {"x": x, "y": y}},
            {"data": {"name": "found"}, "transform": [{"filter": f"{mine} && datum.small_step <= {UPTO}"}],
             "mark": {"type": "point", "size": 170, "filled": False, "strokeWidth": 2.5, "clip": True},
             "encoding": {"x": {**x, "field": "small_x"}, "y": {**y, "field": "small_y"}, "color": color,
                          "shape": shape, "tooltip": [tips[0], _q("small_step", t("pg.chart.step")),
                                                      {"field": "small_kind", "type": "nominal",
                                                       "title": t("pg.chart.verdict")},
                                                      _q("small_grad_norm", "‖∇L‖", ".2g")]}},
            {"data": {"name": "path"}, "transform": [
                {"filter": shown}, {"joinaggregate": [{"op": "max", "field": "step", "as": "last"}],
                                    "groupby": ["optimizer"]}, {"filter": "datum.step == datum.last"}],
             "mark": {"type": "circle", "size": 70, "opacity": 1, "stroke": "black", "strokeWidth": 1, "clip": True},
             "encoding": {"x": x, "y": y, "color": color, "tooltip": tips}}]
        panels.append({"title": batch_title(int(b), n_examples, replacement), "width": width, "height": height,
                       "layer": layers})
    return {"$schema": alt.SCHEMA_URL, "params": [{"name": UPTO, "value": upto}],
            "datasets": {"path": records(thin(steps)[cols]), "found": records(found)}, "hconcat": panels,
            "resolve": {"scale": {"color": "shared", "shape": "shared"}}}


def loss_chart(steps: pd.DataFrame, *, upto: int = 10**9, n_examples: int, replacement: bool = False,
               size: int = 270) -> dict:
    """Full-batch loss L(θ_t) vs step, one panel per batch size, a dashed rule at step ``upto``; log scale when
    every loss is above 1e-9 (what the data's ten decimals keep) and they span more than two decades
    (Rosenbrock), else linear. A Vega-Lite dict, as trajectory_map."""
    loss = steps.loss.dropna()
    log = bool(len(loss)) and loss.min() > 1e-9 and loss.max() / loss.min() > 100
    y = _q("loss", t("pg.chart.loss"), scale={"type": "log" if log else "linear"})
    tips = [_tips()[0], _q("step", t("pg.chart.step")), _q("loss", fmt=".4g"), _q("grad_norm", "‖∇L‖", ".3g"),
            _q("lr", fmt=".3g")]
    panels = [{"title": batch_title(int(b), n_examples, replacement), "width": size, "height": 170, "layer": [
        {"data": {"name": "path"}, "transform": [{"filter": f"datum.batch == {int(b)}"}],
         "mark": {"type": "line", "strokeWidth": 1.6},
         "encoding": {"x": _q("step", t("pg.chart.step"), axis={"tickCount": 4}), "y": y,
                      "color": _color(steps.optimizer),
                      "detail": {"field": "optimizer", "type": "nominal"}, "tooltip": tips}},
        {"data": {"values": [{}]}, "transform": [{"calculate": UPTO, "as": "step"}],
         "mark": {"type": "rule", "color": "black", "strokeDash": [4, 3]}, "encoding": {"x": _q("step")}}]}
        for b in sorted(steps.batch.unique())]
    data = thin(steps)[["optimizer", "label", "batch", "step", "loss", "grad_norm", "lr"]]
    return {"$schema": alt.SCHEMA_URL, "params": [{"name": UPTO, "value": upto}],
            "datasets": {"path": records(data)}, "hconcat": panels,
            "resolve": {"scale": {"color": "shared", "y": "shared"}}}


def noise_chart(theory: pd.DataFrame, measured: pd.DataFrame) -> dict:
    """RMS norm of a batch's gradient error vs B (log-log): the formula for both samplings as lines, the
    shown runs' measured values as points; slope −1/2 is the 1/√B rule, the drop at B = N the full batch.
    A Vega-Lite dict, as trajectory_map."""
    x = _q("batch", t("pg.chart.batch"), scale={"type": "log", "base": 2})
    y = _q("noise", "RMS ‖ĝ − ∇L‖", scale={"type": "log"})
    theory = theory.assign(sampling=theory.sampling.map(
        {"with replacement": t("pg.chart.with"), "without replacement": t("pg.chart.without")}))
    sampling = {"field": "sampling", "type": "nominal", "title": t("pg.chart.sampling")}
    return {"$schema": alt.SCHEMA_URL, "width": 380, "height": 200, "layer": [
        {"data": {"values": records(theory[theory.noise > 0])}, "mark": {"type": "line", "point": True},
         "encoding": {"x": x, "y": y, "strokeDash": sampling, "color": {"value": "#777"},
                      "tooltip": [sampling, _q("batch"), _q("noise", fmt=".3g")]}},
        {"data": {"values": records(measured[measured.noise > 0])},
         "mark": {"type": "point", "size": 110, "filled": True, "color": "#e15759"},
         "encoding": {"x": x, "y": y, "tooltip": [_q("batch"), _q("noise", t("pg.chart.measured"), ".3g")]}}]}
