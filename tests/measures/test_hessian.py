"""studies.measures.hessian against known answers: on f(w) = ½wᵀAw the Hessian is A (both signs of eigenvalues
chosen), its gradient at w is Aw, and numpy.linalg.eigvalsh(A), trace(A) and A's spectral density are the
reference; on a small MLP torch.autograd.functional.hessian is. The critical-point test's numbers come from here."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from studies.charts.curvature import density_curve
from studies.measures.hessian import (RATIO_CUT, dense_density, extreme_eigenvalues, gradient_norm, hessian_matrix,
                                     hessian_trace, lanczos_density, min_ratio)
from studies.measures.objective import objective


class Quadratic(nn.Module):
    """A 'model' whose mean loss is ½wᵀAw whatever the data."""

    def __init__(self, a: np.ndarray, w0: np.ndarray):
        super().__init__()
        self.register_buffer("a", torch.tensor(a))
        self.w = nn.Parameter(torch.tensor(w0))

    def forward(self, x):
        return (0.5 * self.w @ self.a @ self.w).expand(len(x))


def mean_loss(out, y):
    return out.mean()


def quad_objective(a, seed=0, n_data=10, chunk=4):
    w0 = np.random.default_rng(seed).normal(size=len(a))
    m = Quadratic(a, w0)
    x = torch.zeros(n_data, 1, dtype=torch.float64)
    return m, objective(m, x, torch.zeros(n_data), mean_loss, chunk=chunk)


def sym_with_eigs(eigs, seed=0):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(len(eigs), len(eigs))))
    return q @ np.diag(eigs) @ q.T


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def mlp(seed=0, d_in=5, hidden=7, d_out=3, dtype=torch.float32):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(d_in, hidden), nn.Tanh(), nn.Linear(hidden, d_out)).to(dtype)


def test_lambda_max_matches_eigvalsh_on_psd_quadratic():
    a = sym_with_eigs(np.r_[np.linspace(0.1, 3.0, 19), 7.0])
    _, obj = quad_objective(a)
    r = extreme_eigenvalues(obj, ends="top", generator=gen())
    assert r.converged and 1 < r.hvps <= 20
    assert r.max == pytest.approx(np.linalg.eigvalsh(a).max(), rel=1e-6) and r.max_err < 1e-3 * 7.0


def test_both_ends_on_an_indefinite_quadratic_and_the_budget_reported():
    a = sym_with_eigs(np.r_[-2.0, -0.5, np.linspace(0.2, 4.0, 10), 6.0], seed=1)
    _, obj = quad_objective(a, seed=1)
    r = extreme_eigenvalues(obj, ends="both", generator=gen(1))
    assert r.converged and r.max == pytest.approx(6.0, rel=1e-6) and r.min == pytest.approx(-2.0, rel=1e-6)
    short = extreme_eigenvalues(obj, ends="both", max_hvps=3, generator=gen(1))
    assert short.hvps == 3 and not short.converged


def test_trace_is_exact_for_diagonal_and_unbiased_otherwise():
    d = np.array([1.0, 2.0, 3.5, 0.25, 4.0])
    _, obj = quad_objective(np.diag(d))
    r = hessian_trace(obj, generator=gen())          # zᵀDz = tr D for every Rademacher z
    assert r.value == pytest.approx(d.sum(), rel=1e-12)
    assert r.se == pytest.approx(0.0, abs=1e-12) and r.converged and r.probes == 10

    a = sym_with_eigs(np.linspace(-1.0, 5.0, 30), seed=2)
    _, obj = quad_objective(a, seed=2)
    r = hessian_trace(obj, max_probes=300, min_probes=300, generator=gen(2))
    assert r.probes == 300
    assert r.se > 0
    assert abs(r.value - np.trace(a)) < 4 * r.se


def test_trace_reports_probes_when_it_stops_early():
    a = sym_with_eigs(np.linspace(1.0, 2.0, 8), seed=3)
    _, obj = quad_objective(a, seed=3)
    r = hessian_trace(obj, max_probes=1000, min_probes=10, rtol=0.02, generator=gen(3))
    assert r.converged and 10 <= r.probes < 1000 and r.se <= 0.02 * abs(r.value)


def test_dense_spectrum_matches_eigvalsh_and_min_ratio():
    eigs = np.r_[-3.0, -1.0, -0.2, np.linspace(0.5, 4.0, 9)]
    a = sym_with_eigs(eigs, seed=4)
    _, obj = quad_objective(a, seed=4)
    eig = np.linalg.eigvalsh(hessian_matrix(obj))
    np.testing.assert_allclose(eig, np.linalg.eigvalsh(a), atol=1e-10)
    assert min_ratio(eig) == (pytest.approx(9 / 12), 9, 3)        # the notes' positive / all


@pytest.mark.slow
def test_dense_hessian_matches_autograd_reference_on_mlp_with_chunks():
    model = mlp(dtype=torch.float64).eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(23, 5, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (23,), generator=g)
    obj = objective(model, x, y, F.cross_entropy, chunk=5)       # 5 chunks, the last partial
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]

    def f(flat):
        parts = torch.split(flat, [s.numel() for s in shapes])
        d = {n: p.view(s) for n, p, s in zip(names, parts, shapes)}
        return F.cross_entropy(torch.func.functional_call(model, d, (x,)), y)

    ref = torch.autograd.functional.hessian(f, obj.theta.clone()).numpy()
    np.testing.assert_allclose(hessian_matrix(obj, block=7), ref, atol=1e-10)
    # and the loss / gradient agree with plain autograd on the whole batch
    loss, grad = obj.loss_grad()
    flat = obj.theta.clone().requires_grad_()
    ref_loss = f(flat)
    ref_loss.backward()
    ref_loss = ref_loss.detach()
    assert loss == pytest.approx(ref_loss.item(), rel=1e-12)
    torch.testing.assert_close(grad, flat.grad)


@pytest.mark.parametrize("train_mode", [False, True])
def test_estimators_leave_weights_and_mode_alone(train_mode):
    model = mlp()
    model.train(train_mode)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = torch.randn(40, 5), torch.randint(0, 3, (40,))
    obj = objective(model, x, y, F.cross_entropy, chunk=16)
    extreme_eigenvalues(obj, max_hvps=5, generator=gen())
    hessian_trace(obj, max_probes=3, generator=gen())
    hessian_matrix(obj)
    assert model.training is train_mode
    after = model.state_dict()
    for k, v in before.items():
        assert torch.equal(v, after[k]), k


def test_batched_hvps_equal_one_at_a_time_across_chunks():
    model = mlp(dtype=torch.float64)
    x, y = torch.randn(10, 5, dtype=torch.float64), torch.randint(0, 3, (10,))
    obj = objective(model.eval(), x, y, F.cross_entropy, chunk=4)
    vs = torch.randn(3, obj.n_params, dtype=torch.float64, generator=gen())
    many = obj.hvp_many(vs)
    for v, hv in zip(vs, many):
        torch.testing.assert_close(hv, obj.hvp(v))


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
    from studies.measures.hessian import EIG_MIN_STEPS, EIG_TOL
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


def test_the_gradient_norm_ratio_is_final_over_initial_full_batch_gradient_norm():
    """Known answer: ‖∇L(θ)‖/‖∇L(θ₀)‖ over the whole training set by autograd; 1 at θ = θ₀; none without θ₀."""
    from studies.measures.measure_run import measure_run
    from studies.spec.config import MeasureSpec
    from studies import measures
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).eval()
    x, y = torch.randn(300, 4), torch.randint(0, 3, (300,))
    init = {k: v.clone() for k, v in model.state_dict().items()}
    off = {s.name: () if s.listed else False for s in measures.switches()}
    spec = MeasureSpec(**{**off, "grad_norm_ratio": True}, sample=32)   # the sample is not what it uses

    def full_norm():
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        return torch.cat([p.grad.reshape(-1) for p in model.parameters()]).double().norm().item()
    assert measure_run(model, x, y, torch.nn.functional.cross_entropy, spec, init_state=init)["grad_norm_ratio"] \
        == pytest.approx(1.0, abs=1e-9)
    g0 = full_norm()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5 * torch.randn_like(p))
    got = measure_run(model, x, y, torch.nn.functional.cross_entropy, spec, init_state=init)
    assert got["grad_norm_ratio"] == pytest.approx(full_norm() / g0, rel=1e-5)
    assert "grad_norm_ratio" not in measure_run(model, x, y, torch.nn.functional.cross_entropy, spec)
