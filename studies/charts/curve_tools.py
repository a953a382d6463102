"""What every curve over training shares (learning curves, live curves, a run's curves, λ_max and B_simple over
training): its scales bound to the mouse (`zoomable`) and one smoothing (`smooth`, the windows in `SMOOTHING`).
No torch, no streamlit."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

SMOOTHING = (1, 3, 5, 9)   # the moving-average windows a page offers (1: none), in points of one curve
ZOOM = "zoom"              # the name of the scale-bound selection every curve chart carries


def smooth(values: pd.Series, window: int, *, log: bool = False, groups=None) -> pd.Series:
    """A centred moving average of ``values`` over ``window`` consecutive points of each group (``groups``: a
    column or list of columns / Series aligned with ``values``; None: one curve), in the rows' order; the
    ends average the points they have. ``log``: the average of the logarithm (as a log axis shows it), values
    ≤ 0 giving NaN. ``window`` 1 (or less) returns the values unchanged."""
    w = max(int(window), 1)
    v = pd.to_numeric(values, errors="coerce").astype(float)
    if w == 1:
        return v
    level = np.log(v.where(v > 0)) if log else v
    roll = (lambda s: s.rolling(w, center=True, min_periods=1).mean())
    out = level.groupby(groups, dropna=False, sort=False).transform(roll) if groups is not None else roll(level)
    return np.exp(out) if log else out


def _encodes_xy(chart: alt.Chart) -> bool:
    """Whether a unit chart encodes both x and y with a field (a rule or a text at a fixed x does not)."""
    enc = chart.encoding
    return all(enc[ch] is not alt.Undefined and "field" in enc[ch].to_dict() for ch in ("x", "y")
               if enc is not alt.Undefined) if enc is not alt.Undefined else False


def zoomable(chart, *, x: bool = True, y: bool = True):
    """``chart`` with its scales bound to the mouse (W&B's habit): the wheel zooms, a drag pans, a double-click
    resets (Vega-Lite's interval selection bound to the scales). A layer gets it on its first layer that
    encodes both axes with fields, so the other layers follow its scales; a facet on its inner spec, its
    panels zooming together (one selection). Marks outside the zoomed scales are clipped (Vega-Lite clips a view
    whose scales are bound). Returns the chart it was given, changed."""
    if isinstance(chart, alt.FacetChart):
        chart.spec = zoomable(chart.spec, x=x, y=y)
        return chart
    if isinstance(chart, alt.LayerChart):
        for i, part in enumerate(chart.layer):
            if isinstance(part, alt.LayerChart) or (isinstance(part, alt.Chart) and _encodes_xy(part)):
                if isinstance(part, alt.Chart) and part.name is alt.Undefined:   # a fixed name, not altair's
                    part.name = f"{ZOOM}_view"   # counter: the same chart gives the same spec on every rerun
                chart.layer[i] = zoomable(part, x=x, y=y)
                return chart
        return chart
    encodings = [ch for ch, on in (("x", x), ("y", y)) if on]
    return chart.add_params(alt.selection_interval(bind="scales", encodings=encodings, name=ZOOM))


def has_zoom(spec) -> bool:
    """Whether a Vega-Lite dict carries an interval selection bound to the scales, anywhere in it (its data
    aside): what the tests check of every curve chart."""
    if isinstance(spec, list):
        return any(has_zoom(v) for v in spec)
    if not isinstance(spec, dict):
        return False
    select = spec.get("select")
    if spec.get("bind") == "scales" and (select == "interval" or isinstance(select, dict)
                                         and select.get("type") == "interval"):
        return True
    return any(has_zoom(v) for k, v in spec.items() if k not in ("datasets", "data"))
