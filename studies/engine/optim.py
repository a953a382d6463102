"""Optimizers by name, learning-rate schedules with warm-up, and the two losses."""
from __future__ import annotations

import inspect

import torch
import torch.nn.functional as F

from ..spec import optimizers
from ..spec.schedule import lr_factor  # noqa: F401 - the schedules live in a torch-free module (the playground)

FOCAL_GAMMA = 2.0
# The fused kernel of each update family (optimizers.Optimizer.family); a family without one (rmsprop) steps
# through torch.optim.
_FUSED = {"sgd": "_fused_sgd_", "adagrad": "_fused_adagrad_", "adam": "_fused_adam_", "adamw": "_fused_adamw_"}


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0,
                   hyper: Mapping | None = None) -> torch.optim.Optimizer:
    """The optimizer ``name`` of the table (studies/spec/optimizers.py), with fused kernels where torch has them (fewer
    kernel launches). ``hyper``: the run's [optim] values; what is not given keeps the table's default."""
    params, record = list(params), optimizers.get(name)
    fast = _fast_flags(params) if record.family in _FUSED else {"foreach": True}
    cls = getattr(torch.optim, record.torch_class)
    return cls(params, lr=lr, weight_decay=weight_decay, **record.torch_kwargs(hyper), **fast)


class Update:
    """One optimizer step for parameters whose ``.grad`` buffers persist (the stacked engine's).

    For the optimizers with a fused kernel (all but rmsprop, on CPU and CUDA) it keeps the state itself,
    made as torch.optim makes it, and calls the same kernel with torch.optim's hyperparameters: that skips
    Optimizer.step's per-call bookkeeping (hooks, profiler records, grouping tensors by device and dtype:
    30-50 µs a step on a CPU, as much as a batch-1 forward and backward of a small MLP) and torch.optim's
    import of torch._dynamo (~1 s in every fresh process). Otherwise it is the optimizer of make_optimizer.
    Tests check it against torch.optim bit for bit.

    ``lr`` may be one value per member of stacked parameters (dim 0): members that share a value are updated
    by one kernel call on their rows (slices of the stacked tensors, step counters shared), so each member
    gets exactly the update it would get alone; only the fused kernels can (see member_lrs_supported).
    """

    def __init__(self, name: str, params, lr: float, weight_decay: float = 0.0, hyper: Mapping | None = None):
        self.name, self.params, self.weight_decay, self.hyper_given = name, list(params), weight_decay, hyper
        self.opt, self.first, self.state, self.lists = None, True, [{} for _ in self.params], None
        record = optimizers.get(name)
        self.family = record.family
        if self.family not in _FUSED or "fused" not in _fast_flags(self.params) \
                or not hasattr(torch, "_fused_adamw_"):
            self.opt = make_optimizer(name, self.params, lr, weight_decay, hyper)
            return
        kw = record.torch_kwargs(hyper)
        if self.family == "sgd":
            self.hyper = dict(momentum=kw["momentum"], nesterov=kw["nesterov"],
                              dampening=_default(torch.optim.SGD, "dampening"))
        elif self.family in ("adam", "adamw"):
            self.hyper = dict(beta1=kw["betas"][0], beta2=kw["betas"][1], eps=kw["eps"], amsgrad=False)
        else:
            self.hyper = {k: kw[k] for k in ("lr_decay", "eps")}
        step = lambda p: torch.zeros((), dtype=torch.float32, device=p.device)  # noqa: E731 - fused: on the device
        for p, st in zip(self.params, self.state):
            if self.family == "sgd" and optimizers.MOMENTUM in record.hypers:   # plain sgd keeps none
                st["momentum_buffer"] = torch.empty_like(p)   # the first step copies the gradient in
            elif self.family in ("adam", "adamw"):
                st.update(step=step(p), exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
            elif self.family == "adagrad":
                st.update(step=step(p), sum=torch.full_like(p, kw["initial_accumulator_value"]))

    def __call__(self, lr) -> None:
        """One step with learning rate ``lr``: a number, or a sequence with one per member (stacked dim 0)."""
        if not isinstance(lr, (int, float)):
            lr = tuple(lr)
            if len(set(lr)) == 1:
                lr = lr[0]
        if self.opt is not None:
            if isinstance(lr, tuple):
                raise ValueError(f"{self.name}: per-member learning rates need the fused kernels")
            for group in self.opt.param_groups:
                group["lr"] = lr
            self.opt.step()
            return
        if self.lists is None:   # the tensor lists, once: the grads are persistent buffers
            self.lists = {k: [st[k] for st in self.state] for k in self.state[0]}
            self.lists.update(params=self.params, grads=[p.grad for p in self.params])
        if isinstance(lr, tuple):
            if "step" in self.lists:   # counted once per step; every group's kernel reads the same counters
                torch._foreach_add_(self.lists["step"], 1)
            for value, lists in self._member_lists(lr):
                self._kernel(lists, value, step=False)
        else:
            self._kernel(self.lists, lr)
        self.first = False

    def _member_lists(self, lrs: tuple) -> list[tuple[float, dict]]:
        """(lr, tensor lists of the members with that lr): row slices of every stacked tensor, made once per
        pattern of equal values (it stays the same while training: each member's lr is its base × factor)."""
        pattern = tuple(lrs.index(v) for v in lrs)
        if getattr(self, "_members", (None,))[0] != pattern:
            groups = []
            for first in dict.fromkeys(pattern):
                ks = [k for k, f in enumerate(pattern) if f == first]
                merged: list[list[int]] = []   # consecutive members: one slice
                for a in ks:
                    if merged and merged[-1][1] == a:
                        merged[-1][1] = a + 1
                    else:
                        merged.append([a, a + 1])
                lists = {key: [t if key == "step" else t[a:b] for t in ts for a, b in merged]
                         for key, ts in self.lists.items()}
                groups.append((first, lists))
            self._members = (pattern, groups)
        return [(lrs[first], lists) for first, lists in self._members[1]]

    def _kernel(self, t: dict, lr: float, step: bool = True) -> None:
        wd, hp, kernel = self.weight_decay, self.hyper, getattr(torch, _FUSED[self.family])
        if self.family == "sgd":
            kernel(t["params"], t["grads"], t.get("momentum_buffer", []), weight_decay=wd, lr=lr,
                   maximize=False, is_first_step=self.first, **hp)
            return
        if step:
            torch._foreach_add_(t["step"], 1)
        if self.family in ("adam", "adamw"):
            kernel(t["params"], t["grads"], t["exp_avg"], t["exp_avg_sq"], [], t["step"], lr=lr, weight_decay=wd,
                   maximize=False, **hp)
        else:   # adagrad
            kernel(t["params"], t["grads"], t["sum"], t["step"], lr=lr, weight_decay=wd, maximize=False, **hp)

    def _states(self) -> list[dict]:
        return [self.opt.state.get(p, {}) for p in self.params] if self.opt is not None else self.state

    def state_tensors(self) -> list[torch.Tensor]:
        """Every state tensor, step counters included: all zeros means a fresh optimizer."""
        return [v for st in self._states() for v in st.values() if torch.is_tensor(v)]

    def reset(self) -> None:
        """Back to a fresh optimizer in place (CUDA graphs keep the addresses). Exact for these optimizers:
        zero moments and steps give the first step's update, and a zero momentum buffer makes 0.9·0 + g = g."""
        for t in self.state_tensors():
            t.zero_()

    def select(self, keep: torch.Tensor, params) -> "Update":
        """The same optimizer for ``params``, the rows ``keep`` of stacked parameters, with those rows'
        state (the stacked engine drops members that finished)."""
        lr = self.opt.param_groups[0]["lr"] if self.opt is not None else 0.0
        new = Update(self.name, params, lr, self.weight_decay, self.hyper_given)
        new.first = self.first
        for old_p, p, old, st in zip(self.params, new.params, self._states(), new._states()):
            if not old:
                continue   # no step yet: keep the fresh state
            st.clear()
            st.update({k: (v.index_select(0, keep) if torch.is_tensor(v) and v.shape == old_p.shape
                           else v.clone() if torch.is_tensor(v) else v) for k, v in old.items()})
            if new.opt is not None:
                new.opt.state[p] = st
        return new


def member_lrs_supported(name: str, device_type: str) -> bool:
    """Whether Update can give stacked members their own learning rates: the fused kernels (every family but
    rmsprop, float tensors on CPU or CUDA, torch ≥ 2.4); then runs that differ in lr stack."""
    return optimizers.get(name).family in _FUSED and device_type in ("cpu", "cuda") \
        and all(hasattr(torch, k) for k in _FUSED.values())


def _default(cls, name: str):
    """A torch.optim constructor's default hyperparameter, read without constructing one."""
    return inspect.signature(cls).parameters[name].default


def _fast_flags(params) -> dict:
    """fused=True on CPU and CUDA float tensors (torch ≥ 2.4), else foreach."""
    if params and all(p.dtype in (torch.float32, torch.float64) and p.device.type in ("cpu", "cuda")
                      for p in params):
        return {"fused": True}
    return {"foreach": True}


def focal_loss(logits: torch.Tensor, y: torch.Tensor, gamma: float = FOCAL_GAMMA,
               reduction: str = "mean") -> torch.Tensor:
    """Focal loss (Lin et al. 2017): −(1 − p_t)^γ log p_t, mean over the batch; γ = 0 is cross-entropy."""
    logp = F.log_softmax(logits, dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
    loss = -(1.0 - logp.exp()) ** gamma * logp
    return loss if reduction == "none" else loss.mean()


def make_loss(name: str):
    """loss(logits, y, reduction="mean") -> mean loss over the batch ("none": one per example)."""
    if name == "cross_entropy":
        return F.cross_entropy
    if name == "focal":
        return focal_loss
    raise ValueError(f"unknown loss {name!r}")
