"""What every training loop returns, and the rules the plain loop (train.py) and the stacked loop
(stacked.py) share: evaluation of loss and accuracy, divergence, the target, the epoch-time median.

One module for both loops, so a rule changed here changes for every run, and neither loop imports the other.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Callable

import torch

from ..spec.config import PRUNED, RunSpec

EVAL_CHUNK = 8192  # examples per forward pass when evaluating: big chunks, few launches
# A run has diverged when its loss is NaN/inf or has blown up past this multiple of the loss before training
# (cross-entropy saturates instead of overflowing, so a huge step size often leaves a large finite loss).
DIVERGE_FACTOR = 4.0
# A run has stalled (it did not train, status "stalled") when both hold at its end: its train loss made no
# meaningful fall over the last part of training (the median loss of the last STALL_WINDOW of its epochs is not
# STALL_FALL below the lowest before them: a median, so a run oscillating around a collapse, whose loss dips once,
# does not count as learning), and its train accuracy is at chance: at most the better of 1/classes and the
# majority-class rate, plus CHANCE_MARGIN. Collapsed runs sit at 0.10 ± 0.01 on digits (10 classes) and
# at the majority rate on an imbalanced set. A run still learning at its epoch cap is "done" (reached_target
# False), however low its accuracy: it trained, it only missed the target. Both need evidence: the window must
# span at least STALL_MIN_STEPS optimizer updates, else "did not train" cannot be told from "has not had the
# chance to" (2 epochs of 256 examples at B = 128 are 4 updates), and the run is done, its target missed.
CHANCE_MARGIN = 0.02
STALL_WINDOW = 0.25   # the last quarter of the epochs trained (at least one)
STALL_FALL = 0.005    # half a percent of the loss: less is a plateau, not learning
STALL_EARLY_EPOCHS = 5   # a run may be ended as stalled before its cap once its window spans this many epochs
STALL_MIN_STEPS = 50     # optimizer updates the window must span before a run can be called stalled
UNTRAINED = ("diverged", "stalled")   # statuses of runs that did not train: there is no minimum to measure
UNMEASURED = UNTRAINED + (PRUNED,)    # statuses the measurements skip


@dataclass
class TrainResult:
    status: str                                   # done | diverged | stalled | pruned
    epoch_rows: list[dict]                        # epoch 0 (before training) .. last epoch
    epoch_time_s: float                           # median over timed epochs (the first is warm-up)
    timed_epochs: int                             # how many epochs the median is over
    total_time_s: float                           # wall time of the whole run, evaluation included
    steps: int
    samples_per_epoch: int
    reached_target: bool
    diverged_epoch: int | None
    state: dict[str, torch.Tensor] = field(repr=False)   # final weights, on CPU
    n_params: int = 0
    stop_reason: str = ""                         # why it ended before its cap without reaching its target

    @property
    def final(self) -> dict:
        return self.epoch_rows[-1]


def evaluate(forward: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor, loss_fn,
             chunk: int = EVAL_CHUNK) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss and accuracy over a whole split, in chunks of ``chunk`` examples, without a device sync.

    ``forward(x_chunk)`` gives logits ``[n, C]`` (one model) or ``[K, n, C]`` (K stacked models); the result
    is two float64 tensors of shape ``[]`` or ``[K]``. ``loss_fn(logits, y, reduction="none")`` gives one
    loss per example (optim.make_loss). The caller chooses the model's mode (eval, for dropout/batch norm)."""
    n = max(1, len(y))
    loss = correct = None
    with torch.no_grad():
        for a in range(0, len(y), chunk):
            logits, yb = forward(x[a:a + chunk]), y[a:a + chunk]
            lead = logits.shape[:-2]
            per = loss_fn(logits.reshape(-1, logits.shape[-1]), yb.expand(*lead, -1).reshape(-1), reduction="none")
            part_loss = per.view(*lead, -1).double().sum(-1)
            part_correct = (logits.argmax(-1) == yb).sum(-1).double()
            loss = part_loss if loss is None else loss + part_loss
            correct = part_correct if correct is None else correct + part_correct
    if loss is None:   # an empty split
        loss = correct = torch.zeros((), device=x.device, dtype=torch.float64)
    return loss / n, correct / n


def diverged(row: dict, start: dict) -> bool:
    """NaN/inf train loss (weights that went NaN make it NaN), or a loss DIVERGE_FACTOR × the loss before
    training (``start``, epoch 0's row)."""
    return not math.isfinite(row["train_loss"]) or row["train_loss"] > DIVERGE_FACTOR * start["train_loss"]


def chance_rate(y, n_classes: int) -> float:
    """The accuracy a model gets without learning the inputs: the better of guessing (1/n_classes) and always
    answering the majority class of the labels ``y`` (a tensor)."""
    majority = torch.bincount(y.reshape(-1).long(), minlength=max(1, n_classes)).max().item() / max(1, y.numel())
    return max(1.0 / max(1, n_classes), majority)


def stalled(rows: list[dict], chance: float) -> bool:
    """A run that did not train (rows: epoch 0 first, each with its cumulative ``steps``): no meaningful fall
    of its train loss over the last STALL_WINDOW of its epochs, and a final train accuracy at chance
    (≤ ``chance`` + CHANCE_MARGIN; chance_rate gives ``chance``). A too-large lr on digits leaves train
    accuracy at 0.10 for 300 epochs, a collapse onto the majority class of an imbalanced set at its rate:
    points that are no minimum, never to be measured. A window of fewer than STALL_MIN_STEPS updates is too
    little evidence to call a run stalled (False)."""
    if len(rows) < 2:
        return False
    losses = [r["train_loss"] for r in rows]
    window = stall_window(len(rows) - 1)
    if rows[-1]["steps"] - rows[-1 - window]["steps"] < STALL_MIN_STEPS:
        return False
    before, last = losses[:-window], losses[-window:]
    falling = statistics.median(last) < (1.0 - STALL_FALL) * min(before)   # NaN compares False: no fall
    return not falling and rows[-1]["train_acc"] <= chance + CHANCE_MARGIN


def stall_window(epochs: int) -> int:
    """How many of the last epochs ``stalled`` looks at after ``epochs`` epochs: the last STALL_WINDOW of
    them, at least one. The same rule ends a run early (sweeps.Stopper), once the window is
    STALL_EARLY_EPOCHS long."""
    return max(1, math.ceil(epochs * STALL_WINDOW))


def end_status(rows: list[dict], chance: float, reached: bool) -> str:
    """Status of a run that ran to its end without diverging: done (reached its target or not), or stalled
    when it did not train (``stalled``)."""
    return "stalled" if not reached and stalled(rows, chance) else "done"


def target_met(run: RunSpec, row: dict) -> bool:
    """Keskar-style stop: train accuracy and/or loss targets (0 = off); when both are set, both must hold."""
    checks = []
    if run.target_train_acc > 0:
        checks.append(row["train_acc"] >= run.target_train_acc)
    if run.target_train_loss > 0:
        checks.append(row["train_loss"] <= run.target_train_loss)
    return bool(checks) and all(checks)


CONTENDED = 0.8   # a main-thread CPU share below this: the timings were taken while another process took turns


def spread(values: list[float]) -> float:
    """Interquartile range of ``values`` (0 for one value, NaN for none): the spread a median is shown with."""
    values = [v for v in values if v == v]
    if len(values) < 2:
        return 0.0 if values else math.nan
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q3 - q1


def timed_rows(rows: list[dict]) -> tuple[list[dict], bool]:
    """(the epoch rows an epoch time is the median over, contended). An epoch a step budget cut short
    (``partial``) is no epoch's time and is left out (a run with only such an epoch has no epoch time: NaN).
    Epoch 1 is warm-up and left out unless it is the only one; of the rest, those whose timing thread had its
    core (cpu_share ≥ CONTENDED, or not measured) — an epoch during which another process held the core times
    that process, not this run. When none had it, all of them, and the run is contended."""
    whole = [r for r in rows[1:] if not r.get("partial")]
    timed = whole[1:] or whole
    clean = [r for r in timed if not r.get("cpu_share", math.nan) < CONTENDED]
    return (clean, False) if clean else (timed, bool(timed))


def epoch_time_spread(rows: list[dict]) -> tuple[float, float, bool]:
    """(interquartile range of the epoch times, median main-thread CPU share, contended) over the epochs
    median_epoch_time uses; NaN where the rows do not have them."""
    timed, contended = timed_rows(rows)
    shares = [v for v in (r.get("cpu_share", math.nan) for r in timed) if v == v]
    return spread([r["epoch_time_s"] for r in timed]), statistics.median(shares) if shares else math.nan, contended


def median_epoch_time(rows: list[dict]) -> tuple[float, int]:
    """(median epoch time, epochs it is over) of ``rows`` (epoch 0 first), over timed_rows: NaN when nothing
    trained."""
    timed = [r["epoch_time_s"] for r in timed_rows(rows)[0]]
    return (statistics.median(timed) if timed else math.nan), len(timed)
