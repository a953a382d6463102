"""The pool executor: the whole machine for one study, with every epoch time still measured alone.

Plan, then train: MLP runs that differ only in seed and shuffle become stacks (stacked.stack_key); the timing
pass (timing.py) measures each configuration's solo epoch time and best thread count; configurations that
more threads barely speed up (small, launch-bound batches) go to the pool, one thread each, in the stack size
that measured fastest, and the others train afterwards in the driver with their thread count. The pool is this
process plus cores − 1 worker processes (forkserver.py) taking units from a shared claim flag, longest first;
workers return RunOutcomes and only the driver writes. A run that trained in company reports the timing
pass's epoch time (``timing = "timing-pass"``) and keeps its own wall times beside it. Why: honest epoch
times and every core busy at once (BENCHMARKS.md has the figures).
"""
from __future__ import annotations

import math
import os
import queue
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Iterator

import torch

from ..spec.config import MeasureSpec, RunSpec
from ..engine.data import load_dataset
from . import forkserver
from ..engine import sweeps
from ..engine.device import resolve_device
from ..engine.stacked import stack_key, stacks, train_stacked
from ..engine.models import run_model
from .worker import (RunJob, RunOutcome, cpu_budget, cpu_threads_for, execute_run, failed_outcome, measure_id_of,
                     training_probe)
from ..storage.atomic import process_state
from .timing import Timing, timing_columns, best_stack, time_configs, timing_key

POOL_MIN_WORK_S = 3.0   # estimated one-thread work below which a worker saves < ~1 s (its first unit pays
                        # first-call costs; the CLI starts the forkserver early, so not its imports)
STACK_TUNE_MIN_S = 5.0  # a group's estimated training time below which racing stack sizes (~1 s) does not pay
THREAD_SCALING = 0.8    # below this parallel efficiency of more threads, one-thread runs side by side do more
MEASURE_S = 0.7         # rough cost of measuring one run (the default [measure] on digits, one CPU thread), for the plan
_EVENTS = None          # in a worker: the queue its progress events go to
_CLAIMED = None         # in a worker: the shared flags saying which units are taken


@dataclass
class Unit:
    """Runs trained together in one place: a stack (same key), one run, or one measure-only job."""

    runs: list[RunSpec]
    measure: MeasureSpec
    train: bool = True
    weights: dict | None = None        # measure-only: the stored weights
    threads: int | None = 1            # None: worker.cpu_threads_for
    timing: Timing | None = None
    est_s: float = 1.0                 # estimated training time (for ordering and the pool decision)
    pooled: bool = False
    index: dict = field(default_factory=dict)   # run_id → position in the jobs, and "todo" (progress events)
    board: object | None = None        # sweeps.Board when the study prunes
    per_run: dict = field(default_factory=dict)   # run_id → its MeasureSpec where it differs (runner.per_run_measure)

    def measure_of(self, run: RunSpec) -> MeasureSpec:
        return self.per_run.get(run.run_id, self.measure)


def _split(runs: list[RunSpec], size: int) -> list[list[RunSpec]]:
    """``runs`` in ceil(n / size) stacks of near-equal size."""
    parts = math.ceil(len(runs) / size)
    return [runs[i::parts] for i in range(parts)]


def plan(jobs: list[RunJob], device: torch.device, workers: int, stack: bool = True) -> tuple[list[Unit], list[Unit]]:
    """(pool units, driver units) for ``jobs``; runs the timing passes."""
    positions = {job.run.run_id: i for i, job in enumerate(jobs)}
    index = lambda runs: {"todo": len(jobs), **{r.run_id: positions[r.run_id] for r in runs}}  # noqa: E731
    groups: dict[str, list] = {}
    pool, driver = [], []
    work = 0.0   # the pool's work without the stacks' discount (a race's gain is an optimistic estimate)
    for job in jobs:
        if job.train:
            groups.setdefault(stack_key(job.run) if stack else job.run.run_id, []).append((job.run, job.measure))
        else:
            pool.append(Unit([job.run], job.measure, train=False, weights=job.weights, threads=None,
                             est_s=MEASURE_S, index=index([job.run])))
            work += MEASURE_S
    # every configuration timed in the same rounds (interleave.py): a burst of other work is spread over all
    timings = time_configs([m[0][0] for m in groups.values()], device)
    for members in sorted(groups.values(), key=lambda m: -m[0][0].batch_size):
        runs, measure = [r for r, _ in members], members[0][1]
        data = load_dataset(runs[0].dataset, runs[0].data, device)
        timing = timings[timing_key(runs[0], device)]
        measure_s = MEASURE_S if measure_id_of(measure) else 0.0
        per_run = {r.run_id: m for r, m in members if m is not measure}
        unit = lambda rs, threads, est: Unit(rs, measure, threads=threads, timing=timing,  # noqa: E731
                                             est_s=est + measure_s * len(rs), index=index(rs), per_run=per_run)
        mlp = stacks(runs[0], run_model(runs[0], data, seed=0))
        solo_s = timing.by_threads.get(1, timing.epoch_time_s) * runs[0].epochs
        scaling = timing.by_threads.get(1, timing.epoch_time_s) / timing.epoch_time_s / timing.threads
        tune = mlp and len(runs) > 1 and (solo_s * len(runs) > STACK_TUNE_MIN_S or device.type != "cpu")
        # where the pool will take them it halves stacks until every worker has two units: larger stacks are
        # not worth racing
        pooling = device.type == "cpu" and workers > 1 and solo_s * len(runs) >= POOL_MIN_WORK_S
        top = math.ceil(len(runs) / (2 * workers)) if pooling else len(runs)
        size, per_run_step = best_stack(runs[0], data, device, top) if tune and top > 1 else (1, {})
        stack_ratio = per_run_step[size] / per_run_step[1] if per_run_step else 1.0   # per run-step, vs alone
        if device.type == "cpu" and timing.threads > 1 and cpu_threads_for(runs[0].batch_size) > 1 \
                and scaling * stack_ratio >= THREAD_SCALING:
            # matmul-bound: threads scale nearly as well as side-by-side runs in their best stacks; alone,
            # all threads, timed solo. Batches under 256 (launch-bound, worker.cpu_threads_for) never come
            # here: a noisy two-thread timing sent a 32-run sweep at batch 4 through here one run at a time
            # (20 s where the pool takes ~12 s)
            # one after another: where a sweep prunes, its largest lrs first (they reach the target, or diverge,
            # in few epochs; small ones crawl to the cap unless a winner is already known to prune them on)
            order = sorted(runs, key=lambda r: -r.lr) if jobs[0].board is not None else runs
            driver += [unit([r], timing.threads, timing.epoch_time_s * r.epochs) for r in order]
            continue
        target = pool if device.type == "cpu" else driver
        target += [unit(part, 1 if device.type == "cpu" else timing.threads, solo_s * len(part) * stack_ratio)
                   for part in _split(runs, size)]
        work += (solo_s + measure_s) * len(runs)
    pool.sort(key=lambda u: -u.est_s)   # longest first: the pool ends evenly
    if workers < 2 or device.type != "cpu" or work < POOL_MIN_WORK_S:
        for u in pool:   # no pool: they train here, one after another, with their best thread count
            u.threads = u.timing.threads if u.timing is not None else u.threads
        return [], pool + driver
    while 0 < len(pool) < 2 * workers:   # halve the largest stack until each worker (the driver one of
        # them) has two units: the driver starts ~2 s before the workers, and units share out evenly
        big = max(pool, key=lambda u: len(u.runs))
        if len(big.runs) < 2:
            break
        pool.remove(big)
        pool += [Unit(part, big.measure, timing=big.timing, est_s=big.est_s / 2, index=index(part),
                      per_run=big.per_run)
                 for part in _split(big.runs, math.ceil(len(big.runs) / 2))]
    pool.sort(key=lambda u: -u.est_s)
    for u in pool:
        u.pooled = True
    return pool, driver


def _retime(unit: Unit, outcome: RunOutcome) -> RunOutcome:
    """Epoch time of a run: the interleaved timing pass's (every run of the study timed in the same rounds), its
    own median epoch wall time kept beside it (``wall_epoch_time_s``; ``shared_epoch_time_s`` in company)."""
    row = outcome.row
    if row is None or outcome.failed or not unit.train:
        return outcome
    row.update(threads=unit.threads, stack_size=len(unit.runs))
    if unit.timing is None:
        return outcome
    alone = len(unit.runs) == 1 and not unit.pooled   # its own epoch times are solo timings, kept beside
    row.update(timing_columns(unit.timing), wall_epoch_time_s=row["epoch_time_s"])
    if alone:
        return outcome
    row.update(shared_epoch_time_s=row["wall_epoch_time_s"])
    t = unit.timing
    if outcome.epochs is not None and "epoch_time_s" in outcome.epochs:
        ep = outcome.epochs
        ep["wall_time_s"] = ep["epoch_time_s"]
        ep.loc[ep["epoch"] > 0, "epoch_time_s"] = t.epoch_time_s
    return outcome


def execute_unit(unit: Unit, emit) -> list[RunOutcome]:
    """Train (stacked or alone) and measure one unit in this process; failures are rows."""
    for run in unit.runs:
        emit({"event": "run_start", "index": unit.index.get(run.run_id, 0), "todo": unit.index.get("todo", 1),
              "run_id": run.run_id, "label": run.label, "epochs": run.epochs if unit.train else 0,
              "train": unit.train, "stack_size": len(unit.runs), "pid": os.getpid()})
    on_epoch = lambda run, row: emit({"event": "epoch", "run_id": run.run_id, **row})  # noqa: E731
    mt = unit.threads if unit.pooled else cpu_budget()   # in the driver nothing else runs: every core
    if not unit.train:
        return [execute_run(unit.runs[0], unit.measure, weights=unit.weights, train=False, threads=unit.threads,
                            measure_threads=mt)]
    if len(unit.runs) == 1:
        run = unit.runs[0]
        return [_retime(unit, execute_run(run, unit.measure_of(run), threads=unit.threads, measure_threads=mt,
                                          on_epoch=lambda row: on_epoch(run, row), board=unit.board))]
    device = resolve_device(unit.runs[0].device)
    if device.type == "cpu":
        torch.set_num_threads(unit.threads)
    try:
        data = load_dataset(unit.runs[0].dataset, unit.runs[0].data, device)
        results = train_stacked(unit.runs, data, device, on_epoch=on_epoch,
                                probe=training_probe(unit.runs[0], data, unit.measure),
                                stop=None if unit.board is None else sweeps.stopper(unit.board, data))
    except Exception as e:  # noqa: BLE001 - the stack's runs become failed rows, the study goes on
        return [failed_outcome(run, f"{e.__class__.__name__}: {e}") for run in unit.runs]
    return [_retime(unit, execute_run(run, unit.measure_of(run), trained=res, threads=unit.threads,
                                      measure_threads=mt)) for run, res in zip(unit.runs, results)]


# ---------------------------------------------------------------- the worker processes

def _init_worker(events, claimed, driver_pid: int, board=None) -> None:
    global _EVENTS, _CLAIMED
    _EVENTS, _CLAIMED = events, claimed
    sweeps.attach(board)   # the shared numbers of the study's sweep board (units bring the rest)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the driver's to handle
    os.environ["BATCHSCOPE_THREADS"] = "1"
    torch.set_num_threads(1)

    def watch():   # a worker whose driver died (killed, not stopped) ends instead of training on
        while True:
            time.sleep(1.0)
            if process_state(driver_pid) == "gone":
                os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def _claim(claimed, token: int) -> bool:
    """Take unit `token` unless the driver or another worker already has: each unit runs exactly once."""
    with claimed.get_lock():
        if claimed[token]:
            return False
        claimed[token] = 1
        return True


def _work(unit: Unit, token: int) -> list[RunOutcome] | None:
    """A worker's unit, or None when the driver took it first."""
    if not _claim(_CLAIMED, token):
        return None
    try:
        return execute_unit(unit, _EVENTS.put)
    finally:
        _EVENTS.put({"event": "_unit_done", "token": token})


def _stop(ex: ProcessPoolExecutor) -> None:
    for proc in list((getattr(ex, "_processes", None) or {}).values()):
        proc.terminate()
    ex.shutdown(wait=False, cancel_futures=True)


class PoolExecutor:
    """The pool executor, using every core: stacks, a worker pool for small batches, solo large batches."""

    def __init__(self, workers: int | None = None, stack: bool = True):
        self.workers = (os.cpu_count() or 1) if workers is None else int(workers)
        self.stack = stack

    def map(self, jobs: list[RunJob], emit) -> Iterator[tuple[RunSpec, RunOutcome]]:
        jobs = list(jobs)
        if not jobs:
            return
        waited = forkserver.wait_ready()   # its imports done: nothing of ours shares the cores with the timings
        t0 = time.perf_counter()
        pool, driver = plan(jobs, resolve_device(jobs[0].run.device), self.workers, self.stack)
        for u in pool + driver:
            u.board = jobs[0].board
        units = pool + driver   # the plan's cost (timing passes, stack races) is bounded by their budgets: say it
        emit({"event": "timing_pass", "seconds": time.perf_counter() - t0, "waited_s": waited,
              "configs": len({id(u.timing) for u in units if u.timing is not None}), "pooled": len(pool)})
        if pool:
            yield from self._pool(pool, emit)
        for unit in driver:
            yield from zip(unit.runs, execute_unit(unit, emit))

    def _pool(self, units: list[Unit], emit) -> Iterator[tuple[RunSpec, RunOutcome]]:
        """The units on every core: workers − 1 worker processes and this process each take the next free
        unit, longest (estimated) first (a shared flag per unit says who has it). The driver starts at once,
        while the workers still import torch (~2 s), so the pool's start-up is not idle time, and work too
        small to wait for a worker is simply done here. (The driver once took the short end instead: with
        runs that stop at a target long before their epoch budget the estimates were upside down, and a
        worker sat idle beside the driver's long unit.)"""
        ctx = forkserver.context()
        events = ctx.Queue()
        claimed = ctx.Array("b", len(units))
        board = units[0].board.share(ctx) if units[0].board is not None else None
        ex = ProcessPoolExecutor(max_workers=max(1, min(self.workers - 1, len(units) - 1)), mp_context=ctx,
                                 initializer=_init_worker, initargs=(events, claimed, os.getpid(), board))
        finished: set[int] = set()

        def drain(until: int | None = None) -> None:   # progress events; a unit's come before its outcomes
            deadline = time.monotonic() + 10.0
            while until is not None and until not in finished or not events.empty():
                try:
                    ev = events.get(timeout=0.1 if until is not None else 0.01)
                except queue.Empty:
                    if until is None or time.monotonic() > deadline:
                        return
                    continue
                if ev["event"] == "_unit_done":
                    finished.add(ev["token"])
                else:
                    emit(ev)

        def collect(done) -> Iterator[tuple[RunSpec, RunOutcome]]:
            for fut in done:
                token, unit = futures[fut]
                try:
                    outcomes = fut.result()
                    if outcomes is None:   # the driver took it
                        continue
                    drain(until=token)
                except Exception as e:  # noqa: BLE001 - a dead worker: its runs are failed rows
                    if token in mine:   # a broken pool fails every task, also those this process took
                        continue
                    _claim(claimed, token)   # (so that this process does not take it up afterwards)
                    outcomes = [failed_outcome(r, f"worker: {e.__class__.__name__}: {e}") for r in unit.runs]
                yield from zip(unit.runs, outcomes)

        futures: dict = {}
        mine: set[int] = set()   # the units this process took

        def submit() -> None:   # in a thread: starting the first worker waits for the forkserver's imports
            for i, u in enumerate(units):
                futures[ex.submit(_work, u, i)] = (i, u)

        starter = threading.Thread(target=submit, name="pool-start", daemon=True)
        try:
            starter.start()
            seen: set = set()
            for token in range(len(units)):   # this process takes the next free unit too, longest first
                if not _claim(claimed, token):
                    continue
                mine.add(token)
                yield from zip(units[token].runs, execute_unit(units[token], emit))
                done = {f for f in list(futures) if f.done()} - seen
                seen |= done
                drain()
                yield from collect(done)
            if len(mine) == len(units):   # this process did every unit before a worker took one: their tasks are
                starter.join()       # all no-ops; do not wait for them
                _stop(ex)
                return
            starter.join()
            pending = set(futures) - seen
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                drain()
                yield from collect(done)
        except BaseException:   # stopped (Ctrl-C, the caller closed us): no worker trains on
            _stop(ex)
            raise
        ex.shutdown(wait=True)
