"""Hessian curvature of the loss at the trained weights, from Hessian-vector products (as PyHessian, Yao et al.
2020, but small functions); the lecture notes' critical-point test (000/001) reads them.

- `extreme_eigenvalues`: λ_min and λ_max together by Lanczos (each with its residual error bound; power
  iteration would find only the eigenvalue of largest magnitude);
- `hessian_trace`: Hutchinson's tr H = E[zᵀHz] with Rademacher z and its standard error, or the exact trace
  where the objective has it (models.py's MLP with cross-entropy);
- `hessian_matrix`, `min_ratio`, `dense_density`: the dense spectrum of a small model and the notes' minimum
  ratio (positive / all eigenvalues; |λ| ≤ RATIO_CUT·max|λ| counts as zero, the one cut verdict.py uses too);
- `lanczos_density`: stochastic Lanczos quadrature for models too big for the dense spectrum;
- `gradient_norm`: ‖∇f‖, whether this is a critical point at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from . import ZERO_CUT
from .objective import Objective, objective

TRACE_MAX_PROBES = 30     # the budget: Hutchinson dominates measurement time; its se is reported with it
TRACE_MIN_PROBES = 10     # never trust a standard error from fewer probes
TRACE_RTOL = 0.05         # stop once the standard error is below 5 % of the estimate
TRACE_BLOCK = 10          # probes per batched HVP (Objective.hvp_many): cheaper per probe than one at a time
SPECTRUM_MAX_PARAMS = 5000   # the dense Hessian (and its exact spectrum) only below this many weights
EIG_TOL = 2e-3           # Ritz values within EIG_TOL·max|λ| of an eigenvalue (0.2 % of the spectrum's scale)
EIG_MIN_STEPS = 40       # never fewer Lanczos steps for λ_min: the bottom of a trained net's spectrum is a dense
                         # cluster near 0 that an early Ritz value sits inside before it reaches λ_min
                         # (keskar-digits full batch: -0.0031 after 20 steps, -0.0095 after 40, λ_min -0.0097)
EIG_MAX_HVPS = 150       # the budget of Lanczos steps (one HVP each) for the two extreme eigenvalues
_BASIS_BYTES = 512 << 20 # above this the Lanczos basis is kept in the model's dtype instead of float64
RATIO_CUT = ZERO_CUT     # |λ| ≤ RATIO_CUT·max|λ| counts as zero, not positive (float32 HVP noise is ~1e-6);
                         # the same cut resolves λ_min from 0 in the verdict (verdict.py)
SLQ_STEPS = 80           # Lanczos steps per run (PyHessian: iter = 100)
SLQ_RUNS = 3             # independent starting vectors (PyHessian: n_v = 1)


@dataclass(frozen=True)
class Trace:
    value: float
    se: float            # standard error of the mean over probes
    probes: int
    converged: bool      # se ≤ rtol·|value| reached before max_probes


@dataclass(frozen=True)
class Extremes:
    min: float           # λ_min
    max: float           # λ_max
    hvps: int            # Hessian-vector products spent
    converged: bool
    min_err: float = 0.0 # residual bounds: an eigenvalue lies within ±err of each (λ_min ≤ min always)
    max_err: float = 0.0
    top_vector: Tensor | None = None   # the unit Ritz vector of max (a warm start for nearby weights)


@dataclass(frozen=True)
class Density:
    nodes: np.ndarray    # Ritz values (or every eigenvalue)
    weights: np.ndarray  # summing to 1


def gradient_norm(obj: Objective) -> float:
    """‖∇f(θ)‖₂ on obj's data."""
    return float(obj.loss_grad()[1].double().norm())


def extreme_eigenvalues(obj: Objective, *, ends: str = "both", tol: float = EIG_TOL, max_hvps: int = EIG_MAX_HVPS,
                        min_steps: int | None = None, generator: torch.Generator | None = None,
                        start: Tensor | None = None) -> Extremes:
    """λ_min and λ_max of the Hessian by Lanczos with full re-orthogonalisation from a seeded start, stopped
    once both end Ritz values are within tol·(spectrum scale) of an eigenvalue (their residual bounds
    β_m·|s_mi|, stored as min_err/max_err). The scale, max|θ|, is the one a "λ_min ≈ 0?" question is asked
    against; a tolerance relative to λ_min itself (ARPACK's) asks ~200 HVPs for a λ_min near zero, where
    ~40 put it within 2.5 % of λ_min itself (keskar-digits, 85,002 weights, both batch sizes). The bound
    holds for the eigenvalue nearest each Ritz value; the bottom Ritz value is also an upper bound on λ_min (interlacing), so
    λ_min ≤ min always. An exhausted budget returns the current Ritz values, bounds and converged=False.
    ``ends="top"`` stops once λ_max alone is within tolerance (no step floor; min is then not converged).
    ``start``: the first Lanczos vector instead of the seeded random one (e.g. the top Ritz vector at nearby
    weights, which the result returns as ``top_vector``: λ_max then converges in a few steps)."""
    if ends not in ("both", "top"):
        raise ValueError(f"ends must be 'both' or 'top', got {ends!r}")
    if min_steps is None:
        min_steps = EIG_MIN_STEPS if ends == "both" else 2
    n = obj.n_params
    m_max = max(1, min(max_hvps, n))
    dtype = torch.float64 if m_max * n * 8 <= _BASIS_BYTES else obj.theta.dtype
    basis = torch.empty(m_max, n, dtype=dtype, device=obj.theta.device)
    v = torch.randn(n, generator=generator, dtype=torch.float64).to(obj.theta.device) if start is None \
        else start.detach().to(obj.theta.device, torch.float64)
    basis[0] = v / v.norm()
    alpha: list[float] = []
    beta: list[float] = []
    lo = hi = (math.nan, math.inf)
    for j in range(m_max):
        w = obj.hvp(basis[j].to(obj.theta.dtype)).to(dtype)
        alpha.append(float(torch.dot(w, basis[j])))
        q = basis[:j + 1]
        w -= q.T @ (q @ w)                   # full re-orthogonalisation, twice (Parlett's "twice is enough")
        w -= q.T @ (q @ w)
        b = float(w.norm())
        theta, s = np.linalg.eigh(np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1))
        exact = b <= 1e-12 * max(1.0, float(np.abs(theta).max()))   # an invariant subspace: Ritz = eigen
        res = np.zeros_like(theta) if exact else b * np.abs(s[-1])
        lo, hi = (float(theta[0]), float(res[0])), (float(theta[-1]), float(res[-1]))
        scale = float(np.abs(theta).max())
        if exact or (j + 1 >= min_steps and (lo[1] if ends == "both" else 0.0) <= tol * scale
                     and hi[1] <= tol * scale):
            return Extremes(lo[0], hi[0], j + 1, True, lo[1], hi[1], _ritz(basis[:j + 1], s[:, -1]))
        if j + 1 < m_max:
            beta.append(b)
            basis[j + 1] = w / b
    return Extremes(lo[0], hi[0], m_max, False, lo[1], hi[1], _ritz(basis[:m_max], s[:, -1]))


def _ritz(basis: Tensor, coef: np.ndarray) -> Tensor:
    """The Ritz vector Qᵀs (unit length: Q's rows are orthonormal and ‖s‖ = 1)."""
    return (torch.from_numpy(coef.copy()).to(basis.device, basis.dtype) @ basis).to(torch.float32)


def min_ratio(eigenvalues: np.ndarray, cut: float = RATIO_CUT) -> tuple[float, int, int]:
    """(positive / all, n_positive, n_negative), |λ| ≤ cut·max|λ| counting as neither."""
    ev = np.asarray(eigenvalues, dtype=np.float64)
    if ev.size == 0:
        raise ValueError("no eigenvalues")
    thr = cut * float(np.abs(ev).max())
    pos, neg = int((ev > thr).sum()), int((ev < -thr).sum())
    return pos / ev.size, pos, neg


def dense_density(eigenvalues: np.ndarray) -> Density:
    ev = np.sort(np.asarray(eigenvalues, dtype=np.float64))
    return Density(nodes=ev, weights=np.full(ev.size, 1.0 / ev.size))


def lanczos_density(obj: Objective, *, steps: int = SLQ_STEPS, runs: int = SLQ_RUNS,
                    generator: torch.Generator | None = None) -> Density:
    """Stochastic Lanczos quadrature: `runs` Lanczos recurrences of `steps` steps (full
    re-orthogonalisation, as PyHessian) from Rademacher starts; each gives the eigenvalues θ_j of its
    tridiagonal matrix and weights τ_j = (first component of its eigenvector)²; the density is the mean of
    Σ_j τ_j δ(λ − θ_j) over runs, exact for polynomial moments of degree < 2·steps in expectation."""
    n = obj.n_params
    m = min(steps, n)
    nodes, weights = [], []
    for _ in range(runs):
        v = (torch.randint(0, 2, (n,), generator=generator, dtype=torch.int8) * 2 - 1).double()
        v = (v / v.norm()).to(obj.theta.device)
        basis = [v]
        alpha, beta = [], []
        for j in range(m):
            w = obj.hvp(basis[-1].to(obj.theta.dtype)).double()
            a = float(torch.dot(w, basis[-1]))
            alpha.append(a)
            if j == m - 1:
                break
            q = torch.stack(basis)
            w = w - q.T @ (q @ w)           # full re-orthogonalisation, twice for safety
            w = w - q.T @ (q @ w)
            b = float(w.norm())
            if b < 1e-10 * max(1.0, abs(a)):   # an invariant subspace: the quadrature is exact
                break
            beta.append(b)
            basis.append(w / b)
        k = len(alpha)
        t = np.diag(alpha) + np.diag(beta[:k - 1], 1) + np.diag(beta[:k - 1], -1)
        theta, vecs = np.linalg.eigh(t)
        nodes.append(theta)
        weights.append(vecs[0] ** 2 / runs)
    return Density(nodes=np.concatenate(nodes), weights=np.concatenate(weights))


def _rademacher(n: int, like: Tensor, generator: torch.Generator | None) -> Tensor:
    z = torch.randint(0, 2, (n,), generator=generator, dtype=torch.int8) * 2 - 1
    return z.to(like.device, like.dtype)


def hessian_trace(obj: Objective, *, max_probes: int = TRACE_MAX_PROBES, min_probes: int = TRACE_MIN_PROBES,
                  rtol: float = TRACE_RTOL, generator: torch.Generator | None = None, exact: bool = True) -> Trace:
    """Hutchinson's tr H ≈ mean of zᵀHz over Rademacher probes z, stopping early once se ≤ rtol·|mean|;
    the exact trace (se 0, probes 0) where the objective computes it (`exact=True`)."""
    if exact and (value := obj.exact_trace()) is not None:
        return Trace(value, 0.0, 0, True)
    samples: list[float] = []
    mean, se = math.nan, math.nan
    while len(samples) < max_probes:   # probes in blocks (one batched HVP each), checked after every block
        block = min(TRACE_BLOCK, max_probes - len(samples))
        zs = torch.stack([_rademacher(obj.n_params, obj.theta, generator) for _ in range(block)])
        samples += (zs * obj.hvp_many(zs)).sum(dim=1).tolist()
        k = len(samples)
        if k >= min(min_probes, max_probes):
            arr = np.asarray(samples)
            mean = float(arr.mean())
            se = float(arr.std(ddof=1) / math.sqrt(k)) if k > 1 else math.inf
            if se <= rtol * abs(mean):
                return Trace(mean, se, k, True)
    return Trace(mean, se, len(samples), False)


def hessian_matrix(obj: Objective, *, block: int = 64) -> np.ndarray:
    """The dense Hessian (float64, symmetrised) from HVPs with blocks of unit vectors (hvp_many)."""
    n = obj.n_params
    eye = torch.eye(n, dtype=obj.theta.dtype, device=obj.theta.device)
    cols = [obj.hvp_many(eye[s:s + block]) for s in range(0, n, block)]
    h = torch.cat(cols).double().cpu().numpy()
    return (h + h.T) / 2



# ---------------------------------------------------------------- the registry's measure functions
# Each takes ctx, a measure_run.Measuring (model, data, spec, the sample's objective, initial weights), and writes
# its columns into ctx.out.

SEED_TRACE, SEED_LANCZOS, SEED_SLQ = 4, 6, 7   # offsets from spec.sample_seed of their random draws


def measure_hessian(ctx) -> None:   # λ_max, the trace, the gradient norm (and λ_min, with the critical-point test)
    spec, obj, out = ctx.spec, ctx.obj, ctx.out
    ext = extreme_eigenvalues(obj, ends="both" if ctx.bottom and not ctx.dense else "top",
                              generator=ctx.generator(SEED_LANCZOS))
    out.update(hessian_top_eig=ext.max, hessian_top_eig_err=ext.max_err, hessian_iters=ext.hvps,
               hessian_converged=ext.converged, grad_norm=gradient_norm(obj))
    if ctx.init_state is not None:   # the reference of the saddle rule (verdict.py): ‖g‖ at the start, same sample
        out["grad_norm_init"] = gradient_norm(objective(ctx.model, ctx.x_train[ctx.idx], ctx.y_train[ctx.idx],
                                                        ctx.loss_fn, state=ctx.init_state))
    if spec.hessian:
        tr = hessian_trace(obj, generator=ctx.generator(SEED_TRACE))
        out.update(hessian_trace=tr.value, hessian_trace_se=tr.se, hessian_trace_probes=tr.probes)
    if ctx.bottom and not ctx.dense:
        out.update(hessian_min_eig=ext.min, hessian_min_eig_err=ext.min_err)


def measure_spectrum(ctx) -> None:   # dense for small models; SLQ (no min ratio) for big ones
    out = ctx.out
    out["min_ratio_cut"] = RATIO_CUT
    if ctx.dense:
        # torch's LAPACK: ~18× faster than numpy's eigvalsh for 2,410 weights on this machine
        eig = torch.linalg.eigvalsh(torch.from_numpy(hessian_matrix(ctx.obj))).numpy()
        out["min_ratio"], out["n_eig_positive"], out["n_eig_negative"] = min_ratio(eig)
        # the exact ends replace Lanczos's: its bottom Ritz value can sit in the cluster near 0 above λ_min
        out.update(hessian_min_eig=float(eig[0]), hessian_min_eig_err=0.0, hessian_top_eig=float(eig[-1]),
                   hessian_top_eig_err=0.0)
        dens = dense_density(eig)
    else:
        out["min_ratio"], out["n_eig_positive"], out["n_eig_negative"] = math.nan, -1, -1   # -1: not counted
        dens = lanczos_density(ctx.obj, generator=ctx.generator(SEED_SLQ))
    if ctx.density_rows is not None:
        ctx.density_rows.extend({"kind": "spectrum", "eigenvalue": float(e), "weight": float(w)}
                                for e, w in zip(dens.nodes, dens.weights))


def measure_grad_norm_ratio(ctx) -> bool:   # ‖g‖/‖g₀‖ on the whole training set, when ctx has θ₀
    if ctx.init_state is None:
        return False
    final, initial = (gradient_norm(objective(ctx.model, ctx.x_train, ctx.y_train, ctx.loss_fn, state=state))
                      for state in (None, ctx.init_state))
    ctx.out["grad_norm_ratio"] = final / initial if initial > 0 else math.nan
    return True
