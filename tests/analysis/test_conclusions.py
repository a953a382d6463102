"""Derived numbers come from the comparable runs only, each with its interval: known answers for the group
summary, the study's B_simple, the left-out count, the end-to-end difference and the summary export."""
import math

import numpy as np
import pandas as pd
import pytest

from studies.analysis import conclusions, intervals


def _runs():
    """Two batch sizes × 3 seeds at one lr; B=512 seed 2 missed the target (its numbers are far off)."""
    rows = []
    for b, acc, sharp in ((16, 0.90, 1.0), (512, 0.80, 4.0)):
        for seed in range(3):
            missed = b == 512 and seed == 2
            rows.append(dict(run_id=f"{b}-{seed}", optimizer="adam", shuffle=True, batch_size=b, lr=0.003,
                             seed=seed, status="done", reached_target=not missed, target_train_acc=1.0,
                             target_train_loss=0.0, train_loss=0.5 if missed else 0.01, steps=100 + b + seed,
                             test_acc=0.1 if missed else acc + 0.01 * seed, sharpness_eps=99.0 if missed else sharp,
                             noise_scale_init=10.0, noise_scale=1000.0))
    return pd.DataFrame(rows)


def test_intervals_known_answers():
    est = intervals.mean_interval([1.0, 2.0, 3.0])
    assert est.value == 2.0 and est.high - 2.0 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert not intervals.mean_interval([5.0]).has_interval
    assert intervals.beyond_noise(intervals.difference_interval([1, 1.1, 0.9], [5, 5.1, 4.9])) is True
    assert intervals.beyond_noise(intervals.difference_interval([1, 3, 2], [2, 1, 3])) is False
    assert intervals.beyond_noise(intervals.difference_interval([1], [2, 3])) is None


def test_a_planted_missed_run_is_kept_out_of_the_group_mean_and_counted():
    s = conclusions.group_summary(_runs(), ["test_acc", "sharpness_eps"]).set_index(["measure", "batch_size"])
    row = s.loc[("test_acc", 512)]
    assert row["mean"] == pytest.approx(0.805) and row.n == 2 and row.n_left_out == 1
    assert row.ci_low < 0.805 < row.ci_high and row.interval == intervals.T_INTERVAL
    assert s.loc[("sharpness_eps", 512), "mean"] == 4.0 and s.loc[("test_acc", 16), "n_left_out"] == 0
    assert conclusions.left_out(_runs()) == (1, 6)


def test_a_group_where_every_run_missed_has_no_mean_but_a_row():
    runs = _runs()
    runs.loc[runs.batch_size == 512, "reached_target"] = False
    row = conclusions.group_summary(runs, ["test_acc"]).set_index("batch_size").loc[512]
    assert row.n == 0 and row.n_left_out == 3 and math.isnan(row["mean"])


def test_end_difference_says_whether_it_is_outside_the_seed_noise():
    [d] = conclusions.end_difference(_runs(), "test_acc")
    assert (d["small"], d["large"]) == (16, 512) and d["diff"] == pytest.approx(0.805 - 0.91)
    assert d["beyond_noise"] is True
    noisy = _runs().assign(test_acc=[0.9, 0.5, 0.7, 0.6, 0.8, 0.1])
    assert conclusions.end_difference(noisy, "test_acc")[0]["beyond_noise"] is False


def test_summary_table_has_group_rows_and_the_study_rows():
    s = conclusions.summary_table(_runs(), None)
    assert list(s.columns) == conclusions.SUMMARY_COLUMNS
    study = s[s.batch_size == "all"]
    assert {"b_simple", "s_b_scale"} <= set(study.measure)
    crit = study[study.measure == "s_b_scale"].iloc[0]   # two batch sizes and no sweep: a row, no number
    assert math.isnan(crit["mean"]) and "at ≥ 3 batch sizes, this has 2" in crit.note and crit.interval == "no number"


def test_export_rows_of_positive_quantities_are_on_the_log_scale_and_never_below_zero():
    """Known answer: steps e^5, e^6, e^7 at one batch size → geometric mean e^6, ×/÷ exp(t(0.975, 2)/√3)."""
    from scipy import stats
    runs = _runs().astype({"steps": float})
    runs.loc[runs.batch_size == 16, "steps"] = [math.exp(5), math.exp(6), math.exp(7)]
    runs.loc[runs.batch_size == 16, "sharpness_eps"] = [0.01, 0.1, 30.0]      # skewed: a t-interval crosses 0
    s = conclusions.summary_table(runs, None).set_index(["measure", "batch_size"])
    row = s.loc[("steps", 16)]
    half = stats.t.ppf(0.975, 2) / math.sqrt(3)
    assert row["mean"] == pytest.approx(math.exp(6)) and row.interval == intervals.LOG_T_INTERVAL
    assert (row.ci_low, row.ci_high) == (pytest.approx(math.exp(6 - half)), pytest.approx(math.exp(6 + half)))
    sharp = s.loc[("sharpness_eps", 16)]
    assert intervals.mean_interval([0.01, 0.1, 30.0]).low < 0 < sharp.ci_low < sharp["mean"] < sharp.ci_high
    assert s.loc[("test_acc", 16)].interval == intervals.T_INTERVAL          # not a positive, skewed quantity


def test_seeds_that_share_one_timing_pass_are_one_measurement_and_carry_contended():
    runs = _runs().assign(epoch_time_s=0.0977, timing="timing-pass", contended=False)
    runs.loc[runs.batch_size == 512, "timing"] = "solo"
    runs.loc[runs.batch_size == 512, "epoch_time_s"] = [0.2, 0.3, 0.9]
    runs.loc[runs.run_id == "512-1", "contended"] = True
    s = conclusions.summary_table(runs, None).set_index(["measure", "batch_size"])
    shared = s.loc[("epoch_time_s", 16)]
    assert shared.n == 1 and shared.interval == "one timing pass" and shared["mean"] == pytest.approx(0.0977)
    assert math.isnan(shared.ci_low) and math.isnan(shared.ci_high) and shared.contended is False
    solo = s.loc[("epoch_time_s", 512)]   # two comparable solo runs: a log-scale interval, contended
    assert solo.n == 2 and solo.interval == intervals.LOG_T_INTERVAL and solo.contended is True
    assert solo["mean"] == pytest.approx(math.sqrt(0.2 * 0.3)) and 0 < solo.ci_low < solo.ci_high
    assert s.loc[("test_acc", 16)].contended == ""


def test_export_summary_through_the_cli(fixture_store, tmp_path):
    from studies.cli import main
    root, spec = fixture_store
    out = tmp_path / "summary.csv"
    assert main(["export", spec.study_id, "--store", str(root), "--table", "summary", "-o", str(out)]) == 0
    s = pd.read_csv(out)
    assert {"measure", "batch_size", "mean", "ci_low", "ci_high", "n", "n_left_out"} <= set(s.columns)
    acc = s[s.measure == "test_acc"]
    assert len(acc) == 2 * 2 * 2 and (acc.n + acc.n_left_out == 2).all()     # B × optimizer × shuffle, 2 seeds


def test_the_log_scale_interval_is_a_times_divide_interval_that_never_goes_below_zero():
    """Known answer: values e^{-1}, e^0, e^1 → geometric mean 1, logs' t-interval ±t(0.975, 2)·1/√3."""
    from scipy import stats
    est = intervals.log_interval([math.exp(-1), 1.0, math.exp(1)])
    half = stats.t.ppf(0.975, 2) / math.sqrt(3)
    assert est.value == pytest.approx(1.0) and est.n == 3
    assert (est.low, est.high) == (pytest.approx(math.exp(-half)), pytest.approx(math.exp(half)))
    skewed = intervals.log_interval([50.0, 400.0, 15000.0])       # a t-interval of these goes below 0
    assert intervals.mean_interval([50.0, 400.0, 15000.0]).low < 0 < skewed.low < skewed.value < skewed.high
    assert skewed.value / skewed.low == pytest.approx(skewed.high / skewed.value)
    assert not intervals.log_interval([3.0]).has_interval and intervals.log_interval([3.0, -1.0, 0.0]).n == 1


def test_the_summary_carries_the_end_comparisons_with_welchs_interval_and_the_verdict():
    """Known answer: test_acc 0.90, 0.91 (B=16, comparable) vs 0.80, 0.81 (B=512) → −0.105 with scipy's Welch
    interval; ε-sharpness 1 vs 4 at every seed → ×4 exactly (zero spread: a zero-width ratio interval)."""
    from scipy import stats
    s = conclusions.summary_table(_runs(), None).set_index("measure")
    acc = s.loc["test_acc_diff"]
    ref = stats.ttest_ind([0.80, 0.81], [0.90, 0.91, 0.92], equal_var=False).confidence_interval(0.95)
    assert acc.batch_size == "16->512" and acc["mean"] == pytest.approx(0.805 - 0.91)
    assert (acc.ci_low, acc.ci_high) == pytest.approx((ref.low, ref.high)) and acc.n == 5
    assert acc.note.startswith("outside the seed noise; at train loss 0.01 vs 0.01") and acc.lr == 0.003
    ratio = s.loc["sharpness_eps_ratio"]
    assert ratio["mean"] == pytest.approx(4.0) and "log scale" in ratio.interval
    noisy = conclusions.summary_table(_runs().assign(test_acc=[0.9, 0.5, 0.7, 0.6, 0.8, 0.1]), None)
    assert noisy.set_index("measure").loc["test_acc_diff"].note.startswith("inside the seed noise")
