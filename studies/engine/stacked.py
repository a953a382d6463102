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

import itertools
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from .batches import batch_bounds, epoch_orders
from ..spec.budget import plan_of
from ..spec.config import RunSpec, content_hash
from .data import Dataset
from .device import Stopwatch, denormals_flushed
from .models import run_model
from .stacked_norm import StackedNorm, mlp_layers
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


class StackedMLP:
    """K MLPs of one shape as stacked tensors, with a hand-written backward into persistent grad buffers; a
    hidden layer with a norm has no bias and a StackedNorm (stacked_norm.py) instead."""

    def __init__(self, models: list[nn.Module], device: torch.device):
        layers = [mlp_layers(m) for m in models]
        self.names = [lin_name for lin_name, *_ in layers[0]]
        self.norm_names = [norm_name for _, _, norm_name, _ in layers[0]]
        self.weights = [torch.stack([ls[i][1].weight.detach() for ls in layers]).to(device).contiguous()
                        for i in range(len(self.names))]
        self.biases = [None if layers[0][i][3] is not None else
                       torch.stack([ls[i][1].bias.detach() for ls in layers]).unsqueeze(1).to(device).contiguous()
                       for i in range(len(self.names))]
        self.norms = [None if layers[0][i][3] is None else StackedNorm([ls[i][3] for ls in layers], device)
                      for i in range(len(self.names))]
        self._init_grads()

    def _init_grads(self) -> None:
        for p in self.params:
            p.grad = torch.zeros_like(p)
        self._buffers: dict[int, dict] = {}

    @property
    def params(self) -> list[torch.Tensor]:
        """W_1, b_1 (or γ_1, β_1), W_2, ...: the order of the model's parameters."""
        return [t for w, b, n in zip(self.weights, self.biases, self.norms) for t in [w] + (n.params if n else [b])]

    @property
    def stats(self) -> list[torch.Tensor]:
        """The norms' running statistics and counts (state that is not trained)."""
        return [t for n in self.norms if n for t in n.stats]

    @property
    def k(self) -> int:
        return self.weights[0].shape[0]

    def state(self, k: int) -> dict[str, torch.Tensor]:
        """Member k's weights (and norm statistics) as its nn.Sequential state_dict, on the CPU."""
        out = {}
        for name, w, b, norm_name, norm in zip(self.names, self.weights, self.biases, self.norm_names, self.norms):
            out[f"{name}.weight"] = w[k].detach().to("cpu", copy=True)
            if norm is None:
                out[f"{name}.bias"] = b[k, 0].detach().to("cpu", copy=True)
            else:
                out.update(norm.state(k, norm_name))
        return out

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the members ``keep`` (new tensors; grads and buffers are made again)."""
        self.weights = [w.index_select(0, keep) for w in self.weights]
        self.biases = [None if b is None else b.index_select(0, keep) for b in self.biases]
        for n in self.norms:
            if n is not None:
                n.select(keep)
        self._init_grads()

    def buffers(self, batch: int) -> dict:
        """Activations and gradients for [K, batch] steps, made on first use of that batch size."""
        if batch not in self._buffers:
            k, w = self.k, self.weights
            new = lambda *shape: torch.empty(*shape, device=w[0].device, dtype=w[0].dtype)  # noqa: E731
            self._buffers[batch] = {
                "x": new(k * batch, w[0].shape[2]), "onehot": new(k * batch, w[-1].shape[1]),
                "h": [new(k, batch, wi.shape[1]) for wi in w],
                "g": [new(k, batch, wi.shape[1]) for wi in w[:-1]],
                "z": [new(k, batch, wi.shape[1]) if n else None for wi, n in zip(w, self.norms)], "saved": {}}
        return self._buffers[batch]

    def forward(self, x: torch.Tensor, buf: dict) -> list[torch.Tensor]:
        """[K, B, F] → the input of every layer, then the logits [K, B, C], all in ``buf``."""
        acts = [x]
        for i, (w, b, norm) in enumerate(zip(self.weights, self.biases, self.norms)):
            if norm is None:
                out = torch.baddbmm(b, acts[-1], w.mT, out=buf["h"][i])
            else:   # z in its own buffer becomes x̂ there (the norm's backward reads it), γ·x̂ + β into h
                z = torch.bmm(acts[-1], w.mT, out=buf["z"][i])
                out = buf["h"][i]
                buf["saved"][i] = norm.forward(z, out)
            acts.append(out.relu_() if i < len(self.weights) - 1 else out)
        return acts

    def backward(self, acts: list[torch.Tensor], g: torch.Tensor, buf: dict) -> None:
        """Grads of every weight from g = d loss / d logits; the first layer makes no input gradient."""
        for i in range(len(self.weights) - 1, -1, -1):
            w, b, norm = self.weights[i], self.biases[i], self.norms[i]
            if norm is None:
                torch.sum(g, 1, keepdim=True, out=b.grad)
            else:
                g = norm.backward(g, buf["z"][i], buf["saved"][i])
            torch.bmm(g.mT, acts[i], out=w.grad)
            if i:
                gi = torch.bmm(g, w, out=buf["g"][i - 1])
                g = torch.ops.aten.threshold_backward.grad_input(gi, acts[i], 0, grad_input=gi)   # ReLU'

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Every member's logits [K, N, C] for one shared input [N, F] (evaluation: norms by running statistics)."""
        h = None
        for w, b, norm in zip(self.weights, self.biases, self.norms):
            if norm is not None:
                h = norm.eval_(torch.matmul(x if h is None else h.relu_(), w.mT))
            else:
                h = torch.matmul(x, w.mT).add_(b) if h is None else torch.baddbmm(b, h.relu_(), w.mT)
        return h


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
        use_graphs = device.type == "cuda" and not self.scheduled and self.update.opt is None
        self.graphs: dict[int, tuple] | None = {} if use_graphs else None

    def lrs_at(self, step: float) -> tuple[float, ...]:
        """Each member's learning rate at the schedule's position ``step`` (budget.Plan.lr_step): its own base
        lr × the schedule's factor (as train_run)."""
        factor = lr_factor(step, total_steps=self.total_steps, warmup_steps=self.warmup_steps,
                           schedule=self.runs[0].schedule)
        return tuple(r.lr * factor for r in self.runs)

    def epoch(self, max_steps: int | None = None, epoch: int | None = None) -> float:
        """Train one epoch (or its first ``max_steps`` steps); return the synchronised wall time of the steps.
        ``epoch`` (1-based) sets that epoch's batch size and lr positions from the plan; without it (the
        timing pass) every epoch is at the run's own batch size."""
        size = self.plan.batch_sizes[epoch - 1] if epoch else self.runs[0].batch_size
        if size != self.size:
            self.size, self.bounds = size, batch_bounds(len(self.y), size, self.runs[0].drop_last)
        order = torch.stack([next(o) for o in self.orders])   # [K, N]: each member's own order
        bounds = self.bounds[:max_steps]
        full = sum(b - a == size for a, b in bounds)          # full batches come first, a partial one last
        blocks = order[:, :full * size].reshape(len(order), full, size).transpose(0, 1).contiguous()
        tail = [order[:, a:b].contiguous() for a, b in bounds[full:]]
        at = (lambda j: self.plan.lr_step(epoch, j, self.steps)) if epoch else (lambda j: self.steps)  # noqa: E731
        lr = self.lrs_at(at(0))
        lr = lr[0] if len(set(lr)) == 1 else lr   # one number where all members share it
        with denormals_flushed(self.device), Stopwatch(self.device) as clock:
            for j, idx in enumerate(itertools.chain(blocks.unbind(0), tail)):
                if self.scheduled:
                    lr = self.lrs_at(at(j))
                self.step(idx, lr)
                self.steps += 1
        self.examples += sum(b - a for a, b in bounds)
        self.last_lrs = lr if isinstance(lr, tuple) else (lr,) * len(self.runs)
        self.cpu_share = clock.cpu_share
        return clock.seconds

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
        if self.onehot is not None:
            target = torch.index_select(self.onehot, 0, idx.view(-1), out=buf["onehot"])
            if b * c < SOFTMAX_BY_HAND:   # per member: its arithmetic never depends on its stack-mates
                p = torch.softmax(logits, -1)
            else:   # torch.softmax over ~10 classes costs ~9 ns an element on a CPU; this, ~2
                p = logits.sub(logits.amax(-1, keepdim=True)).exp_()
                p.div_(p.sum(-1, keepdim=True))
            return p.sub_(target.view(k, b, c)).mul_(1.0 / b)
        with torch.enable_grad():
            z = logits.detach().requires_grad_()
            loss = self.loss_fn(z.view(k * b, c), self.y[idx.view(-1)]) * k   # K · mean over K·B = Σ_k mean_b
            return torch.autograd.grad(loss, z)[0]

    def _capture(self, idx: torch.Tensor, lr):
        """Record one whole step for this batch shape as a CUDA graph (torch's whole-network recipe): warm up
        on a side stream, put the weights and optimizer state back exactly as they were, capture."""
        static, fresh = idx.clone(), self.update.first
        kept = self.net.params + self.net.stats + ([] if fresh else self.update.state_tensors())
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
    def metrics(self) -> list[dict]:
        """Each member's train and test loss and accuracy, in large chunks, one device sync."""
        chunk = max(1, EVAL_CHUNK // self.net.k)
        cols = [t for x, y in self.eval_sets for t in evaluate(self.net.logits, x, y, self.loss_fn, chunk)]
        keys = ("train_loss", "train_acc", "test_loss", "test_acc")
        return [dict(zip(keys, row)) for row in torch.stack(cols, 1).tolist()]

    def _evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, n = self.net.k, max(1, len(y))
        loss = torch.zeros(k, device=x.device, dtype=torch.float64)
        correct = torch.zeros(k, device=x.device, dtype=torch.float64)
        chunk = max(1, EVAL_CHUNK // k)
        for a in range(0, len(y), chunk):
            logits, yb = self.net.logits(x[a:a + chunk]), y[a:a + chunk]
            per = self.loss_fn(logits.reshape(-1, logits.shape[-1]), yb.repeat(k), reduction="none")
            loss += per.view(k, -1).double().sum(1)
            correct += (logits.argmax(-1) == yb).sum(1)
        return loss / n, correct / n

    def select(self, keep: list[int]) -> None:
        """Go on with the members at positions ``keep`` only."""
        idx = torch.tensor(keep, device=self.device)
        self.net.select(idx)
        self.update = self.update.select(idx, self.net.params)
        self.runs = [self.runs[i] for i in keep]
        self.orders = [self.orders[i] for i in keep]
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

    for epoch in range(1, plan.epochs + 1):
        start, todo = trainer.steps, plan.steps_in(epoch, trainer.steps)
        seconds = trainer.epoch(todo, epoch=epoch)
        keep = []
        for pos, (k, m) in enumerate(zip(active, trainer.metrics())):
            row = {"epoch": epoch, "epoch_time_s": seconds, "cpu_share": trainer.cpu_share, "lr": trainer.last_lrs[pos],
                   "steps": trainer.steps, "examples": trainer.examples, "epoch_batch_size": trainer.size,
                   "partial": trainer.steps - start < plan.spe[epoch - 1], **m}
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
            else:
                keep.append(pos)
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
