"""The timing pass: each configuration's solo epoch time and the thread count it should train with, measured.

Epoch time is a property of device × model × batch size × optimizer (ARCHITECTURE.md), so it is measured on a
throwaway copy of the run, alone on the device, with the engine the run trains with: warm up, then time a few
epochs (or, where an epoch is long, its first steps, scaled to the whole epoch). A study's configurations and
candidate thread counts are timed interleaved, in rounds (interleave.py): the minimum of the repeats, the
fastest count wins. Runs report this figure (``timing = "timing-pass"``), their own training wall time beside
it. Small batches are launch-bound and lose to thread hand-offs, large ones are matmul-bound: where the switch
lies depends on the model and the machine (and on what else runs on it), so it is measured, not guessed.
``race`` is the alternating harness the stack-size race and benchmarks/training.py use.
"""
from __future__ import annotations

import dataclasses
import math
import statistics

import torch

from ..engine.batches import batch_bounds, epoch_orders
from ..spec.config import RunSpec
from ..engine.data import Dataset, load_dataset
from ..engine.device import Stopwatch, denormals_flushed
from ..engine.stacked import StackedTrainer, stacks
from ..engine.models import run_model
from ..engine.optim import make_loss, make_optimizer
from ..engine.augment import augmenter
from ..engine.precision import prepare
from ..engine.train import plain_steps
from .worker import cpu_threads_for
from .interleave import BUDGET_S as SHORT, ROUNDS, measure_steps as _measure, time_interleaved

BUDGET_S = 0.05   # wall time of one timed measurement; three per candidate, alternating
CLIMB = 0.05      # a stack size must beat the one below it per run-step by this much to be tried further
REPEATS = 5       # measurements of the winning count: a median and an interquartile range
ELIMINATE = 1.5   # a candidate this many times slower than the best in the warm-up is not timed further
_cache: dict[tuple, "Timing"] = {}


@dataclasses.dataclass(frozen=True)
class Timing:
    epoch_time_s: float            # solo epoch time with the best thread count
    threads: int                   # the best thread count (on a GPU: torch's CPU threads, untouched)
    step_time_s: float             # per full-size step with that count
    timed_steps: int               # steps per measurement; < steps_per_epoch: scaled up from them
    steps_per_epoch: int
    by_threads: dict               # thread count → epoch time (s)
    spread_s: float = math.nan     # interquartile range of the epoch time over the repeats (results.spread)
    repeats: int = 0               # repeats the minimum, median and spread are over
    cpu_share: float = math.nan    # median main-thread CPU share of those repeats
    median_epoch_s: float = math.nan   # the median of the repeats, beside their minimum (epoch_time_s)
    contended: bool = False        # no repeat had its core (CPU share ≥ CONTENDED)
    interleaved: int = 1           # configurations timed in the same rounds


def ladder(top: int) -> list[int]:
    """1, 2, 4, ... up to ``top``, and ``top`` itself."""
    return sorted({min(1 << i, top) for i in range(max(1, top).bit_length() + 1)})


def timing_key(run: RunSpec, device: torch.device, batch: bool = True) -> tuple:
    """What epoch time depends on: model, data, batch size, optimizer, loss (not seed, shuffle, lr)."""
    key = (run.dataset, run.data, run.model, run.hidden, run.optimizer, run.drop_last, run.loss, device.type,
           run.data_fingerprint, run.norm, run.ghost_batch, run.precision)
    return key + (run.batch_size,) if batch else key


class PlainTrainer:
    """The plain loop of train.py (autograd, torch.optim) behind StackedTrainer's ``bounds``/``epoch``."""

    def __init__(self, run: RunSpec, data: Dataset, device: torch.device, model: torch.nn.Module):
        self.model, self.layout = prepare(model.to(device).train(), device)
        self.device, self.data, self.precision = device, data, run.precision
        self.aug, self.epochs = augmenter(run.data.augment, data.n_train, run.seed, device), 0
        self.opt = make_optimizer(run.optimizer, self.model.parameters(), run.lr, run.weight_decay, dict(run.hyper))
        self.loss_fn = make_loss(run.loss)
        self.bounds = batch_bounds(data.n_train, run.batch_size, run.drop_last)
        self.orders = epoch_orders(data.n_train, shuffle=run.shuffle,
                                   generator=torch.Generator().manual_seed(run.seed), device=device)

    def epoch(self, max_steps: int | None = None) -> float:
        order, self.epochs = next(self.orders), self.epochs + 1
        with denormals_flushed(self.device), Stopwatch(self.device) as clock:
            plain_steps(self.model, self.opt, self.loss_fn, self.data.x_train, self.data.y_train, order,
                        self.bounds[:max_steps], augment=self.aug and self.aug.epoch(self.epochs),
                        precision=self.precision, layout=self.layout)
        self.cpu_share = clock.cpu_share
        return clock.seconds


def trainer_for(run: RunSpec, data: Dataset, device: torch.device):
    """The engine ``train_run`` would train this run with, as a throwaway copy: stacked for MLPs, else plain."""
    model = run_model(run, data)
    if stacks(run, model):
        return StackedTrainer([run], data, device, [model])
    return PlainTrainer(run, data, device, model)


def race(entries: dict, budget_s: float, repeats: int, eliminate: float = ELIMINATE,
         samples: dict | None = None) -> dict:
    """Seconds per unit of work (a step, or a run-step of a stack) of each ``label: (trainer, threads,
    units per step)``: (median, worst, steps timed). Each is warmed up and its measurement sized to
    ``budget_s``; one whose warm-up is more than ``eliminate`` × the best one's is out (its warm-up figure
    stands), the rest are timed ``repeats`` times in alternation. The one timing harness: the timing pass
    races thread counts and stack sizes with it, benchmarks/training.py races whole training loops (eliminate=inf).
    ``samples``, when given, receives label → [(seconds per unit, main-thread CPU share)] of every repeat."""
    before = torch.get_num_threads()
    try:
        warm: dict = {}   # label → seconds per step
        for label, (trainer, threads, units) in entries.items():
            torch.set_num_threads(threads)
            trainer.epoch(max_steps=1)   # lazy initialisation, thread pool start
            best, seconds = min((w / entries[k][2] for k, w in warm.items()), default=math.inf), 0.0
            for n in range(1, min(len(trainer.bounds), 3) + 1):   # step by step: a stalled count stops early
                seconds += trainer.epoch(max_steps=1)
                if seconds / n / units > eliminate * best:
                    break
            warm[label] = seconds / n
        best = min(w / entries[k][2] for k, w in warm.items())
        steps = {label: max(1, math.ceil(budget_s / max(w, 1e-9)))   # more than an epoch: whole epochs
                 for label, w in warm.items() if w / entries[label][2] <= eliminate * best}
        times: dict = {label: [] for label in steps}
        sized = dict(steps)
        for _ in range(repeats):
            for label in list(steps):
                trainer, threads, units = entries[label]
                torch.set_num_threads(threads)
                per_step, complete, share = _measure(trainer, steps[label], budget_s)
                times[label].append(per_step / units)
                if samples is not None:
                    samples.setdefault(label, []).append((per_step / units, share))
                if not complete:   # far over budget: a losing candidate, not worth more time
                    del steps[label]
    finally:
        torch.set_num_threads(before)
    out = {label: (w / entries[label][2], w / entries[label][2], 1) for label, w in warm.items()}
    out.update({label: (statistics.median(v), max(v), min(sized[label], len(entries[label][0].bounds)))
                for label, v in times.items()})
    return out


def timing_pass(run: RunSpec, data: Dataset, device: torch.device, *, threads: list[int] | None = None,
                budget_s: float | None = None, repeats: int | None = None) -> Timing:
    """``run``'s solo epoch time and best thread count, on a throwaway copy; cached per timing key. One
    configuration of ``time_configs`` (the interleaved timing, interleave.py)."""
    return time_configs([run], device, threads=None if threads is None else {timing_key(run, device): threads},
                        data={run.dataset: data}, budget_s=budget_s, rounds=repeats)[timing_key(run, device)]


def time_configs(runs: list[RunSpec], device: torch.device, *, threads: dict | None = None, data: dict | None = None,
                 budget_s: float | None = None, rounds: int | None = None, cache: bool = True) -> dict:
    """Timing key → Timing for every configuration of ``runs``, timed interleaved (interleave.py): one short
    measurement per configuration and candidate thread count per round, the minimum of the repeats kept.
    ``threads``: timing key → the thread counts to try (default on a CPU: 1, 2, 4, … up to
    worker.cpu_threads_for(B) — one thread under B = 256, where steps are launch-bound and train on one; torch's
    count elsewhere); ``cache=False`` measures afresh (``retime``)."""
    firsts: dict = {}
    for r in runs:
        firsts.setdefault(timing_key(r, device), r)
    cands = {k: tuple((threads or {}).get(k) or (ladder(cpu_threads_for(r.batch_size)) if device.type == "cpu"
                                                  else [torch.get_num_threads()])) for k, r in firsts.items()}
    todo = {k: r for k, r in firsts.items() if not (cache and (k, cands[k]) in _cache)}
    if todo:
        trainers = {}
        for k, r in todo.items():
            d = (data or {}).get(r.dataset) or load_dataset(r.dataset, r.data, device)
            trainers[k] = trainer_for(r, d.to(device), device)
        timed = time_interleaved(trainers, {k: list(cands[k]) for k in todo}, rounds=rounds or ROUNDS,
                                 budget_s=budget_s or SHORT)
        for k, it in timed.items():
            spe = len(trainers[k].bounds)
            _cache[(k, cands[k])] = Timing(
                epoch_time_s=it.step_time_s * spe, threads=it.threads, step_time_s=it.step_time_s,
                timed_steps=it.timed_steps, steps_per_epoch=spe,
                by_threads={t: v * spe for t, v in it.by_threads.items()}, spread_s=it.iqr_s(spe),
                repeats=it.repeats, cpu_share=it.cpu_share, median_epoch_s=it.median_step_s * spe,
                contended=it.contended, interleaved=len(todo))
    return {k: _cache[(k, cands[k])] for k in firsts}


def timing_columns(t: Timing) -> dict:
    """The runs-table columns a timing fills (RESULTS.md, "Time"): the same for a study's runs and ``retime``."""
    return dict(epoch_time_s=t.epoch_time_s, step_time_s=t.step_time_s, timing="timing-pass",
                timing_threads=t.threads, timing_steps=t.timed_steps, epoch_time_iqr_s=t.spread_s,
                epoch_time_median_s=t.median_epoch_s, timing_repeats=t.repeats, timing_interleaved=t.interleaved,
                timing_statistic="min", cpu_share=t.cpu_share, contended=bool(t.contended))


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
    stack = lambda k: (StackedTrainer([dataclasses.replace(run, seed=run.seed + i) for i in range(k)],  # noqa: E731
                                      data, device), threads, k)
    # up the ladder while the next size pays by CLIMB: where stacking does not pay (a 256-256 MLP at batch 4
    # on a CPU) one race of two sizes settles it instead of racing six
    per_run_step: dict[int, float] = {}
    best = sizes[0]
    for nxt in sizes[1:]:
        timed = race({best: stack(best), nxt: stack(nxt)}, budget_s, repeats)
        per_run_step.update({k: median for k, (median, _, _) in timed.items()})
        if not per_run_step.get(nxt, math.inf) < (1 - CLIMB) * per_run_step[best]:
            break
        best = nxt
    return best, per_run_step
