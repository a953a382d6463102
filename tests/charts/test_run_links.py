"""Where a chart's mark is a run, a click opens the run's page (/Run?run=ID, Vega-Lite href), and on Compare the
runs are told apart by colour, the study (a second variable) by the dash."""
import json

import pandas as pd

from studies import charts
from studies.charts import curves, sgd_noise
from studies.charts.common import to_vega_lite


def _runs():
    return pd.DataFrame([dict(run_id=f"r{b}-{s}", optimizer="sgd", batch_size=b, shuffle=True, seed=s, lr=lr,
                              samples_per_epoch=100, status="done", train_loss=0.01 if b == 10 else 0.5,
                              train_acc=0.99, test_acc=0.9 + 0.01 * s, gap_acc=0.05, best_lr=True, epochs=4,
                              n_train=100, steps=40)
                         for b, lr in ((10, 0.1), (100, 0.4)) for s in (0, 1)])


def _epochs(runs):
    return pd.DataFrame([dict(run_id=r, epoch=e, train_loss=1.0 / (e + 1), test_acc=0.5 + 0.1 * e)
                         for r in runs.run_id for e in range(4)])


def _hrefs(spec):
    """(layers with an href encoding, the page links in the data they draw)."""
    text = json.dumps(spec)
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "href" in node.get("encoding", {}):
                found.append(node["encoding"]["href"]["field"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(spec)
    return found, text


def test_a_missed_run_on_a_batch_size_chart_opens_its_page():
    spec = to_vega_lite(charts.batch_size_chart(_runs(), "test_acc"))
    fields, text = _hrefs(spec)
    assert fields == ["page"] and "Run?run=r100-0" in text and "Run?run=r100-1" in text   # the two hollow runs


def test_learning_curves_and_the_noise_scale_view_link_every_run():
    runs = _runs()
    for spec in (to_vega_lite(curves.learning_curves(_epochs(runs), runs, "test_acc")),
                 to_vega_lite(curves.learning_curves(_epochs(runs), runs.assign(study="a"), "test_acc", color="run")),
                 to_vega_lite(curves.learning_curve_bands(_epochs(runs), runs, "test_acc", show_runs=True))):
        fields, text = _hrefs(spec)
        assert fields and set(fields) == {"page"}
        assert all(f"Run?run={r}" in text for r in runs.run_id)
    fields, text = _hrefs(to_vega_lite(sgd_noise.noise_scale_chart(runs)))
    assert fields and all(f"Run?run={r}" in text for r in runs.run_id)


def test_compare_tells_runs_apart_by_colour_and_studies_by_dash():
    runs = pd.concat([_runs().assign(study="grow"), _runs().assign(study="decay", run_id=lambda d: "d" + d.run_id)])
    epochs = _epochs(runs)
    enc = to_vega_lite(curves.learning_curves(epochs, runs, "test_acc", color="run", studies=["grow", "decay"]))
    enc = enc["encoding"]
    assert enc["color"]["field"] == "run" and len(set(enc["color"]["scale"]["range"])) == 8   # a colour per run
    assert enc["strokeDash"]["field"] == "study" and enc["strokeDash"]["scale"]["domain"] == ["grow", "decay"]
    one = to_vega_lite(curves.learning_curves(_epochs(_runs()), _runs().assign(study="a"), "test_acc",
                                              color="run"))["encoding"]
    assert one["color"]["field"] == "run" and "strokeDash" not in one       # one study: no dash at all


def test_the_curves_of_a_panel_differ_in_colour_when_one_optimizer_has_several_lrs():
    runs = pd.concat([_runs(), _runs().assign(lr=lambda d: d.lr * 2, run_id=lambda d: "x" + d.run_id)])
    spec = to_vega_lite(curves.learning_curve_bands(_epochs(runs), runs, "test_acc", show_runs=True))
    colours = [layer["encoding"]["color"] for layer in spec["spec"]["layer"] if "color" in layer.get("encoding", {})]
    assert {c["field"] for c in colours} == {"config"}, colours
    assert len(set(colours[0]["scale"]["range"])) == 4 and "sgd · shuffle · lr 0.2" in colours[0]["scale"]["domain"]
    one = to_vega_lite(curves.learning_curve_bands(_epochs(_runs()), _runs(), "test_acc"))
    assert {layer["encoding"]["color"]["field"] for layer in one["spec"]["layer"]} == {"optimizer"}   # its colour
