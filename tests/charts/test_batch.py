"""Charts follow the house conventions: log₂ batch axis, fixed distinct colours, legend-bound selection, tooltips, the
study's B_simple as a rule with its interval, means and bands from the runs at the fit only, valid Vega-Lite, and PNG/SVG files without a browser."""
import json
import re
import time

import pandas as pd
import pytest

from studies import charts
from studies.storage.store import open_store


@pytest.fixture(scope="module")
def tables(big_store):
    root, spec = big_store
    store = open_store(root)
    return (store.load_table(spec.study_id, "runs"), store.load_table(spec.study_id, "epochs"),
            store.load_table(spec.study_id, "landscape"))


def layers(spec):
    for key in ("layer", "hconcat", "vconcat"):
        for sub in spec.get(key, []):
            yield from layers(sub)
    yield spec


def encodings(spec, channel):
    return [s["encoding"][channel] for s in layers(spec) if channel in s.get("encoding", {})]


def test_batch_size_charts_use_a_log2_axis_fixed_colours_and_a_legend_selection(tables):
    runs = tables[0]
    spec = charts.to_vega_lite(charts.batch_size_chart(runs, "test_acc", b_simple=(300.0, 200.0, 450.0)))
    xs = encodings(spec, "x")
    assert all(x["scale"]["type"] == "log" and x["scale"]["base"] == 2 for x in xs if x.get("field") == "batch_size")
    color = next(c for c in encodings(spec, "color") if "scale" in c)
    assert color["scale"]["range"] == [charts.OPTIMIZER_COLORS[o] for o in color["scale"]["domain"]]
    assert any(p.get("bind") == "legend" for p in spec["params"])
    assert any(s.get("mark", {}).get("type") == "rule" for s in layers(spec))          # B_simple
    assert "B_simple ≈ 300" in json.dumps(spec, ensure_ascii=False)
    assert any("tooltip" in s.get("encoding", {}) for s in layers(spec))


def test_no_two_colours_are_hard_to_tell_apart():
    def rgb(h):
        return [int(h[i:i + 2], 16) for i in (1, 3, 5)]
    for palette in (list(charts.OPTIMIZER_COLORS.values()), charts.PALETTE):
        for i, a in enumerate(palette):
            for b in palette[i + 1:]:
                assert sum((x - y) ** 2 for x, y in zip(rgb(a), rgb(b))) ** 0.5 > 60, (a, b)


def test_aggregates_give_a_t_interval_band_over_seeds(tables):
    runs = tables[0]
    agg = charts.aggregate_over_seeds(runs, "test_acc")
    assert len(agg) == 10 * 5 * 2 and agg.seeds.max() == 10 and (agg.hi >= agg.lo).all()
    row = agg[agg.fitted == 10].iloc[0]      # ten seeds: t(0.975, 9) = 2.262 standard errors either side
    assert (row.hi - row["mean"]) == pytest.approx(2.2622 * row["std"] / 10 ** 0.5, rel=1e-3)


def test_a_planted_missed_run_is_kept_out_of_the_mean_and_band_and_drawn_on_its_own():
    runs = pd.DataFrame({"status": "done", "batch_size": [16, 16, 16, 512, 512], "optimizer": "sgd",
                         "shuffle": True, "seed": [0, 1, 2, 0, 1], "run_id": list("abcde"),
                         "test_acc": [0.90, 0.92, 0.10, 0.80, 0.82],
                         "reached_target": [True, True, False, True, True], "train_loss": 0.01, "train_acc": 1.0,
                         "target_train_acc": 1.0, "target_train_loss": 0.0})
    agg = charts.aggregate_over_seeds(runs, "test_acc").set_index("batch_size")
    assert agg.loc[16, "mean"] == pytest.approx(0.91) and agg.loc[16, "fitted"] == 2
    assert agg.loc[16, "seeds"] == 3 and agg.loc[16, "missed"] == 1 and agg.loc[16, "lo"] > 0.5
    spec = charts.to_vega_lite(charts.batch_size_chart(runs, "test_acc"))
    hollow = [d for d in spec["datasets"].values() if d and "why" in d[0]]
    assert len(hollow) == 1 and [r["test_acc"] for r in hollow[0]] == [0.10]


def test_b_simple_rule_shades_its_interval_and_error_bars_stay_apart_from_the_seed_band():
    runs = pd.DataFrame({"status": ["done"] * 4 + ["diverged"], "batch_size": [16, 16, 512, 512, 8],
                         "optimizer": "sgd", "shuffle": True, "seed": [0, 1, 0, 1, 0],
                         "sharpness_rand": [1.0, 3.0, 5.0, 7.0, 0.0], "sharpness_rand_se": [0.3, 0.4, 0.1, 0.1, 0.0],
                         "train_loss": 0.01, "train_acc": 1.0, "reached_target": True, "target_train_acc": 1.0,
                         "target_train_loss": 0.0})
    agg = charts.aggregate_over_seeds(runs, "sharpness_rand").set_index("batch_size")
    assert agg.loc[16, "se"] == pytest.approx(0.5 / 2) and agg.loc[16, "std"] == pytest.approx(2 ** 0.5)
    spec = charts.to_vega_lite(charts.batch_size_chart(runs, "sharpness_rand", b_simple=(120.0, 90.0, 160.0)))
    marks = [s.get("mark", {}).get("type") for s in layers(spec)]
    assert "errorbar" in marks and "area" in marks and "rect" in marks


def test_lanczos_error_bounds_are_bars_of_the_mean_bound_and_say_so():
    runs = pd.DataFrame({"status": "done", "batch_size": [16, 16, 512], "optimizer": "sgd", "shuffle": True,
                         "seed": [0, 1, 0], "hessian_min_eig": [-0.01, -0.02, -0.005],
                         "hessian_min_eig_err": [0.002, 0.004, 0.001], "train_loss": 0.01, "train_acc": 1.0,
                         "reached_target": True, "target_train_acc": 1.0, "target_train_loss": 0.0})
    agg = charts.aggregate_over_seeds(runs, "hessian_min_eig").set_index("batch_size")
    assert agg.loc[16, "se"] == pytest.approx(0.003) and agg.loc[16, "se_lo"] == pytest.approx(-0.018)
    spec = charts.to_vega_lite(charts.batch_size_chart(runs, "hessian_min_eig"))
    assert "errorbar" in [s.get("mark", {}).get("type") for s in layers(spec)]
    assert "Lanczos error bound" in json.dumps(spec)


def test_speed_columns_and_steps_to_target(tables):
    runs = charts.with_speed(tables[0])
    assert (runs.samples_per_s == runs.samples_per_epoch / runs.epoch_time_s).all()
    spec = charts.to_vega_lite(charts.target_chart(runs, "steps"))
    data = [v for v in spec["datasets"].values() if v and "mean" in v[0]][0]
    assert sum(r["seeds"] for r in data) == int((runs.reached_target & (runs.status == "done")).sum())


def test_every_chart_is_valid_vega_lite(tables):
    runs, epochs, land = tables
    some = runs[runs.optimizer == "adam"].head(20)
    inter = pd.DataFrame({"kind": "interpolation", "alpha": [0.0, 0.5, 1.0], "train_loss": [0.1, 0.5, 0.2],
                          "test_loss": [0.3, 0.6, 0.4], "train_acc": [0.9, 0.6, 0.8], "test_acc": [0.8, 0.5, 0.7],
                          "run_id": some.run_id.iloc[0], "run_id_b": some.run_id.iloc[-1],
                          "batch_size_a": 2.0, "batch_size_b": 1024.0})
    built = [charts.epoch_time_chart(runs), charts.accuracy_chart(runs), charts.split_chart(runs, "loss"),
             charts.gap_chart(runs), charts.learning_curves(epochs, some), charts.landscape_chart(land, some),
             charts.interpolation_chart(inter, runs), charts.batch_size_chart(runs.assign(study="a"), "test_acc",
                                                                              color="study"),
             charts.learning_curves(epochs, some.assign(study="b"), color="run")]
    for c in built:
        spec = charts.to_vega_lite(c)           # altair validates against the Vega-Lite schema
        assert json.dumps(spec)


@pytest.mark.slow
def test_png_and_svg_need_no_browser_and_are_cheap(tables):
    chart = charts.epoch_time_chart(tables[0], b_simple=(300.0, 250.0, 380.0))
    t = time.process_time()   # CPU time (every thread of this process): cheap whatever the machine's load
    png = charts.to_image(chart, "png")
    svg = charts.to_image(charts.to_vega_lite(chart), "svg")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in svg[:200]
    assert time.process_time() - t < 10


def test_the_timing_note_names_device_torch_and_warm_up(tables):
    note = re.sub(r"\\(.)", r"\1", charts.timing_note(tables[0]))   # markdown escapes, as a viewer reads it
    assert "CPU, 2 threads" in note and "torch 2.x" in note and "warm-up" in note


def test_cpu_timings_at_several_thread_counts_are_one_device_in_either_language():
    from studies.i18n import language
    names = ["cpu (1 threads), torch 2.13.0", "cpu (2 threads), torch 2.13.0", "NVIDIA H200, torch 2.13.0"]
    assert charts.batch.device_labels(names) == ["CPU, 1–2 threads", "NVIDIA H200"]
    assert charts.batch.device_labels(names[:1]) == ["CPU, 1 thread"]
    with language("zh"):
        assert charts.batch.device_labels(names[1:2]) == ["CPU，2 个线程"]


def test_precision_charts_build_valid_vega_lite():
    import numpy as np
    from studies.charts import curvature as cc
    runs = pd.DataFrame({"run_id": ["a", "b"], "batch_size": [16, 512], "optimizer": "sgd", "seed": 0,
                         "status": "done"})
    epochs = pd.DataFrame({"run_id": ["a"] * 3 + ["b"] * 3, "epoch": [0, 1, 5] * 2,
                           "noise_scale": [10.0, 50.0, 400.0, 12.0, np.nan, 900.0],
                           "noise_scale_se": [2.0, 5.0, 90.0, 3.0, np.nan, 100.0]})
    spec = charts.to_vega_lite(cc.noise_over_training_chart(epochs, runs))
    assert sum(len(s.get("data", {}).get("values", [])) for s in [spec]) or spec["datasets"]
    marks = [s.get("mark", {}).get("type") for s in layers(spec)]
    assert "errorbar" in marks and "line" in marks
    rows = pd.DataFrame({"eigenvalue": [-0.1, 0.0, 0.0, 2.0], "weight": [0.25] * 4})
    frame, width = cc.density_frame(rows)
    assert float(np.trapezoid(frame.density, frame.eigenvalue)) == pytest.approx(1.0, rel=0.02)
    charts.to_vega_lite(cc.spectrum_chart(rows))
    table = pd.DataFrame({"measure": ["sharpness_eps", "batch_size"], "label": ["ε", "B"], "tau": [0.6, -0.2],
                          "ci_low": [0.3, -0.6], "ci_high": [0.9, 0.2], "n": [10, 10]})
    spec = charts.to_vega_lite(cc.predictors_chart(table))
    assert any(s.get("mark", {}).get("type") == "bar" for s in layers(spec))


def test_compare_names_optimizers_in_one_legend_and_tooltips_by_their_labels():
    runs = pd.DataFrame({"status": "done", "batch_size": [16, 16, 512, 512], "optimizer": ["sgd", "adam"] * 2,
                         "shuffle": True, "seed": 0, "run_id": list("abcd"), "test_acc": [0.9, 0.8, 0.7, 0.6],
                         "reached_target": [True, True, True, False], "train_loss": 0.01, "train_acc": 1.0,
                         "target_train_acc": 1.0, "target_train_loss": 0.0, "study": ["s1", "s2"] * 2})
    from studies import i18n
    with i18n.language("zh"):   # in 中文 a raw field name cannot pass for its label
        spec = charts.to_vega_lite(charts.batch_size_chart(runs, "test_acc", color="study"))
    shapes = encodings(spec, "shape")
    assert len(shapes) == 2 and sum(s.get("legend", {}) is not None for s in shapes) == 1   # one optimizer legend
    titles = {tip.get("title", tip["field"]) for tips in encodings(spec, "tooltip") for tip in tips}
    assert not [x for x in titles if re.fullmatch(r"[a-z_]+", x)], titles                  # no raw field names


def test_seeds_sharing_one_timing_pass_show_no_spread_but_say_so():
    from studies.charts.batch import aggregate_over_seeds
    from studies.i18n import t
    runs = pd.DataFrame({"optimizer": "sgd", "shuffle": True, "batch_size": [8, 8, 64, 64], "seed": [0, 1, 0, 1],
                         "status": "done", "train_loss": 0.01, "epoch_time_s": [0.02, 0.02, 0.01, 0.012],
                         "timing": ["timing-pass", "timing-pass", "solo", "solo"]})
    g = aggregate_over_seeds(runs, "epoch_time_s").set_index("batch_size")
    assert g.loc[8, "std_text"] == t("chart.one_timing_pass") and g.loc[64, "std_text"] == "0.0014"
