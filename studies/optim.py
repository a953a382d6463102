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


def focal_loss(logits: torch.Tensor, y: torch.Tensor, gamma: float = FOCAL_GAMMA) -> torch.Tensor:
    """Focal loss (Lin et al. 2017): −(1 − p_t)^γ log p_t, mean over the batch; γ = 0 is cross-entropy."""
    logp = F.log_softmax(logits, dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
    return (-(1.0 - logp.exp()) ** gamma * logp).mean()


def make_loss(name: str):
    """loss(logits, y) -> mean loss over the batch."""
    if name == "cross_entropy":
        return F.cross_entropy
    if name == "focal":
        return focal_loss
    raise ValueError(f"unknown loss {name!r}")
