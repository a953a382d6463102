"""No point cut in half by a plot's edge (issue 31, item 4): charts.edges.whole_points pads every scale a point is
drawn on, and to_vega_lite applies it to every chart."""
import re

import altair as alt
import pandas as pd

from studies import charts
from studies.charts import curves, edges, sgd_noise
from studies.charts.common import to_image, to_vega_lite
from tests.charts.test_run_links import _epochs, _runs


def test_a_point_at_either_end_of_its_data_is_drawn_whole():
    df = pd.DataFrame({"x": [1, 5, 10], "y": [0.0, 0.5, 1.0]})
    chart = alt.Chart(df).mark_point(size=70).encode(x=alt.X("x:Q", scale=alt.Scale(nice=False, zero=False)),
                                                     y=alt.Y("y:Q", scale=alt.Scale(nice=False))) \
        .properties(width=200, height=100)
    svg = to_image(to_vega_lite(chart), "svg").decode()
    centres = [tuple(map(float, m)) for m in re.findall(r'role="graphics-symbol"[^>]*translate\(([\d.]+),([\d.]+)\)', svg)]
    radius = 70 ** 0.5 / 2
    assert len(centres) == 3
    assert all(radius <= x <= 200 - radius and radius <= y <= 100 - radius for x, y in centres), centres
    losses = _runs().assign(train_loss=[0.021, 0.020, 0.126, 0.120], test_loss=[1.046, 1.090, 0.976, 0.954])
    labels = re.findall(r">([^<]*)</text>", to_image(to_vega_lite(charts.split_chart(losses, "loss")), "svg").decode())
    assert not [v for v in labels if v.startswith(("−", "-"))], labels   # Smith's losses once read −0.2 …
    bare = to_image(chart.to_dict(), "svg").decode()   # without the padding the end points sit on the frame
    assert 'translate(0,' in bare or 'translate(200,' in bare


def _pointed_scales(spec):
    """(channel, scale) of every quantitative x / y a point-drawing view encodes."""
    return [(ch, enc[ch].get("scale", {})) for enc in edges.pointed_encodings(spec) for ch in ("x", "y")
            if isinstance(enc.get(ch), dict) and enc[ch].get("type") == "quantitative" and "field" in enc[ch]]


def test_every_point_scale_of_the_generalization_charts_is_padded_or_has_its_own_domain():
    runs = _runs()
    for chart in (charts.accuracy_chart(runs), charts.gap_chart(runs), charts.batch_size_chart(runs, "test_acc"),
                  curves.learning_curves(_epochs(runs), runs, "test_acc"),
                  curves.learning_curve_bands(_epochs(runs), runs, "test_acc", show_runs=True),
                  sgd_noise.noise_scale_chart(runs)):
        scales = _pointed_scales(to_vega_lite(chart))
        assert scales, chart
        assert all(s is None or "padding" in s or "domain" in s for _, s in scales), scales


def test_a_hand_written_spec_is_padded_and_a_chart_without_points_is_left_alone():
    spec = {"layer": [{"mark": {"type": "line", "point": True}}], "encoding": {
        "x": {"field": "a", "type": "quantitative"}, "y": {"field": "b", "type": "quantitative",
                                                          "scale": {"domain": [0, 1]}}}}
    out = edges.whole_points(spec)
    assert out["encoding"]["x"]["scale"] == {"padding": edges.PAD, "nice": False} and out["encoding"]["y"]["scale"] == {"domain": [0, 1]}
    bars = {"mark": "bar", "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    assert "scale" not in edges.whole_points(bars)["encoding"]["x"]
