"""Stacked training: MLP runs that differ only in seed, shuffle mode and learning rate train as ONE model.

Member k's Linear layers become rows of stacked tensors (weights [K, out, in], biases [K, 1, out]). A step
gathers a [K, B] block of indices (each member keeps its own permutation), runs the K forward passes as
batched matmuls (``baddbmm``) and writes the gradient of Σ_k mean_b loss_kb, which is exactly each
member's own gradient, by hand: an MLP's backward is two matmuls, a sum and a mask per layer, so no
autograd graph is built (half the cost of a batch-1 step on a CPU), the first layer computes no input
gradient, and every buffer is allocated once per batch shape. Element-wise optimizers (all seven) applied
to stacked tensors are exactly per member; members with their own learning rate are updated by one fused
kernel call per distinct lr on their rows (optim.Update). A solo MLP run is K = 1 (``train_run`` uses it).
On CUDA, with a constant learning rate, a whole step (gather, forward, backward, update) is one CUDA graph.
A hidden layer with batch norm or ghost batch norm normalises each member's own rows, with its backward by
hand too (stacked_norm.py); its running statistics are per member, and evaluation uses them.
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from .batches import batch_bounds, epoch_orders
from ..spec.budget import plan_of
from ..spec.config import RunSpec, content_hash
from .data import Dataset
from .crossing import check_every, is_check, watch_of
from .device import Stopwatch, denormals_flushed
from .models import run_model
from .stacked_mlp import StackedMLP
from .stacked_norm import mlp_layers
from .optim import Update, lr_factor, make_loss, member_lrs_supported
from .loop_rules import (EVAL_CHUNK, TrainResult, chance_rate, diverged, end_status, evaluate, median_epoch_time,
                      target_met)

GRAPH_WARMUP_STEPS = 3
SOFTMAX_BY_HAND = 8192   # logits elements of one member from which five element-wise ops beat torch.softmax's one


def stackable(model: nn.Module) -> bool:
    """Flatten, (Linear, [batch norm,] ReLU)*, Linear: the MLP of models.py, with or without a norm."""
    return mlp_layers(model) is not None


def stacks(run: RunSpec, model: nn.Module) -> bool:
    """Whether this run trains on the stacked engine: an MLP in full precision without augmentation (bf16 and
    crop_flip are the plain loop's, train.py)."""
    return run.precision == "fp32" and run.data.augment == "none" and stackable(model)


def stack_key(run: RunSpec) -> str:
    """Runs with equal keys can train stacked: every setting equal but the seed, the shuffle mode and, where
    the fused optimizer kernels give each member its own (optim.member_lrs_supported), the learning rate."""
    free = {"seed": None, "shuffle": None}
    if member_lrs_supported(run.optimizer, run.device):
        free["lr"] = None
    return content_hash({**run.identity(), **free})


class StackedTrainer:
    """K runs trained together: the stacked model, its optimizer, the data and each member's index order."""

    def __init__(self, runs: list[RunSpec], data: Dataset, device: torch.device,
                 models: list[nn.Module] | None = None):
        if len({stack_key(r) for r in runs}) != 1:
            raise ValueError("stacked runs must share every setting but the seed, the shuffle mode and the lr")
        self.runs, self.device, run = list(runs), device, runs[0]
        models = models or [run_model(r, data) for r in runs]
        if not all(stackable(m) for m in models):
            raise ValueError(f"only MLPs train stacked, not {run.model!r}")
        self.net = StackedMLP(models, device)
        self.update = Update(run.optimizer, self.net.params, run.lr, run.weight_decay,   # lr: see lrs_at
                             dict(run.hyper))
        self.loss_fn = make_loss(run.loss)
        self.x, self.y = data.x_train.reshape(data.n_train, -1), data.y_train
        self.eval_sets = ((self.x, self.y), (data.x_test.reshape(len(data.y_test), -1), data.y_test))
        # cross-entropy's gradient has a closed form, (softmax - onehot) / B; other losses use autograd on the logits
        self.onehot = F.one_hot(self.y, data.n_classes).to(self.x.dtype) if run.loss == "cross_entropy" else None
        self.orders = [epoch_orders(data.n_train, shuffle=r.shuffle, generator=torch.Generator().manual_seed(r.seed),
                                    device=device) for r in runs]
        self.plan = plan_of(run, data.n_train)   # the budget: batch size and updates of each epoch (budget.py)
        self.size = run.batch_size
        self.bounds = batch_bounds(data.n_train, self.size, run.drop_last)
        self.total_steps = self.plan.total_steps
        self.warmup_steps = self.plan.warmup_steps
        self.scheduled = run.schedule != "constant" or self.warmup_steps > 0
        self.steps = self.examples = 0
        self.watch = None   # crossing.Watch: set by train_stacked for runs with a target
        use_graphs = device.type == "cuda" and not self.scheduled and self.update.opt is None
        self.graphs: dict[int, tuple] | None = {} if use_graphs else None

    def lrs_at(self, step: float) -> tuple[float, ...]:
        """Each member's learning rate at the schedule's position ``step`` (budget.Plan.lr_step): its own base
        lr × the schedule's factor (as train_run)."""
        factor = lr_factor(step, total_steps=self.total_steps, warmup_steps=self.warmup_steps,
                           schedule=self.runs[0].schedule)
        return tuple(r.lr * factor for r in self.runs)

    def epoch(self, max_steps: int | None = None, epoch: int | None = None, at_check=None) -> float:
        """Train one epoch (or its first ``max_steps`` steps); return the synchronised wall time of the steps.
        ``epoch`` (1-based) sets that epoch's batch size and lr positions from the plan; without it (the
        timing pass) every epoch is at the run's own batch size. With a ``watch``, ``at_check(j)`` is called
        at its check points (crossing.is_check, after update j): it returns the stack positions to go on
        with (None: all; empty: the epoch ends here), and the members left out leave the stack at once."""
        size = self.plan.batch_sizes[epoch - 1] if epoch else self.runs[0].batch_size
        if size != self.size:
            self.size, self.bounds = size, batch_bounds(len(self.y), size, self.runs[0].drop_last)
        order = torch.stack([next(o) for o in self.orders])   # [K, N]: each member's own order
        bounds = self.bounds[:max_steps]
        full = sum(b - a == size for a, b in bounds)          # full batches come first, a partial one last
        blocks = order[:, :full * size].reshape(len(order), full, size).transpose(0, 1).contiguous()
        tail = [order[:, a:b].contiguous() for a, b in bounds[full:]]
        at = (lambda j: self.plan.lr_step(epoch, j, self.steps)) if epoch else (lambda j: self.steps)  # noqa: E731
        lr = self._lrs(at(0))
        every = check_every(len(bounds)) if self.watch is not None and at_check is not None else 0
        if self.watch is not None:
            self.watch.start_epoch()
        with denormals_flushed(self.device), Stopwatch(self.device) as clock:
            for j in range(len(bounds)):
                if self.scheduled:
                    lr = self._lrs(at(j))
                idx = blocks[j] if j < full else tail[j - full]
                self.step(idx, lr)
                self.steps += 1
                self.examples += idx.shape[1]
                if self.watch is not None:
                    self.watch.n += 1
                if every and is_check(j + 1, every, len(bounds)):
                    self.last_lrs = lr if isinstance(lr, tuple) else (lr,) * len(self.runs)
                    keep = at_check(j + 1)
                    if keep is not None:
                        if not keep:
                            break
                        self.select(keep)
                        pick = torch.tensor(keep, device=self.device)
                        blocks, tail = blocks.index_select(1, pick), [t.index_select(0, pick) for t in tail]
                        lr = self._lrs(at(j))
        self.last_lrs = lr if isinstance(lr, tuple) else (lr,) * len(self.runs)
        seconds, self.cpu_share = (clock.seconds, clock.cpu_share) if self.watch is None else self.watch.timed(clock)
        return seconds

    def _lrs(self, step: float):
        """The members' lrs at the schedule's position ``step``: one number where all share it."""
        lr = self.lrs_at(step)
        return lr[0] if len(set(lr)) == 1 else lr

    def step(self, idx: torch.Tensor, lr) -> None:
        if self.graphs is None:
            return self._step(idx, lr)
        if idx.shape[1] not in self.graphs:
            self.graphs[idx.shape[1]] = self._capture(idx, lr)
        static, graph = self.graphs[idx.shape[1]]
        static.copy_(idx)
        graph.replay()

    def _step(self, idx: torch.Tensor, lr) -> None:
        k, b = idx.shape
        buf = self.net.buffers(b)
        x = torch.index_select(self.x, 0, idx.view(-1), out=buf["x"])
        acts = self.net.forward(x.view(k, b, -1), buf)
        self.net.backward(acts, self._head_grad(acts[-1], idx, buf), buf)
        self.update(lr)

    def _head_grad(self, logits: torch.Tensor, idx: torch.Tensor, buf: dict) -> torch.Tensor:
        """d/d logits of Σ_k mean_b loss(logits_kb, y_kb)."""
        k, b, c = logits.shape
        watch = self.watch
        if watch is not None and watch.wants_acc:
            hits = logits.argmax(-1) == torch.index_select(self.y, 0, idx.view(-1)).view(k, b)
            watch.acc.add_(hits.sum(-1), alpha=1.0 / b)
        if self.onehot is not None:
            target = torch.index_select(self.onehot, 0, idx.view(-1), out=buf["onehot"])
            if watch is not None and watch.wants_loss:   # log-probabilities: each member's mean loss into the watch
                logp = torch.log_softmax(logits, -1)
                watch.loss.baddbmm_(logp.view(k, 1, b * c), target.view(k, b * c, 1), alpha=-1.0 / b)
                p = logp.exp_()
            elif b * c < SOFTMAX_BY_HAND:   # per member: its arithmetic never depends on its stack-mates
                p = torch.softmax(logits, -1)
            else:   # torch.softmax over ~10 classes costs ~9 ns an element on a CPU; this, ~2
                p = logits.sub(logits.amax(-1, keepdim=True)).exp_()
                p.div_(p.sum(-1, keepdim=True))
            return p.sub_(target.view(k, b, c)).mul_(1.0 / b)
        with torch.enable_grad():
            z = logits.detach().requires_grad_()
            if watch is None or not watch.wants_loss:
                loss = self.loss_fn(z.view(k * b, c), self.y[idx.view(-1)]) * k   # K · mean over K·B = Σ_k mean_b
                return torch.autograd.grad(loss, z)[0]
            per = self.loss_fn(z.view(k * b, c), self.y[idx.view(-1)], reduction="none").view(k, b).mean(1)
            watch.loss.view(-1).add_(per.detach())   # each member's mean loss into the watch
            return torch.autograd.grad(per.sum(), z)[0]

    def _capture(self, idx: torch.Tensor, lr):
        """Record one whole step for this batch shape as a CUDA graph (torch's whole-network recipe): warm up
        on a side stream, put the weights and optimizer state back exactly as they were, capture."""
        static, fresh = idx.clone(), self.update.first
        kept = self.net.params + self.net.stats + ([] if fresh else self.update.state_tensors()) + \
            ([] if self.watch is None else [self.watch.loss, self.watch.acc])
        saved = [t.clone() for t in kept]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(GRAPH_WARMUP_STEPS):
                self._step(static, lr)
        torch.cuda.current_stream().wait_stream(side)
        if fresh:
            self.update.reset()   # state made by the warm-up steps: back to a fresh optimizer
        for t, s in zip(kept, saved):
            t.copy_(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._step(static, lr)
        return static, graph

    @torch.no_grad()
    def metrics(self, test: bool = True) -> list[dict]:
        """Each member's train (and, with ``test``, test) loss and accuracy, in large chunks, one device sync."""
        chunk = max(1, EVAL_CHUNK // self.net.k)
        cols = [t for x, y in self.eval_sets[:2 if test else 1]
                for t in evaluate(self.net.logits, x, y, self.loss_fn, chunk)]
        keys = ("train_loss", "train_acc", "test_loss", "test_acc")
        return [dict(zip(keys, row)) for row in torch.stack(cols, 1).tolist()]

    def select(self, keep: list[int]) -> None:
        """Go on with the members at positions ``keep`` only."""
        idx = torch.tensor(keep, device=self.device)
        self.net.select(idx)
        self.update = self.update.select(idx, self.net.params)
        self.runs = [self.runs[i] for i in keep]
        self.orders = [self.orders[i] for i in keep]
        if self.watch is not None:
            self.watch.select(idx)
        if self.graphs is not None:
            self.graphs = {}


def train_stacked(runs: list[RunSpec], data: Dataset, device: torch.device, *, on_epoch=None,
                  models: list[nn.Module] | None = None, probe=None, stop=None) -> list[TrainResult]:
    """Train ``runs`` (one stack key) together; one TrainResult per run, as ``train_run`` would give alone.

    A member that diverges or reaches its target stops there (its rows and weights are final) and leaves
    the stack; the others go on. ``epoch_time_s`` is the stack's wall time per epoch, shared by all members.
    ``on_epoch(run, row)`` is called after every epoch of every member. ``probe`` adds columns to a
    member's epoch row before training, where ``probe.wants(epoch)`` and at its last epoch (train_run's rule).
    ``stop`` (sweeps.Stopper): asked after every epoch about each member still going, once those that
    reached their target or diverged in that epoch have been reported to it; a member it ends (pruned, or
    stalled early) leaves the stack like one that finished.
    """
    t_start = time.perf_counter()
    data = data.to(device)
    trainer = StackedTrainer(runs, data, device, models)
    n_params = sum(p[0].numel() for p in trainer.net.params)
    spe = sum(b - a for a, b in trainer.bounds)
    plan = trainer.plan
    rows = [[{"epoch": 0, "epoch_time_s": math.nan, "lr": lr, "steps": 0, "examples": 0,
              "epoch_batch_size": plan.batch_sizes[0], "partial": False, **m}]
            for lr, m in zip(trainer.lrs_at(0), trainer.metrics())]
    if probe is not None:
        for k, r in enumerate(rows):
            r[0].update(probe(0, trainer.net.state(k)))
    results: list[TrainResult | None] = [None] * len(runs)
    active = list(range(len(runs)))   # position in the stack → index in ``runs``

    def finish(k: int, pos: int, status: str, diverged_epoch=None, reached=False, why="") -> None:
        epoch_time_s, timed_epochs = median_epoch_time(rows[k])
        results[k] = TrainResult(
            status=status, epoch_rows=rows[k], epoch_time_s=epoch_time_s, timed_epochs=timed_epochs,
            total_time_s=time.perf_counter() - t_start, steps=trainer.steps, samples_per_epoch=spe,
            reached_target=reached, diverged_epoch=diverged_epoch, state=trainer.net.state(pos), n_params=n_params,
            stop_reason=why)
        if stop is not None:
            stop.ended(runs[k], trainer.steps, reached)

    def row_of(pos: int, m: dict, seconds: float, share: float) -> dict:
        return {"epoch": epoch, "epoch_time_s": seconds, "cpu_share": share, "lr": trainer.last_lrs[pos],
                "steps": trainer.steps, "examples": trainer.examples, "epoch_batch_size": trainer.size,
                "partial": trainer.steps - start < plan.spe[epoch - 1], **m}

    def close(k: int, pos: int, row: dict) -> bool:
        """Record member k's row; end it (True) where it diverged or reached its target."""
        rows[k].append(row)
        # weights that went NaN/inf make the train loss NaN, so no running loss is kept in the hot loop
        blown = diverged(row, rows[k][0])
        reached = not blown and target_met(runs[k], row)
        if probe is not None and not blown and (reached or epoch == plan.epochs or probe.wants(epoch)):
            row.update(probe(epoch, trainer.net.state(pos)))
        if on_epoch is not None:
            on_epoch(runs[k], row)
        if blown:
            finish(k, pos, "diverged", diverged_epoch=epoch)
        elif reached:
            finish(k, pos, "done", reached=True)
        return blown or reached

    def at_check(j: int) -> list[int] | None:
        """A check inside the epoch (crossing.py): members whose estimate is near their target are evaluated
        on the whole training set; those that meet it end here, with a partial epoch's row."""
        nonlocal active
        watch = trainer.watch
        due = watch.read()
        if not any(due):
            return None
        with watch.paused():
            train = trainer.metrics(test=False)
            met = [pos for pos, (k, m) in enumerate(zip(active, train)) if due[pos] and target_met(runs[k], m)]
            full = trainer.metrics() if met else []
        watch.seen([m for m, d in zip(train, due) if d], [pos for pos, d in enumerate(due) if d])
        if not met:
            return None
        seconds, share = watch.lap()
        with watch.paused():
            for pos in met:
                close(active[pos], pos, row_of(pos, full[pos], seconds, share))
        keep = [pos for pos in range(len(active)) if pos not in met]
        active = [active[p] for p in keep]
        return keep

    trainer.watch = watch_of(runs[0], len(runs), device, data.x_train.dtype)
    for epoch in range(1, plan.epochs + 1):
        start, todo = trainer.steps, plan.steps_in(epoch, trainer.steps)
        seconds = trainer.epoch(todo, epoch=epoch, at_check=at_check)
        if not active:   # every member ended at a check inside the epoch
            break
        metrics = trainer.metrics()
        if trainer.watch is not None:
            trainer.watch.seen(metrics)
        keep = [pos for pos, (k, m) in enumerate(zip(active, metrics))
                if not close(k, pos, row_of(pos, m, seconds, trainer.cpu_share))]
        if stop is not None:
            keep = [pos for pos in keep if not _stopped(stop, runs, rows, active[pos], pos, finish)]
        if not keep:
            break
        if len(keep) < len(active):
            trainer.select(keep)
            active = [active[p] for p in keep]
    chance = chance_rate(data.y_train, data.n_classes)
    for pos, k in enumerate(active):
        if results[k] is None:
            finish(k, pos, end_status(rows[k], chance, reached=False))
    return results


def _stopped(stop, runs: list[RunSpec], rows: list[list[dict]], k: int, pos: int, finish) -> bool:
    """Ask ``stop`` about member k (at ``pos`` in the stack); end it when it says so."""
    verdict = stop(runs[k], rows[k])
    if verdict is not None:
        finish(k, pos, verdict[0], why=verdict[1])
    return verdict is not None
