"""After training: every measurement the spec turns on, as flat columns for the `runs` table.

Sharpness and curvature use one fixed, seeded sample of the training set (`spec.sample` examples, drawn by
`torch.randperm` with `spec.sample_seed`, so every run with the same N sees the same examples); the noise
scale uses the whole training set, drawn without replacement. Random draws inside the estimators are seeded
from `spec.sample_seed` too, so runs are compared on the same directions and probes. The model's weights
and train/eval mode are left as they were (the caller puts it in eval mode first). Landscape rows are a
table of their own: the runner gets them from `landscape.random_slice_rows` / `interpolation_rows`.

`hessian` is the curvature: λ_max by Lanczos (`hessian_top_eig`, with `_err`, its residual bound: an
eigenvalue lies within ± it; Lanczos needs fewer HVPs than power iteration), the trace and the gradient
norm on the sample (`grad_norm`, and `grad_norm_init` at the initial weights when they are given: the
saddle rule's reference, verdict.py). `critical` (or `spectrum`) completes the notes' critical-point test
(000/001) with λ_min from the same Lanczos run (`hessian_min_eig`, `_err`), which takes ≥ 40 steps
where λ_max alone converges in ~8, so it is off by default; `spectrum` adds the
notes' minimum ratio (dense, small models) and a spectral density (dense eigenvalues, or stochastic
Lanczos quadrature for big models) as `spectrum` rows (eigenvalue, weight) for the landscape table.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Mapping

import numpy as np
import torch
from torch import Tensor, nn

from ..config import MeasureSpec
from .hessian import (RATIO_CUT, SPECTRUM_MAX_PARAMS, dense_density, extreme_eigenvalues, gradient_norm,
                      hessian_matrix, hessian_trace, lanczos_density, min_ratio)
from .noise import NoiseProbe, noise_scale
from .objective import objective
from .sharpness import eps_sharpness, random_sharpness, sam_sharpness

# Offsets of the per-estimator seeds from spec.sample_seed, so no two estimators share a random stream.
_SEED_EPS, _SEED_RAND, _SEED_TRACE, _SEED_NOISE, _SEED_LANCZOS, _SEED_SLQ = 1, 2, 4, 5, 6, 7


def sample_indices(n_train: int, sample: int, seed: int) -> Tensor:
    """The fixed measurement sample: the first min(sample, N) entries of a seeded permutation of N."""
    return torch.randperm(n_train, generator=torch.Generator().manual_seed(seed))[:min(sample, n_train)]


def eps_column(eps: float, first: bool) -> str:
    return "sharpness_eps" if first else f"sharpness_eps_{format(eps, 'g')}"


def _gen(spec: MeasureSpec, offset: int) -> torch.Generator:
    return torch.Generator().manual_seed(spec.sample_seed + offset)


def training_probe(model: nn.Module, x_train: Tensor, y_train: Tensor, loss_fn: Callable,
                   spec: MeasureSpec) -> NoiseProbe | None:
    """The hook the training loops call to follow B_simple over training (None when noise_scale is off)."""
    if not spec.noise_scale:
        return None
    return NoiseProbe(model, x_train, y_train, loss_fn, seed=spec.sample_seed + _SEED_NOISE)


def measure_run(model: nn.Module, x_train: Tensor, y_train: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor],
                spec: MeasureSpec, *, init_state: Mapping[str, Tensor] | None = None,
                density_rows: list[dict] | None = None,
                probed: Mapping[str, tuple[float, float]] | None = None) -> dict[str, float | int | bool]:
    """Measure the trained `model` on its training data; returns only the columns `spec` turns on, plus
    measure_sample, measure_sample_seed, measure_time_s and a <name>_time_s per estimator. With `spectrum`
    on, the spectral density's (eigenvalue, weight) pairs are appended to `density_rows` when given."""
    t_all = time.perf_counter()
    idx = sample_indices(len(x_train), spec.sample, spec.sample_seed).to(x_train.device)
    obj = objective(model, x_train[idx], y_train[idx], loss_fn)
    out: dict[str, float | int | bool] = {"measure_sample": len(idx), "measure_sample_seed": spec.sample_seed}

    def timed(name: str, fn: Callable[[], None]) -> None:
        t = time.perf_counter()
        fn()
        out[f"{name}_time_s"] = time.perf_counter() - t

    def eps_all() -> None:
        for i, eps in enumerate(spec.sharpness_eps):
            r = eps_sharpness(obj, eps, iters=spec.lbfgs_iters, subspace_dim=spec.subspace_dim,
                              generator=_gen(spec, _SEED_EPS))
            out[eps_column(eps, i == 0)] = r.value
            if i == 0:
                out["sharpness_eps_iters"] = r.iters

    def rand() -> None:
        r = random_sharpness(obj, sigma=spec.random_sigma, directions=spec.random_directions,
                             generator=_gen(spec, _SEED_RAND))
        out.update(sharpness_rand=r.value, sharpness_rand_se=r.se)

    def sam() -> None:   # the curvature part (first-order term ρ‖g‖ subtracted) and the raw rise
        r = sam_sharpness(obj, rho=spec.sam_rho, m=spec.sam_m)
        out.update(sharpness_sam=r.value, sharpness_sam_raw=r.raw)

    def hessian() -> None:   # λ_max, the trace, the gradient norm (and λ_min, with the critical-point test)
        ext = extreme_eigenvalues(obj, ends="both" if bottom and not dense else "top",
                                  generator=_gen(spec, _SEED_LANCZOS))
        out.update(hessian_top_eig=ext.max, hessian_top_eig_err=ext.max_err, hessian_iters=ext.hvps,
                   hessian_converged=ext.converged, grad_norm=gradient_norm(obj))
        if init_state is not None:   # the reference of the saddle rule (verdict.py): ‖g‖ at the start, same sample
            out["grad_norm_init"] = gradient_norm(objective(model, x_train[idx], y_train[idx], loss_fn,
                                                            state=init_state))
        if spec.hessian:
            tr = hessian_trace(obj, generator=_gen(spec, _SEED_TRACE))
            out.update(hessian_trace=tr.value, hessian_trace_se=tr.se, hessian_trace_probes=tr.probes)
        if bottom and not dense:
            out.update(hessian_min_eig=ext.min, hessian_min_eig_err=ext.min_err)

    def spec_min_ratio() -> None:   # dense for small models; SLQ (no min ratio) for big ones
        out["min_ratio_cut"] = RATIO_CUT
        if dense:
            # torch's LAPACK: ~18× faster than numpy's eigvalsh for 2,410 weights on this machine
            eig = torch.linalg.eigvalsh(torch.from_numpy(hessian_matrix(obj))).numpy()
            out["min_ratio"], out["n_eig_positive"], out["n_eig_negative"] = min_ratio(eig)
            # the exact ends replace Lanczos's: its bottom Ritz value can sit in the cluster near 0 above λ_min
            out.update(hessian_min_eig=float(eig[0]), hessian_min_eig_err=0.0, hessian_top_eig=float(eig[-1]),
                       hessian_top_eig_err=0.0)
            dens = dense_density(eig)
        else:
            out["min_ratio"], out["n_eig_positive"], out["n_eig_negative"] = math.nan, -1, -1   # -1: not counted
            dens = lanczos_density(obj, generator=_gen(spec, _SEED_SLQ))
        if density_rows is not None:
            density_rows.extend({"kind": "spectrum", "eigenvalue": float(e), "weight": float(w)}
                                for e, w in zip(dens.nodes, dens.weights))

    def noise_at(column: str, state: Mapping[str, Tensor] | None) -> Callable[[], None]:
        def run() -> None:   # on the whole training set, at the final weights or at `state`
            if probed and column in probed:   # the training probe computed exactly this (same weights,
                out[column], out[f"{column}_se"] = probed[column]   # data and draws): not twice
                return
            full = objective(model, x_train, y_train, loss_fn, state=state)
            r = noise_scale(full, generator=_gen(spec, _SEED_NOISE))
            out[column], out[f"{column}_se"] = r.value, r.se
        return run

    if spec.sharpness_eps:
        timed("sharpness_eps", eps_all)
    if spec.sharpness_random:
        timed("sharpness_rand", rand)
    if spec.sharpness_sam:
        timed("sharpness_sam", sam)
    bottom = spec.critical or spec.spectrum   # λ_min: ≥ 40 Lanczos steps where λ_max alone takes ~8 ...
    dense = spec.spectrum and obj.n_params <= SPECTRUM_MAX_PARAMS   # ... unless the dense spectrum gives both ends
    if spec.hessian or bottom:
        timed("hessian", hessian)
    if spec.spectrum:
        timed("spectrum", spec_min_ratio)
    if spec.noise_scale:
        timed("noise_scale", noise_at("noise_scale", None))
        if init_state is not None:
            timed("noise_scale_init", noise_at("noise_scale_init", init_state))
    out["measure_time_s"] = time.perf_counter() - t_all
    return out
