"""The critical-point verdict's rules on hand-set numbers: when λ_min is resolved from 0, and when a point with
negative curvature is called a saddle (the gradient about zero relative to its start)."""
import math

import numpy as np
import pandas as pd
import pytest

from studies.analysis.verdict import STATIONARY_FRAC, ZERO_CUT, is_stationary, min_eig_error, verdict, verdict_caption, \
    verdict_table


def test_lambda_min_within_its_error_is_unresolved():
    assert verdict(-1e-3, 2e-3, 1.0, 1e-6, 1.0) == "unresolved"        # inside the residual bound
    assert verdict(2e-3, 3e-3, 1.0, 1e-6, 1.0) == "unresolved"
    # a dense spectrum's bound is 0: the cut ZERO_CUT·|λ_max| still keeps float noise from deciding
    assert min_eig_error(0.0, 2.0) == ZERO_CUT * 2.0
    assert verdict(-0.5 * ZERO_CUT * 2.0, 0.0, 2.0, 1e-6, 1.0) == "unresolved"
    assert verdict(-2 * ZERO_CUT * 2.0, 0.0, 2.0, 1e-6, 1.0) == "saddle"
    assert verdict(math.nan, 0.0, 2.0, 0.1, 1.0) == "unmeasured"


def test_negative_curvature_is_a_saddle_only_with_the_gradient_about_zero():
    # the default study's end points: ‖g‖ 0.13-0.43, far from its start's 1 % → not a minimum, not a saddle
    for g in (0.13, 0.43):
        assert verdict(-0.05, 1e-3, 3.0, g, 2.0) == "negative"
    assert is_stationary(STATIONARY_FRAC * 2.0, 2.0) and not is_stationary(STATIONARY_FRAC * 2.0 * 1.01, 2.0)
    assert verdict(-0.05, 1e-3, 3.0, STATIONARY_FRAC * 2.0, 2.0) == "saddle"
    # without the gradient at the start no run is called a saddle; all-negative curvature is no saddle either
    assert verdict(-0.05, 1e-3, 3.0, 1e-9, math.nan) == "negative"
    assert verdict(-0.05, 1e-3, -0.01, 1e-9, 2.0) == "negative"
    assert verdict(0.05, 1e-3, 3.0, 0.3, 2.0) == "no_negative"


def test_verdict_table_words_and_done_runs_only():
    runs = pd.DataFrame({"status": ["done", "done", "done", "stalled"],
                         "hessian_min_eig": [-0.05, 1e-4, -0.05, -1.0], "hessian_min_eig_err": [1e-3, 1e-3, 1e-3, 0],
                         "hessian_top_eig": [3.0, 3.0, 3.0, 1.0], "grad_norm": [0.3, 0.3, 1e-3, 0.0],
                         "grad_norm_init": [2.0, 2.0, 2.0, 2.0]}, index=[10, 11, 12, 13])
    table = verdict_table(runs, pd.Series(["a", "b", "c", "d"], index=runs.index))
    assert list(table["run"]) == ["a", "b", "c"]
    assert list(table["verdict"]) == ["negative curvature: not a minimum", "unresolved: |λ_min| within its error",
                                      "saddle: negative curvature, gradient about zero"]
    assert np.allclose(table["‖g‖ / ‖g₀‖"], [0.15, 0.15, 5e-4])
    assert verdict_table(runs.drop(columns="hessian_min_eig"), pd.Series(dtype=str)).empty
    assert "1%" in verdict_caption() and "proves" not in verdict_caption()
