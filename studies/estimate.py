"""A rough time estimate for a study before it runs: the grid size and seconds, from a simple cost model.

One training step costs a fixed overhead (kernel launches, the optimizer) plus 6 · parameters · batch
floating-point operations (forward 2, backward 4); an epoch is ceil(n / B) steps plus a forward pass over the
train and test sets for the metrics; measurements cost a few hundred Hessian-vector products on the sample.
The constants were fitted on a 2-core CPU (examples/quick.toml: 41 s measured) and a rule of thumb for one
GPU; the answer is good to a factor of about three, which is what a "should I launch this?" needs.
No torch, no data loading: data-set sizes come from the table below.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .config import StudySpec

# name: (training examples, input features, classes); "synthetic" and "moons" read [data] instead.
DATASET_SIZES = {
    "digits": (1437, 64, 10), "wine": (142, 13, 3), "breast_cancer": (455, 30, 2), "mnist1d": (4000, 40, 10),
    "mnist": (60000, 784, 10), "fashion_mnist": (60000, 784, 10), "cifar10": (50000, 3072, 10),
}
# Per device slot: (sustained FLOP/s on small models, seconds of overhead per step).
DEVICE_SPEED = {"cpu": (5e10, 4e-4), "cuda": (5e12, 1.5e-4), "mps": (1e12, 3e-4)}
STARTUP_S = 5.0            # python + torch import + data load, once per study
HVPS_PER_ESTIMATE = 100    # power iteration / Hutchinson: about this many Hessian-vector products each
CNN_FLOPS_FACTOR = 20      # a small conv net spends about this many FLOPs per weight per example


@dataclass(frozen=True)
class Estimate:
    n_runs: int
    seconds: float
    n_train: int
    n_params: int
    slowest_run_s: float   # usually the smallest batch size

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


def data_shape(spec: StudySpec, csv_shape: tuple[int, int, int] | None = None) -> tuple[int, int, int]:
    """(training examples, features, classes) without loading the data."""
    d = spec.data
    if spec.dataset.startswith("csv:"):
        rows, feats, classes = csv_shape or (1000, 20, 2)
        return max(1, round(rows * (1 - d.test_fraction))), feats, classes
    if spec.dataset == "synthetic":
        return round(d.n_samples * (1 - d.test_fraction)), d.n_features, d.n_classes
    if spec.dataset == "moons":
        return round(d.n_samples * (1 - d.test_fraction)), 2, 2
    return DATASET_SIZES[spec.dataset]


def n_params(spec: StudySpec, features: int, classes: int) -> int:
    widths = [features, *spec.hidden, classes]
    return sum(a * b + b for a, b in zip(widths, widths[1:]))


def estimate(spec: StudySpec, slot: str = "cpu", csv_shape: tuple[int, int, int] | None = None) -> Estimate:
    """Grid size and rough seconds for ``spec`` on the device ``slot`` (cpu | cuda | mps)."""
    flops, overhead = DEVICE_SPEED.get(slot, DEVICE_SPEED["cpu"])
    n_train, features, classes = data_shape(spec, csv_shape)
    params = n_params(spec, features, classes)
    per_example = 6 * params * (CNN_FLOPS_FACTOR if spec.model == "cnn" else 1)
    n_test = max(1, round(n_train * spec.data.test_fraction / (1 - spec.data.test_fraction)))
    eval_s = (n_train + n_test) * per_example / 3 / flops
    m = spec.measure
    hvps = (len(m.sharpness_eps) * m.lbfgs_iters * 3 + m.random_directions * m.sharpness_random
            + HVPS_PER_ESTIMATE * 2 * m.hessian + HVPS_PER_ESTIMATE // 2 * m.noise_scale
            + m.landscape_points * 2 * m.landscape + 20 * m.sharpness_sam)
    measure_s = hvps * (min(m.sample, n_train) * per_example / flops + 5 * overhead)
    runs = []
    for b in spec.batch_sizes:
        b = n_train if b == "full" else min(b, n_train)
        steps = math.ceil(n_train / b)
        epoch_s = steps * (overhead + b * per_example / flops) + eval_s
        runs.append(spec.epochs * epoch_s + measure_s)
    per_grid_point = len(spec.optimizers) * len(spec.shuffle) * len(spec.seeds)
    total = STARTUP_S + per_grid_point * sum(runs)
    return Estimate(n_runs=spec.n_runs, seconds=total, n_train=n_train, n_params=params,
                    slowest_run_s=max(runs) if runs else 0.0)
