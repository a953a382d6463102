"""S(B) = S_min·(1 + B_crit/B): the fit recovers known parameters, its profile interval covers the truth and
opens where the data cannot tell, a B_crit beyond the batch sizes is said so; study-level fits from a runs table."""
import math

import numpy as np
import pandas as pd
import pytest

from studies.analysis.scaling import b_crit_text, describe_fit, fit_steps, fit_study


def test_fit_recovers_s_min_and_b_crit_exactly():
    b = np.array([8, 16, 32, 64, 128, 256, 512, 1024])
    fit = fit_steps(b, 120.0 * (1 + 300.0 / b))
    assert fit.converged and fit.rmse_log < 1e-6 and fit.beyond == ""
    assert fit.s_min == pytest.approx(120.0, rel=1e-4) and fit.b_crit == pytest.approx(300.0, rel=1e-4)
    assert fit.b_crit_low <= 300.0 <= fit.b_crit_high and fit.b_crit_high / fit.b_crit_low < 1.001
    assert fit.steps(300) == pytest.approx(240.0, rel=1e-4)


def test_fit_with_multiplicative_noise_and_seeds_covers_the_truth():
    covered = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        b = np.repeat([16, 32, 64, 128, 256, 512, 1024, 2048], 3)       # three seeds per batch size
        s = 50.0 * (1 + 700.0 / b) * np.exp(rng.normal(0, 0.05, len(b)))
        fit = fit_steps(b, s)
        covered += fit.b_crit_low <= 700.0 <= fit.b_crit_high
        if seed == 0:
            assert fit.s_min == pytest.approx(50.0, rel=0.1) and fit.b_crit == pytest.approx(700.0, rel=0.15)
            assert fit.n_points == 24 and fit.n_batch_sizes == 8 and 0.02 < fit.rmse_log < 0.08
    assert covered >= 34           # a 95 % interval: about 38 of 40; far fewer means it is too narrow


def test_perfectly_scaling_data_is_reported_above_the_largest_batch_not_as_a_number():
    b = np.array([16, 64, 256, 1024])
    fit = fit_steps(b, 1e5 / b)                     # doubling the batch always halves the steps
    assert fit.beyond == "above" and not fit.converged and math.isinf(fit.b_crit_high)
    d = {**fit.to_dict(), "optimizer": "sgd", "shuffle": True, "lr_tuned": True, "lr": None}
    assert d["b_crit_high"] == "inf"
    text = b_crit_text(d)
    assert text.startswith("B_crit > 1,024, beyond the largest batch in the fit") and "1024000" not in text.replace(",", "")


def test_no_gain_from_larger_batches_is_reported_below_the_smallest():
    b = np.array([64, 128, 256, 512])
    fit = fit_steps(b, np.full(4, 300.0))
    assert fit.beyond == "below" and fit.b_crit_low == 0.0
    assert b_crit_text({**fit.to_dict(), "lr_tuned": True}).startswith("B_crit < 64")
    # at one lr the fitted scale is not a critical batch size, and is never called B_crit
    scale = b_crit_text({**fit.to_dict(), "lr_tuned": False, "lr": 0.01})
    assert scale.startswith("S(B) scale at lr = 0.01 < 64") and "not a critical batch size" in scale


def test_regimes_too_few_points_and_no_interval_from_two():
    fit = fit_steps([10, 100, 1000], 10.0 * (1 + 100.0 / np.array([10, 100, 1000])))
    names = [r[0] for r in fit.regimes()]
    assert names == ["perfect scaling", "diminishing returns", "no further gain"]
    assert fit.regimes()[0][2] == pytest.approx(10.0, rel=1e-3) and fit.regimes()[2][1] == pytest.approx(1000, rel=1e-3)
    assert fit_steps([64, 64], [10, 12]) is None and fit_steps([64, 128], [0, math.nan]) is None
    two = fit_steps([10, 100], [20, 5])
    assert math.isnan(two.b_crit_low) and math.isnan(two.b_crit_high)
    assert "no interval from 2 points" in b_crit_text({**two.to_dict(), "lr_tuned": True})


def test_fit_study_uses_best_lr_runs_that_reached_the_target_and_names_the_lr():
    rows = []
    for b in (16, 64, 256, 1024):
        for seed in (0, 1):
            rows.append(dict(optimizer="momentum", shuffle=True, batch_size=b, lr=0.03, seed=seed, status="done",
                             reached_target=True, best_lr=True, steps=int(100 * (1 + 200 / b)),
                             target_train_acc=1.0))
            # a worse lr, not best: must be ignored (its steps would pull the fit off)
            rows.append(dict(optimizer="momentum", shuffle=True, batch_size=b, lr=0.003, seed=seed, status="done",
                             reached_target=True, best_lr=False, steps=50_000, target_train_acc=1.0))
            # a larger lr that diverged: the best lr lies inside the grid
            rows.append(dict(optimizer="momentum", shuffle=True, batch_size=b, lr=0.3, seed=seed, status="diverged",
                             reached_target=False, best_lr=False, steps=10, target_train_acc=1.0))
    rows.append(dict(optimizer="momentum", shuffle=True, batch_size=16, lr=0.03, seed=2, status="stalled",
                     reached_target=False, best_lr=True, steps=1, target_train_acc=1.0))
    # a run that missed the target at its cap: its steps are a budget, not a time to target
    rows.append(dict(optimizer="momentum", shuffle=True, batch_size=1024, lr=0.03, seed=3, status="done",
                     reached_target=False, best_lr=True, steps=5, target_train_acc=1.0))
    fits = fit_study(pd.DataFrame(rows))
    assert len(fits) == 1 and fits[0]["n_points"] == 8 and fits[0]["lr_tuned"] is True
    assert fits[0]["s_min"] == pytest.approx(100, rel=0.05) and fits[0]["b_crit"] == pytest.approx(200, rel=0.05)
    assert "B_crit ≈ 20" in describe_fit(fits[0]) and "not tuned" not in describe_fit(fits[0])
    one_lr = fit_study(pd.DataFrame([r for r in rows if r["lr"] == 0.03]))
    assert one_lr[0]["lr_tuned"] is False and "S(B) scale at lr = 0.03 ≈ 20" in describe_fit(one_lr[0])
    assert "B_crit ≈" not in describe_fit(one_lr[0]) and one_lr[0]["kind"] == "scale"
    assert fit_study(pd.DataFrame()) == []


def test_closing_note_shows_best_lr_runs_verdict_and_the_fit():
    from studies.analysis.summary import closing_note
    runs = pd.DataFrame([dict(optimizer="momentum", shuffle=True, batch_size=b, lr=lr, seed=0, status="done",
                              reached_target=(lr == 0.03 or b == 16), best_lr=(lr == 0.03), epochs=10, steps=s,
                              test_acc=0.7, gap_acc=0.3, sharpness_eps=1.0, hessian_top_eig=2.0, train_loss=0.01,
                              target_train_acc=1.0, target_train_loss=0.0)
                         for b, s in ((16, 900), (512, 63)) for lr in (0.003, 0.03)])
    note = closing_note(runs)
    assert note.startswith("matched fit: 2 done") and "2 of 4 runs shown" in note
    assert "ε-sharpness" in note and "λ_max" in note and "S(B) =" not in note
    assert "no B_crit: an S(B) fit needs steps to the target at ≥ 3 batch sizes, this has 2" in note       # two batch sizes: no number
    assert "warning: momentum: the best lr is the largest tried (0.03) at B = 16, 512, the top edge" in note
    assert "derived numbers from 2 comparable runs" in note and "no interval: fewer than 2" in note
    runs.loc[runs.batch_size == 512, "reached_target"] = False
    note = closing_note(runs)
    assert note.startswith("NOT at a matched fit: 1 of 2 runs missed the target")
    assert "(1 left out: missed the fit)" in note and "this has 1 (" in note and "B_crit ≈" not in note


def _seeds(means, spread=(-0.02, 0.0, 0.02)):
    """Three seeds per batch size about the given log-steps means (a symmetric spread, so their mean is exact)."""
    b = np.repeat(list(means), len(spread))
    s = np.concatenate([np.exp(np.log(m) + np.array(spread)) for m in means.values()])
    return b, s


def test_lack_of_fit_known_answers_a_curve_that_fits_and_one_that_does_not():
    from studies.analysis.scaling import fit_points, lack_of_fit
    sizes = np.array([16, 64, 256, 1024])
    on = {b: 100.0 * (1 + 200.0 / b) for b in sizes}                 # the means lie on S(B)
    b, s = _seeds(on)
    fit, f, p, on_means = fit_points(b, s)
    assert f == pytest.approx(0.0, abs=1e-6) and p == pytest.approx(1.0) and not on_means
    assert fit.b_crit == pytest.approx(200.0, rel=1e-3)
    # the same seeds about means off the curve (a kink at B=64): S(B) cannot pass through them
    off = {**on, 64: on[64] * 1.6}
    b, s = _seeds(off)
    every = fit_steps(b, s)
    f, p = lack_of_fit(b, s, every)
    # known answer: SS_pe = 4·2·0.02² over 12 − 4 dof; SS_lof = RSS − SS_pe over 4 − 2 dof
    r = np.log(s) - np.log1p(every.b_crit / b)
    ss_pe = 4 * 2 * 0.02 ** 2
    expect = ((((r - r.mean()) ** 2).sum() - ss_pe) / 2) / (ss_pe / 8)
    assert f == pytest.approx(expect, rel=1e-9) and p < 0.001
    means, f2, p2, on_means = fit_points(b, s)
    assert on_means and means.n_points == 4 and f2 == pytest.approx(f)
    # one point per batch size, k − 2 = 2 degrees of freedom: a wider, honest interval
    assert means.b_crit_high / means.b_crit_low > every.b_crit_high / every.b_crit_low
    text = b_crit_text({**means.to_dict(), "lr_tuned": True, "on_means": True, "lof_f": f2, "lof_p": p2})
    assert "does not fit the per-batch-size means (lack-of-fit F = " in text


def test_no_lack_of_fit_test_without_seeds_or_with_two_batch_sizes():
    from studies.analysis.scaling import lack_of_fit
    b = np.array([16, 64, 256, 1024])
    fit = fit_steps(b, 100 * (1 + 300 / b) * np.array([1.0, 1.3, 0.9, 1.1]))
    assert all(math.isnan(v) for v in lack_of_fit(b, 100 * (1 + 300 / b), fit))      # one point per batch size
    two = np.array([16, 16, 64, 64])
    assert all(math.isnan(v) for v in lack_of_fit(two, [10, 11, 5, 6], fit_steps(two, [10, 11, 5, 6])))
