"""What every curve over training shares: scales bound to the mouse (zoom, pan, double-click resets) on every
curve chart, and one smoothing (a centred moving average, of the logarithm on a log axis) with known answers."""
import json
import math

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

from studies.charts import curvature as cc, curves, runs as charts_runs, to_vega_lite
from studies.charts.batch import batch_size_chart
from studies.charts.curve_tools import ZOOM, has_zoom, smooth
from tests.charts.test_curves import _study
from tests.charts.test_watch import _epochs as _tracked_epochs, _runs as _tracked_runs


def test_smoothing_is_a_centred_moving_average_per_group_with_short_ends():
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0, 30.0])
    groups = pd.Series(["a"] * 5 + ["b"] * 3)
    assert list(smooth(values, 3, groups=groups)) == [1.5, 2.0, 3.0, 4.0, 4.5, 15.0, 20.0, 25.0]
    assert list(smooth(values, 5, groups=groups)[:5]) == [2.0, 2.5, 3.0, 3.5, 4.0]
    assert list(smooth(values, 1)) == list(values)                     # 1: none


def test_smoothing_on_a_log_axis_averages_the_logarithm():
    out = smooth(pd.Series([1.0, 10.0, 100.0, 1000.0]), 3, log=True)
    assert list(out) == [pytest.approx(math.sqrt(10)), pytest.approx(10.0), pytest.approx(100.0),
                         pytest.approx(math.sqrt(1e5))]                          # geometric means


def test_a_value_at_or_below_zero_is_left_out_of_a_log_average():
    out = smooth(pd.Series([1.0, 100.0, 0.0]), 3, log=True)
    assert out[0] == pytest.approx(10.0) and out[2] == pytest.approx(100.0)   # the 0 has no logarithm


def _curve_charts():
    epochs, runs = _study()
    live = pd.DataFrame({"run": ["sgd B=10 shuffle seed=0"] * 4, "epoch": [1, 2, 3, 4],
                         "train_loss": [1.0, 0.5, 0.3, 0.2], "test_acc": [0.5, 0.6, 0.7, 0.72]})
    one = epochs[epochs.run_id == "r10-0"].assign(train_acc=0.9, test_loss=1.0)
    return {
        "learning_curve_bands": curves.learning_curve_bands(epochs, runs, "train_loss", smooth=3, show_runs=True),
        "learning_curves": curves.learning_curves(epochs, runs, "test_acc"),
        "learning_curves_compare": curves.learning_curves(epochs, runs.assign(study="s"), "test_acc", color="run"),
        "learning_curves_smoothed": curves.learning_curves(epochs, runs.assign(study="s"), "test_acc", color="run",
                                                           smooth=3),
        "learning_curves_facets_smoothed": curves.learning_curves(epochs, runs, "test_acc", smooth=5),
        "run_curve": charts_runs.run_curve(one.assign(train_loss=one.train_loss, test_loss=0.5), "loss", smooth=3),
        "run_curve_acc": charts_runs.run_curve(one, "acc"),
        "live_curve": charts_runs.live_curve(live, "train_loss", smooth=3),
        "lambda_max": cc.sharpness_over_training_chart(_tracked_epochs(), _tracked_runs(), smooth=3),
        "noise_scale": cc.noise_over_training_chart(
            _tracked_epochs().assign(noise_scale=100.0, noise_scale_se=5.0), _tracked_runs(), smooth=3),
    }


def _specs(spec):
    yield spec
    for sub in [spec.get("spec"), *spec.get("layer", [])]:
        if sub:
            yield from _specs(sub)


def _zoomed_view(spec):
    """The unit view that carries the zoom: its own params, or the view a top-level param names (altair lifts
    a layer's params to the top with the names of their views)."""
    for part in _specs(spec):
        for p in part.get("params", []):
            if p.get("bind") == "scales":
                if "encoding" in part and "views" not in p:
                    return part
                return next((v for v in _specs(spec) if v.get("name") in p.get("views", [])), None)
    return None


@pytest.mark.parametrize("name", list(_curve_charts()))
def test_every_curve_chart_binds_its_scales_to_the_mouse_and_compiles(name):
    spec = to_vega_lite(_curve_charts()[name])
    assert has_zoom(spec), name
    view = _zoomed_view(spec)
    assert view, f"{name}: the zoom sits on no view that draws both axes"
    fields = [view["encoding"][ch]["field"] for ch in ("x", "y")]
    vega = json.dumps(vlc.vegalite_to_vega(spec))   # Vega-Lite compiles it: a zoom signal per axis
    assert all(f'"{ZOOM}_{f}"' in vega for f in fields), (name, fields)


def test_charts_against_batch_size_are_not_curves_and_stay_still():
    epochs, runs = _study()
    runs = runs.assign(test_acc=0.9, reached_target=True, status="done")
    assert not has_zoom(to_vega_lite(batch_size_chart(runs, "test_acc")))


def test_the_smoothed_line_is_drawn_bold_and_the_measured_one_faint():
    live = pd.DataFrame({"run": ["a"] * 3 + ["b"] * 3, "epoch": [1, 2, 3] * 2,
                         "train_loss": [1.0, 10.0, 100.0, 2.0, 2.0, 2.0], "test_acc": 0.5})
    spec = to_vega_lite(charts_runs.live_curve(live, "train_loss", smooth=3))
    rows = next(v for v in spec["datasets"].values() if v and "smoothed" in v[0])
    by = {(r["run"], r["epoch"]): r["smoothed"] for r in rows}
    assert by[("a", 2)] == pytest.approx(10.0) and by[("a", 1)] == pytest.approx(math.sqrt(10))
    assert by[("b", 3)] == pytest.approx(2.0)
    widths = sorted(layer["mark"].get("strokeWidth", 0) for layer in spec["layer"])
    assert len(spec["layer"]) == 2 and widths[0] < widths[1]
    plain = to_vega_lite(charts_runs.live_curve(live, "train_loss"))
    assert "layer" not in plain                                           # no smoothing: one line per run


def test_lambda_max_smoothing_moves_the_line_not_the_points():
    spec = to_vega_lite(cc.sharpness_over_training_chart(_tracked_epochs(), _tracked_runs(), smooth=3))
    rows = next(v for v in spec["datasets"].values() if v and "smoothed" in v[0])
    a = sorted((r["epoch"], r["hessian_top_eig"], r["smoothed"]) for r in rows if r["run_id"] == "a")
    assert [lam for _, lam, _ in a] == [1.0, 4.0, 12.0, 19.0]                       # measured, as stored
    assert a[1][2] == pytest.approx((1.0 * 4.0 * 12.0) ** (1 / 3))                 # geometric mean of 3 points


def test_compare_curves_smooth_each_run_and_keep_its_measured_line_faint_behind():
    epochs, runs = _study()
    spec = to_vega_lite(curves.learning_curves(epochs, runs.assign(study="s"), "train_loss", color="run", smooth=3))
    rows = next(v for v in spec["datasets"].values() if v and "measured" in v[0])
    one = sorted((r["epoch"], r["measured"], r["train_loss"]) for r in rows if r["run_id"] == "r10-0")
    assert [m for _, m, _ in one] == pytest.approx([1.0, 0.1, 0.01, 0.001, 0.0001])      # as stored
    assert one[0][2] == pytest.approx(0.55) and one[1][2] == pytest.approx(0.37)        # (1+.1)/2, (1+.1+.01)/3
    bold, faint = spec["layer"]
    assert faint["encoding"]["y"]["field"] == "measured" and faint["encoding"]["opacity"] == {"value": 0.3}
    assert bold["encoding"]["y"]["field"] == "train_loss" and "tooltip" not in faint["encoding"]
    assert "layer" not in to_vega_lite(curves.learning_curves(epochs, runs.assign(study="s"), "train_loss",
                                                              color="run"))             # no smoothing: one line


@pytest.mark.parametrize("chart", ["lambda_max", "noise_scale", "run_curve", "live_curve", "learning_curve_bands",
                                   "learning_curves_smoothed", "learning_curves_facets_smoothed"])
def test_a_faint_measured_line_leaves_every_legend_at_full_strength(chart):
    vega = vlc.vegalite_to_vega(to_vega_lite(_curve_charts()[chart]))    # Vega-Lite takes a layer's opacity
    for legend in vega["legends"]:                                        # for the legend unless told
        opacity = (legend.get("encode") or {}).get("symbols", {}).get("update", {}).get("opacity", {"value": 1})
        if isinstance(opacity, list):   # a legend bound to a selection: full until a click picks some
            opacity = {"value": opacity[0]["value"]} if "test" in opacity[0] else opacity
        assert legend.get("symbolOpacity") == 1 or opacity == {"value": 1}, (chart, legend["title"])


def test_a_zoomed_layer_has_a_fixed_name_so_a_rebuilt_chart_gives_the_same_spec():
    def spec(n):
        rows = pd.DataFrame({"run": ["a"] * n, "epoch": range(1, n + 1), "train_loss": [1 / e for e in range(1, n + 1)],
                             "test_acc": 0.5})
        made = to_vega_lite(charts_runs.live_curve(rows, "train_loss", smooth=3))
        return {k: v for k, v in made.items() if k not in ("data", "datasets")}
    assert spec(5) == spec(9)          # altair would name the view by a counter: a new spec on every rerun
    assert spec(5)["params"][0]["views"] == [f"{ZOOM}_view"]
