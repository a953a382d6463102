"""After training: every estimator the spec switches on (the registry's order), as flat columns for the runs table.

Why one fixed sample: sharpness and curvature are measured on the same seeded `spec.sample` training examples
for every run of the same data (and the estimators' random draws are seeded from `spec.sample_seed`), so runs
are compared on the same directions and probes; the noise scale uses the whole training set. The model's
weights and mode are left as they were. Each estimator is a `measure_<name>` function beside the maths it calls
(sharpness.py, hessian.py, noise.py, …), named by a `Measure` record in `studies/measures/__init__.py`; it gets
a `Measuring` and writes its columns into ``ctx.out``. RESULTS.md defines the columns, BENCHMARKS.md what each
costs.
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
from .hessian import SEED_LANCZOS, SPECTRUM_MAX_PARAMS
from .landscape import surface_rows
from .noise import SEED_NOISE, NoiseProbe
from .reparam import logits_max_diff, rescaled, rescaled_state
from .objective import objective
from .sharpness import eps_column
from .track import HessianProbe, Probes

# Each estimator's random draws are seeded spec.sample_seed + an offset its module owns (sharpness 1, 2; hessian
# 4, 6, 7; noise 5), so no two share a random stream; the 2-D surface's is here.
_SEED_SURFACE = 8


def sample_indices(n_train: int, sample: int, seed: int) -> Tensor:
    """The fixed measurement sample: the first min(sample, N) entries of a seeded permutation of N."""
    return torch.randperm(n_train, generator=torch.Generator().manual_seed(seed))[:min(sample, n_train)]


def training_probe(model: nn.Module, x_train: Tensor, y_train: Tensor, loss_fn: Callable,
                   spec: MeasureSpec) -> NoiseProbe | HessianProbe | Probes | None:
    """The hook the training loops call to follow B_simple (noise_scale) and λ_max (hessian_track) over
    training; None when both are off. λ_max uses the first `track_sample` examples of the measurement sample
    (all of it when track_sample ≥ sample: then the last point is the run's own hessian_top_eig, within the
    error bars). An HVP costs about two full-batch epochs of a small MLP, so the default 512 keeps the
    tracking within ~15 % of a digits study's training."""
    probes = []
    if spec.noise_scale:
        probes.append(NoiseProbe(model, x_train, y_train, loss_fn, seed=spec.sample_seed + SEED_NOISE))
    if spec.hessian_track:
        idx = sample_indices(len(x_train), min(spec.sample, spec.track_sample), spec.sample_seed).to(x_train.device)
        probes.append(HessianProbe(model, x_train[idx], y_train[idx], loss_fn,
                                   seed=spec.sample_seed + SEED_LANCZOS))
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
    probed: Mapping[str, tuple[float, float, float]] | None
    out: dict

    def generator(self, offset: int) -> torch.Generator:
        """The random stream of the estimator whose seed offset is ``offset`` (its module's SEED_*)."""
        return torch.Generator().manual_seed(self.spec.sample_seed + offset)

    @property
    def bottom(self) -> bool:   # λ_min: ≥ 40 Lanczos steps where λ_max alone takes ~8 ...
        return bool(self.spec.critical or self.spec.spectrum)

    @property
    def dense(self) -> bool:    # ... unless the dense spectrum gives both ends
        return bool(self.spec.spectrum and self.obj.n_params <= SPECTRUM_MAX_PARAMS)


def measure_run(model: nn.Module, x_train: Tensor, y_train: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor],
                spec: MeasureSpec, *, init_state: Mapping[str, Tensor] | None = None,
                density_rows: list[dict] | None = None,
                probed: Mapping[str, tuple[float, float, float]] | None = None) -> dict[str, float | int | bool]:
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
        rows += surface_rows(obj, spec.surface_points, ctx.generator(_SEED_SURFACE))
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
