"""The lean training loop: one RunSpec + device-resident data → per-epoch metrics, timings, final weights.

Modelled on airbench/nanoGPT: data stay on the device, a batch is an index slice of a permutation, the
loss is accumulated on the device (no ``.item()`` in the hot loop), and the clock is read only after the
device is synchronised. No I/O here: the runner stores what this returns.
"""
from __future__ import annotations

import functools
import math
import time

import torch

from .batches import batch_bounds, epoch_orders, samples_per_epoch
from ..spec.budget import plan_of
from ..spec.config import RunSpec
from .crossing import check_every, is_check, watch_of
from .data import Dataset
from .device import Stopwatch, denormals_flushed
from .augment import augmenter
from .models import run_model
from .precision import autocast, prepare
from .optim import lr_factor, make_loss, make_optimizer
from .loop_rules import TrainResult, chance_rate, diverged, end_status, evaluate, median_epoch_time, target_met

def _metrics(model, data: Dataset, loss_fn, test: bool = True) -> dict:
    """Train (and, with ``test``, test) loss and accuracy in eval mode, one device sync."""
    was_training = model.training
    model.eval()
    splits = ((data.x_train, data.y_train), (data.x_test, data.y_test))[:2 if test else 1]
    values = torch.stack([t for x, y in splits for t in evaluate(model, x, y, loss_fn)]).tolist()
    model.train(was_training)
    return dict(zip(("train_loss", "train_acc", "test_loss", "test_acc"), values))


def plain_steps(model, opt, loss_fn, x, y, order, bounds, step: int = 0, lr_at=None, *, augment=None,
                precision: str = "fp32", layout=None, watch=None, check=None) -> tuple[torch.Tensor, int]:
    """The plain loop over one epoch's ``bounds``: autograd and torch.optim, the loss summed on the device
    (no ``.item()`` in the hot loop); ``lr_at(step)`` sets a scheduled learning rate. ``augment(x_batch,
    idx)`` transforms each batch (augment.py), ``precision`` sets the forward pass's autocast and ``layout``
    puts a batch in the model's memory format (precision.py). With a ``watch`` (crossing.Watch) each update's
    minibatch loss and accuracy go into it, and at its check points ``check()`` is asked (one sync) whether
    to stop here: the epoch ends early. Returns the summed loss and the next step."""
    running = torch.zeros((), device=x.device)
    every = 0 if watch is None else check_every(len(bounds))
    for j, (a, b) in enumerate(bounds, 1):
        if lr_at is not None:
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
        idx = order[a:b]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        if augment is not None:
            xb = augment(xb, idx)
        if layout is not None:
            xb = layout(xb)
        with autocast(x.device, precision):
            out = model(xb)
            loss = loss_fn(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running += loss.detach()
        step += 1
        if watch is not None:
            watch.add(loss.detach(), out.detach(), yb)
            if is_check(j, every, len(bounds)) and check():
                break
    return running, step


def train_run(run: RunSpec, data: Dataset, device: torch.device, *, on_epoch=None,
              model: torch.nn.Module | None = None, engine: str = "auto", probe=None, stop=None) -> TrainResult:
    """Train one run to its epoch budget or target; NaN/inf loss ends it as ``diverged``, never a crash;
    a run that never trained ends ``stalled`` (loop_rules.end_status).

    ``on_epoch(row)`` is called after every epoch with that epoch's metrics (for progress bars).
    ``probe`` (e.g. noise.NoiseProbe): ``probe(epoch, state_dict)`` returns extra columns for the epoch row,
    called before training, at the epochs where ``probe.wants(epoch)`` and at the last epoch (not after a
    divergence); it runs outside the timed steps and must leave the model alone.
    ``stop`` (sweeps.Stopper): asked after every epoch that neither diverged nor reached the target; it may
    end the run (``pruned``, or ``stalled`` early) and is told how the run ended.
    ``run.data.augment`` (augment.py) transforms the training steps' batches only, seeded by the run's seed and
    the epoch; ``run.precision`` (precision.py) sets their forward pass: metrics are always the unaugmented
    sets in float32.
    ``engine``: "auto" trains full-precision, unaugmented MLPs with the stacked engine (stacked.py, K = 1: hand-written backward,
    preallocated buffers, direct fused optimizer kernels) and other models with the plain loop below;
    "plain" always uses the plain loop (autograd, torch.optim), the reference the fast paths are tested against.
    """
    if model is None:
        model = run_model(run, data)
    if engine == "auto":
        from .stacked import stacks, train_stacked
        if stacks(run, model):
            report = None if on_epoch is None else (lambda _run, row: on_epoch(row))
            return train_stacked([run], data, device, on_epoch=report, models=[model], probe=probe, stop=stop)[0]
    t_start = time.perf_counter()
    data = data.to(device)
    model, layout = prepare(model.to(device).train(), device)
    loss_fn = make_loss(run.loss)
    opt = make_optimizer(run.optimizer, model.parameters(), run.lr, run.weight_decay, dict(run.hyper))
    n = data.n_train
    aug = augmenter(run.data.augment, n, run.seed, device)
    plan = plan_of(run, n)
    bounds_of = functools.cache(lambda size: batch_bounds(n, size, run.drop_last))   # one list per phase
    scheduled = run.schedule != "constant" or plan.warmup_steps > 0
    orders = epoch_orders(n, shuffle=run.shuffle, generator=torch.Generator().manual_seed(run.seed),
                          device=device)
    factor = lambda pos: lr_factor(pos, total_steps=plan.total_steps, warmup_steps=plan.warmup_steps,  # noqa: E731
                                   schedule=run.schedule)

    rows = [{"epoch": 0, "epoch_time_s": math.nan, "lr": run.lr * factor(0), "steps": 0, "examples": 0,
             "epoch_batch_size": plan.batch_sizes[0], "partial": False, **_metrics(model, data, loss_fn)}]
    if probe is not None:
        rows[0].update(probe(0, model.state_dict()))
    status, diverged_epoch, reached, step, examples, why = "done", None, False, 0, 0, ""
    watch = watch_of(run, 1, device, data.x_train.dtype)

    def crossed() -> bool:   # at a check inside the epoch: the full training set confirms the estimate
        if not watch.read()[0]:
            return False
        with watch.paused():
            m = _metrics(model, data, loss_fn, test=False)
        watch.seen([m])
        return target_met(run, m)

    for epoch in range(1, plan.epochs + 1):
        order = next(orders)
        size, start = plan.batch_sizes[epoch - 1], step
        bounds = bounds_of(size)[:plan.steps_in(epoch, step)]
        lr_at = (lambda s, e=epoch, s0=start: run.lr * factor(plan.lr_step(e, s - s0, s))) if scheduled else None
        if watch is not None:
            watch.start_epoch()
        with denormals_flushed(device), Stopwatch(device) as clock:
            running, step = plain_steps(model, opt, loss_fn, data.x_train, data.y_train, order, bounds, step, lr_at,
                                        augment=aug and aug.epoch(epoch), precision=run.precision, layout=layout,
                                        watch=watch, check=crossed)
        examples += sum(b - a for a, b in bounds[:step - start])
        seconds, share = (clock.seconds, clock.cpu_share) if watch is None else watch.timed(clock)
        row = {"epoch": epoch, "epoch_time_s": seconds, "cpu_share": share,
               "lr": opt.param_groups[0]["lr"], "steps": step, "examples": examples, "epoch_batch_size": size,
               "partial": step - start < plan.spe[epoch - 1], **_metrics(model, data, loss_fn)}
        rows.append(row)
        if watch is not None:
            watch.seen([row])
        if not math.isfinite(running.item()) or diverged(row, rows[0]):
            status, diverged_epoch = "diverged", epoch
        else:
            reached = target_met(run, row)
            if probe is not None and (reached or epoch == plan.epochs or probe.wants(epoch)):
                row.update(probe(epoch, model.state_dict()))
        if on_epoch is not None:
            on_epoch(row)
        if status == "diverged" or reached:
            break
        verdict = None if stop is None else stop(run, rows)
        if verdict is not None:
            status, why = verdict
            break

    if status == "done":
        status = end_status(rows, chance_rate(data.y_train, data.n_classes), reached)
    if stop is not None:
        stop.ended(run, step, reached)
    epoch_time_s, timed_epochs = median_epoch_time(rows)
    return TrainResult(
        status=status, epoch_rows=rows, epoch_time_s=epoch_time_s, timed_epochs=timed_epochs,
        total_time_s=time.perf_counter() - t_start, steps=step,
        samples_per_epoch=samples_per_epoch(n, run.batch_size, run.drop_last), reached_target=reached,
        diverged_epoch=diverged_epoch,
        state={k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()},
        n_params=sum(p.numel() for p in model.parameters()), stop_reason=why)
