"""A rough time estimate for a study before it runs: the grid size and seconds, from a simple cost model.

One training step costs a fixed overhead (kernel launches, the optimizer) plus 6 · parameters · batch
floating-point operations (forward 2, backward 4); an epoch is ceil(n / B) steps plus a forward pass over the
train and test sets for the metrics; each measurement costs its Hessian-vector products on the sample
(``MeasureSpec.hvp_units``, from each switch's registry record), λ_max tracking a few at every probe epoch,
ghost batch norm a little per chunk, and the two per-configuration views surface_points² forward passes (the 2-D landscape) or every measure again (the
rescaling audit). The constants were fitted on a 2-core CPU by thread CPU time and a rule of thumb for one
GPU; the answer is good to a factor of about three (tests/test_harden4_estimate.py holds each part to it on a
real run), which is what a "should I launch this?" needs.
No torch, no data loading: data-set sizes come from the table below.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from .budget import check_epochs, phase_counts, targeted
from .config import SpecError, StudySpec
from .dataset_facts import facts
from .model_facts import model_cost

# Per device slot: (sustained FLOP/s on small models, seconds of overhead per step).
DEVICE_SPEED = {"cpu": (5e10, 4e-4), "cuda": (5e12, 1.5e-4), "mps": (1e12, 3e-4)}
STARTUP_S = 5.0            # python + torch import + data load, once per study
CNN_FLOPS_FACTOR = 20      # a small conv net spends about this many FLOPs per weight per example


@dataclass(frozen=True)
class Estimate:
    n_runs: int
    seconds: float
    n_train: int
    n_params: int
    slowest_run_s: float   # usually the smallest batch size
    capped: bool = False   # some runs stop at a target: ``seconds`` counts them to their epoch cap, an upper end
    parts: tuple = ()      # (what, seconds) summing to ``seconds``: startup, training, evaluation, each measure …

    @property
    def text(self) -> str:
        return f"{self.n_runs} runs, about {format_seconds(self.seconds)} (rough: ±3×)"


def format_seconds(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "—"
    s = max(0.0, s)
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def data_shape(spec: StudySpec, csv_shape: tuple[int, int, int] | None = None,
               whole: bool = False) -> tuple[int, int, int]:
    """(training examples, features, classes) without loading the data: the first ``[data] subset`` examples
    when it is set, unless ``whole`` (what is loaded into memory)."""
    n, feats, classes = _whole_shape(spec, csv_shape)
    return (n if whole or not spec.data.subset else min(n, spec.data.subset)), feats, classes


def _whole_shape(spec: StudySpec, csv_shape) -> tuple[int, int, int]:
    d = spec.data
    if spec.dataset.startswith("csv:"):
        rows, feats, classes = csv_shape or (1000, 20, 2)
        return max(1, round(rows * (1 - d.test_fraction))), feats, classes
    if spec.dataset == "synthetic":
        return round(d.n_samples * (1 - d.test_fraction)), d.n_features, d.n_classes
    if spec.dataset == "moons":
        return round(d.n_samples * (1 - d.test_fraction)), 2, 2
    return facts(spec.dataset).size


def _paper_cost(spec: StudySpec, classes: int):
    """resnet20 / keskar_c1 on the set's image shape (model_facts.py), else None."""
    return model_cost(spec.model, facts(spec.dataset).shape, classes) if not spec.dataset.startswith("csv:") else None


def n_params(spec: StudySpec, features: int, classes: int) -> int:
    cost = _paper_cost(spec, classes)
    if cost is not None:
        return cost.weights
    widths = [features, *spec.hidden, classes]
    norm = sum(spec.hidden) if spec.norm != "none" else 0   # a norm's γ and β: one more than the bias they replace
    return sum(a * b + b for a, b in zip(widths, widths[1:])) + norm


# What each [measure] switch costs one run, in units of one Hessian-vector product (or gradient) over the
# measurement sample: fitted on this 2-core CPU by thread CPU time (tests/test_harden4_estimate.py checks each
# within 3× on a real run). Every registered switch has an entry (a test holds that), so no measure is free.
SPECTRUM_DENSE_MAX = 5000   # measures.hessian.SPECTRUM_MAX_PARAMS: the dense Hessian below, SLQ above
SLQ_UNITS = 600              # 3 Lanczos runs of 80 steps, fully re-orthogonalised: ~2.5 HVP units a step


def spectrum_s(params: int, unit_flops_s: float, flops: float) -> float:
    """The spectral density: below SPECTRUM_DENSE_MAX weights the dense Hessian (one HVP per weight, batched:
    about half an HVP's cost each) and its eigenvalues (params³ at a fifth of the FLOP rate); above,
    stochastic Lanczos quadrature."""
    if params <= SPECTRUM_DENSE_MAX:
        return params * unit_flops_s / 2 + params ** 3 * 5 / flops   # batched: about half an HVP a weight
    return SLQ_UNITS * unit_flops_s


TRACK_UNITS_PER_PROBE = 8    # λ_max at a probe epoch: Lanczos from the last probe's vector, on track_sample
GHOST_CHUNK_S = 2e-6         # per ghost chunk and norm layer in a step (chunks are normalised as one group)


def probe_count(epochs: int) -> int:
    """The probe epochs of a run of ``epochs`` (noise.probe_epoch): 0, the powers of four up to it, the last."""
    fours = (max(1, epochs).bit_length() + 1) // 2 if epochs >= 1 else 0   # 1, 4, 16, … ≤ epochs
    last_is_four = epochs >= 1 and epochs & (epochs - 1) == 0 and (epochs.bit_length() - 1) % 2 == 0
    return 1 + fours + (0 if last_is_four or epochs < 1 else 1)


def estimate(spec: StudySpec, slot: str = "cpu", csv_shape: tuple[int, int, int] | None = None) -> Estimate:
    """Grid size and rough seconds for ``spec`` on the device ``slot`` (cpu | cuda | mps). ``parts`` says where
    the seconds go: startup, training, evaluation, each measure, the λ_max tracking, ghost batch norm's chunks,
    the 2-D surfaces and the rescaling audits (one of each per configuration: optimizer × lr × batch size ×
    order, on one seed, as the runner assigns them)."""
    flops, overhead = DEVICE_SPEED.get(slot, DEVICE_SPEED["cpu"])
    n_train, features, classes = data_shape(spec, csv_shape)
    params = n_params(spec, features, classes)
    cost = _paper_cost(spec, classes)
    per_example = cost.train_flops if cost else 6 * params * (CNN_FLOPS_FACTOR if spec.model == "cnn" else 1)
    n_test = max(1, round(n_train * spec.data.test_fraction / (1 - spec.data.test_fraction)))
    eval_s = (n_train + n_test) * per_example / 3 / flops
    m = spec.measure
    sample = min(m.sample, n_train)
    unit = sample * per_example / flops + 5 * overhead                     # one HVP over the sample
    per_run = {k: u * unit for k, u in m.hvp_units().items()}   # each switch's price, from its record
    if m.spectrum:
        per_run["spectrum"] = spectrum_s(params, unit, flops)
    measure_s = sum(per_run.values())
    track_unit = min(sample, m.track_sample) * per_example / flops + 5 * overhead
    layers = len(spec.hidden) if spec.norm == "ghost" else 0
    n_lrs = sum(len(spec.lrs_for(o)) for o in spec.optimizers)
    members = n_lrs * len(spec.shuffle) * len(spec.seeds)                 # runs per batch size and budget
    parts = dict.fromkeys(("training", "evaluation", "hessian_track", "ghost_batch"), 0.0)
    runs = []
    for b in spec.batch_sizes:   # O(grid): each budget's phases in closed form, never a loop over epochs
        b = n_train if b == "full" else min(b, n_train)
        for budget in spec.budgets or ("",):
            epochs = check_epochs(budget, b, n_train, spec.drop_last) or spec.epochs
            phases = phase_counts(b, epochs, spec.batch_schedule, spec.batch_growth, n_train)
            train = sum(n * math.ceil(n_train / s) * (overhead + s * per_example / flops) for s, n in phases)
            ghost = sum(n * math.ceil(n_train / s) * math.ceil(s / spec.ghost_batch) * layers * GHOST_CHUNK_S
                        for s, n in phases) if layers else 0.0
            track = probe_count(epochs) * TRACK_UNITS_PER_PROBE * track_unit if m.hessian_track else 0.0
            parts["training"] += members * train
            parts["evaluation"] += members * epochs * eval_s
            parts["ghost_batch"] += members * ghost
            parts["hessian_track"] += members * track
            runs.append(train + epochs * eval_s + ghost + track + measure_s)
    n_runs_grid = len(runs) * members
    for k, v in per_run.items():
        parts[k] = parts.get(k, 0.0) + v * n_runs_grid
    configs = n_lrs * len(spec.shuffle) * len(spec.batch_sizes)          # the runner's per-configuration views
    if m.landscape_2d:   # surface_points² forward passes over the sample (the MLP's first layer formed once)
        p = m.surface_points
        parts["landscape_2d"] = configs * (p * p * sample * per_example / 3 / flops + p * overhead)
    if m.rescale_audit:  # every measure again on the rescaled twin
        parts["rescale_audit"] = configs * measure_s
    parts = {"startup": STARTUP_S, **{k: v for k, v in parts.items() if v}}
    views = parts.get("landscape_2d", 0.0) + parts.get("rescale_audit", 0.0)
    total = sum(parts.values())
    capped = targeted(spec) and (not spec.budgets or "target" in spec.budgets)
    return Estimate(n_runs=spec.n_runs, seconds=total, n_train=n_train, n_params=params,
                    slowest_run_s=max(runs) + views / max(1, configs) if runs else 0.0, capped=capped,
                    parts=tuple(parts.items()))


def confirm_above_s() -> float:
    """Estimated seconds above which the New-study page asks before launching: $BATCHSCOPE_CONFIRM_HOURS
    (the server's owner sets it), default one hour."""
    try:
        return float(os.environ.get("BATCHSCOPE_CONFIRM_HOURS") or 1.0) * 3600
    except ValueError:
        return 3600.0


# ---------------------------------------------------------------- will it fit in memory?

BYTES_PER_WEIGHT = 32        # float32 weights, gradients, two optimizer states, the initial and final copies
BYTES_PER_DATA_VALUE = 24    # float64 as generated/parsed, its split copy, the standardised float32 tensors
BYTES_PER_PIXEL = 9          # the image files' sets: uint8 as read, then float32 twice while standardised


def memory_limit_bytes() -> int:
    """What one study may use: $BATCHSCOPE_MAX_MEMORY_GB, else half of this machine's physical memory."""
    given = os.environ.get("BATCHSCOPE_MAX_MEMORY_GB")
    if given:
        try:
            return int(float(given) * 2 ** 30)
        except ValueError:
            pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):   # no sysconf (Windows): assume 8 GB
        return 4 * 2 ** 30


def memory_bytes(spec: StudySpec, csv_shape: tuple[int, int, int] | None = None) -> tuple[int, int]:
    """(bytes for the data, bytes for the largest stack of models) a study needs at its peak, roughly.
    A csv: study without a known shape counts only its model (the loader bounds the file itself)."""
    n_whole = data_shape(spec, csv_shape, whole=True)[0]   # a subset is cut from the whole set, loaded
    n_train, features, classes = data_shape(spec, csv_shape)
    n_all = n_whole / (1 - spec.data.test_fraction)
    per_value = BYTES_PER_PIXEL if "data_dir" in facts(spec.dataset).uses else BYTES_PER_DATA_VALUE
    data = 0 if spec.dataset.startswith("csv:") and not csv_shape else int(n_all * features * per_value)
    cost = _paper_cost(spec, classes)
    stack = 1 if cost else len(spec.seeds) * len(spec.shuffle)   # the stacked engine trains MLPs as one model
    widest = max([features, *spec.hidden, classes])
    batch = max(n_train if b == "full" else min(b, n_train) for b in spec.batch_sizes)
    activations = 4 * batch * (cost.activations if cost else 3 * widest * (len(spec.hidden) + 2))
    model = n_params(spec, features, classes) * BYTES_PER_WEIGHT * stack + activations * stack
    return data, model


def check_fits(spec: StudySpec, csv_shape: tuple[int, int, int] | None = None, limit: int | None = None) -> None:
    """Refuse, before anything is built, a study whose data or models cannot fit in memory: a SpecError
    naming the field to change, with the size estimate (a 4×65,536 MLP: 12.9 G weights, about 412 GB)."""
    limit = memory_limit_bytes() if limit is None else limit
    data, model = memory_bytes(spec, csv_shape)
    if data > limit:
        n_train, features, _ = data_shape(spec, csv_shape)
        field = "data.n_samples" if spec.dataset in ("synthetic", "moons") else "dataset"
        raise SpecError(field, key="spec.data_too_big", examples=f"{n_train / (1 - spec.data.test_fraction):,.0f}",
                        features=f"{features:,}", size=_gb(data), limit=_gb(limit))
    if data + model > limit:
        _, features, classes = data_shape(spec, csv_shape)
        raise SpecError("hidden", key="spec.model_too_big", weights=f"{n_params(spec, features, classes):,}",
                        k=len(spec.seeds) * len(spec.shuffle), size=_gb(data + model), limit=_gb(limit))


def _gb(n: float) -> str:
    return f"{n / 2 ** 30:,.1f} GB" if n >= 2 ** 30 else f"{n / 2 ** 20:,.0f} MB"
