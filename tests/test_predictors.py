"""Kendall τ on hand-made rankings, its bootstrap interval, and the predictors table of a runs table."""

import math

import numpy as np
import pandas as pd
import pytest

from studies.predictors import COLUMNS, kendall_tau, predictors_table, tau_with_ci


def test_tau_on_hand_made_rankings():
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # one discordant pair of six: (5 − 1)/6
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    # by hand for five: pairs (i<j) concordant minus discordant over 10
    x, y = [3, 1, 4, 5, 2], [2, 1, 5, 3, 4]
    c = sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i in range(5) for j in range(i + 1, 5))
    assert kendall_tau(x, y) == pytest.approx(c / 10)
    assert math.isnan(kendall_tau([1, 1, 1], [1, 2, 3])) and math.isnan(kendall_tau([1], [2]))
    with pytest.raises(ValueError, match="length"):
        kendall_tau([1, 2], [1, 2, 3])


def test_bootstrap_interval_holds_tau_and_narrows_with_more_runs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    y = x + rng.normal(scale=0.7, size=40)
    tau, lo, hi, p = tau_with_ci(x, y, resamples=500)
    assert lo < tau < hi and 0 < lo and p < 1e-3
    t2, lo2, hi2, _ = tau_with_ci(x[:10], y[:10], resamples=500)
    assert hi2 - lo2 > hi - lo
    assert all(math.isnan(v) for v in tau_with_ci([1, 2], [2, 1])[1:])


def test_predictors_table_ranks_measures_and_skips_unfinished_runs():
    rng = np.random.default_rng(1)
    n = 12
    gap = np.linspace(0.01, 0.2, n)
    runs = pd.DataFrame({
        "status": ["done"] * n, "gap_acc": gap,
        "sharpness_eps": gap * 3 + rng.normal(scale=0.01, size=n),       # follows the gap
        "hessian_trace": -gap,                                            # exactly reversed
        "sharpness_rand": rng.normal(size=n),                             # noise
        "batch_size": [16, 16, 64, 64, 256, 256, 16, 16, 64, 64, 256, 256],
    })
    runs.loc[len(runs)] = {"status": "diverged", "gap_acc": 0.9, "sharpness_eps": -5.0, "hessian_trace": 0.0,
                           "sharpness_rand": 0.0, "batch_size": 16}
    t = predictors_table(runs, resamples=300)
    assert list(t.columns) == COLUMNS
    assert set(t.measure) == {"sharpness_eps", "hessian_trace", "sharpness_rand", "batch_size"}
    assert (t.n == n).all()
    row = t.set_index("measure")
    assert row.loc["hessian_trace", "tau"] == pytest.approx(-1.0)
    assert row.loc["sharpness_eps", "tau"] > 0.8
    assert abs(t.tau.iloc[0]) >= abs(t.tau.iloc[-1])                     # ranked by |τ|
    assert abs(t.tau.iloc[0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="gap"):
        predictors_table(runs.drop(columns="gap_acc"))


def test_vectorised_tau_b_equals_scipy_with_ties():
    from scipy import stats
    from studies.predictors import _tau_b
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 4, size=(5, 9)), rng.integers(0, 5, size=(5, 9))
    got = _tau_b(x, y)
    for i in range(5):
        assert got[i] == pytest.approx(stats.kendalltau(x[i], y[i]).statistic)
    assert _tau_b(np.ones(4), np.arange(4.0)) == 0.0


def test_large_studies_bootstrap_with_scipys_tau_and_agree_with_the_vectorised_path():
    """Above VECTOR_MAX_N runs each resample uses scipy's O(n log n) τ (a 1,000-run study took 190 s the other
    way); both paths give intervals around the same τ on the same data."""
    from studies.predictors import LARGE_RESAMPLES, VECTOR_MAX_N, resamples_for, tau_with_ci
    rng = np.random.default_rng(0)
    x = rng.normal(size=VECTOR_MAX_N + 100)
    y = x + rng.normal(size=x.size)
    tau, lo, hi, _ = tau_with_ci(x, y)
    assert resamples_for(x.size) == LARGE_RESAMPLES and resamples_for(VECTOR_MAX_N) > LARGE_RESAMPLES
    assert lo < tau < hi and hi - lo < 0.2
    t_small, lo_small, hi_small, _ = tau_with_ci(x[:VECTOR_MAX_N], y[:VECTOR_MAX_N])
    assert abs(t_small - tau) < 0.1 and abs((hi_small - lo_small) - (hi - lo)) < 0.1
