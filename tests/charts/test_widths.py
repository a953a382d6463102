"""Charts that fit (issue 31, item 4): at 1920 px the main column is about 1,460 px wide (Streamlit's wide layout
beside the sidebar), so every Generalization chart is either as wide as its column (Vega-Lite "container") or a
row of fixed panels at least 40 % of it (584 px), and no row passes a 1400-px page's column (about 1,000 px)."""
import pandas as pd

from studies import charts
from studies.charts import curves, fit, nqm, sgd_noise
from studies.charts.common import to_vega_lite
from tests.charts.test_run_links import _epochs, _runs

MIN_ROW, MAX_ROW = 0.4 * 1460, 1000


def _row_px(spec: dict) -> float | str:
    """The plotted width of a spec's widest row: "container" for a single view that stretches."""
    if "facet" in spec:
        return spec["spec"]["width"] * spec.get("columns", 1)
    if "hconcat" in spec:
        return sum(v["width"] for v in spec["hconcat"])
    if "concat" in spec:
        return max(v["width"] for v in spec["concat"]) * spec.get("columns", len(spec["concat"]))
    return spec.get("width", "container")


def test_every_generalization_chart_spans_its_column_or_40_percent_of_the_page():
    runs = _runs().assign(reached_target=True, target_train_acc=0.9, test_loss=0.3, gap_loss=0.2)
    sweep = pd.concat([runs, runs.assign(lr=runs.lr * 2, run_id="x" + runs.run_id, best_lr=False)])
    one_size = runs[runs.batch_size == 10]
    measured = pd.DataFrame({"optimizer": ["sgd"] * 2, "batch_size": [10, 100], "steps": [400, 60], "lr": [0.1, 0.4],
                             "seed": [0, 0]})
    predicted = pd.DataFrame({"optimizer": ["sgd"] * 2, "batch_size": [10, 100], "steps": [400, 80],
                              "b_crit": [50, 50]})
    specs = {"accuracy": to_vega_lite(charts.accuracy_chart(runs)), "gap": to_vega_lite(charts.gap_chart(runs)),
             "loss": to_vega_lite(charts.split_chart(runs, "loss")),
             "curves, 2 sizes": to_vega_lite(curves.learning_curve_bands(_epochs(runs), runs, "test_acc")),
             "curves, 1 size": to_vega_lite(curves.learning_curve_bands(_epochs(one_size), one_size, "test_acc")),
             "lr map": to_vega_lite(fit.lr_heatmap(sweep, "test_acc")),
             "nqm": nqm.predicted_vs_measured(measured, predicted),
             "noise scale": to_vega_lite(sgd_noise.noise_scale_chart(runs))}
    for name, spec in specs.items():
        px = _row_px(spec)
        assert px == "container" or MIN_ROW <= px <= MAX_ROW, (name, px)
    assert _row_px(specs["curves, 1 size"]) >= MIN_ROW   # a lone panel is not left at a third of the page
