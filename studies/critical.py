"""The Hessian test at a critical point (the lecture notes 000/001), from Hessian-vector products:

- `gradient_norm`: ‖∇f‖ at θ: is this a critical point at all?
- `extreme_eigenvalues`: the bottom and the top Hessian eigenvalue together, by implicitly restarted
  Lanczos (scipy.sparse.linalg.eigsh, which="BE", on a LinearOperator of HVPs). Power iteration finds the
  eigenvalue of largest magnitude, which at a minimum is λ_max and never a small negative λ_min; Lanczos
  converges to both ends of the spectrum in one Krylov space.
- `min_ratio`: the notes' "minimum ratio" = (number of positive eigenvalues) / (number of eigenvalues),
  with eigenvalues |λ| ≤ cut·max|λ| counted as zero (not positive): 1 at a strict local minimum, below 1
  at a saddle or a flat valley.
- `lanczos_density`: stochastic Lanczos quadrature (Ubaru et al. 2017; PyHessian's density, Yao et al.
  2020): nodes and weights whose Gaussian-broadened sum is the spectral density, for models too big for
  a dense eigendecomposition; `dense_density` gives the same shape from all eigenvalues of a small model
  (curvature_charts.density_curve smooths either for drawing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from .objective import Objective

EIG_TOL = 1e-4           # ARPACK's relative accuracy of the Ritz values
EIG_MAX_HVPS = 3000      # the budget of HVPs for the two extreme eigenvalues
RATIO_CUT = 1e-3         # |λ| ≤ RATIO_CUT·max|λ| counts as zero, not positive (float32 HVP noise is ~1e-6)
SLQ_STEPS = 80           # Lanczos steps per run (PyHessian: iter = 100)
SLQ_RUNS = 3             # independent starting vectors (PyHessian: n_v = 1)


@dataclass(frozen=True)
class Extremes:
    min: float           # λ_min
    max: float           # λ_max
    hvps: int            # Hessian-vector products spent
    converged: bool


@dataclass(frozen=True)
class Density:
    nodes: np.ndarray    # Ritz values (or every eigenvalue)
    weights: np.ndarray  # summing to 1


def gradient_norm(obj: Objective) -> float:
    """‖∇f(θ)‖₂ on obj's data."""
    return float(obj.loss_grad()[1].double().norm())


def _operator(obj: Objective, counter: list[int]) -> LinearOperator:
    def matvec(v: np.ndarray) -> np.ndarray:
        counter[0] += 1
        t = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64).reshape(-1))
        return obj.hvp(t.to(obj.theta.device, obj.theta.dtype)).double().cpu().numpy()
    n = obj.n_params
    return LinearOperator((n, n), matvec=matvec, dtype=np.float64)


def extreme_eigenvalues(obj: Objective, *, tol: float = EIG_TOL, max_hvps: int = EIG_MAX_HVPS,
                        generator: torch.Generator | None = None) -> Extremes:
    """λ_min and λ_max of the Hessian by ARPACK's Lanczos (k = 2, both ends), from a seeded start vector.
    When the budget runs out the best Ritz values so far are returned with converged=False."""
    n = obj.n_params
    if n < 3:   # ARPACK needs k < n; a tiny model is solved densely
        cols = [obj.hvp(e).double().cpu().numpy() for e in torch.eye(n, dtype=obj.theta.dtype,
                                                                       device=obj.theta.device)]
        ev = np.linalg.eigvalsh((np.stack(cols) + np.stack(cols).T) / 2)
        return Extremes(float(ev[0]), float(ev[-1]), n, True)
    v0 = torch.randn(n, generator=generator, dtype=torch.float64).numpy()
    counter = [0]
    ncv = min(n - 1, 40)
    try:
        vals = eigsh(_operator(obj, counter), k=2, which="BE", v0=v0, tol=tol, ncv=ncv,
                     maxiter=max(1, max_hvps // ncv), return_eigenvectors=False)
        converged = True
    except ArpackNoConvergence as e:
        vals, converged = e.eigenvalues, False
        if len(vals) == 0:
            return Extremes(math.nan, math.nan, counter[0], False)
    return Extremes(float(np.min(vals)), float(np.max(vals)), counter[0], converged)


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
