"""What charts write, in the page's language and never escaped: run names, budgets, the full-batch tick, the
predictors' expected signs; and charts that fit: batch-size points drawn whole at the plot's edges, parallel
coordinates' titles in at most two lines on a padded axis."""
import json

import pandas as pd

from studies import i18n
from studies.charts import common, runs as charts_runs, to_vega_lite
from studies.charts.curvature import predictors_chart


def test_run_names_budgets_and_the_full_batch_tick_follow_the_language():
    assert common.localised_run_label("adam B=16 fixed order seed=0 lr=0.002") == "adam B=16 fixed order seed=0 lr=0.002"
    with i18n.language("zh"):
        assert common.localised_run_label("adam B=16 fixed order seed=0") == "adam B=16 固定顺序 种子=0"
        assert common.budget_text("epochs:30") == "轮数 30" and common.budget_text("target") == "目标"
        assert "全批量（1437）" in json.dumps(common._batch_axis(pd.DataFrame(
            {"batch_size": [32, 1437], "n_train": [1437, 1437]})).to_dict(), ensure_ascii=False)
    assert common.budget_text("weird") == "weird"


def test_the_predictors_chart_writes_its_signs_as_text_not_markdown():
    table = pd.DataFrame({"measure": ["sharpness_eps", "batch_size"], "label": ["x", "y"], "tau": [0.5, 0.2],
                          "ci_low": [0.1, 0.0], "ci_high": [0.8, 0.4], "n": [12, 12], "psi": [0.4, 0.1],
                          "expected_sign": [1, 1], "note": ["", ""]})
    names = {}
    for lang in ("en", "zh"):
        with i18n.language(lang):
            spec = to_vega_lite(predictors_chart(table))
        names[lang] = {r["name"] for d in spec["datasets"].values() for r in d if "name" in r}
    assert names["en"] == {"ε-sharpness (Keskar, %) (expected +)", "batch size (baseline) (expected +)"}
    assert names["zh"] == {"ε-尖锐度（Keskar，%） (预期 +)", "批大小（基线） (预期 +)"}   # in 中文 whatever built the table


def test_batch_size_points_at_either_end_are_drawn_whole():
    x = common._batch_axis(pd.DataFrame({"batch_size": [16, 1024]})).to_dict()
    assert x["scale"]["padding"] > 0 and x["scale"]["nice"] is False   # nice would re-extend the padded domain


def test_parallel_coordinates_titles_fit_in_two_lines_on_a_padded_axis():
    assert charts_runs._two_lines("ε-sharpness (Keskar, %) · log") == "ε-sharpness\n(Keskar, %) · log"
    assert charts_runs._two_lines("lr") == "lr"
    table = pd.DataFrame({"run_id": ["a", "b"], "optimizer": ["sgd", "sgd"], "batch_size": [16, 1024],
                          "lr": [0.1, 0.1], "shuffle": [True, True], "seed": [0, 0], "test_acc": [0.9, 0.8],
                          "sharpness_eps": [1.0, 20.0]})
    spec = to_vega_lite(charts_runs.parallel_coordinates(table, ["test_acc", "sharpness_eps"]))
    layers = spec["layer"]
    assert all(l["encoding"]["x"]["scale"] == {"type": "point", "padding": 0.5} for l in layers)
    texts = [r for d in spec["datasets"].values() for r in d if "upper" in r]
    assert all(len(r["upper"]) <= 20 and len(r["lower"]) <= 20 for r in texts)
    lines = [l for l in layers if l["mark"]["type"] == "line"][0]
    assert lines["encoding"]["href"]["field"] == "page"      # a click opens the run's page
