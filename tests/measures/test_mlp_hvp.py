"""The hand-written MLP path of the objective computes what the general autograd path computes (float64)."""
import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from studies.measures.hessian import extreme_eigenvalues, hessian_matrix, hessian_trace
from studies.measures.objective import objective
from studies.engine.models import build_model
from studies.engine.optim import focal_loss


def case(hidden=(7, 6), n=23, d_in=(2, 3), classes=4, seed=0, chunk=5):
    """A models.py MLP (ReLU) in float64 on random data whose input is an image-shaped tensor (Flatten),
    and the same objective forced onto the general autograd path."""
    model = build_model("mlp", hidden, d_in, classes, seed).double().eval()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, *d_in, generator=g, dtype=torch.float64)
    y = torch.randint(0, classes, (n,), generator=g)
    fast = objective(model, x, y, F.cross_entropy, chunk=chunk)
    return fast, dataclasses.replace(fast, calc=None)


def test_the_mlp_takes_the_fast_path_and_nothing_else_does():
    fast, plain = case()
    assert fast.calc is not None and plain.calc is None
    model = build_model("mlp", (4,), (3,), 2, 0)
    x, y = torch.randn(5, 3), torch.randint(0, 2, (5,))
    assert objective(model, x, y, focal_loss).calc is None                      # another loss
    tanh = nn.Sequential(nn.Flatten(), nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    assert objective(tanh, x, y, F.cross_entropy).calc is None                   # another activation
    cnn = build_model("cnn", (), (1, 8, 8), 2, 0)
    assert objective(cnn, torch.randn(5, 1, 8, 8), y, F.cross_entropy).calc is None


@pytest.mark.parametrize("hidden", [(), (7,), (7, 6), (5, 4, 3)])
@pytest.mark.parametrize("chunk", [5, 1000])
def test_loss_gradient_and_hvps_equal_autograd(hidden, chunk):
    fast, plain = case(hidden=hidden, chunk=chunk)
    g = torch.Generator().manual_seed(1)
    elsewhere = fast.theta + 0.3 * torch.randn(fast.n_params, generator=g, dtype=torch.float64)
    vs = torch.randn(3, fast.n_params, generator=g, dtype=torch.float64)
    for flat in (None, fast.theta, elsewhere):
        assert fast.loss(flat) == pytest.approx(plain.loss(flat), rel=1e-13)
        (fl, fg), (pl, pg) = fast.loss_grad(flat), plain.loss_grad(flat)
        assert fl == pytest.approx(pl, rel=1e-13)
        torch.testing.assert_close(fg, pg, rtol=1e-11, atol=1e-13)
        torch.testing.assert_close(fast.hvp_many(vs, flat), plain.hvp_many(vs, flat), rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(fast.hvp(vs[0], flat), plain.hvp(vs[0], flat), rtol=1e-10, atol=1e-12)
    # a sub-batch (SAM's chunks, the noise scale's draws) is the same function on other data
    torch.testing.assert_close(fast.on(fast.x[:7], fast.y[:7]).hvp_many(vs), plain.on(plain.x[:7], plain.y[:7])
                               .hvp_many(vs), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("hidden", [(), (7,), (5, 4, 3)])
def test_batched_gradient_norms_of_many_draws_equal_one_autograd_gradient_per_draw(hidden):
    """The noise scale's draws: |∇f|² of each small batch, all in one pass, against autograd per batch; and
    gradient_sq_norms takes that pass for the MLP and gets what the general path gets, draw for draw."""
    from studies.measures.noise import gradient_sq_norms
    fast, plain = case(hidden=hidden, n=40, chunk=12)
    idx = torch.stack([torch.randperm(40, generator=torch.Generator().manual_seed(s))[:6] for s in range(9)])
    got = fast.calc.grad_sq_norms(fast.theta, fast.x[idx], fast.y[idx])
    want = torch.stack([plain.on(plain.x[i], plain.y[i]).loss_grad()[1].pow(2).sum() for i in idx])
    torch.testing.assert_close(got, want, rtol=1e-12, atol=0)
    for b in (5, 12):   # one chunk holds 2 draws / 1 draw
        a = gradient_sq_norms(fast, b, 7, torch.Generator().manual_seed(3))
        p = gradient_sq_norms(plain, b, 7, torch.Generator().manual_seed(3))
        np.testing.assert_allclose(a, p, rtol=1e-12)


@pytest.mark.parametrize("hidden", [(), (7,), (5, 4, 3)])
@pytest.mark.parametrize("chunk", [5, 1000])
def test_many_points_in_one_pass_equal_one_loss_each_and_random_sharpness_is_unchanged(hidden, chunk):
    from studies.measures.sharpness import random_sharpness
    fast, plain = case(hidden=hidden, chunk=chunk)
    g = torch.Generator().manual_seed(4)
    pts = fast.theta + 0.2 * torch.randn(7, fast.n_params, generator=g, dtype=torch.float64)
    want = [plain.loss(p) for p in pts]
    np.testing.assert_allclose(fast.loss_many(pts), want, rtol=1e-12)
    np.testing.assert_allclose(fast.loss_many(pts, block_bytes=1), want, rtol=1e-12)   # one row a block
    assert plain.loss_many(pts) == want
    a = random_sharpness(fast, sigma=0.1, directions=4, generator=torch.Generator().manual_seed(5))
    b = random_sharpness(plain, sigma=0.1, directions=4, generator=torch.Generator().manual_seed(5))
    assert a.value == pytest.approx(b.value, rel=1e-9) and a.se == pytest.approx(b.se, rel=1e-9)


@pytest.mark.slow
def test_dense_hessian_and_estimators_equal_the_general_path():
    fast, plain = case(hidden=(6, 5), n=31)
    ref = torch.autograd.functional.hessian(lambda t: torch.tensor(0.0, dtype=torch.float64) + _f(plain, t),
                                            plain.theta.clone()).numpy()
    np.testing.assert_allclose(hessian_matrix(fast, block=16), ref, atol=1e-11)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    a, b = (extreme_eigenvalues(fast, max_hvps=30, generator=gen()),
            extreme_eigenvalues(plain, max_hvps=30, generator=gen()))
    assert (a.hvps, a.converged) == (b.hvps, b.converged) and a.max == pytest.approx(b.max, rel=1e-9)
    a, b = (hessian_trace(fast, max_probes=20, generator=gen(), exact=False),
            hessian_trace(plain, max_probes=20, generator=gen()))
    assert a.probes == b.probes and a.value == pytest.approx(b.value, rel=1e-9)
    # the exact trace: the dense Hessian's, inside Hutchinson's estimate ± 4 se
    exact = hessian_trace(fast)
    assert (exact.probes, exact.se, exact.converged) == (0, 0.0, True)
    assert exact.value == pytest.approx(np.trace(ref), rel=1e-11)
    assert abs(exact.value - b.value) < 4 * b.se


@pytest.mark.parametrize("hidden", [(), (9,), (8, 7, 6)])
def test_exact_trace_equals_the_dense_hessians_across_chunks(hidden):
    fast, plain = case(hidden=hidden, n=17, chunk=6)
    ref = torch.autograd.functional.hessian(lambda t: _f(plain, t), plain.theta.clone())
    assert fast.exact_trace() == pytest.approx(float(torch.trace(ref)), rel=1e-11)
    assert plain.exact_trace() is None


def _f(obj, flat):
    parts = torch.split(flat, [s.numel() for s in obj.shapes])
    d = {n: p.view(s) for n, p, s in zip(obj.names, parts, obj.shapes)}
    return F.cross_entropy(torch.func.functional_call(obj.model, d, (obj.x,)), obj.y)


@pytest.mark.parametrize("chunk", [5, 1000])
def test_the_forward_pass_at_theta_is_computed_once_per_chunk_and_shared(chunk):
    """The chunks are fresh views on every call; the kept forward pass must still be found (it was not:
    every HVP recomputed it, a third of its cost), and data changed in place must not find it."""
    fast, plain = case(chunk=chunk)
    v = torch.randn(2, fast.n_params, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    fast.hvp_many(v)
    kept = len(fast.calc.cache)
    assert kept == 2 * -(-len(fast.x) // chunk)   # the forward and the backward pass, per chunk
    for _ in range(3):
        fast.hvp_many(v)
        fast.loss_grad()
    assert len(fast.calc.cache) == kept
    fast.x.mul_(1.5)
    plain.x.copy_(fast.x)
    torch.testing.assert_close(fast.hvp_many(v), plain.hvp_many(v), rtol=1e-10, atol=1e-12)


def test_the_shared_forward_pass_never_goes_stale():
    """The forward pass at θ is kept; θ changed in place (or another point) must not reuse it."""
    fast, plain = case(chunk=1000)
    v = torch.randn(1, fast.n_params, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    first = fast.hvp_many(v)
    torch.testing.assert_close(fast.hvp_many(v), first)   # from the kept forward pass
    fast.theta.mul_(0.9)
    plain.theta.copy_(fast.theta)
    torch.testing.assert_close(fast.hvp_many(v), plain.hvp_many(v), rtol=1e-10, atol=1e-12)
    assert fast.loss() == pytest.approx(plain.loss(), rel=1e-13)
