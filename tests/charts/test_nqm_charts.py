"""The NQM's charts are valid Vega-Lite, draw one line per update with its B_crit rule, and the Generalization
chart puts the measured points beside the scaled prediction."""
import altair as alt
import numpy as np
import pandas as pd

from studies.analysis import nqm, nqm_study
from studies.charts import nqm as nc


def _table():
    q = nqm.power_law(dims=200, bins=20, noise=1.0, fraction=0.05)
    return nqm.curves(q, nqm.panel_updates(0.9), 2.0 ** np.arange(0, 13, 2))


def test_panel_charts_are_valid_and_carry_every_update():
    table = _table()
    for chart in (nc.steps_chart(table), nc.lr_chart(table)):
        alt.LayerChart.from_dict(chart)                      # raises on anything the schema refuses
        names = {r["optimizer"] for r in chart["layer"][0]["data"]["values"]}
        assert names == {"sgd", "momentum", "adam"}
        assert len(chart["layer"][1]["data"]["values"]) == 3     # one B_crit rule each


def test_predicted_beside_measured_scales_to_the_smallest_batch():
    pred = _table()[lambda f: f.optimizer == "sgd"]
    measured = pd.DataFrame({"optimizer": "sgd", "batch_size": [4.0, 16.0, 64.0], "steps": [900.0, 300.0, 200.0],
                             "lr": 0.1, "seed": 0})
    beside = nqm_study.beside_measured(pred, measured)
    at4 = beside[beside.batch_size == 4.0].steps.iloc[0]
    assert np.isclose(at4, 900.0) and beside.batch_size.min() >= 2 and beside.batch_size.max() <= 128
    alt.LayerChart.from_dict(nc.predicted_vs_measured(measured, beside))
