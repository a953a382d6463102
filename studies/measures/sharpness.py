"""Sharpness of the loss at the trained weights, three ways (f = the mean loss on the measurement sample):

- `eps_sharpness`: Keskar et al. 2017, Metric 2.1. φ = 100·(max_{y∈C_ε} f(x + y) − f(x)) / (1 + f(x)) with
  the box C_ε = {y : |y_i| ≤ ε(|x_i| + 1)}; the max by scipy's L-BFGS-B (about 10 iterations). With
  p = subspace_dim > 0 the max is over a random subspace, y = A z with A an n×p standard-normal matrix and,
  as in the paper, the box on z: |z_i| ≤ ε(|(A⁺x)_i| + 1), A⁺ the pseudo-inverse.
- `adaptive_sharpness`: the same φ over the box |y_i| ≤ ε·|x_i| (Kwon et al. 2021, ASAM), invariant to
  rescaling one ReLU layer by α and the next by 1/α, which makes φ above as large or small as one likes.
- `random_sharpness`: mean over M directions of (f(x + σ·d) + f(x − σ·d))/2 − f(x), d filter-normalised
  (Li et al. 2018); averaging each direction with its opposite cancels the first-order term σ·gᵀd, which
  otherwise dominates (single draws went negative) and made the estimate ~4× noisier.
- `sam_sharpness`: Foret et al. 2021 m-sharpness, the loss rise one step of length ρ uphill along the chunk's
  gradient g, f(x + ρ·ĝ) − f(x), averaged over disjoint chunks of m examples. Away from a stationary point
  that rise is mostly its first-order term ρ‖g‖ (on trained nets it ordered runs exactly as ‖g‖), so the
  value reported is the curvature part, f(x + ρĝ) − f(x) − ρ‖g‖ = ½ρ²·ĝᵀHĝ + O(ρ³); the raw rise is kept
  as `raw`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .lbfgsb import minimize_box
from .objective import Objective
from .landscape import filter_normalized_direction


@dataclass(frozen=True)
class EpsSharpness:
    value: float          # φ, in percent of 1 + f(x)
    base_loss: float      # f(x)
    max_loss: float       # the largest f(x + y) seen in the box
    iters: int            # L-BFGS-B iterations
    evals: int            # loss + gradient evaluations
    converged: bool       # L-BFGS-B stopped on its own tolerance before the iteration budget
    subspace_dim: int     # 0 = the full parameter space


@dataclass(frozen=True)
class RandomSharpness:
    value: float          # mean over directions of (f(x + σ·d) + f(x − σ·d))/2 − f(x)
    se: float             # its standard error over the directions (std/√M; nan for M = 1)
    directions: int
    sigma: float
    base_loss: float


@dataclass(frozen=True)
class SamSharpness:
    value: float          # mean over chunks of f_c(x + ρ·ĝ_c) − f_c(x) − ρ‖g_c‖ ≈ ½ρ²·ĝ_cᵀHĝ_c: curvature only
    chunks: int
    m: int                # examples per chunk actually used
    rho: float
    raw: float = math.nan        # mean of f_c(x + ρ·ĝ_c) − f_c(x), first-order term included (Foret et al.'s)
    first_order: float = math.nan  # mean of ρ‖g_c‖, the part subtracted


def subspace_basis(n: int, p: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Keskar's random n×p matrix A: independent standard-normal entries (float64, CPU, seeded)."""
    return torch.randn(n, p, generator=generator, dtype=torch.float64)


def eps_sharpness(obj: Objective, eps: float, *, iters: int = 10, subspace_dim: int = 0,
                  generator: torch.Generator | None = None) -> EpsSharpness:
    """Keskar's ε-sharpness at obj.theta. L-BFGS-B minimises −f(x + y) from y = 0 inside the box, with
    gradients from torch (float64 at the scipy boundary) and `maxiter=iters`. Its gradient and function
    tolerances are 0, so the whole budget is spent even where the gradient at a minimum is tiny (the
    search only stops early if the gradient is exactly 0, e.g. at the bottom of a symmetric bowl, where
    φ stays 0). The max is the largest f seen, so φ is a lower bound on the true box maximum; on trained
    networks f is still rising after 10 iterations (L-BFGS-B keeps its unit initial Hessian on a concave
    objective, so its steps scale with the gradient), so compare φ only at the same `iters`.
    `generator` draws A for the random-subspace variant (n×p doubles in CPU memory)."""
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    x = obj.theta
    if subspace_dim > 0:
        a = subspace_basis(obj.n_params, subspace_dim, generator)
        coef = torch.linalg.lstsq(a, x.detach().double().cpu().unsqueeze(1)).solution.squeeze(1)  # A⁺x
        bound = eps * (coef.abs().numpy() + 1.0)
        a = a.to(x.device, x.dtype)
    else:
        a = None
        bound = eps * (x.detach().double().abs().cpu().numpy() + 1.0)
    return _box_max(obj, bound, a, iters, subspace_dim)


def adaptive_sharpness(obj: Objective, eps: float, *, iters: int = 10) -> EpsSharpness:
    """Adaptive ε-sharpness (Kwon et al. 2021, ASAM; the ℓ∞ form of Andriushchenko et al. 2023): Keskar's φ
    over the box |y_i| ≤ ε·|x_i|, every weight and bias moved by at most ε of its own magnitude. The max runs
    in the scaled coordinates z = y / |x| (box |z_i| ≤ ε), where f is the same function of z after a layer is
    multiplied by α and the next by 1/α (ReLU networks, Dinh et al. 2017), so L-BFGS-B takes the same steps
    and φ is invariant to that rescaling; Keskar's +1 in the box is what breaks it for sharpness_eps.
    Weights that are exactly 0 stay put."""
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    scale = obj.theta.detach().abs()
    return _box_max(obj, np.full(obj.n_params, float(eps)), scale, iters, 0)


def _box_max(obj: Objective, bound: np.ndarray, a: torch.Tensor | None, iters: int, subspace_dim: int
             ) -> EpsSharpness:
    """φ = 100·(max f(x + y) − f(x))/(1 + f(x)) over |z_i| ≤ bound_i, y = z (a None), A z (a matrix, Keskar's
    subspace) or a ⊙ z (a vector: the adaptive box), by L-BFGS-B from z = 0."""
    x = obj.theta
    f0 = obj.loss()
    best = [f0]
    to_y = (lambda z: z) if a is None else (lambda z: a @ z) if a.dim() == 2 else (lambda z: a * z)
    to_z = (lambda g: g) if a is None else (lambda g: a.T @ g) if a.dim() == 2 else (lambda g: a * g)

    def neg_f(z: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = obj.loss_grad(x + to_y(torch.from_numpy(z).to(x.device, x.dtype)))
        best[0] = max(best[0], f)
        return -f, -to_z(g).double().cpu().numpy()

    res = minimize_box(neg_f, np.zeros(len(bound)), -bound, bound, maxiter=iters)   # scipy's L-BFGS-B kernel
    phi = 100.0 * (best[0] - f0) / (1.0 + f0)
    return EpsSharpness(value=phi, base_loss=f0, max_loss=best[0], iters=int(res.nit), evals=int(res.nfev),
                        converged=bool(res.status == 0), subspace_dim=subspace_dim)


def random_sharpness(obj: Objective, *, sigma: float = 0.05, directions: int = 10,
                     generator: torch.Generator | None = None) -> RandomSharpness:
    """Antithetic random sharpness: the mean over `directions` filter-normalised Gaussian directions d of
    (f(x + σ·d) + f(x − σ·d))/2 − f(x) = ½σ²·dᵀHd + O(σ⁴), with its standard error over the directions.

    σ is a relative scale multiplying a direction drawn with unit standard deviation (torch.randn), then
    filter-normalised: each row / output filter of d has exactly the norm of the weights it perturbs, so
    the perturbation of a row is σ·‖θ_row‖ in norm, i.e. about σ·‖θ_row‖/√fan_in per weight. σ therefore
    has standard-deviation semantics (it scales a unit-normal draw, as torch.normal's std argument does);
    it is not a variance, as at least one well-known reference implementation treats its σ argument, so
    its σ corresponds to √σ here. Biases and other 1-D tensors are not perturbed."""
    f0 = obj.loss()
    params = obj.unflatten(obj.theta)
    ds = torch.stack([obj.flatten(filter_normalized_direction(params, generator)) for _ in range(directions)])
    f = obj.loss_many(torch.cat([obj.theta + sigma * ds, obj.theta - sigma * ds]))   # all 2M points at once
    arr = 0.5 * (np.asarray(f[:directions]) + np.asarray(f[directions:])) - f0
    se = float(arr.std(ddof=1) / math.sqrt(len(arr))) if len(arr) > 1 else math.nan
    return RandomSharpness(value=float(arr.mean()), se=se, directions=directions, sigma=sigma, base_loss=f0)


def sam_sharpness(obj: Objective, *, rho: float = 0.05, m: int = 128) -> SamSharpness:
    """m-sharpness: for each disjoint chunk of m consecutive examples of obj's batch (the sample is already
    a seeded random draw), the rise f_c(x + ρ·ĝ_c) − f_c(x) along the chunk's unit gradient ĝ_c, less its
    first-order term ρ‖g_c‖ (exactly gᵀ(ρĝ)), leaving ½ρ²·ĝ_cᵀH_cĝ_c + O(ρ³): the curvature along ĝ, which
    no longer grows with ‖g‖. The mean over chunks; a chunk with g = 0 has no direction and counts 0. A
    last partial chunk is left out; a batch smaller than m is one chunk. ρ is an absolute L2 radius in
    parameter space."""
    n = len(obj.x)
    m_used = min(m, n)
    rises, firsts = [], []
    for s in range(0, n - m_used + 1, m_used):
        sub = obj.on(obj.x[s:s + m_used], obj.y[s:s + m_used])
        f0, g = sub.loss_grad()
        gn = float(g.double().norm())
        rises.append(0.0 if gn == 0.0 else sub.loss(sub.theta + (rho / gn) * g) - f0)
        firsts.append(rho * gn)
    raw, first = float(np.mean(rises)), float(np.mean(firsts))
    return SamSharpness(value=raw - first, chunks=len(rises), m=m_used, rho=rho, raw=raw, first_order=first)



# ---------------------------------------------------------------- the registry's measure functions
# Each takes ctx, a measure_run.Measuring (model, data, spec, the sample's objective, initial weights), and writes
# its columns into ctx.out.

SEED_EPS, SEED_RAND = 1, 2   # offsets from spec.sample_seed of their random draws (measure_run.py)


def eps_column(eps: float, first: bool) -> str:
    return "sharpness_eps" if first else f"sharpness_eps_{format(eps, 'g')}"


def measure_sharpness_eps(ctx) -> None:
    spec = ctx.spec
    for i, eps in enumerate(spec.sharpness_eps):
        r = eps_sharpness(ctx.obj, eps, iters=spec.lbfgs_iters, subspace_dim=spec.subspace_dim,
                          generator=ctx.generator(SEED_EPS))
        ctx.out[eps_column(eps, i == 0)] = r.value
        if i == 0:
            ctx.out["sharpness_eps_iters"] = r.iters


def measure_sharpness_adaptive(ctx) -> None:   # ε-sharpness in the |w|-scaled box: survives a rescaling
    r = adaptive_sharpness(ctx.obj, ctx.spec.adaptive_eps, iters=ctx.spec.lbfgs_iters)
    ctx.out.update(sharpness_adaptive=r.value, sharpness_adaptive_iters=r.iters)


def measure_sharpness_rand(ctx) -> None:
    spec = ctx.spec
    r = random_sharpness(ctx.obj, sigma=spec.random_sigma, directions=spec.random_directions,
                         generator=ctx.generator(SEED_RAND))
    ctx.out.update(sharpness_rand=r.value, sharpness_rand_se=r.se)


def measure_sharpness_sam(ctx) -> None:   # the curvature part (first-order term ρ‖g‖ subtracted) and the raw rise
    r = sam_sharpness(ctx.obj, rho=ctx.spec.sam_rho, m=ctx.spec.sam_m)
    ctx.out.update(sharpness_sam=r.value, sharpness_sam_raw=r.raw)
