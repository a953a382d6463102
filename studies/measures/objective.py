"""The one primitive every estimator builds on: the mean loss of a model on a fixed batch as a function of
its flattened parameter vector θ, with its gradient and Hessian-vector products.

Everything goes through `torch.func.functional_call` on tensors we own, so the module's weights are never
touched and its train/eval mode is never flipped (the caller sets eval mode). Big batches are cut into
chunks of `chunk` examples and the chunk means are summed with weights n_c/N, so memory stays bounded and
the result is still the mean over the whole batch. Gradients and HVPs are plain autograd (double backward),
not torch.func, whose first grad/jvp imports torch._dynamo (1-3 s in every fresh process). models.py's MLP
with cross-entropy takes a hand-written path (mlp_hvp.py: k HVPs as one batched pass, the forward pass at θ
computed once and shared by every estimator); tests check it against this general one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

import torch
from torch import Tensor, nn
from torch.func import functional_call

from .mlp_hvp import MLPCalculus, supports

from ..engine.loop_rules import evaluate

DEFAULT_CHUNK = 2048   # examples per forward pass; bounds memory, does not change any result


# ---------------------------------------------------------------- helpers

def _chunks(x: Tensor, y: Tensor, chunk: int) -> Iterator[tuple[Tensor, Tensor, float]]:
    n = len(x)
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        yield x[s:e], y[s:e], (e - s) / n


def split_state(model: nn.Module, state: Mapping[str, Tensor] | None = None
                ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(trainable params, everything else) as detached copies, from `state` (a state_dict) or the model.
    Parameters with requires_grad=False count as constants. Missing keys fall back to the model's own.
    Copies, so that a module left in train mode (batch norm updating its running statistics in place)
    still cannot write into the model's tensors."""
    params, consts = {}, {}
    for name, p in model.named_parameters():
        t = (state[name] if state is not None and name in state else p).detach().clone()
        (params if p.requires_grad else consts)[name] = t
    for name, b in model.named_buffers():
        consts[name] = (state[name] if state is not None and name in state else b).detach().clone()
    return params, consts


def check_mode(model: nn.Module) -> None:
    """Refuse a model whose forward pass depends on train mode: dropout would make f random, and batch
    norm would normalise by batch statistics and update its running statistics in place. Never flips
    the mode itself: the caller calls model.eval() (and restores the mode if it wants)."""
    for name, m in model.named_modules():
        if m.training and isinstance(m, (nn.modules.batchnorm._NormBase, nn.modules.dropout._DropoutNd)):
            raise ValueError(f"module {name or 'model'!r} ({type(m).__name__}) is in train mode; "
                             "call model.eval() before measuring")


def loss_and_accuracy(model: nn.Module, state: Mapping[str, Tensor], x: Tensor, y: Tensor,
                      loss_fn: Callable, chunk: int = DEFAULT_CHUNK) -> tuple[float, float]:
    """Mean loss and accuracy of `model` evaluated with the tensors in `state` (params and/or buffers;
    missing ones come from the model), in chunks, without touching the model (which must be in eval mode
    if it has dropout or batch norm). The counting is loop_rules.evaluate's, as in training."""
    check_mode(model)
    state = dict(state)
    loss, acc = evaluate(lambda xc: functional_call(model, state, (xc,)), x, y, loss_fn, chunk)
    return float(loss), float(acc)


# ---------------------------------------------------------------- the objective

@dataclass(frozen=True)
class Objective:
    """f(θ) = mean loss of `model` on (x, y), θ the flat vector of its trainable parameters.

    `theta` is a detached copy of the weights at which the objective was built (the point the estimators
    look at); pass another flat vector to evaluate elsewhere. Build one with `objective(...)`."""

    model: nn.Module
    x: Tensor
    y: Tensor
    loss_fn: Callable[[Tensor, Tensor], Tensor]
    theta: Tensor
    names: tuple[str, ...]
    shapes: tuple[torch.Size, ...]
    consts: dict[str, Tensor]
    chunk: int = DEFAULT_CHUNK
    calc: MLPCalculus | None = None   # the hand-written path for models.py's MLP with cross-entropy

    @property
    def n_params(self) -> int:
        return self.theta.numel()

    def on(self, x: Tensor, y: Tensor) -> "Objective":
        """The same function of θ on other data (a sub-batch, another split)."""
        return dataclasses.replace(self, x=x, y=y, calc=self.calc and MLPCalculus(self.shapes))

    def unflatten(self, flat: Tensor) -> dict[str, Tensor]:
        parts = torch.split(flat, [s.numel() for s in self.shapes])
        return {n: p.view(s) for n, p, s in zip(self.names, parts, self.shapes)}

    def flatten(self, d: Mapping[str, Tensor]) -> Tensor:
        return torch.cat([d[n].reshape(-1) for n in self.names])

    def _f(self, flat: Tensor, x: Tensor, y: Tensor) -> Tensor:
        out = functional_call(self.model, (self.unflatten(flat), self.consts), (x,))
        return self.loss_fn(out, y)

    def loss(self, flat: Tensor | None = None) -> float:
        keep, flat = flat is None or flat is self.theta, self.theta if flat is None else flat
        total = torch.zeros((), device=flat.device, dtype=torch.float64)
        with torch.no_grad():
            for xc, yc, w in _chunks(self.x, self.y, self.chunk):
                f = self.calc.loss(flat, xc, yc, keep) if self.calc else self._f(flat, xc, yc)
                total += w * f.double()
        return float(total)

    def loss_many(self, flats: Tensor, block_bytes: int = 64 << 20) -> list[float]:
        """f at each row of ``flats`` [k, n]: for the MLP, blocks of rows in one batched forward pass each
        (activations within ``block_bytes``); otherwise one ``loss`` per row."""
        if self.calc is None:
            return [self.loss(f) for f in flats]
        width = max(s[0] for s in self.shapes[0::2])
        per_row = min(len(self.x), self.chunk) * width * flats.element_size()
        step = max(1, block_bytes // max(1, per_row))
        out: list[float] = []
        with torch.no_grad():
            for s in range(0, len(flats), step):
                block = flats[s:s + step]
                total = torch.zeros(len(block), device=flats.device, dtype=torch.float64)
                for xc, yc, w in _chunks(self.x, self.y, self.chunk):
                    total += w * self.calc.loss_many(block, xc, yc).double()
                out += total.tolist()
        return out

    def loss_grad(self, flat: Tensor | None = None) -> tuple[float, Tensor]:
        keep, flat = flat is None or flat is self.theta, self.theta if flat is None else flat
        total = torch.zeros((), device=flat.device, dtype=torch.float64)
        g = torch.zeros_like(flat)
        for xc, yc, w in _chunks(self.x, self.y, self.chunk):
            if self.calc:
                with torch.no_grad():
                    fc, gc = self.calc.loss_grad(flat, xc, yc, keep)
            else:
                p = flat.detach().requires_grad_()
                with torch.enable_grad():
                    fc = self._f(p, xc, yc)
                    gc, = torch.autograd.grad(fc, p)
            total += w * fc.detach().double()
            g += w * gc
        return float(total), g

    def exact_trace(self) -> float | None:
        """tr H(θ) computed exactly where the hand-written path knows how (mlp_hvp.py), else None."""
        if self.calc is None:
            return None
        total = torch.zeros((), device=self.theta.device, dtype=torch.float64)
        with torch.no_grad():
            for xc, yc, w in _chunks(self.x, self.y, self.chunk):
                total += w * self.calc.trace(self.theta, xc, yc, True).double()
        return float(total)

    def hvp(self, v: Tensor, flat: Tensor | None = None) -> Tensor:
        """H(θ)·v, summed over weighted chunks."""
        return self.hvp_many(v.unsqueeze(0), flat)[0]

    def hvp_many(self, vs: Tensor, flat: Tensor | None = None) -> Tensor:
        """H(θ)·v for each row v of ``vs`` [k, n]: one batched pass for the MLP; otherwise double backward
        through one graph per chunk, shared by the k vectors."""
        keep, flat = flat is None or flat is self.theta, self.theta if flat is None else flat
        out = torch.zeros_like(vs)
        for xc, yc, w in _chunks(self.x, self.y, self.chunk):
            if self.calc:
                with torch.no_grad():
                    out += w * self.calc.hvp_many(flat, xc, yc, vs, keep)
                continue
            p = flat.detach().requires_grad_()
            with torch.enable_grad():
                g, = torch.autograd.grad(self._f(p, xc, yc), p, create_graph=True)
                for i, v in enumerate(vs):
                    out[i] += w * torch.autograd.grad(g, p, v, retain_graph=i < len(vs) - 1)[0]
        return out


def objective(model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable, *,
              state: Mapping[str, Tensor] | None = None, chunk: int = DEFAULT_CHUNK) -> Objective:
    """The loss of `model` on (x, y) as a function of its flat parameters, at the model's current weights
    or at `state` (a state_dict, e.g. the weights at initialisation)."""
    if chunk < 1:
        raise ValueError(f"chunk must be ≥ 1, got {chunk}")
    check_mode(model)
    params, consts = split_state(model, state)
    if not params:
        raise ValueError("the model has no trainable parameters")
    names = tuple(params)
    theta = torch.cat([params[n].reshape(-1) for n in names]).clone()
    shapes = tuple(params[n].shape for n in names)
    return Objective(model=model, x=x, y=y, loss_fn=loss_fn, theta=theta, names=names, shapes=shapes,
                     consts=consts, chunk=chunk,
                     calc=MLPCalculus(shapes) if supports(model, loss_fn, consts) else None)
