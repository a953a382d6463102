"""Learning-rate schedules with warm-up: no torch, so the playground page and the trainers share one rule."""
from __future__ import annotations

import math


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
