"""After training: every estimator the spec switches on (the registry's order), as flat columns for the runs table.

Why one fixed sample: sharpness and curvature are measured on the same seeded `spec.sample` training examples
for every run of the same data (and the estimators' random draws are seeded from `spec.sample_seed`), so runs
are compared on the same directions and probes; the noise scale uses the whole training set. The model's
weights and mode are left as they were. Each estimator below is named by a `Measure` record in
`studies/measures/__init__.py`; RESULTS.md defines the columns, BENCHMARKS.md what each costs.
"""

from __future__ import annotations

import math
import time
import dataclasses
from dataclasses import dataclass
from typing import Callable, Mapping

import torch
from torch import Tensor, nn

from ..spec.config import MeasureSpec
from .. import measures
from . import estimators
from .hessian import (RATIO_CUT, SPECTRUM_MAX_PARAMS, dense_density, extreme_eigenvalues, gradient_norm,
                      hessian_matrix, hessian_trace, lanczos_density, min_ratio)
from .landscape import surface_rows
from .noise import NoiseProbe, noise_scale as estimate_noise_scale
from .reparam import logits_max_diff, rescaled, rescaled_state
from .objective import objective
from .sharpness import adaptive_sharpness, eps_sharpness, random_sharpness, sam_sharpness
from .track import HessianProbe, Probes

# Offsets of the per-estimator seeds from spec.sample_seed, so no two estimators share a random stream.
_SEED_EPS, _SEED_RAND, _SEED_TRACE, _SEED_NOISE, _SEED_LANCZOS, _SEED_SLQ, _SEED_SURFACE = 1, 2, 4, 5, 6, 7, 8


def sample_indices(n_train: int, sample: int, seed: int) -> Tensor:
    """The fixed measurement sample: the first min(sample, N) entries of a seeded permutation of N."""
    return torch.randperm(n_train, generator=torch.Generator().manual_seed(seed))[:min(sample, n_train)]


def eps_column(eps: float, first: bool) -> str:
    return "sharpness_eps" if first else f"sharpness_eps_{format(eps, 'g')}"


def _gen(spec: MeasureSpec, offset: int) -> torch.Generator:
    return torch.Generator().manual_seed(spec.sample_seed + offset)


def training_probe(model: nn.Module, x_train: Tensor, y_train: Tensor, loss_fn: Callable,
                   spec: MeasureSpec) -> NoiseProbe | HessianProbe | Probes | None:
    """The hook the training loops call to follow B_simple (noise_scale) and λ_max (hessian_track) over
    training; None when both are off. λ_max uses the first `track_sample` examples of the measurement sample
    (all of it when track_sample ≥ sample: then the last point is the run's own hessian_top_eig, within the
    error bars). An HVP costs about two full-batch epochs of a small MLP, so the default 512 keeps the
    tracking within ~15 % of a digits study's training."""
    probes = []
    if spec.noise_scale:
        probes.append(NoiseProbe(model, x_train, y_train, loss_fn, seed=spec.sample_seed + _SEED_NOISE))
    if spec.hessian_track:
        idx = sample_indices(len(x_train), min(spec.sample, spec.track_sample), spec.sample_seed).to(x_train.device)
        probes.append(HessianProbe(model, x_train[idx], y_train[idx], loss_fn,
                                   seed=spec.sample_seed + _SEED_LANCZOS))
    return None if not probes else probes[0] if len(probes) == 1 else Probes(*probes)


@dataclass
class Measuring:
    """What an estimator gets: the model and data, the spec, the objective on the measurement sample, and
    `out`, the row it writes its columns into. An estimator returns False when it does not apply (no time)."""

    model: nn.Module
    x_train: Tensor
    y_train: Tensor
    loss_fn: Callable[[Tensor, Tensor], Tensor]
    spec: MeasureSpec
    idx: Tensor
    obj: object
    init_state: Mapping[str, Tensor] | None
    density_rows: list[dict] | None
    probed: Mapping[str, tuple[float, float]] | None
    out: dict

    @property
    def bottom(self) -> bool:   # λ_min: ≥ 40 Lanczos steps where λ_max alone takes ~8 ...
        return bool(self.spec.critical or self.spec.spectrum)

    @property
    def dense(self) -> bool:    # ... unless the dense spectrum gives both ends
        return bool(self.spec.spectrum and self.obj.n_params <= SPECTRUM_MAX_PARAMS)


def measure_run(model: nn.Module, x_train: Tensor, y_train: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor],
                spec: MeasureSpec, *, init_state: Mapping[str, Tensor] | None = None,
                density_rows: list[dict] | None = None,
                probed: Mapping[str, tuple[float, float]] | None = None) -> dict[str, float | int | bool]:
    """Measure the trained `model` on its training data; returns only the columns `spec` turns on, plus
    measure_sample, measure_sample_seed, measure_time_s and a <name>_time_s per estimator (the registry's,
    studies.measures, in its order). Rows for the landscape table are appended to `density_rows` when given:
    the spectral density's (eigenvalue, weight) pairs (`spectrum`), the 2-D surface (`landscape_2d`) and the
    rescaling audit (`rescale_audit`)."""
    t_all = time.perf_counter()
    idx = sample_indices(len(x_train), spec.sample, spec.sample_seed).to(x_train.device)
    obj = objective(model, x_train[idx], y_train[idx], loss_fn)
    out: dict[str, float | int | bool] = {"measure_sample": len(idx), "measure_sample_seed": spec.sample_seed}
    ctx = Measuring(model, x_train, y_train, loss_fn, spec, idx, obj, init_state, density_rows, probed, out)
    for name, estimator in estimators(lambda s: getattr(spec, s)):
        t = time.perf_counter()
        if estimator(ctx) is not False:
            out[f"{name}_time_s"] = time.perf_counter() - t
    rows: list[dict] = []
    if spec.landscape_2d:
        t = time.perf_counter()
        rows += surface_rows(obj, spec.surface_points, _gen(spec, _SEED_SURFACE))
        out["surface_time_s"] = time.perf_counter() - t
    if spec.rescale_audit:
        t = time.perf_counter()
        rows += _audit(ctx)
        out["rescale_audit_time_s"] = time.perf_counter() - t
    if density_rows is not None:
        density_rows.extend(rows)
    out["measure_time_s"] = time.perf_counter() - t_all
    return out


def _audit(ctx: Measuring) -> list[dict]:
    """The rescaling audit (reparam.py): the same spec measured on the rescaled twin, one row per measured
    column with both values, their ratio and how far the twin's logits are from the model's. A model the
    audit refuses (batch norm) gets the reason in `rescale_audit_note` and no rows."""
    spec = ctx.spec
    try:
        twin = rescaled(ctx.model, spec.rescale_alpha)
        init = None if ctx.init_state is None else rescaled_state(ctx.model, dict(ctx.init_state), spec.rescale_alpha)
    except ValueError as e:
        ctx.out["rescale_audit_note"] = str(e)
        return []
    diff = logits_max_diff(ctx.model, twin, ctx.x_train[ctx.idx])
    plain = dataclasses.replace(spec, rescale_audit=False, landscape_2d=False)   # switches are keywords too
    again = measure_run(twin, ctx.x_train, ctx.y_train, ctx.loss_fn, plain, init_state=init)
    columns = [m.column for m in measures.measures() if m.column in ctx.out] + \
        [eps_column(e, False) for e in spec.sharpness_eps[1:]]   # the further ε of sharpness_eps
    return [{"kind": "audit", "measure": c, "original": float(ctx.out[c]), "rescaled": float(again[c]),
             "ratio": float(again[c]) / float(ctx.out[c]) if ctx.out[c] else math.nan,
             "logits_max_diff": diff, "rescale_alpha": spec.rescale_alpha} for c in columns if c in again]


# ---------------------------------------------------------------- the estimators the registry names

def sharpness_eps(ctx: Measuring) -> None:
    spec = ctx.spec
    for i, eps in enumerate(spec.sharpness_eps):
        r = eps_sharpness(ctx.obj, eps, iters=spec.lbfgs_iters, subspace_dim=spec.subspace_dim,
                          generator=_gen(spec, _SEED_EPS))
        ctx.out[eps_column(eps, i == 0)] = r.value
        if i == 0:
            ctx.out["sharpness_eps_iters"] = r.iters


def sharpness_adaptive(ctx: Measuring) -> None:   # ε-sharpness in the |w|-scaled box: survives a rescaling
    r = adaptive_sharpness(ctx.obj, ctx.spec.adaptive_eps, iters=ctx.spec.lbfgs_iters)
    ctx.out.update(sharpness_adaptive=r.value, sharpness_adaptive_iters=r.iters)


def sharpness_rand(ctx: Measuring) -> None:
    spec = ctx.spec
    r = random_sharpness(ctx.obj, sigma=spec.random_sigma, directions=spec.random_directions,
                         generator=_gen(spec, _SEED_RAND))
    ctx.out.update(sharpness_rand=r.value, sharpness_rand_se=r.se)


def sharpness_sam(ctx: Measuring) -> None:   # the curvature part (first-order term ρ‖g‖ subtracted) and the raw rise
    r = sam_sharpness(ctx.obj, rho=ctx.spec.sam_rho, m=ctx.spec.sam_m)
    ctx.out.update(sharpness_sam=r.value, sharpness_sam_raw=r.raw)


def hessian(ctx: Measuring) -> None:   # λ_max, the trace, the gradient norm (and λ_min, with the critical-point test)
    spec, obj, out = ctx.spec, ctx.obj, ctx.out
    ext = extreme_eigenvalues(obj, ends="both" if ctx.bottom and not ctx.dense else "top",
                              generator=_gen(spec, _SEED_LANCZOS))
    out.update(hessian_top_eig=ext.max, hessian_top_eig_err=ext.max_err, hessian_iters=ext.hvps,
               hessian_converged=ext.converged, grad_norm=gradient_norm(obj))
    if ctx.init_state is not None:   # the reference of the saddle rule (verdict.py): ‖g‖ at the start, same sample
        out["grad_norm_init"] = gradient_norm(objective(ctx.model, ctx.x_train[ctx.idx], ctx.y_train[ctx.idx],
                                                        ctx.loss_fn, state=ctx.init_state))
    if spec.hessian:
        tr = hessian_trace(obj, generator=_gen(spec, _SEED_TRACE))
        out.update(hessian_trace=tr.value, hessian_trace_se=tr.se, hessian_trace_probes=tr.probes)
    if ctx.bottom and not ctx.dense:
        out.update(hessian_min_eig=ext.min, hessian_min_eig_err=ext.min_err)


def spectrum(ctx: Measuring) -> None:   # dense for small models; SLQ (no min ratio) for big ones
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
        dens = lanczos_density(ctx.obj, generator=_gen(ctx.spec, _SEED_SLQ))
    if ctx.density_rows is not None:
        ctx.density_rows.extend({"kind": "spectrum", "eigenvalue": float(e), "weight": float(w)}
                                for e, w in zip(dens.nodes, dens.weights))


def noise_scale(ctx: Measuring) -> None:   # B_simple on the whole training set at the final weights
    _noise(ctx, "noise_scale", None)


def noise_scale_init(ctx: Measuring) -> bool:   # ... and at the initial weights, when the caller has them
    if ctx.init_state is None:
        return False
    _noise(ctx, "noise_scale_init", ctx.init_state)
    return True


def _noise(ctx: Measuring, column: str, state: Mapping[str, Tensor] | None) -> None:
    if ctx.probed and column in ctx.probed:   # the training probe computed exactly this (same weights, data
        ctx.out[column], ctx.out[f"{column}_se"] = ctx.probed[column]   # and draws): not twice
        return
    full = objective(ctx.model, ctx.x_train, ctx.y_train, ctx.loss_fn, state=state)
    r = estimate_noise_scale(full, generator=_gen(ctx.spec, _SEED_NOISE))
    ctx.out[column], ctx.out[f"{column}_se"] = r.value, r.se
