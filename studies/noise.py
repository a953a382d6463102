"""The simple gradient noise scale B_simple = tr(Σ)/|G|² (McCandlish et al. 2018, appendix A).

For a batch of B examples the expected squared norm of its mean gradient is E|G_B|² = |G|² + c_B·tr(Σ),
Σ the covariance of the per-example gradients and c_B = 1/B (sampling with replacement, or an infinite
set). Sampling without replacement from N examples, with tr(Σ) = (1/N)·Σ_i |g_i − G|², the finite-
population correction gives c_B = (1/B − 1/N)·N/(N−1). Two batch sizes b < B then give the unbiased

    |G|²  ≈ (c_b·|G_B|² − c_B·|G_b|²) / (c_b − c_B)      (= (B|G_B|² − b|G_b|²)/(B − b) when c = 1/B)
    tr Σ  ≈ (|G_b|² − |G_B|²) / (c_b − c_B)

The squared norms are averaged over several draws before the division (as the paper averages numerator
and denominator separately), and both are reported. The MNIST reference value is B_simple ≈ 900.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .objective import Objective

B_SMALL = 32        # small batch: mostly noise, so tr Σ is well determined
B_BIG = 4096        # big batch, capped at N (then it is the exact full-batch gradient, one draw)
DRAWS_SMALL = 32
DRAWS_BIG = 4


@dataclass(frozen=True)
class NoiseScale:
    value: float          # B_simple = trace_sigma / g2 (nan when g2 ≤ 0 or trace_sigma < 0: unresolved)
    g2: float             # |G|² estimate (the denominator)
    trace_sigma: float    # tr Σ estimate (the numerator)
    b_small: int
    b_big: int
    draws_small: int
    draws_big: int
    n: int | None         # population size for sampling without replacement; None = with replacement


def batch_factor(b: int, n: int | None = None) -> float:
    """c_B: 1/B, or (1/B − 1/N)·N/(N−1) when B examples are drawn without replacement from N."""
    if n is None:
        return 1.0 / b
    if not 1 <= b <= n or n < 2:
        raise ValueError(f"batch size {b} must lie in 1..N with N ≥ 2, got N = {n}")
    return (1.0 / b - 1.0 / n) * n / (n - 1)


def noise_scale_from_norms(sq_small: Sequence[float], sq_big: Sequence[float], b_small: int, b_big: int,
                           n: int | None = None) -> NoiseScale:
    """B_simple from squared norms of mean gradients over independent draws at two batch sizes."""
    if not b_small < b_big:
        raise ValueError(f"need b_small < b_big, got {b_small} and {b_big}")
    s, b = np.asarray(sq_small, dtype=np.float64), np.asarray(sq_big, dtype=np.float64)
    if s.size == 0 or b.size == 0:
        raise ValueError("need at least one draw at each batch size")
    cs, cb = batch_factor(b_small, n), batch_factor(b_big, n)
    ms, mb = float(s.mean()), float(b.mean())
    g2 = (cs * mb - cb * ms) / (cs - cb)
    tr = (ms - mb) / (cs - cb)
    value = tr / g2 if g2 > 0 and tr >= 0 else math.nan
    return NoiseScale(value=value, g2=g2, trace_sigma=tr, b_small=b_small, b_big=b_big,
                      draws_small=int(s.size), draws_big=int(b.size), n=n)


def gradient_sq_norms(obj: Objective, batch_size: int, draws: int, generator: torch.Generator | None = None
                      ) -> np.ndarray:
    """|G_B|² at obj.theta for `draws` batches of `batch_size` examples of obj's data, each drawn without
    replacement (seeded CPU permutation). A batch of all N examples is exact: computed once."""
    n = len(obj.x)
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch size {batch_size} must lie in 1..{n}")
    if batch_size == n:
        return np.array([float(obj.loss_grad()[1].double().pow(2).sum())])
    out = []
    for _ in range(draws):
        idx = torch.randperm(n, generator=generator)[:batch_size].to(obj.x.device)
        _, g = obj.on(obj.x[idx], obj.y[idx]).loss_grad()
        out.append(float(g.double().pow(2).sum()))
    return np.array(out)


def noise_scale(obj: Objective, *, b_small: int = B_SMALL, b_big: int = B_BIG, draws_small: int = DRAWS_SMALL,
                draws_big: int = DRAWS_BIG, generator: torch.Generator | None = None) -> NoiseScale:
    """B_simple at obj.theta on obj's data (the whole training set), batches drawn without replacement.
    b_big is capped at N and b_small at N // 2."""
    n = len(obj.x)
    if n < 4:
        raise ValueError(f"the noise scale needs at least 4 examples, got {n}")
    b_big = min(b_big, n)
    b_small = min(b_small, n // 2)
    sq_small = gradient_sq_norms(obj, b_small, draws_small, generator)
    sq_big = gradient_sq_norms(obj, b_big, draws_big, generator)
    return noise_scale_from_norms(sq_small, sq_big, b_small, b_big, n)
