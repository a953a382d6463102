"""S(B) = S_min·(1 + B_noise/B): the fit recovers known parameters; study-level fits from a runs table."""
import math

import numpy as np
import pandas as pd
import pytest

from studies.scaling import describe_fit, fit_steps, fit_study, fits_frame


def test_fit_recovers_s_min_and_b_noise_exactly():
    b = np.array([8, 16, 32, 64, 128, 256, 512, 1024])
    fit = fit_steps(b, 120.0 * (1 + 300.0 / b))
    assert fit.converged and fit.rmse_log < 1e-6
    assert fit.s_min == pytest.approx(120.0, rel=1e-4) and fit.b_noise == pytest.approx(300.0, rel=1e-4)
    assert fit.steps(300) == pytest.approx(240.0, rel=1e-4)


def test_fit_with_multiplicative_noise_and_seeds():
    rng = np.random.default_rng(0)
    b = np.repeat([16, 32, 64, 128, 256, 512, 1024, 2048], 3)       # three seeds per batch size
    s = 50.0 * (1 + 700.0 / b) * np.exp(rng.normal(0, 0.05, len(b)))
    fit = fit_steps(b, s)
    assert fit.s_min == pytest.approx(50.0, rel=0.1) and fit.b_noise == pytest.approx(700.0, rel=0.15)
    assert fit.n_points == 24 and fit.n_batch_sizes == 8 and 0.02 < fit.rmse_log < 0.08


def test_regimes_and_too_few_points():
    fit = fit_steps([10, 100, 1000], 10.0 * (1 + 100.0 / np.array([10, 100, 1000])))
    names = [r[0] for r in fit.regimes()]
    assert names == ["perfect scaling", "diminishing returns", "no further gain"]
    assert fit.regimes()[0][2] == pytest.approx(10.0, rel=1e-3) and fit.regimes()[2][1] == pytest.approx(1000, rel=1e-3)
    assert fit_steps([64, 64], [10, 12]) is None and fit_steps([64, 128], [0, math.nan]) is None


def test_fit_study_uses_best_lr_runs_that_reached_the_target():
    rows = []
    for b in (16, 64, 256, 1024):
        for seed in (0, 1):
            rows.append(dict(optimizer="momentum", shuffle=True, batch_size=b, lr=0.03, seed=seed, status="done",
                             reached_target=True, best_lr=True, steps=int(100 * (1 + 200 / b)), noise_scale=180.0))
            # a worse lr, not best: must be ignored (its steps would pull the fit off)
            rows.append(dict(optimizer="momentum", shuffle=True, batch_size=b, lr=0.003, seed=seed, status="done",
                             reached_target=True, best_lr=False, steps=50_000, noise_scale=180.0))
    rows.append(dict(optimizer="momentum", shuffle=True, batch_size=16, lr=0.03, seed=2, status="stalled",
                     reached_target=False, best_lr=True, steps=1, noise_scale=math.nan))
    fits = fit_study(pd.DataFrame(rows))
    assert len(fits) == 1 and fits[0]["n_points"] == 8
    assert fits[0]["s_min"] == pytest.approx(100, rel=0.05) and fits[0]["b_noise"] == pytest.approx(200, rel=0.05)
    assert fits[0]["b_simple"] == 180.0
    assert "B_crit ≈ 20" in describe_fit(fits[0]) and "B_simple ≈ 180" in describe_fit(fits[0])
    assert list(fits_frame(fits).columns)[:3] == ["optimizer", "shuffle", "s_min"] and fits_frame(None).empty
    assert fit_study(pd.DataFrame()) == []


def test_closing_note_shows_best_lr_runs_verdict_and_the_stored_fit():
    from studies.summary import closing_note
    runs = pd.DataFrame([dict(optimizer="momentum", shuffle=True, batch_size=b, lr=lr, seed=0, status="done",
                              reached_target=(lr == 0.03 or b == 16), best_lr=(lr == 0.03), epochs=10, steps=s,
                              test_acc=0.7, gap_acc=0.3, sharpness_eps=1.0, hessian_top_eig=2.0, train_loss=0.01,
                              target_train_acc=1.0, target_train_loss=0.0)
                         for b, s in ((16, 900), (512, 63)) for lr in (0.003, 0.03)])
    info = {"steps_fit": fit_study(runs)}
    note = closing_note(runs, info)
    assert note.startswith("matched fit: 2 done") and "2 of 4 runs shown" in note
    assert "ε-sharpness" in note and "λ_max" in note and "S(B) =" in note
    runs.loc[runs.batch_size == 512, "reached_target"] = False
    assert closing_note(runs, None).startswith("NOT at a matched fit: 1 of 2 runs missed the target")
