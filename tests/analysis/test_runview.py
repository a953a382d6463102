"""One run's page content: its measures with their errors, its settings, and why it stopped."""
import math

import pandas as pd

from studies.analysis import runview


def _row(**kw):
    base = dict(run_id="abcdef0123456789", optimizer="sgd", batch_size=64, lr=0.1, seed=0, status="done", epochs=12,
                epoch_budget=30, reached_target=False, stop_reason="", error="", hessian_top_eig=2.5,
                hessian_top_eig_err=0.01, sharpness_rand=0.3, sharpness_rand_se=0.02, sharpness_eps=1.5,
                grad_norm=float("nan"))
    return pd.Series({**base, **kw})


def test_every_measure_the_run_has_comes_with_its_own_error_or_none():
    m = runview.measure_rows(_row()).set_index("column")
    assert m.loc["hessian_top_eig", "error"] == 0.01          # a Lanczos bound (_err)
    assert m.loc["sharpness_rand", "error"] == 0.02           # a standard error (_se)
    assert math.isnan(m.loc["sharpness_eps", "error"])        # ε-sharpness gives none
    assert "grad_norm" not in m.index                         # NaN: not measured, not shown


def test_the_stop_reason_says_target_budget_divergence_failure_or_the_loop_s_reason():
    assert "reached its target after 12 epochs" in runview.stop_reason(_row(reached_target=True))
    assert "12 of 30 epochs" in runview.stop_reason(_row())
    assert "diverged at epoch 7" in runview.stop_reason(_row(status="diverged", diverged_epoch=7))
    assert "out of memory" in runview.stop_reason(_row(status="failed", error="out of memory"))
    assert "stalled" in runview.stop_reason(_row(status="stalled", stop_reason="no progress for 10 epochs"))


def test_settings_list_the_configuration_then_the_outcome_as_text():
    s = runview.settings(_row())
    assert list(s.setting[:3]) == ["run_id", "optimizer", "lr"] and (s.value.map(type) == str).all()
