"""The critical-point test against known answers: on f(w) = ½wᵀAw with A's eigenvalues chosen (both signs),
the Hessian is A, its gradient at w is Aw, and the spectral density is A's."""

import numpy as np
import pytest
import torch

from studies.measures.critical_point import (RATIO_CUT, dense_density, extreme_eigenvalues, gradient_norm, lanczos_density,
                              min_ratio)
from studies.charts.curvature import density_curve
from tests.test_curvature import gen, quad_objective, sym_with_eigs


def test_extreme_eigenvalues_of_an_indefinite_quadratic():
    """Both ends at once, including a small negative bottom that power iteration could never find."""
    eigs = np.concatenate([[-0.3], np.linspace(1e-4, 0.2, 60), [5.0]])
    _, obj = quad_objective(sym_with_eigs(eigs, seed=1))
    r = extreme_eigenvalues(obj, generator=gen(0))
    assert r.converged and r.hvps > 0
    assert r.min == pytest.approx(-0.3, rel=1e-6)
    assert r.max == pytest.approx(5.0, rel=1e-6)


def test_extreme_eigenvalues_at_a_minimum_and_on_a_tiny_model():
    _, obj = quad_objective(sym_with_eigs([0.5, 1.0, 2.0, 3.0, 8.0], seed=2))
    r = extreme_eigenvalues(obj, generator=gen(1))
    assert (r.min, r.max) == (pytest.approx(0.5, rel=1e-8), pytest.approx(8.0, rel=1e-8))
    _, tiny = quad_objective(np.diag([-2.0, 4.0]))
    t = extreme_eigenvalues(tiny)
    assert (t.min, t.max, t.converged) == (pytest.approx(-2.0), pytest.approx(4.0), True)


def trained_net_like_spectrum(n=400, seed=7):
    """A few large outliers over a dense cluster around 0 with a small negative tail, as a trained net's
    Hessian has (keskar-digits: λ_max 0.63..5.3, λ_min ≈ −0.01, most of 85,002 eigenvalues near 0)."""
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([[5.0, 3.1, 2.2, 1.4], rng.uniform(0.05, 0.8, 30),
                                   rng.normal(0.0, 0.003, n - 35), [-0.012]]))


def test_default_lanczos_states_honest_bounds_on_a_trained_net_like_spectrum():
    """With the default tolerance both ends stop early, and each lies within its stated bound of an
    eigenvalue, within EIG_TOL·λ_max of the true end, and λ_min ≤ the reported minimum (interlacing)."""
    from studies.measures.critical_point import EIG_MIN_STEPS, EIG_TOL
    ev = trained_net_like_spectrum()
    _, obj = quad_objective(sym_with_eigs(ev, seed=4))
    r = extreme_eigenvalues(obj, generator=gen(2))
    assert r.converged and EIG_MIN_STEPS <= r.hvps < 60
    for value, err in ((r.min, r.min_err), (r.max, r.max_err)):
        assert np.abs(ev - value).min() <= err + 1e-12
        assert err <= EIG_TOL * ev[-1]
    assert abs(r.max - ev[-1]) <= 1e-6 * ev[-1]
    assert ev[0] - 1e-12 <= r.min <= ev[0] + EIG_TOL * ev[-1]


def test_lanczos_stops_no_sooner_than_its_floor_and_says_when_its_budget_ran_out():
    ev = trained_net_like_spectrum()
    _, obj = quad_objective(sym_with_eigs(ev, seed=4))
    early = extreme_eigenvalues(obj, tol=0.5, min_steps=1, generator=gen(2))     # a loose tolerance alone
    floored = extreme_eigenvalues(obj, tol=0.5, min_steps=25, generator=gen(2))  # stops at once; the floor
    assert early.hvps < 25 == floored.hvps and floored.min <= early.min
    short = extreme_eigenvalues(obj, tol=1e-12, max_hvps=8, generator=gen(2))
    assert (short.converged, short.hvps) == (False, 8) and short.min_err > 0 and np.isfinite(short.min)


def test_the_top_end_alone_stops_as_soon_as_lambda_max_is_within_tolerance():
    """What `hessian` asks by default: λ_max alone, in far fewer HVPs than both ends, to the same value."""
    ev = trained_net_like_spectrum()
    _, obj = quad_objective(sym_with_eigs(ev, seed=4))
    top = extreme_eigenvalues(obj, ends="top", generator=gen(2))
    both = extreme_eigenvalues(obj, generator=gen(2))
    assert top.converged and top.hvps < both.hvps / 2
    assert abs(top.max - ev[-1]) <= top.max_err and top.max == pytest.approx(ev[-1], rel=1e-6)
    with pytest.raises(ValueError, match="ends"):
        extreme_eigenvalues(obj, ends="bottom")


def test_gradient_norm_is_norm_of_aw():
    a = sym_with_eigs([-1.0, 0.5, 2.0, 3.0])
    m, obj = quad_objective(a)
    w = m.w.detach().numpy()
    assert gradient_norm(obj) == pytest.approx(np.linalg.norm(a @ w), rel=1e-10)


def test_min_ratio_is_the_notes_positive_over_all_with_zero_cut():
    ev = np.array([-1.0, -1e-6, 0.0, 1e-6, 0.5, 2.0, 10.0])   # three within the cut of 10·1e-3
    ratio, pos, neg = min_ratio(ev)
    assert (pos, neg) == (3, 1) and ratio == pytest.approx(3 / 7)
    assert min_ratio(np.array([1.0, 2.0, 3.0]))[0] == 1.0             # a strict minimum
    assert min_ratio(ev, cut=0.0)[1:] == (4, 2)                        # no cut: 1e-6 is positive
    assert RATIO_CUT > 0


def test_lanczos_density_recovers_a_known_spectrum():
    """Five distinct eigenvalues, 20 each: Lanczos with ≥ 5 steps finds exactly them, and the weights,
    averaged over Rademacher starts, estimate each one's share (0.2)."""
    levels = np.array([-0.5, 0.1, 1.0, 2.0, 4.0])
    _, obj = quad_objective(sym_with_eigs(np.repeat(levels, 20), seed=3))
    d = lanczos_density(obj, steps=10, runs=20, generator=gen(4))
    assert d.weights.sum() == pytest.approx(1.0, rel=1e-10)
    big = d.weights > 1e-6
    assert np.abs(d.nodes[big][:, None] - levels[None, :]).min(1).max() < 1e-8
    share = [d.weights[np.isclose(d.nodes, lv, atol=1e-6)].sum() for lv in levels]
    assert share == pytest.approx([0.2] * 5, abs=0.07)
    # moments: E[Σ τ_j θ_j^k] = tr(A^k)/n
    assert float((d.weights * d.nodes).sum()) == pytest.approx(levels.mean(), abs=0.15)


def test_density_curve_integrates_to_one_and_dense_density_is_uniform():
    d = dense_density(np.array([3.0, -1.0, 0.0, 1.0]))
    assert list(d.nodes) == [-1.0, 0.0, 1.0, 3.0] and d.weights.sum() == pytest.approx(1.0)
    grid = np.linspace(-3, 5, 4001)
    y = density_curve(d.nodes, d.weights, grid, width=0.1)
    assert float(np.trapezoid(y, grid)) == pytest.approx(1.0, rel=1e-6)


def test_verdict_from_measured_ends_saddle_only_where_the_gradient_is_about_zero():
    """½wᵀAw with A = diag(−1, 2, 3): a saddle at 0. At w = 0.5·(1,1,1) λ_min = −1 is resolved, but ‖g‖ is half
    its start (w₀ = (1,1,1)): negative curvature, not a minimum, not a saddle. At w = 10⁻³·(1,1,1) the gradient is
    0.1 % of its start: a saddle. A positive definite A gives no negative curvature."""
    from studies.analysis.verdict import verdict
    from tests.test_curvature import Quadratic, mean_loss
    from studies.measures.objective import objective

    def ends(a, w):
        obj = objective(Quadratic(a, np.asarray(w, float)), torch.zeros(4, 1, dtype=torch.float64), torch.zeros(4),
                        mean_loss)
        return extreme_eigenvalues(obj, generator=gen(0)), gradient_norm(obj)

    a = np.diag([-1.0, 2.0, 3.0])
    _, g0 = ends(a, [1.0, 1.0, 1.0])
    for w, want in (([0.5] * 3, "negative"), ([1e-3] * 3, "saddle")):
        e, g = ends(a, w)
        assert e.min == pytest.approx(-1.0) and verdict(e.min, e.min_err, e.max, g, g0) == want
    e, g = ends(np.diag([0.5, 2.0, 3.0]), [1e-3] * 3)
    assert verdict(e.min, e.min_err, e.max, g, g0) == "no_negative"
