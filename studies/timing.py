"""The timing pass: a run's solo epoch time and the thread count it should train with, both measured.

Epoch time is a property of device × model × batch size × optimizer (DESIGN.md), so it is measured on a
throwaway copy of the run, alone on the device, with the engine the run trains with: warm up, then time a
few epochs (or, where an epoch is long, its first steps, scaled to the whole epoch), trying each candidate
thread count in turn, the median per count, the fastest count wins. Runs that then train side by side or
stacked report this figure (``timing = "timing-pass"``), never their shared wall time. Small batches are
launch-bound and lose to thread hand-offs, large ones are matmul-bound: where the switch lies depends on
the model and the machine (and on what else runs on it), so it is measured, not guessed.
"""
from __future__ import annotations

import dataclasses
import math
import os
import statistics

import torch

from .batches import batch_bounds, epoch_orders
from .config import RunSpec
from .data import Dataset
from .device import Stopwatch
from .ensemble import StackedTrainer, stackable
from .models import build_model
from .optim import make_loss, make_optimizer
from .train import plain_steps

BUDGET_S = 0.05   # wall time of one timed measurement; three per candidate, alternating
REPEATS = 3
_cache: dict[tuple, "Timing"] = {}


@dataclasses.dataclass(frozen=True)
class Timing:
    epoch_time_s: float            # solo epoch time with the best thread count
    threads: int                   # the best thread count (on a GPU: torch's CPU threads, untouched)
    step_time_s: float             # per full-size step with that count
    timed_steps: int               # steps per measurement; < steps_per_epoch: scaled up from them
    steps_per_epoch: int
    by_threads: dict               # thread count → epoch time (s)


def ladder(top: int) -> list[int]:
    """1, 2, 4, ... up to ``top``, and ``top`` itself."""
    return sorted({min(1 << i, top) for i in range(max(1, top).bit_length() + 1)})


def thread_candidates() -> list[int]:
    """The thread counts the timing pass tries on a CPU: 1, 2, 4, ... and all cores."""
    return ladder(os.cpu_count() or 1)


def timing_key(run: RunSpec, device: torch.device) -> tuple:
    """What epoch time depends on: model, data shape, batch size, optimizer, loss (not seed or shuffle)."""
    return (run.dataset, run.data, run.model, run.hidden, run.optimizer, run.batch_size, run.drop_last,
            run.loss, device.type, run.data_fingerprint)


class PlainTrainer:
    """The plain loop of train.py (autograd, torch.optim) behind StackedTrainer's ``bounds``/``epoch``."""

    def __init__(self, run: RunSpec, data: Dataset, device: torch.device, model: torch.nn.Module):
        self.model, self.device, self.data = model.to(device).train(), device, data
        self.opt = make_optimizer(run.optimizer, self.model.parameters(), run.lr, run.weight_decay)
        self.loss_fn = make_loss(run.loss)
        self.bounds = batch_bounds(data.n_train, run.batch_size, run.drop_last)
        self.orders = epoch_orders(data.n_train, shuffle=run.shuffle,
                                   generator=torch.Generator().manual_seed(run.seed), device=device)

    def epoch(self, max_steps: int | None = None) -> float:
        order = next(self.orders)
        with Stopwatch(self.device) as clock:
            plain_steps(self.model, self.opt, self.loss_fn, self.data.x_train, self.data.y_train, order,
                        self.bounds[:max_steps])
        return clock.seconds


def trainer_for(run: RunSpec, data: Dataset, device: torch.device):
    """The engine ``train_run`` would train this run with, as a throwaway copy: stacked for MLPs, else plain."""
    model = build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed)
    if stackable(model):
        return StackedTrainer([run], data, device, [model])
    return PlainTrainer(run, data, device, model)


def _race(entries: dict, budget_s: float, repeats: int) -> dict:
    """Median seconds per step of each ``label: (trainer, threads)``, measured in alternation: warm up each,
    size its measurement to ``budget_s``, then ``repeats`` rounds over all of them."""
    before = torch.get_num_threads()
    times: dict = {label: [] for label in entries}
    try:
        steps = {}
        for label, (trainer, threads) in entries.items():
            torch.set_num_threads(threads)
            warm = min(len(trainer.bounds), 3)
            trainer.epoch(max_steps=warm)   # first steps: lazy initialisation, thread pool start
            per_step = trainer.epoch(max_steps=warm) / warm
            steps[label] = max(1, min(len(trainer.bounds), math.ceil(budget_s / max(per_step, 1e-9))))
        for _ in range(repeats):
            for label, (trainer, threads) in entries.items():
                torch.set_num_threads(threads)
                times[label].append(trainer.epoch(max_steps=steps[label]) / steps[label])
    finally:
        torch.set_num_threads(before)
    return {label: (statistics.median(v), steps[label]) for label, v in times.items()}


def timing_pass(run: RunSpec, data: Dataset, device: torch.device, *, threads: list[int] | None = None,
                budget_s: float = BUDGET_S, repeats: int = REPEATS) -> Timing:
    """``run``'s solo epoch time and best thread count, on a throwaway copy; cached per timing key."""
    threads = threads or (thread_candidates() if device.type == "cpu" else [torch.get_num_threads()])
    key = (timing_key(run, device), tuple(threads))
    if key not in _cache:
        trainer = trainer_for(run, data.to(device), device)
        spe = len(trainer.bounds)
        raced = _race({t: (trainer, t) for t in threads}, budget_s, repeats)
        by_threads = {t: per_step * spe for t, (per_step, _) in raced.items()}   # first steps scaled to the epoch
        best = min(by_threads, key=by_threads.get)
        _cache[key] = Timing(epoch_time_s=by_threads[best], threads=best, step_time_s=raced[best][0],
                             timed_steps=raced[best][1], steps_per_epoch=spe, by_threads=by_threads)
    return _cache[key]


def best_stack(run: RunSpec, data: Dataset, device: torch.device, members: int, threads: int = 1, *,
               budget_s: float = BUDGET_S, repeats: int = REPEATS) -> tuple[int, dict]:
    """How many runs of ``run``'s stack key to train as one model: the stack size (1, 2, 4, ... up to
    ``members``) with the least time per run-step, measured on throwaway stacks. Stacking pays where a
    step is launch-bound; where the stacked weights, gradients and optimizer state outgrow the cache,
    a stack can be slower per run than one run alone, so it is measured. Returns (size, size → s per run-step)."""
    sizes = ladder(members)
    if len(sizes) == 1:
        return 1, {}
    data = data.to(device)
    entries = {k: (StackedTrainer([dataclasses.replace(run, seed=run.seed + i) for i in range(k)], data, device),
                   threads) for k in sizes}
    per_run_step = {k: per_step / k for k, (per_step, _) in _race(entries, budget_s, repeats).items()}
    return min(per_run_step, key=per_run_step.get), per_run_step


def best_threads(run: RunSpec, data: Dataset, device: torch.device) -> int:
    """The thread count this run trains fastest with, alone on a CPU (measured by the timing pass)."""
    return timing_pass(run, data, device).threads if device.type == "cpu" else torch.get_num_threads()
