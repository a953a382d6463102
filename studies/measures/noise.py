"""The simple gradient noise scale B_simple = tr(Σ)/|G|² (McCandlish et al. 2018, appendix A).

For a batch of B examples the expected squared norm of its mean gradient is E|G_B|² = |G|² + c_B·tr(Σ),
Σ the covariance of the per-example gradients and c_B = 1/B (sampling with replacement, or an infinite
set). Sampling without replacement from N examples, with tr(Σ) = (1/N)·Σ_i |g_i − G|², the finite-
population correction gives c_B = (1/B − 1/N)·N/(N−1). Two batch sizes b < B then give the unbiased

    |G|²  ≈ (c_b·|G_B|² − c_B·|G_b|²) / (c_b − c_B)      (= (B|G_B|² − b|G_b|²)/(B − b) when c = 1/B)
    tr Σ  ≈ (|G_b|² − |G_B|²) / (c_b − c_B)

The squared norms are averaged over many draws before the division (as the paper averages numerator
and denominator separately), and both are reported. The standard error of the ratio is the delete-one
jackknife over the draws of both batch sizes (the draws are independent). The MNIST reference value is
B_simple ≈ 900. `NoiseProbe` is the hook the training loops call at log-spaced epochs, so that B_simple
is followed over training (McCandlish et al. report it grows ≥ 10× as the loss falls).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from torch import Tensor, nn
from torch.func import grad, vmap

from .objective import Objective, objective

B_SMALL = 32        # small batch: mostly noise, so tr Σ is well determined
B_BIG = 4096        # big batch, capped at N (then it is the exact full-batch gradient, one draw)
DRAWS_SMALL = 64   # the spread of |G_small|² over draws sets the standard error (∝ 1/√draws)
DRAWS_BIG = 4


@dataclass(frozen=True)
class NoiseScale:
    value: float          # B_simple = trace_sigma / g2 (nan when g2 ≤ 0 or trace_sigma < 0: unresolved)
    se: float             # jackknife standard error of value (nan when a delete-one estimate is unresolved)
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

    def estimate(ms: float, mb: float) -> tuple[float, float, float]:
        g2 = (cs * mb - cb * ms) / (cs - cb)
        tr = (ms - mb) / (cs - cb)
        return (tr / g2 if g2 > 0 and tr >= 0 else math.nan), g2, tr

    ms, mb = float(s.mean()), float(b.mean())
    value, g2, tr = estimate(ms, mb)
    return NoiseScale(value=value, se=_jackknife_se(s, b, estimate), g2=g2, trace_sigma=tr, b_small=b_small,
                      b_big=b_big, draws_small=int(s.size), draws_big=int(b.size), n=n)


def _jackknife_se(s: np.ndarray, b: np.ndarray, estimate) -> float:
    """Delete-one jackknife over two independent groups of draws: Σ_groups (k−1)/k·Σ_i (θ_(i) − θ̄)²."""
    var = 0.0
    for arr, other, small in ((s, b, True), (b, s, False)):
        k = arr.size
        if k < 2:
            continue   # one draw (e.g. the exact full-batch gradient): no spread to account for
        loo = (arr.sum() - arr) / (k - 1)
        om = float(other.mean())
        vals = np.array([estimate(m, om)[0] if small else estimate(om, m)[0] for m in loo])
        if not np.isfinite(vals).all():
            return math.nan
        var += (k - 1) / k * float(((vals - vals.mean()) ** 2).sum())
    return math.sqrt(var) if s.size > 1 or b.size > 1 else math.nan


def gradient_sq_norms(obj: Objective, batch_size: int, draws: int, generator: torch.Generator | None = None,
                      block: int = 16) -> np.ndarray:
    """|G_B|² at obj.theta for `draws` batches of `batch_size` examples of obj's data, each drawn without
    replacement (seeded CPU permutation). A batch of all N examples is exact: computed once. Batches that
    fit one forward chunk are differentiated `block` at a time through one vmapped gradient."""
    n = len(obj.x)
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch size {batch_size} must lie in 1..{n}")
    if batch_size == n:
        return np.array([float(obj.loss_grad()[1].double().pow(2).sum())])
    idx = torch.stack([torch.randperm(n, generator=generator)[:batch_size] for _ in range(draws)]).to(obj.x.device)
    if obj.calc is not None and batch_size <= obj.chunk:   # the MLP: every draw in one batched pass
        out, per_pass = [], max(1, obj.chunk // batch_size)
        for s in range(0, draws, per_pass):
            part = idx[s:s + per_pass]
            with torch.no_grad():
                out += obj.calc.grad_sq_norms(obj.theta, obj.x[part], obj.y[part]).tolist()
        return np.array(out)
    if batch_size > obj.chunk or obj.calc is not None:   # the MLP's hand-written gradients: no torch.func,
        out = [float(obj.on(obj.x[i], obj.y[i]).loss_grad()[1].double().pow(2).sum()) for i in idx]
        return np.array(out)
    # whose first grad imports torch._dynamo (1-3 s in every fresh process, objective.py)
    batched = vmap(grad(obj._f), in_dims=(None, 0, 0))
    out = []
    for s in range(0, draws, block):
        g = batched(obj.theta, obj.x[idx[s:s + block]], obj.y[idx[s:s + block]])
        out += g.double().pow(2).sum(1).tolist()
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


def probe_epoch(epoch: int) -> bool:
    """The epochs at which training is probed: 0 and every power of four, 1, 4, 16, 64, … (log-spaced,
    because B_simple changes fastest early; every power of two cost a keskar-digits run 10 probes instead
    of 6), plus the last epoch, which only the loop knows (it calls the probe then too). A run stopped
    early by its target still gets ≥ 3 points once it trains ≥ 2 epochs."""
    return epoch == 0 or (epoch & (epoch - 1) == 0 and (epoch.bit_length() - 1) % 2 == 0)


class NoiseProbe:
    """The hook both training loops call: ``probe(epoch, state)`` → the epochs-table columns noise_scale,
    noise_scale_se, noise_scale_trace (tr Σ, its numerator), noise_scale_time_s for the weights `state` (a state_dict, any device), on the whole
    training set. It evaluates a private eval-mode copy of the model through functional_call, draws from its
    own seeded generator (the same batches at every epoch: common random numbers), and never touches the
    training model, its RNG or its mode. ``wants(epoch)`` says when to call it."""

    def __init__(self, model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable, *, seed: int = 0,
                 b_small: int = B_SMALL, b_big: int = B_BIG, draws_small: int = DRAWS_SMALL,
                 draws_big: int = DRAWS_BIG):
        self.model = copy.deepcopy(model).eval()
        self.x, self.y, self.loss_fn, self.seed = x, y, loss_fn, seed
        self.kw = dict(b_small=b_small, b_big=b_big, draws_small=draws_small, draws_big=draws_big)

    wants = staticmethod(probe_epoch)

    def __call__(self, epoch: int, state: Mapping[str, Tensor]) -> dict[str, float]:
        t = time.perf_counter()
        state = {k: v.detach().to(self.x.device) for k, v in state.items()}
        obj = objective(self.model, self.x, self.y, self.loss_fn, state=state)
        r = noise_scale(obj, generator=torch.Generator().manual_seed(self.seed), **self.kw)
        return {"noise_scale": r.value, "noise_scale_se": r.se, "noise_scale_trace": r.trace_sigma,
                "noise_scale_time_s": time.perf_counter() - t}



# ---------------------------------------------------------------- the registry's measure functions
# Each takes ctx, a measure_run.Measuring (model, data, spec, the sample's objective, initial weights), and writes
# its columns into ctx.out.

SEED_NOISE = 5   # the offset from spec.sample_seed of its draws (the training probe's too)


def measure_noise_scale(ctx) -> None:   # B_simple on the whole training set at the final weights
    _noise(ctx, "noise_scale", None)


def measure_noise_scale_init(ctx) -> bool:   # ... and at the initial weights, when the caller has them
    if ctx.init_state is None:
        return False
    _noise(ctx, "noise_scale_init", ctx.init_state)
    return True


def _noise(ctx, column: str, state: Mapping[str, Tensor] | None) -> None:
    # B_simple, its standard error and its numerator tr Σ (the per-example gradient covariance's trace on the
    # whole training set: the NQM's noise, which B_simple × a gradient norm measured on the sample overstates)
    if ctx.probed and column in ctx.probed:   # the training probe computed exactly this (same weights, data
        got = ctx.probed[column]               # and draws): not twice
    else:
        full = objective(ctx.model, ctx.x_train, ctx.y_train, ctx.loss_fn, state=state)
        r = noise_scale(full, generator=ctx.generator(SEED_NOISE))
        got = (r.value, r.se, r.trace_sigma)
    ctx.out[column], ctx.out[f"{column}_se"], ctx.out[f"{column}_trace"] = got
