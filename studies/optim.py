"""Optimizers by name, learning-rate schedules with warm-up, and the two losses."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

MOMENTUM = 0.9
FOCAL_GAMMA = 2.0


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """The seven optimizers of a study, with fused kernels where torch has them (fewer kernel launches)."""
    params = list(params)
    fast = _fast_flags(params)
    if name in ("sgd", "momentum", "nesterov"):
        momentum = 0.0 if name == "sgd" else MOMENTUM
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=name == "nesterov",
                               weight_decay=weight_decay, **fast)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay, **fast)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay, foreach=True)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, **fast)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, **fast)
    raise ValueError(f"unknown optimizer {name!r}")


class Update:
    """One optimizer step for parameters whose ``.grad`` buffers persist (the stacked engine's).

    The optimizer of ``make_optimizer`` takes the first step (it creates its state exactly as torch does);
    every later step calls the same fused kernel on the same state tensors directly. That skips
    Optimizer.step's per-call bookkeeping (hooks, profiler records, grouping tensors by device and dtype):
    30-50 µs a step on a CPU, as much as a whole batch-1 forward and backward of a small MLP. Optimizers
    without a fused kernel (rmsprop) and devices without one keep calling ``step()``.
    """

    def __init__(self, name: str, params, lr: float, weight_decay: float = 0.0):
        self.name, self.params = name, list(params)
        self.opt = make_optimizer(name, self.params, lr, weight_decay)
        self._direct = None

    def __call__(self, lr: float) -> None:
        if self._direct is not None:
            self._direct(lr)
            return
        for group in self.opt.param_groups:
            group["lr"] = lr
        self.opt.step()
        self._direct = self._direct_kernel()

    def state_tensors(self) -> list[torch.Tensor]:
        """Every state tensor, step counters included: all zeros means a fresh optimizer."""
        return [v for p in self.params for v in self.opt.state.get(p, {}).values() if torch.is_tensor(v)]

    def reset(self) -> None:
        """Back to a fresh optimizer in place (CUDA graphs keep the addresses). Exact for these optimizers:
        zero moments and steps give the first step's update, and a zero momentum buffer makes 0.9·0 + g = g."""
        for t in self.state_tensors():
            t.zero_()

    def select(self, keep: torch.Tensor, params) -> "Update":
        """The same optimizer for ``params``, the rows ``keep`` of stacked parameters, with those rows'
        state (the stacked engine drops members that finished)."""
        group = self.opt.param_groups[0]
        new = Update(self.name, params, group["lr"], group["weight_decay"])
        for old_p, p in zip(self.params, new.params):
            if not self.opt.state.get(old_p):
                continue   # no step yet: keep the fresh state
            new.opt.state[p] = {k: (v.index_select(0, keep) if torch.is_tensor(v) and v.shape == old_p.shape
                                    else v.clone() if torch.is_tensor(v) else v)
                                for k, v in self.opt.state.get(old_p, {}).items()}
        return new

    def _direct_kernel(self):
        group, state = self.opt.param_groups[0], [self.opt.state[p] for p in self.params]
        if not group.get("fused") or len(self.opt.param_groups) != 1 or not state:
            return None
        params, grads = self.params, [p.grad for p in self.params]
        wd = group["weight_decay"]
        if self.name in ("sgd", "momentum", "nesterov") and hasattr(torch, "_fused_sgd_"):
            bufs = [s["momentum_buffer"] for s in state] if group["momentum"] else []
            return lambda lr: torch._fused_sgd_(
                params, grads, bufs, weight_decay=wd, momentum=group["momentum"], lr=lr,
                dampening=group["dampening"], nesterov=group["nesterov"], maximize=False, is_first_step=False)
        steps = [s["step"] for s in state]
        if self.name in ("adam", "adamw") and hasattr(torch, "_fused_adamw_"):
            kernel = torch._fused_adamw_ if self.name == "adamw" else torch._fused_adam_
            m, v = [s["exp_avg"] for s in state], [s["exp_avg_sq"] for s in state]
            (b1, b2), eps = group["betas"], group["eps"]

            def adam(lr):
                torch._foreach_add_(steps, 1)
                kernel(params, grads, m, v, [], steps, amsgrad=False, lr=lr, beta1=b1, beta2=b2,
                       weight_decay=wd, eps=eps, maximize=False)
            return adam
        if self.name == "adagrad" and hasattr(torch, "_fused_adagrad_"):
            sums, eps, decay = [s["sum"] for s in state], group["eps"], group["lr_decay"]

            def adagrad(lr):
                torch._foreach_add_(steps, 1)
                torch._fused_adagrad_(params, grads, sums, steps, lr=lr, lr_decay=decay, weight_decay=wd,
                                      eps=eps, maximize=False)
            return adagrad
        return None


def _fast_flags(params) -> dict:
    """fused=True on CPU and CUDA float tensors (torch ≥ 2.4), else foreach."""
    if params and all(p.dtype in (torch.float32, torch.float64) and p.device.type in ("cpu", "cuda")
                      for p in params):
        return {"fused": True}
    return {"foreach": True}


def lr_factor(step: int, *, total_steps: int, warmup_steps: int, schedule: str) -> float:
    """Multiplier of the peak learning rate at a step (0-based).

    Warm-up rises linearly to 1 over ``warmup_steps`` (Goyal et al. 2017); then ``constant`` stays at 1,
    ``cosine`` decays to 0 at the end of the budget, ``step`` divides by 10 at 50 % and 75 % of it.
    """
    if warmup_steps and step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    progress = min(max(progress, 0.0), 1.0)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule == "step":
        return 0.1 ** ((progress >= 0.5) + (progress >= 0.75))
    return 1.0


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
