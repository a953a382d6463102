"""Sharpness estimators against closed forms on quadratics."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from studies.measures.hessian import extreme_eigenvalues
from studies.measures.objective import objective
from studies.measures.sharpness import eps_sharpness, random_sharpness, sam_sharpness, subspace_basis


class DiagQuadratic(nn.Module):
    """Mean loss ½·Σ a_i w_i² whatever the data."""

    def __init__(self, a, w0):
        super().__init__()
        self.register_buffer("a", torch.tensor(a))
        self.w = nn.Parameter(torch.tensor(w0))

    def forward(self, x):
        return (0.5 * (self.a * self.w ** 2).sum()).expand(len(x))


class CentredLinear(nn.Module):
    """A Linear layer's weights in a bowl centred at their initial values: loss ½c(‖W − W0‖² + ‖b − b0‖²)."""

    def __init__(self, c=3.0, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.lin = nn.Linear(6, 4).double()
        self.register_buffer("w0", self.lin.weight.detach().clone())
        self.register_buffer("b0", self.lin.bias.detach().clone())
        self.c = c

    def forward(self, x):
        q = ((self.lin.weight - self.w0) ** 2).sum() + ((self.lin.bias - self.b0) ** 2).sum()
        return (0.5 * self.c * q).expand(len(x))


class PerExampleBowl(nn.Module):
    """Per-example loss ½‖w − t_i‖², the rows t_i of the input: a chunk's mean loss has gradient w − t̄."""

    def __init__(self, w0):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w0))

    def forward(self, x):
        return 0.5 * ((self.w - x) ** 2).sum(dim=1)


def mean_loss(out, y):
    return out.mean()


def data(n=8, d=1):
    return torch.zeros(n, d, dtype=torch.float64), torch.zeros(n)


def keskar_closed_form(a, x, eps):
    """max of ½Σa_i(x_i+y_i)² over |y_i| ≤ ε(|x_i|+1): the corner y_i = sign(x_i)·ε(|x_i|+1)."""
    f0 = 0.5 * np.sum(a * x ** 2)
    fmax = 0.5 * np.sum(a * (np.abs(x) + eps * (np.abs(x) + 1)) ** 2)
    return 100 * (fmax - f0) / (1 + f0)


@pytest.mark.parametrize("eps", [1e-3, 5e-4, 0.05])
def test_eps_sharpness_matches_closed_form_on_diagonal_quadratic(eps):
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 5.0, size=12)
    x = rng.choice([-1, 1], size=12) * rng.uniform(0.3, 2.0, size=12)
    obj = objective(DiagQuadratic(a, x), *data(), mean_loss)
    r = eps_sharpness(obj, eps, iters=10)
    assert r.value == pytest.approx(keskar_closed_form(a, x, eps), rel=1e-9)
    assert r.base_loss == pytest.approx(0.5 * np.sum(a * x ** 2))
    assert 1 <= r.iters <= 10 and r.evals >= r.iters and r.subspace_dim == 0


def test_eps_sharpness_stays_put_at_an_exact_critical_point():
    a = np.array([1.0, 4.0, 2.0])
    obj = objective(DiagQuadratic(a, np.zeros(3)), *data(), mean_loss)
    r = eps_sharpness(obj, 1e-2, iters=10)
    # at x = 0 the gradient is exactly 0: L-BFGS-B has no direction and φ stays 0 (documented limitation)
    assert r.value == pytest.approx(0.0, abs=1e-12)


def test_sharper_quadratic_has_larger_eps_sharpness_and_top_eigenvalue():
    rng = np.random.default_rng(1)
    a = np.r_[rng.uniform(0.5, 2.0, size=9), 4.0]   # a clear top eigenvalue: power iteration converges fast
    x = rng.uniform(0.5, 1.5, size=10)
    objs = [objective(DiagQuadratic(c * a, x), *data(), mean_loss) for c in (1.0, 10.0)]
    phi = [eps_sharpness(o, 1e-3).value for o in objs]
    lam = [extreme_eigenvalues(o, ends="top", generator=torch.Generator().manual_seed(0)).max for o in objs]
    assert phi[1] > phi[0] > 0
    assert lam[1] > lam[0]
    assert lam[1] == pytest.approx(40.0, rel=1e-5)


def test_eps_sharpness_random_subspace_matches_vertex_enumeration():
    """In a p-dimensional subspace the max of a convex f over the z-box sits at one of its 2^p vertices;
    the box follows the paper: |z_i| ≤ ε(|(A⁺x)_i| + 1), A⁺ by numpy's pinv."""
    rng = np.random.default_rng(2)
    n, p, eps = 15, 3, 1e-3
    a = rng.uniform(0.5, 3.0, size=n)
    x = rng.uniform(0.5, 2.0, size=n) * rng.choice([-1, 1], size=n)
    obj = objective(DiagQuadratic(a, x), *data(), mean_loss)
    r = eps_sharpness(obj, eps, iters=10, subspace_dim=p, generator=torch.Generator().manual_seed(7))
    amat = subspace_basis(n, p, torch.Generator().manual_seed(7)).numpy()
    bound = eps * (np.abs(np.linalg.pinv(amat) @ x) + 1)
    f = lambda w: 0.5 * np.sum(a * w ** 2)
    fmax = max(f(x + amat @ (np.array(s) * bound)) for s in itertools.product([-1, 1], repeat=p))
    assert r.subspace_dim == p
    assert r.value == pytest.approx(100 * (fmax - f(x)) / (1 + f(x)), rel=1e-7)


def test_random_sharpness_exact_on_centred_bowl():
    """At the bottom of ½c‖θ − θ0‖², f(θ0 + σd) − f(θ0) = ½cσ²‖d‖², and filter normalisation makes
    ‖d_W‖ = ‖W0‖ with the bias left alone: every direction gives ½cσ²‖W0‖²."""
    model = CentredLinear(c=3.0)
    obj = objective(model, *data(), mean_loss)
    r = random_sharpness(obj, sigma=0.1, directions=5, generator=torch.Generator().manual_seed(0))
    expected = 0.5 * 3.0 * 0.1 ** 2 * float((model.lin.weight ** 2).sum())
    assert r.value == pytest.approx(expected, rel=1e-10)
    assert r.se == pytest.approx(0.0, abs=1e-12)
    assert r.directions == 5 and r.sigma == 0.1 and r.base_loss == pytest.approx(0.0)


class TiltedBowl(CentredLinear):
    """½c‖θ − θ0‖² plus a slope t·Σ(W − W0): at θ0 the gradient is t·1, not 0."""

    def __init__(self, c=3.0, t=5.0, seed=0):
        super().__init__(c, seed)
        self.t = t

    def forward(self, x):
        return super().forward(x) + self.t * (self.lin.weight - self.w0).sum()


def test_random_sharpness_is_antithetic_so_the_slope_cancels():
    """With a slope, one-sided f(θ0 + σd) − f(θ0) = σ·t·Σd + ½cσ²‖d‖² varies from draw to draw (and goes
    negative); (f(θ0 + σd) + f(θ0 − σd))/2 − f(θ0) is exactly ½cσ²‖W0‖² for every d: standard error 0."""
    model = TiltedBowl(c=3.0, t=5.0)
    obj = objective(model, *data(), mean_loss)
    r = random_sharpness(obj, sigma=0.1, directions=6, generator=torch.Generator().manual_seed(1))
    expected = 0.5 * 3.0 * 0.1 ** 2 * float((model.lin.weight.detach() ** 2).sum())
    assert r.value == pytest.approx(expected, rel=1e-9)
    assert r.se == pytest.approx(0.0, abs=1e-10)
    assert np.isnan(random_sharpness(obj, directions=1).se)


def test_random_sharpness_scales_with_sigma_squared_like_a_std():
    model = CentredLinear(c=1.0)
    obj = objective(model, *data(), mean_loss)
    v1 = random_sharpness(obj, sigma=0.1, directions=2, generator=torch.Generator().manual_seed(0)).value
    v2 = random_sharpness(obj, sigma=0.2, directions=2, generator=torch.Generator().manual_seed(0)).value
    assert v2 / v1 == pytest.approx(4.0, rel=1e-10)


def test_sam_m_sharpness_matches_closed_form_per_chunk():
    """Chunk loss ½·mean‖w − t_i‖² has g = w − t̄ and Hessian I: the rise f(w + ρĝ) − f(w) = ρ‖g‖ + ½ρ², of which
    the reported value is the curvature part ½ρ² and `raw` the whole."""
    rng = np.random.default_rng(3)
    t = rng.normal(size=(50, 4))
    w0 = rng.normal(size=4)
    obj = objective(PerExampleBowl(w0), torch.tensor(t), torch.zeros(50), mean_loss)
    rho, m = 0.05, 16
    r = sam_sharpness(obj, rho=rho, m=m)
    chunks = [t[s:s + m] for s in range(0, 48, m)]           # 3 full chunks, the last 2 examples left out
    first = np.mean([rho * np.linalg.norm(w0 - c.mean(0)) for c in chunks])
    assert r.chunks == 3 and r.m == m and r.rho == rho
    assert r.value == pytest.approx(0.5 * rho ** 2, rel=1e-8)
    assert r.raw == pytest.approx(first + 0.5 * rho ** 2, rel=1e-10) and r.first_order == pytest.approx(first)
    whole = sam_sharpness(obj, rho=rho, m=1000)               # smaller than m: one chunk of everything
    assert whole.chunks == 1 and whole.m == 50
    assert whole.raw == pytest.approx(rho * np.linalg.norm(w0 - t.mean(0)) + 0.5 * rho ** 2, rel=1e-10)
    assert whole.value == pytest.approx(0.5 * rho ** 2, rel=1e-8)


def test_sam_sharpness_on_a_quadratic_with_a_gradient_is_half_rho_squared_curvature_not_the_gradient():
    """½wᵀAw away from its minimum: along an eigenvector the value is ½ρ²λ however large ‖g‖ is (the raw rise
    grows with ‖g‖); in any direction it is ½ρ²·ĝᵀAĝ."""
    a, rho = np.array([3.0, 1.0, 0.5]), 0.05
    values, raws, grads = [], [], []
    for c in (0.1, 1.0, 10.0):                                # ‖g‖ = 3c: 0.3, 3, 30
        r = sam_sharpness(objective(DiagQuadratic(a, np.array([c, 0.0, 0.0])), *data(), mean_loss), rho=rho)
        values.append(r.value), raws.append(r.raw), grads.append(3 * c)
    assert values == pytest.approx([0.5 * rho ** 2 * 3.0] * 3, rel=1e-8)
    assert raws == pytest.approx([rho * g + 0.5 * rho ** 2 * 3.0 for g in grads], rel=1e-10)
    w = np.array([1.0, 2.0, -1.0])
    g = a * w
    u = g / np.linalg.norm(g)
    r = sam_sharpness(objective(DiagQuadratic(a, w), *data(), mean_loss), rho=rho)
    assert r.value == pytest.approx(0.5 * rho ** 2 * float(u @ (a * u)), rel=1e-8)


@pytest.mark.parametrize("train_mode", [False, True])
def test_sharpness_leaves_weights_and_mode_alone(train_mode):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    model.train(train_mode)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    obj = objective(model, torch.randn(30, 5), torch.randint(0, 3, (30,)), F.cross_entropy, chunk=8)
    g = torch.Generator().manual_seed(0)
    eps_sharpness(obj, 1e-3, iters=3)
    eps_sharpness(obj, 1e-3, iters=3, subspace_dim=4, generator=g)
    random_sharpness(obj, directions=2, generator=g)
    sam_sharpness(obj, m=8)
    assert model.training is train_mode
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
