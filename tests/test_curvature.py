"""Hessian estimators against known answers: on f(w) = ½wᵀAw the Hessian is A, so numpy.linalg.eigvalsh(A)
and trace(A) are the reference; on a small MLP torch.autograd.functional.hessian is."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from studies.measures.hessian import hessian_matrix, hessian_trace, spectrum, top_eigenvalue
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


def test_top_eigenvalue_matches_eigvalsh_on_psd_quadratic():
    a = sym_with_eigs(np.r_[np.linspace(0.1, 3.0, 19), 7.0])
    _, obj = quad_objective(a)
    r = top_eigenvalue(obj, tol=1e-8, max_iters=500, generator=gen())
    assert r.converged and 1 < r.iters < 500
    assert r.value == pytest.approx(np.linalg.eigvalsh(a).max(), rel=1e-6)


def test_top_eigenvalue_on_indefinite_quadratic_and_budget_reported():
    a = sym_with_eigs(np.r_[-2.0, -0.5, np.linspace(0.2, 4.0, 10), 6.0], seed=1)
    _, obj = quad_objective(a, seed=1)
    r = top_eigenvalue(obj, tol=1e-9, max_iters=1000, generator=gen(1))
    assert r.converged
    assert r.value == pytest.approx(6.0, rel=1e-6)
    short = top_eigenvalue(obj, tol=1e-12, max_iters=3, generator=gen(1))
    assert short.iters == 3 and not short.converged


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


def test_spectrum_matches_eigvalsh_and_min_ratio():
    eigs = np.r_[-3.0, -1.0, -0.2, np.linspace(0.5, 4.0, 9)]
    a = sym_with_eigs(eigs, seed=4)
    _, obj = quad_objective(a, seed=4)
    s = spectrum(obj)
    np.testing.assert_allclose(s.eigenvalues, np.linalg.eigvalsh(a), atol=1e-10)
    assert s.n_negative == 3 and s.n_positive == 9
    assert s.min_ratio == pytest.approx(9 / 12)   # the notes' positive / all


def test_spectrum_refuses_big_models():
    _, obj = quad_objective(np.eye(6))
    with pytest.raises(ValueError, match="parameters"):
        spectrum(obj, max_params=5)


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
    top_eigenvalue(obj, max_iters=5, generator=gen())
    hessian_trace(obj, max_probes=3, generator=gen())
    spectrum(obj)
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
