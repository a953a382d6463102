"""The NQM built from a run matches what the run measured (Σh = the Hessian trace, top curvature λ_max, c·tr H =
B_simple·|G|², the initial loss and the target), a noisier run predicts a larger B_crit, and the summary's
b_crit_predicted rows come from the smallest-batch best-lr run of each optimizer."""
import math

import numpy as np
import pandas as pd
import pytest

from studies.analysis import nqm_study
from studies.analysis.nqm_study import power_exponent, quadratic_for, summary_rows


def _row(**kw):
    base = dict(run_id="r", optimizer="sgd", batch_size=16, seed=0, status="done", best_lr=True, lr=0.1,
                hessian_top_eig=4.0, hessian_trace=60.0, noise_scale=500.0, grad_norm=0.2, n_params=5000,
                target_train_loss=0.1)
    return pd.Series({**base, **kw})


def test_the_power_law_matches_the_trace_and_lambda_max():
    p = power_exponent(4.0, 60.0, 5000)
    assert 4.0 * np.sum(np.arange(1, 5001.0) ** -p) == pytest.approx(60.0, rel=1e-5)
    assert math.isinf(power_exponent(4.0, 3.0, 100)) and power_exponent(1.0, 200.0, 100) == 0.0


def test_the_quadratic_carries_the_runs_noise_start_and_target():
    q = quadratic_for(_row(), initial_loss=2.3, bins=4000)
    assert float(np.sum(q.weight * q.h)) == pytest.approx(60.0, rel=1e-6)
    assert float(np.sum(q.weight * q.sigma2)) == pytest.approx(500.0 * 0.2 ** 2, rel=1e-6)   # tr Σ = B_simple·|G|²
    assert q.initial_loss == pytest.approx(2.3) and q.target == pytest.approx(0.1)
    assert quadratic_for(_row(hessian_trace=float("nan")), 2.3) is None
    typed = pd.DataFrame([_row()]).astype({"n_params": "int64"}).set_index("run_id", drop=False).loc["r"]
    assert quadratic_for(typed, 2.3) is not None                                      # numpy ints, as a page reads them
    assert quadratic_for(_row(), initial_loss=0.05) is None                          # target above the start


def test_more_gradient_noise_predicts_a_larger_b_crit():
    quiet = nqm_study.predictions(pd.DataFrame([_row(noise_scale=100.0)]), _epochs())
    noisy = nqm_study.predictions(pd.DataFrame([_row(noise_scale=1000.0)]), _epochs())
    assert noisy.b_crit.iloc[0] > 3 * quiet.b_crit.iloc[0]


def _epochs():
    return pd.DataFrame({"run_id": ["r", "a", "b"], "epoch": [0, 0, 0], "train_loss": [2.3, 2.3, 2.3]})


def test_summary_rows_use_each_optimizers_smallest_batch_best_run():
    runs = pd.DataFrame([_row(run_id="r", batch_size=64), _row(run_id="a", batch_size=16, noise_scale=100.0),
                         _row(run_id="b", batch_size=16, best_lr=False),
                         _row(run_id="r", optimizer="adam", batch_size=16)])
    rows = {r["optimizer"]: r for r in summary_rows(runs, _epochs())}
    assert set(rows) == {"sgd", "adam"} and all(r["mean"] > 0 for r in rows.values())
    assert "run a " in rows["sgd"]["note"] and rows["sgd"]["measure"] == "b_crit_predicted"


def test_the_summary_export_has_a_positive_b_crit_predicted_row_per_optimizer():
    from studies.analysis.conclusions import summary_table
    runs = pd.DataFrame([_row(run_id="a"), _row(run_id="b", optimizer="adam")]).assign(
        reached_target=True, steps=100.0, train_loss=0.09, shuffle=True)
    s = summary_table(runs, _epochs())
    rows = s[s.measure == "b_crit_predicted"].set_index("optimizer")
    assert set(rows.index) == {"sgd", "adam"} and (rows["mean"] > 0).all()


def test_the_noise_is_the_measured_trace_not_b_simple_times_a_sampled_gradient_norm():
    """Known answer: tr Σ = 2 and |G|² = 1e-4 on N = 4,000 examples (B_simple = 20,000); the gradient norm on a
    sample of n = 1,024 carries the sample's noise, E|G_n|² = |G|² + c_n·tr Σ, so B_simple·|G_n|² is 15× tr Σ
    (and B_crit with it). The measured numerator is used as it is; without it, the sample's noise is taken out."""
    tr, g2, n, big_n = 2.0, 1e-4, 1024, 4000
    c = (1 / n - 1 / big_n) * big_n / (big_n - 1)
    sampled = math.sqrt(g2 + c * tr)
    assert tr / g2 * sampled ** 2 / tr > 14                                          # the old rule's error
    measured = _row(noise_scale=tr / g2, grad_norm=sampled, noise_scale_trace=tr, measure_sample=n, n_train=big_n)
    old = _row(noise_scale=tr / g2, grad_norm=sampled, measure_sample=n, n_train=big_n)
    whole = _row(noise_scale=tr / g2, grad_norm=math.sqrt(g2), measure_sample=big_n, n_train=big_n)
    for row in (measured, old, whole):
        assert nqm_study.noise_trace(row) == pytest.approx(tr, rel=1e-9)
        q = quadratic_for(row, initial_loss=2.3, bins=4000)
        assert float(np.sum(q.weight * q.sigma2)) == pytest.approx(tr, rel=1e-6)
    assert math.isnan(nqm_study.noise_trace(_row(noise_scale=float("nan"))))
    assert quadratic_for(_row(noise_scale=float("nan")), 2.3) is None


def test_b_crit_predicted_scales_with_the_noise_trace():
    """The NQM's B_crit is proportional to the noise (σ² = c·h: the batch enters only as c/B), so taking out
    a 15× overstatement of tr Σ divides the prediction by 15."""
    base = dict(noise_scale=20_000.0, grad_norm=0.01)
    one = nqm_study.predictions(pd.DataFrame([_row(**base, noise_scale_trace=2.0)]), _epochs()).b_crit.iloc[0]
    big = nqm_study.predictions(pd.DataFrame([_row(**base, noise_scale_trace=30.0)]), _epochs()).b_crit.iloc[0]
    assert big / one == pytest.approx(15.0, rel=0.05)


def test_the_prediction_is_measured_against_a_b_crit_only():
    """"× apart" compares the NQM's B_crit (at each batch size's best lr) with a fitted B_crit; a fit without an lr
    sweep (an S(B) scale at one lr, quick.toml) or with a best lr at its grid's edge (a bound) gets no ratio."""
    from studies.analysis.nqm_study import compare_lines
    from studies.i18n import language
    pred = pd.DataFrame({"optimizer": ["adam"], "b_crit": [14_598.0]})
    fit = dict(optimizer="adam", shuffle=True, b_crit=150.0, b_crit_low=66.0, b_crit_high=363.0, b_min=16.0,
               b_max=1024.0, beyond="", s_min=500.0, lr_tuned=True, lr=None, kind="b_crit", bound="", edges={},
               n_points=12, on_means=False, lof_f=None, lof_p=None, rms_log=0.05, n_sizes=4)
    with language("en"):
        (tuned,) = compare_lines(pred, [fit])
        assert "14,598" in tuned and "97.3× apart" in tuned
        for other in ({"kind": "scale", "lr_tuned": False, "lr": 0.002}, {"kind": "bound", "bound": ">="},
                      {"beyond": "above"}):
            (line,) = compare_lines(pred, [{**fit, **other}])
            assert "14,598" in line and "apart" not in line, other
            assert ("measured at one lr for every batch size" in line) == (other.get("kind") == "scale")
    with language("zh"):
        (line,) = compare_lines(pred, [{**fit, "kind": "scale", "lr_tuned": False, "lr": 0.002}])
        assert "各批量同一个学习率" in line and "相差" not in line


def test_the_playground_offers_the_predictions_own_runs_first():
    """usable_runs: each optimizer's source run (smallest-batch best-lr) first, then the other best-lr runs,
    then the rest; a run without the measures is not offered."""
    runs = pd.DataFrame([_row(run_id="x", batch_size=16, best_lr=False, lr=0.01),
                         _row(run_id="b64", batch_size=64),
                         _row(run_id="s16", batch_size=16),
                         _row(run_id="a16", optimizer="adam", batch_size=16),
                         _row(run_id="nohess", batch_size=16, hessian_trace=float("nan"))])
    assert list(nqm_study.usable_runs(runs).run_id) == ["a16", "s16", "b64", "x"]
    assert nqm_study.usable_runs(runs.iloc[0:0]).empty
