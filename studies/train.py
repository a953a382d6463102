"""The lean training loop: one RunSpec + device-resident data → per-epoch metrics, timings, final weights.

Modelled on airbench/nanoGPT: data stay on the device, a batch is an index slice of a permutation, the
loss is accumulated on the device (no ``.item()`` in the hot loop), and the clock is read only after the
device is synchronised. No I/O here: the runner stores what this returns.
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field

import torch

from .batches import batch_bounds, epoch_orders
from .config import RunSpec
from .data import Dataset
from .device import Stopwatch, denormals_flushed
from .models import build_model
from .optim import lr_factor, make_loss, make_optimizer

EVAL_CHUNK = 8192  # examples per forward pass when evaluating: big chunks, few launches
# A run has diverged when its loss is NaN/inf or has blown up past this multiple of the loss before training
# (cross-entropy saturates instead of overflowing, so a huge step size often leaves a large finite loss).
DIVERGE_FACTOR = 4.0


@dataclass
class TrainResult:
    status: str                                   # done | diverged
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

    @property
    def final(self) -> dict:
        return self.epoch_rows[-1]


@torch.inference_mode()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn) -> tuple[float, float]:
    """Mean loss and accuracy over a whole split in large chunks; the caller chooses the mode."""
    loss_sum = torch.zeros((), device=x.device, dtype=torch.float64)
    correct = torch.zeros((), device=x.device, dtype=torch.int64)
    for a in range(0, len(x), EVAL_CHUNK):
        logits = model(x[a:a + EVAL_CHUNK])
        yb = y[a:a + EVAL_CHUNK]
        loss_sum += loss_fn(logits, yb).double() * len(yb)
        correct += (logits.argmax(-1) == yb).sum()
    n = max(1, len(x))
    return loss_sum.item() / n, correct.item() / n   # one sync per split


def _metrics(model, data: Dataset, loss_fn) -> dict:
    was_training = model.training
    model.eval()
    train_loss, train_acc = evaluate(model, data.x_train, data.y_train, loss_fn)
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test, loss_fn)
    model.train(was_training)
    return {"train_loss": train_loss, "train_acc": train_acc, "test_loss": test_loss, "test_acc": test_acc}


def target_met(run: RunSpec, row: dict) -> bool:
    """Keskar-style stop: train accuracy and/or loss targets (0 = off); when both are set, both must hold."""
    checks = []
    if run.target_train_acc > 0:
        checks.append(row["train_acc"] >= run.target_train_acc)
    if run.target_train_loss > 0:
        checks.append(row["train_loss"] <= run.target_train_loss)
    return bool(checks) and all(checks)


def plain_steps(model, opt, loss_fn, x, y, order, bounds, step: int = 0, lr_at=None) -> tuple[torch.Tensor, int]:
    """The plain loop over one epoch's ``bounds``: autograd and torch.optim, the loss summed on the device
    (no ``.item()`` in the hot loop); ``lr_at(step)`` sets a scheduled learning rate. Returns the summed
    loss and the next step number."""
    running = torch.zeros((), device=x.device)
    for a, b in bounds:
        if lr_at is not None:
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
        idx = order[a:b]
        loss = loss_fn(model(x.index_select(0, idx)), y.index_select(0, idx))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running += loss.detach()
        step += 1
    return running, step


def train_run(run: RunSpec, data: Dataset, device: torch.device, *, on_epoch=None,
              model: torch.nn.Module | None = None, engine: str = "auto", probe=None) -> TrainResult:
    """Train one run to its epoch budget or target; NaN/inf loss ends it as ``diverged``, never a crash.

    ``on_epoch(row)`` is called after every epoch with that epoch's metrics (for progress bars).
    ``probe`` (e.g. noise.NoiseProbe): ``probe(epoch, state_dict)`` returns extra columns for the epoch row,
    called before training, at the epochs where ``probe.wants(epoch)`` and at the last epoch (not after a
    divergence); it runs outside the timed steps and must leave the model alone.
    ``engine``: "auto" trains MLPs with the stacked engine (ensemble.py, K = 1: hand-written backward,
    preallocated buffers, direct fused optimizer kernels) and other models with the plain loop below;
    "plain" always uses the plain loop (autograd, torch.optim), the reference the fast paths are tested against.
    """
    if model is None:
        model = build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed)
    if engine == "auto":
        from .ensemble import stackable, train_stacked
        if stackable(model):
            report = None if on_epoch is None else (lambda _run, row: on_epoch(row))
            return train_stacked([run], data, device, on_epoch=report, models=[model], probe=probe)[0]
    t_start = time.perf_counter()
    data = data.to(device)
    model = model.to(device).train()
    loss_fn = make_loss(run.loss)
    opt = make_optimizer(run.optimizer, model.parameters(), run.lr, run.weight_decay, dict(run.hyper))
    n = data.n_train
    bounds = batch_bounds(n, run.batch_size, run.drop_last)
    steps_per_epoch = len(bounds)
    total_steps = steps_per_epoch * run.epochs
    warmup_steps = steps_per_epoch * run.warmup_epochs
    scheduled = run.schedule != "constant" or warmup_steps > 0
    orders = epoch_orders(n, shuffle=run.shuffle, generator=torch.Generator().manual_seed(run.seed),
                          device=device)
    lr_at = (lambda step: run.lr * lr_factor(step, total_steps=total_steps, warmup_steps=warmup_steps,
                                             schedule=run.schedule)) if scheduled else None

    rows = [{"epoch": 0, "epoch_time_s": math.nan, "lr": run.lr * lr_factor(
        0, total_steps=total_steps, warmup_steps=warmup_steps, schedule=run.schedule), "steps": 0,
        **_metrics(model, data, loss_fn)}]
    if probe is not None:
        rows[0].update(probe(0, model.state_dict()))
    status, diverged_epoch, reached, step = "done", None, False, 0
    for epoch in range(1, run.epochs + 1):
        order = next(orders)
        with denormals_flushed(device), Stopwatch(device) as clock:
            running, step = plain_steps(model, opt, loss_fn, data.x_train, data.y_train, order, bounds, step, lr_at)
        row = {"epoch": epoch, "epoch_time_s": clock.seconds, "lr": opt.param_groups[0]["lr"],
               "steps": step, **_metrics(model, data, loss_fn)}
        rows.append(row)
        if not (math.isfinite(running.item()) and math.isfinite(row["train_loss"])) \
                or row["train_loss"] > DIVERGE_FACTOR * rows[0]["train_loss"]:
            status, diverged_epoch = "diverged", epoch
        else:
            reached = target_met(run, row)
            if probe is not None and (reached or epoch == run.epochs or probe.wants(epoch)):
                row.update(probe(epoch, model.state_dict()))
        if on_epoch is not None:
            on_epoch(row)
        if status == "diverged" or reached:
            break

    times = [r["epoch_time_s"] for r in rows[1:]]
    timed = times[1:] or times   # epoch 1 is warm-up; a one-epoch run has only it
    return TrainResult(
        status=status, epoch_rows=rows, epoch_time_s=statistics.median(timed), timed_epochs=len(timed),
        total_time_s=time.perf_counter() - t_start, steps=step,
        samples_per_epoch=sum(b - a for a, b in bounds), reached_target=reached,
        diverged_epoch=diverged_epoch,
        state={k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
        n_params=sum(p.numel() for p in model.parameters()))
