"""The noise-scale view's data and chart: g per run and panel, filled vs hollow, the shared-g rules."""
import json

import pandas as pd
import pytest

from studies import i18n
from studies.charts import sgd_noise, to_vega_lite


def _runs():
    """momentum (m = 0.9), N = 800: g = 5 for (0.01, 16) and (0.04, 64), 20 for (0.04, 16); one missed run."""
    rows = []
    for i, (lr, b, seed, acc, loss, eps) in enumerate([(0.01, 16, 0, 0.90, 0.01, 2.0), (0.01, 16, 1, 0.92, 0.01, 2.2),
                                                      (0.04, 64, 0, 0.91, 0.01, 2.1), (0.04, 16, 0, 0.85, 0.5, 1.0)]):
        rows.append({"run_id": f"r{i}", "optimizer": "momentum", "lr": lr, "batch_size": b, "seed": seed,
                     "n_train": 800, "status": "done", "train_loss": loss, "test_acc": acc, "gap_acc": 1 - acc,
                     "sharpness_eps": eps, "shuffle": True})
    rows.append({**rows[0], "run_id": "a0", "optimizer": "adam", "lr": 0.001})
    return pd.DataFrame(rows)


def test_points_have_g_per_run_and_panel_and_leave_adaptive_runs_out():
    pts = sgd_noise.g_points(_runs())
    assert set(pts.measure) == {"gap_acc", "test_acc", "sharpness_eps"} and len(pts) == 3 * 4
    acc = pts[pts.measure == "test_acc"].set_index("run_id")
    assert acc.g.to_dict() == pytest.approx({"r0": 5.0, "r1": 5.0, "r2": 5.0, "r3": 20.0})
    assert acc.at_fit.to_dict() == {"r0": True, "r1": True, "r2": True, "r3": False}
    assert acc.value["r3"] == 0.85 and acc.lr_label["r2"] == "0.04"
    rules = sgd_noise.shared_g(pts)
    assert len(rules) == 1 and rules.g.iloc[0] == pytest.approx(5.0) and rules.configs.iloc[0] == 2


def test_chart_has_one_log_x_panel_per_measure_colour_batch_shape_lr():
    spec = to_vega_lite(sgd_noise.noise_scale_chart(_runs()))
    assert len(spec["concat"]) == 3 and spec["columns"] == 2
    text = json.dumps(spec, ensure_ascii=False)
    assert '"type": "log"' in text and '"field": "batch_size"' in text and '"field": "lr_label"' in text
    assert "!datum.at_fit" in text                               # the hollow layer: runs that missed the fit
    assert spec["concat"][0]["layer"][-1]["encoding"]["x"]["scale"]["domain"] == pytest.approx([5 / 1.5, 20 * 1.5])
    assert "ηN/(B(1−m))" in text
    with i18n.language("zh"):
        assert "噪声尺度" in json.dumps(to_vega_lite(sgd_noise.noise_scale_chart(_runs())), ensure_ascii=False)


def test_an_empty_study_still_draws():
    spec = to_vega_lite(sgd_noise.noise_scale_chart(_runs().iloc[4:]))   # adam only: nothing to place
    assert len(spec["concat"]) == 1
