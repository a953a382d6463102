"""Interleaved timing: every configuration of a study timed in the same rounds, the minimum of the repeats kept.

A timing pass that times one configuration after another lets a burst of other work (a busy laptop, a build,
a colleague's job) land on one batch size and bend the epoch-time curve: measured beside a process busy 0.3 s
and idle 0.3 s in turn, the ratios between batch sizes moved by up to 96 % and no run was flagged. Here each
configuration (and each candidate thread count) gets one short measurement (``BUDGET_S``, ~12 ms) per round, in a
rotating order, for ``ROUNDS`` rounds, so a burst is spread over all of them. Each keeps the **minimum** of its
repeats, as ``timeit`` does: other work only ever adds time, so the fastest repeat is the one least disturbed,
and it is the one figure a burst cannot raise unless it covers every round. The median and the interquartile
range of the repeats and their CPU shares are kept beside it. On a CPU with one thread, a repeat's time is its
thread's CPU time (the Stopwatch's share × wall): the wall time the steps take with a core of their own. Other
processes add wall time, not CPU time (they still slow it through shared caches, which the minimum reduces):
under a load of 8 on 2 cores the minimum wall time moved the ratios between batch sizes by up to 2x from one
pass to the next, the minimum CPU time by about 10 %. More threads are timed by the wall clock (a main thread
waiting for its helpers may sleep). A configuration none of whose repeats had its core (CPU share below
``loop_rules.CONTENDED``) is ``contended``: said, as what interleaving could not remove.

Thread counts are chosen in the same rounds: more threads win only where their median is MARGIN faster than fewer
threads' minimum (threads that wait for a core another process holds make steps 10-100x slower at random, while
their best case gains under 2x). After PRUNE_AFTER rounds, more threads whose best repeat is slower than the fewest
threads' median stop (a clear loser); the fewest count runs every round, and the winner is judged over all of
them (a choice made after three rounds once picked two threads for B = 512 under a load of 15 whose later repeats
took 30x longer).
"""
from __future__ import annotations

import dataclasses
import math
import statistics

import torch

from ..engine.loop_rules import CONTENDED, spread

BUDGET_S = 0.012   # one measurement: short, so that some land between another process's bursts
PRUNE_AFTER = 3    # rounds after which more threads that clearly lose (their minimum above the fewest's median)
                   # are not timed further; the fewest count always is
ROUNDS = 9         # repeats per configuration (the winning thread count)
ELIMINATE = 1.5    # more threads this many times slower than the best warm-up are not timed (the fewest always are)
MARGIN = 0.87      # more threads must be this much faster than fewer (their median against fewer's minimum)


def measure_steps(trainer, steps: int, budget_s: float) -> tuple[float, bool, float]:
    """(seconds per step, complete, main-thread CPU share) over ``steps`` steps: whole epochs (the last, partial
    batch included) where ``steps`` spans one, else eight chunks of an epoch's first steps; gives up past
    2 × budget (stalled)."""
    spe = len(trainer.bounds)
    seconds = cpu = 0.0

    def part(max_steps=None) -> float:
        nonlocal cpu
        took = trainer.epoch(max_steps=max_steps)
        cpu += took * getattr(trainer, "cpu_share", math.nan)
        return took
    if steps >= spe:
        epochs = round(steps / spe)
        seconds = sum(part() for _ in range(epochs))
        return seconds / (epochs * spe), True, cpu / seconds if seconds else math.nan
    done, chunk = 0, max(1, steps // 8)
    while done < steps:
        n = min(chunk, steps - done)
        seconds += part(n)
        done += n
        if seconds > 2 * budget_s and done < steps:
            return seconds / done, False, cpu / seconds
    return seconds / done, True, cpu / seconds if seconds else math.nan


@dataclasses.dataclass
class Samples:
    """One configuration × thread count's repeats: seconds per step and the main thread's CPU share."""
    per_step: list = dataclasses.field(default_factory=list)
    wall: list = dataclasses.field(default_factory=list)
    shares: list = dataclasses.field(default_factory=list)
    steps: int = 1          # steps per measurement
    complete: bool = True   # every measurement finished within its budget's bound


@dataclasses.dataclass(frozen=True)
class Interleaved:
    """A configuration's interleaved timing: the winning thread count's minimum and what is beside it."""
    step_time_s: float      # minimum over the repeats, seconds per step
    median_step_s: float    # median over the repeats
    threads: int
    repeats: int
    cpu_share: float        # median main-thread CPU share over the repeats (NaN off the CPU)
    contended: bool         # no repeat had its core
    timed_steps: int
    by_threads: dict        # thread count → seconds per step: its minimum, or its warm-up where it was not timed
    spread_steps: list      # every repeat's seconds per step (for the IQR)
    wall_step_s: float = math.nan   # the minimum wall time per step (the figure one thread's CPU time replaces)

    def iqr_s(self, steps_per_epoch: int) -> float:
        return spread([s * steps_per_epoch for s in self.spread_steps])


def warm_up(trainer, threads: int, give_up: float = math.inf) -> tuple[float, float]:
    """(seconds per step, median main-thread CPU share) after lazy initialisation: one untimed step, then up to
    three timed ones, stopping early once the steps so far average above ``give_up`` (a thread count that stalls
    under load costs one step)."""
    torch.set_num_threads(threads)
    trainer.epoch(max_steps=1)
    seconds, n, shares = 0.0, 0, []
    for n in range(1, min(len(trainer.bounds), 3) + 1):
        seconds += trainer.epoch(max_steps=1)
        shares.append(getattr(trainer, "cpu_share", math.nan))
        if seconds / n > give_up:
            break
    shares = [c for c in shares if c == c]
    return seconds / max(1, n), statistics.median(shares) if shares else math.nan


def _losing(lab, labels, got) -> bool:
    """More threads whose best repeat so far is slower than the fewest threads' median: not worth more rounds."""
    fewest = min(t for k, t in labels if k == lab[0])
    return lab[1] != fewest and min(got[lab].per_step) > statistics.median(got[(lab[0], fewest)].per_step)


def _winner(by: dict[int, Samples]) -> int:
    best = min(by)
    for t in sorted(by):
        if t != best and statistics.median(by[t].per_step) < MARGIN * min(by[best].per_step):
            best = t
    return best


def time_interleaved(configs: dict, threads: dict, *, rounds: int = ROUNDS, budget_s: float = BUDGET_S,
                     measure=None) -> dict:
    """``configs``: key → trainer (timing.trainer_for); ``threads``: key → candidate thread counts. Returns
    key → Interleaved. ``measure(trainer, steps, budget_s)`` → (seconds per step, complete, CPU share) is
    ``measure_steps`` (a parameter so that tests can drive it with a clock of their own)."""
    measure = measure or measure_steps
    before = torch.get_num_threads()
    try:
        warm: dict = {}
        lost_at = 0   # the most steps per epoch (smallest batch) at which more threads lost: at more, not tried
        # largest batches (fewest steps per epoch) first, fewest threads first: more threads give up once clearly
        # slower, and are not tried at all while the fewest do not have their core (a busy machine: a step of two
        # threads then waits ~0.5 s) or where they lost at a larger batch (launch-bound smaller ones gain less)
        for k in sorted(configs, key=lambda k: len(configs[k].bounds)):
            fewest = min(threads[k])
            warm[(k, fewest)], share = warm_up(configs[k], fewest)
            for t in sorted(threads[k])[1:]:
                if share < CONTENDED or len(configs[k].bounds) <= lost_at:
                    break
                warm[(k, t)] = warm_up(configs[k], t, ELIMINATE * warm[(k, fewest)])[0]
            if any(warm.get((k, t), math.inf) > ELIMINATE * warm[(k, fewest)] for t in threads[k] if t != fewest):
                lost_at = max(lost_at, len(configs[k].bounds))
        labels = []
        for k in configs:
            best = min(warm[(k, t)] for t in threads[k] if (k, t) in warm)
            labels += [(k, t) for t in threads[k] if (k, t) in warm
                       and (t == min(threads[k]) or warm[(k, t)] <= ELIMINATE * best)]
        got = {lab: Samples(steps=max(1, math.ceil(budget_s / max(warm[lab], 1e-9)))) for lab in labels}
        for r in range(rounds):
            if r == PRUNE_AFTER:
                labels = [lab for lab in labels if not _losing(lab, labels, got)]
            shift = r % len(labels)   # a rotating start: no configuration is always timed first
            for lab in labels[shift:] + labels[:shift]:
                s = got[lab]
                torch.set_num_threads(lab[1])
                per_step, complete, share = measure(configs[lab[0]], s.steps, budget_s)
                s.wall.append(per_step)
                if lab[1] == 1 and share == share:   # one thread: its CPU time is its time with a core of its own
                    per_step *= min(1.0, share)
                s.per_step.append(per_step)
                s.shares.append(share)
                s.complete &= complete
    finally:
        torch.set_num_threads(before)
    out = {}
    for k in configs:
        mine = {t: got[(k, t)] for t in threads[k] if (k, t) in got}
        win = _winner(mine)
        s = mine[win]
        shares = [c for c in s.shares if c == c]
        out[k] = Interleaved(step_time_s=min(s.per_step), median_step_s=statistics.median(s.per_step), threads=win,
                             repeats=len(s.per_step), cpu_share=statistics.median(shares) if shares else math.nan,
                             contended=bool(shares) and max(shares) < CONTENDED,
                             timed_steps=min(s.steps, len(configs[k].bounds)),
                             by_threads={**{t: warm[(k, t)] for t in threads[k] if (k, t) in warm},
                                         **{t: min(v.per_step) for t, v in mine.items()}},
                             spread_steps=list(s.per_step), wall_step_s=min(s.wall))
    return out
