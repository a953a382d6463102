"""Where a run that trains to a target stops: at the first check inside the epoch in which it crosses it.

Checked once an epoch, a target lets a fast-falling run end far below it (B=16 on MNIST-1D falls ~2.5× an
epoch: it ended at a train loss of 0.004 against 0.01), so runs meant to be compared at one fit were not.
Every epoch of a run with a target (budget.targeted) has check points every ``check_every(spe)`` updates,
CHECKS_PER_EPOCH of them at most, counted from the epoch's start; the epoch's end is evaluated as always.
The step already computes each update's minibatch loss (and, for an accuracy target, its accuracy) on the
device; a ``Watch`` sums them there, and at a check point the loop reads their mean since the last check
(one device sync, no other ``.item()`` in the hot loop). Only where that running estimate is near the target
(``due``) is the whole training set evaluated, and that evaluation decides (loop_rules.target_met): a run stops
at the first check point where ``due`` holds and its full-train metrics meet the target. Its last epoch is
then partial (``partial`` in the epochs table, left out of the epoch time like a step budget's last epoch);
``steps`` and ``examples`` count the updates to that check. The plain loop (train.py) and the stacked engine
(stacked.py) call these rules at the same updates, so they stop a run at the same step.

BATCHSCOPE_CHECKS=epoch turns the checks inside the epoch off (the end of the epoch only, as before): for the
cost benchmark's baseline (benchmarks/crossing.py) only; it changes results without changing run ids.
"""
from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager

import torch

from ..spec.budget import targeted
from .device import synchronize

CHECKS_PER_EPOCH = 32   # check points an epoch at most (B=16 on MNIST-1D: every 8 updates; near 0.01 its loss
                        # falls 2-3 % an update there, and a minibatch spike may lift it 2× for a while)
NEAR = (2.0, 0.05)      # due when the running minibatch loss is ≤ 2 × the target loss (accuracy ≥ target − 0.05)
NEAR_LAST = (1.5, 0.02)  # or when the last full-train evaluation was ≤ 1.5 × (accuracy ≥ target − 0.02): once
                        # the loss is that close, every check evaluates until it crosses or moves away again


def within_epoch() -> bool:
    """Whether checks inside the epoch are on (BATCHSCOPE_CHECKS=epoch: the benchmark's baseline)."""
    return os.environ.get("BATCHSCOPE_CHECKS", "") != "epoch"


def check_every(spe: int) -> int:
    """Updates between two check points of an epoch of ``spe`` updates: ⌈spe / CHECKS_PER_EPOCH⌉, at least 1."""
    return max(1, math.ceil(spe / CHECKS_PER_EPOCH))


def is_check(j: int, every: int, steps: int) -> bool:
    """Whether the point after update ``j`` (1-based, within an epoch of ``steps`` updates) is a check inside
    the epoch: a multiple of ``every`` before the epoch's end (the end is evaluated anyway)."""
    return j % every == 0 and j < steps


def near(run, loss: float, acc: float, by: tuple[float, float]) -> bool:
    """Whether every target ``run`` (a RunSpec) has is near ``loss`` and ``acc``: loss ≤ by[0] × the target
    loss, accuracy ≥ the target accuracy − by[1]. NaN is never near."""
    close = []
    if run.target_train_loss > 0:
        close.append(loss <= by[0] * run.target_train_loss)
    if run.target_train_acc > 0:
        close.append(acc >= run.target_train_acc - by[1])
    return bool(close) and all(close)


def due(run, estimate: tuple[float, float], last: tuple[float, float]) -> bool:
    """Whether a check calls for a full-train evaluation of ``run``: its running minibatch (loss, accuracy)
    ``estimate`` since the last check is near its target (NEAR), or its ``last`` full-train evaluation was
    (NEAR_LAST)."""
    return near(run, *estimate, NEAR) or near(run, *last, NEAR_LAST)


class Watch:
    """The running minibatch estimate of K runs (one run, or a stack's members) that share their targets: per
    member the sum of its updates' mean minibatch loss and accuracy since the last ``read``, on the device, in
    ``dtype`` (the engines add into ``loss`` and ``acc`` in place, so a CUDA graph may capture them), and the
    wall and CPU seconds spent evaluating at checks (``paused``), which the epoch's time leaves out."""

    def __init__(self, run, k: int, device: torch.device, dtype: torch.dtype = torch.float32):
        self.run, self.device = run, device
        self.wants_loss, self.wants_acc = run.target_train_loss > 0, run.target_train_acc > 0
        self.loss = torch.zeros(k, 1, 1, device=device, dtype=dtype)
        self.acc = torch.zeros(k, device=device, dtype=dtype)
        self.n = 0
        self.last = [(math.inf, 0.0)] * k   # each member's last full-train (loss, accuracy)
        self.paused_s = self.paused_cpu_s = 0.0
        self._t0 = self._c0 = 0.0

    def start_epoch(self) -> None:
        self.loss.zero_()
        self.acc.zero_()
        self.n = 0
        self.paused_s = self.paused_cpu_s = 0.0
        self._t0, self._c0 = time.perf_counter(), time.thread_time()

    def lap(self) -> tuple[float, float]:
        """(seconds, CPU share) of the epoch so far, the evaluations left out (the device synchronised)."""
        synchronize(self.device)
        seconds = time.perf_counter() - self._t0 - self.paused_s
        cpu = time.thread_time() - self._c0 - self.paused_cpu_s
        return seconds, cpu / seconds if seconds > 0 and self.device.type == "cpu" else math.nan

    def add(self, loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor) -> None:
        """One update of the plain loop (one member): its mean minibatch ``loss`` and the accuracy of its
        ``logits`` [B, C] on ``y``, added on the device."""
        if self.wants_loss:
            self.loss.view(-1).add_(loss.detach())
        if self.wants_acc:
            self.acc.add_((logits.argmax(-1) == y).sum(), alpha=1.0 / len(y))
        self.n += 1

    def read(self) -> list[bool]:
        """Whether a full evaluation is due for each member (``due``), from the means since the last read (one
        device sync); the sums start again from zero."""
        n = max(1, self.n)
        values = torch.stack([self.loss.view(-1), self.acc]).double().div(n).tolist()
        self.loss.zero_()
        self.acc.zero_()
        self.n = 0
        return [due(self.run, estimate, last) for estimate, last in zip(zip(*values), self.last)]

    def seen(self, metrics: list[dict], positions=None) -> None:
        """The full-train evaluation of the members at ``positions`` (all: None): ``metrics[i]`` is that of
        position ``positions[i]``."""
        for pos, m in zip(range(len(self.last)) if positions is None else positions, metrics):
            self.last[pos] = (m["train_loss"], m["train_acc"])

    def select(self, keep: torch.Tensor) -> None:
        """Keep the members at positions ``keep`` (new tensors)."""
        self.loss = self.loss.index_select(0, keep)
        self.acc = self.acc.index_select(0, keep)
        self.last = [self.last[i] for i in keep.tolist()]

    def timed(self, clock) -> tuple[float, float]:
        """(seconds, CPU share) of an epoch timed by ``clock`` (device.Stopwatch), the evaluations left out."""
        seconds = clock.seconds - self.paused_s
        return seconds, (clock.cpu_seconds - self.paused_cpu_s) / seconds if seconds > 0 else math.nan

    @contextmanager
    def paused(self):
        """Time a full evaluation at a check, to be left out of the epoch's time."""
        synchronize(self.device)
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            synchronize(self.device)
            self.paused_s += time.perf_counter() - t0
            self.paused_cpu_s += time.thread_time() - c0


def watch_of(run, k: int, device: torch.device, dtype: torch.dtype = torch.float32) -> Watch | None:
    """A Watch for ``run``'s checks inside the epoch, or None: the run has no target, or the checks are off."""
    return Watch(run, k, device, dtype) if targeted(run) and within_epoch() else None
