"""Learning curves by configuration: the mean over seeds, its 95 % t-interval, n per epoch, honest smoothing."""
import math

import pandas as pd
import pytest
from scipy import stats

from studies import i18n
from studies.charts import curves


def _study(seeds=(0, 1, 2)):
    runs = pd.DataFrame([dict(run_id=f"r{b}-{s}", optimizer="sgd", batch_size=b, shuffle=True, seed=s, lr=0.1,
                              samples_per_epoch=100, status="done") for b in (10, 100) for s in seeds])
    rows = []
    for r in runs.itertuples():
        last = 3 if (r.batch_size == 10 and r.seed == 2) else 4      # one seed stops at the target after epoch 3
        rows += [dict(run_id=r.run_id, epoch=e, train_loss=10.0 ** -e * (1 + r.seed), test_acc=0.5 + 0.1 * e + 0.01 * r.seed)
                 for e in range(last + 1)]
    return pd.DataFrame(rows), runs


def test_the_band_is_the_t_interval_of_the_mean_over_seeds_with_n_per_epoch():
    epochs, runs = _study()
    g = curves.curve_bands(epochs, runs, "test_acc").set_index(["batch_size", "epoch"])
    row = g.loc[(10, 2)]
    values = [0.7, 0.71, 0.72]
    half = stats.t.ppf(0.975, 2) * pd.Series(values).std() / math.sqrt(3)
    assert row["n"] == 3 and row["mean"] == pytest.approx(0.71)
    assert (row["lo"], row["hi"]) == (pytest.approx(0.71 - half), pytest.approx(0.71 + half))
    assert g.loc[(10, 4), "n"] == 2                                   # the seed that stopped early drops out
    assert g.loc[(100, 1), "steps"] == 1 and g.loc[(10, 1), "steps"] == 10 and g.loc[(10, 2), "examples"] == 200


def test_one_seed_draws_no_band():
    epochs, runs = _study(seeds=(0,))
    g = curves.curve_bands(epochs, runs, "test_acc")
    assert g["lo"].isna().all() and g["hi"].isna().all() and (g["n"] == 1).all()


def test_smoothing_is_a_centred_moving_average_of_the_mean_and_of_its_log_for_losses():
    epochs, runs = _study(seeds=(0,))
    acc = curves.curve_bands(epochs, runs, "test_acc", smooth=3).query("batch_size == 100").set_index("epoch")
    assert acc.loc[2, "smoothed"] == pytest.approx((0.6 + 0.7 + 0.8) / 3) and acc.loc[2, "mean"] == pytest.approx(0.7)
    assert acc.loc[0, "smoothed"] == pytest.approx((0.5 + 0.6) / 2)   # the ends average what they have
    loss = curves.curve_bands(epochs, runs, "train_loss", smooth=3, log=True).query("batch_size == 100")
    assert loss.set_index("epoch").loc[2, "smoothed"] == pytest.approx(1e-2)   # geometric: 10^-(1+2+3)/3


def test_the_chart_draws_losses_on_a_log_axis_runs_on_request_and_says_n():
    epochs, runs = _study()
    spec = curves.learning_curve_bands(epochs, runs, "train_loss", show_runs=True, smooth=3).to_dict()
    text = str(spec)
    assert "'type': 'log'" in text and "'run'" in text and "n (seeds)" in text
    assert "'type': 'log'" not in str(curves.learning_curve_bands(epochs, runs, "test_acc").to_dict())
    with i18n.language("zh"):
        assert "n（种子数）" in str(curves.learning_curve_bands(epochs, runs, "test_acc", x="steps").to_dict())


def test_a_long_curve_gets_a_marker_every_kth_epoch_and_a_short_one_every_epoch():
    """Hundreds of epochs (an equal-step budget at a large batch) would merge their markers into a bar."""
    def point_filters(n_epochs):
        runs = pd.DataFrame([dict(run_id="r", optimizer="sgd", batch_size=10, shuffle=True, seed=0, lr=0.1,
                                  samples_per_epoch=100, status="done")])
        epochs = pd.DataFrame([dict(run_id="r", epoch=e, test_acc=0.5) for e in range(n_epochs + 1)])
        spec = curves.learning_curve_bands(epochs, runs, "test_acc").to_dict()
        return [str(layer["transform"]) for layer in spec["spec"]["layer"]
                if (layer.get("mark") or {}).get("type") == "point"]
    assert any("% 8 " in f or "% 8)" in f for f in point_filters(300)), point_filters(300)   # ⌈301 / 40⌉ = 8
    assert any("% 1 " in f or "% 1)" in f for f in point_filters(20)), point_filters(20)
