"""Hessian curvature of the loss at the trained weights, from Hessian-vector products (as PyHessian,
Yao et al. 2020, but three small functions):

- `top_eigenvalue`: power iteration, stopped when the Rayleigh quotient changes by less than `tol`
  relative. Power iteration finds the eigenvalue of largest *magnitude*; at a minimum that is λ_max.
- `hessian_trace`: Hutchinson's estimator tr H = E[zᵀHz] with Rademacher z, with its standard error; for
  models.py's MLP with cross-entropy the exact trace instead (Objective.exact_trace, se 0, no probes).
- `spectrum`: every eigenvalue of the dense Hessian (models under ~5,000 weights), and the notes' "minimum
  ratio" = positive / all (critical.min_ratio: 1 at a strict minimum, lower at a saddle or a flat valley).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .objective import Objective

POWER_TOL = 1e-3          # relative change of the eigenvalue estimate between iterations (PyHessian's)
POWER_MAX_ITERS = 100
TRACE_MAX_PROBES = 30     # the budget: Hutchinson dominates measurement time; its se is reported with it
TRACE_MIN_PROBES = 10     # never trust a standard error from fewer probes
TRACE_RTOL = 0.05         # stop once the standard error is below 5 % of the estimate
TRACE_BLOCK = 10          # probes per batched HVP (Objective.hvp_many): cheaper per probe than one at a time
SPECTRUM_MAX_PARAMS = 5000
SPECTRUM_ZERO_TOL = 1e-5  # |λ| below this × max|λ| counts as zero (float32 HVP noise), not negative


@dataclass(frozen=True)
class TopEigen:
    value: float
    iters: int
    converged: bool


@dataclass(frozen=True)
class Trace:
    value: float
    se: float            # standard error of the mean over probes
    probes: int
    converged: bool      # se ≤ rtol·|value| reached before max_probes


@dataclass(frozen=True)
class Spectrum:
    eigenvalues: np.ndarray   # ascending, float64
    min_ratio: float          # share of eigenvalues > zero_tol·max|λ| (the notes' positive / all)
    n_negative: int
    n_positive: int           # > zero_tol·max|λ|


def _gaussian(n: int, like: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.randn(n, generator=generator, dtype=torch.float64).to(like.device, like.dtype)


def _rademacher(n: int, like: Tensor, generator: torch.Generator | None) -> Tensor:
    z = torch.randint(0, 2, (n,), generator=generator, dtype=torch.int8) * 2 - 1
    return z.to(like.device, like.dtype)


def top_eigenvalue(obj: Objective, *, tol: float = POWER_TOL, max_iters: int = POWER_MAX_ITERS,
                   generator: torch.Generator | None = None) -> TopEigen:
    """Largest-magnitude Hessian eigenvalue by power iteration from a seeded Gaussian start."""
    v = _gaussian(obj.n_params, obj.theta, generator)
    v = v / v.norm()
    lam = math.nan
    for it in range(1, max_iters + 1):
        hv = obj.hvp(v)
        new = float(torch.dot(v, hv))            # Rayleigh quotient, v has unit norm
        norm = hv.norm()
        if float(norm) == 0.0:                   # v in the null space: H = 0 along everything we saw
            return TopEigen(0.0, it, True)
        v = hv / norm
        if abs(new - lam) <= tol * abs(lam):     # False while lam is nan
            return TopEigen(new, it, True)
        lam = new
    return TopEigen(lam, max_iters, False)


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


def spectrum(obj: Objective, *, max_params: int = SPECTRUM_MAX_PARAMS,
             zero_tol: float = SPECTRUM_ZERO_TOL) -> Spectrum:
    """All Hessian eigenvalues by numpy.linalg.eigvalsh of the dense Hessian."""
    if obj.n_params > max_params:
        raise ValueError(f"the model has {obj.n_params} parameters; the dense spectrum is limited to "
                         f"{max_params} (use top_eigenvalue / hessian_trace)")
    eig = np.linalg.eigvalsh(hessian_matrix(obj))
    cut = zero_tol * float(np.abs(eig).max(initial=0.0))
    n_neg = int((eig < -cut).sum())
    n_pos = int((eig > cut).sum())
    return Spectrum(eigenvalues=eig, min_ratio=n_pos / len(eig), n_negative=n_neg, n_positive=n_pos)
