"""Kendall τ on hand-made rankings, its bootstrap interval, and the predictors table of a runs table."""

import math

import numpy as np
import pandas as pd
import pytest

from studies.analysis.predictors import (COLUMNS, MIN_RUNS_FOR_INTERVAL, granulated_tau, kendall_tau, predictors_table,
                                sweep_coordinates, tau_with_ci)


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


def test_predictors_table_ranks_by_agreement_and_skips_unfinished_runs():
    rng = np.random.default_rng(1)
    n = 12
    gap = np.linspace(0.01, 0.2, n)
    runs = pd.DataFrame({
        "status": ["done"] * n, "gap_acc": gap,
        "sharpness_eps": gap * 3 + rng.normal(scale=0.01, size=n),       # follows the gap
        "hessian_trace": -gap,                                            # exactly reversed: the wrong sign
        "sharpness_rand": rng.normal(size=n),                             # noise
        "batch_size": [16, 16, 64, 64, 256, 256, 16, 16, 64, 64, 256, 256],
    })
    runs.loc[len(runs)] = {"status": "diverged", "gap_acc": 0.9, "sharpness_eps": -5.0, "hessian_trace": 0.0,
                           "sharpness_rand": 0.0, "batch_size": 16}
    t = predictors_table(runs, resamples=300)
    assert list(t.columns) == COLUMNS
    assert set(t.measure) == {"sharpness_eps", "hessian_trace", "sharpness_rand", "batch_size"}
    assert (t.n == n).all() and (t.n_left_out == 1).all()
    row = t.set_index("measure")
    assert row.loc["hessian_trace", "tau"] == pytest.approx(-1.0)
    assert row.loc["sharpness_eps", "tau"] > 0.8
    # |τ| = 1 would put the reversed trace first; agreement with the expected (+) sign puts it last
    assert t.measure.iloc[-1] == "hessian_trace" and t.measure.iloc[0] == "sharpness_eps"
    assert list(t.agreement) == sorted(t.agreement, reverse=True)
    assert (t.expected_sign == 1).all()
    with pytest.raises(ValueError, match="gap"):
        predictors_table(runs.drop(columns="gap_acc"))
    from studies.analysis.predictors import predictors_caption
    assert "pools them" in predictors_caption(t, resamples=300, budgets=2)
    assert "pools them" not in predictors_caption(t, resamples=300)


def test_vectorised_tau_b_equals_scipy_with_ties():
    from scipy import stats
    from studies.analysis.predictors import _tau_b
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 4, size=(5, 9)), rng.integers(0, 5, size=(5, 9))
    got = _tau_b(x, y)
    for i in range(5):
        assert got[i] == pytest.approx(stats.kendalltau(x[i], y[i]).statistic)
    assert _tau_b(np.ones(4), np.arange(4.0)) == 0.0


def test_large_studies_bootstrap_with_scipys_tau_and_agree_with_the_vectorised_path():
    """Above VECTOR_MAX_N runs each resample uses scipy's O(n log n) τ (a 1,000-run study took 190 s the other
    way); both paths give intervals around the same τ on the same data."""
    from studies.analysis.predictors import LARGE_RESAMPLES, VECTOR_MAX_N, resamples_for, tau_with_ci
    rng = np.random.default_rng(0)
    x = rng.normal(size=VECTOR_MAX_N + 100)
    y = x + rng.normal(size=x.size)
    tau, lo, hi, _ = tau_with_ci(x, y)
    assert resamples_for(x.size) == LARGE_RESAMPLES and resamples_for(VECTOR_MAX_N) > LARGE_RESAMPLES
    assert lo < tau < hi and hi - lo < 0.2
    t_small, lo_small, hi_small, _ = tau_with_ci(x[:VECTOR_MAX_N], y[:VECTOR_MAX_N])
    assert abs(t_small - tau) < 0.1 and abs((hi_small - lo_small) - (hi - lo)) < 0.1


def grid(batch_sizes=(16, 64, 256), optimizers=("sgd", "adam"), shuffles=(True, False), seeds=(0, 1)):
    """A finished study's grid: every run done and at its target (train_acc 1.0, target 1.0)."""
    rows = [{"batch_size": b, "optimizer": o, "shuffle": s, "seed": d, "lr": 0.1, "status": "done",
             "reached_target": True, "target_train_acc": 1.0, "train_loss": 0.01}
            for b in batch_sizes for o in optimizers for s in shuffles for d in seeds]
    return pd.DataFrame(rows)


def test_psi_is_one_for_a_measure_equal_to_the_gap():
    runs = grid()
    rng = np.random.default_rng(0)
    runs["gap_acc"] = (0.02 * np.log2(runs.batch_size) + 0.05 * (runs.optimizer == "adam") + 0.01 * runs.shuffle
                       + rng.normal(scale=0.003, size=len(runs)))
    runs["sharpness_eps"] = runs.gap_acc
    row = predictors_table(runs, resamples=200).set_index("measure").loc["sharpness_eps"]
    assert row.psi == pytest.approx(1.0) and row.tau == pytest.approx(1.0) and row.agreement == pytest.approx(1.0)
    assert row.psi_batch_size == row.psi_optimizer == row.psi_shuffle == pytest.approx(1.0)
    assert math.isnan(row.psi_lr)                                        # one lr: not a varied hyperparameter
    # groups: batch size varies in 2 opt × 2 shuffle × 2 seeds = 8, optimizer in 3 × 2 × 2 = 12, shuffle in 12
    assert row.n_groups == 8 + 12 + 12 and row.n == 24 and row.n_left_out == 0


def test_psi_is_zero_for_a_measure_of_another_hyperparameter_than_the_one_driving_the_gap():
    """The gap moves with the batch size only; the measure with the optimizer only. Inside a batch-size group
    the measure is constant, inside an optimizer group the gap is: every group says 0."""
    runs = grid()
    runs["gap_acc"] = 0.02 * np.log2(runs.batch_size)
    runs["hessian_top_eig"] = np.where(runs.optimizer == "adam", 5.0, 1.0)
    row = predictors_table(runs, resamples=200).set_index("measure").loc["hessian_top_eig"]
    assert row.psi == 0.0 and row.psi_batch_size == 0.0 and row.psi_optimizer == 0.0
    # with seed noise in the gap the optimizer groups give ±1 at random: Ψ ≈ 0, and it is the batch size that
    # predicts the gap (Ψ = 1 for the baseline)
    runs = grid(batch_sizes=(16, 32, 64, 128, 256), seeds=tuple(range(6)))
    rng = np.random.default_rng(3)
    runs["gap_acc"] = 0.02 * np.log2(runs.batch_size) + rng.normal(scale=0.002, size=len(runs))
    runs["hessian_top_eig"] = np.where(runs.optimizer == "adam", 5.0, 1.0)
    t = predictors_table(runs, resamples=200).set_index("measure")
    assert abs(t.loc["hessian_top_eig", "psi"]) < 0.15
    assert t.loc["batch_size", "psi_batch_size"] == pytest.approx(1.0)
    assert t.index[0] == "batch_size"


def test_below_ten_runs_tau_has_no_interval_and_says_so():
    runs = grid(batch_sizes=(16, 256), optimizers=("sgd",), shuffles=(True,), seeds=(0, 1, 2, 3))   # 8 runs
    runs["gap_acc"] = 0.02 * np.log2(runs.batch_size) + 0.001 * runs.seed
    runs["sharpness_eps"] = runs.gap_acc * 2
    few = predictors_table(runs, resamples=200)
    assert (few.n == 8).all() and few.ci_low.isna().all() and few.ci_high.isna().all()
    assert (few.note == f"too few runs for an interval (n < {MIN_RUNS_FOR_INTERVAL})").all()
    assert few.set_index("measure").loc["sharpness_eps", "tau"] == pytest.approx(1.0)   # the numbers stay
    more = grid(batch_sizes=(16, 64, 256), optimizers=("sgd",), shuffles=(True,), seeds=(0, 1, 2, 3))   # 12
    more["gap_acc"] = 0.02 * np.log2(more.batch_size) + 0.001 * more.seed
    more["sharpness_eps"] = more.gap_acc * 2
    t = predictors_table(more, resamples=200)
    assert (t.n == 12).all() and t.ci_low.notna().all() and (t.note == "").all()


def test_runs_that_missed_the_target_are_left_out():
    runs = grid()
    runs["gap_acc"] = 0.02 * np.log2(runs.batch_size) + 0.001 * runs.seed
    runs["sharpness_eps"] = runs.gap_acc
    clean = predictors_table(runs, resamples=200).set_index("measure")
    missed = runs.iloc[:3].assign(reached_target=False, gap_acc=0.9, sharpness_eps=-1.0)   # would reverse τ
    t = predictors_table(pd.concat([runs, missed], ignore_index=True), resamples=200).set_index("measure")
    assert (t.n == 24).all() and (t.n_left_out == 3).all()
    assert t.loc["sharpness_eps", "tau"] == clean.loc["sharpness_eps", "tau"] == pytest.approx(1.0)


def test_an_lr_scaled_with_the_batch_size_is_one_sweep_position():
    """Linear scaling makes every batch size's lr different; the sweep position (rank per optimizer × batch
    size) keeps the batch-size groups whole, and the lr groups compare the two swept base lrs."""
    runs = grid(shuffles=(True,), seeds=(0,))
    runs = pd.concat([runs.assign(lr=0.1 * runs.batch_size / 16), runs.assign(lr=0.3 * runs.batch_size / 16)],
                     ignore_index=True)
    coords = sweep_coordinates(runs)
    assert sorted(coords.lr.unique()) == [1.0, 2.0]
    gap = 0.02 * np.log2(runs.batch_size) + 0.01 * (coords.lr == 2) + 0.005 * (runs.optimizer == "adam")
    psi, per, groups = granulated_tau(coords, gap, gap)
    assert psi == pytest.approx(1.0) and set(per) == {"batch_size", "lr", "optimizer"}
    assert groups == 2 * 2 + 3 * 2 + 3 * 2          # batch size: opt × lr; lr: bs × opt; optimizer: bs × lr


def test_granulated_tau_equals_scipys_tau_b_group_by_group():
    """The vectorised pair sums against scipy's τ-b in each group (ties included; a constant side counts 0)."""
    from scipy import stats
    runs = grid(batch_sizes=(16, 32, 64, 128), seeds=(0, 1, 2))
    rng = np.random.default_rng(5)
    m, g = rng.integers(0, 3, len(runs)).astype(float), rng.integers(0, 4, len(runs)).astype(float)
    coords = sweep_coordinates(runs)
    psi, per, groups = granulated_tau(coords, m, g)
    want = {}
    for h in ("batch_size", "optimizer", "shuffle"):
        others = [c for c in coords.columns if c != h]
        taus = []
        for _, grp in coords.assign(m=m, g=g).groupby(others):
            tb = stats.kendalltau(grp.m, grp.g).statistic
            taus.append(0.0 if np.isnan(tb) else tb)
        want[h] = np.mean(taus)
    assert per == pytest.approx(want) and psi == pytest.approx(np.mean(list(want.values())))
    assert groups == 2 * 2 * 3 + 4 * 2 * 3 + 4 * 2 * 3
