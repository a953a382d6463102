"""The optimizer playground: torch.optim's update rules, mini-batch noise and trajectories on a 2-D surface.

The update rules are torch.optim's (SGD with momentum/Nesterov, Adagrad, RMSprop, Adam, AdamW: the formulas of
their single-tensor paths, the defaults of the optimizer table), written in numpy so the page imports no torch
and answers at once; tests check each against torch.optim and studies.engine.optim step by step.

Batch noise: the loss is the mean over N synthetic examples, L_i(θ) = L(θ) + ξ_i·θ with fixed vectors ξ_i of
mean exactly 0 and spread σ per coordinate, so the full batch is exactly L and every example has L's Hessian.
A batch of B examples (with or without replacement; without: one pass per epoch in a new order each epoch when
shuffled, in one fixed order otherwise, as the studies' batches) has gradient ∇L + mean ξ, noise of RMS norm
σ·√2·√(1/B) (with replacement) or σ·√2·√((N − B)/(B·(N − 1))) (without, a full batch: 0).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .spec.optimizers import ALPHA, BETA1, BETA2, HYPERS, MOMENTUM, TABLE, Slider, get
from .spec.schedule import lr_factor
from .surfaces import EIG_TOL, GRAD_TOL, Surface, kind_of

DATA_SEED = 0        # the synthetic examples are fixed: one "dataset"


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer and its hyperparameters (β: momentum, α: RMSProp's decay, β1/β2: Adam's; weight decay as
    torch.optim applies it: through the gradient, decoupled for AdamW). Defaults: the optimizer table's."""
    name: str
    lr: float
    beta: float = MOMENTUM.default
    alpha: float = ALPHA.default
    beta1: float = BETA1.default
    beta2: float = BETA2.default
    weight_decay: float = 0.0

    def label(self) -> str:
        extra = "".join(f", {s.symbol}={getattr(self, s.field):g}" for s, _ in get(self.name).sliders())
        return f"{self.name} (lr={self.lr:g}{extra})"

    def check(self) -> None:
        """One clear line for a setting torch.optim would refuse."""
        get(self.name)
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"{self.name}: the learning rate must be a positive number, not {self.lr}")
        for h in HYPERS:
            if h.slider and not h.allows(getattr(self, h.slider.field)):
                raise ValueError(f"{self.name}: {h.slider.field} must be in [{h.lo:g}, {h.hi:g}), "
                                 f"not {getattr(self, h.slider.field)}")
        if not (self.weight_decay >= 0 and math.isfinite(self.weight_decay)):
            raise ValueError(f"{self.name}: weight decay must be ≥ 0, not {self.weight_decay}")

    def torch_kwargs(self) -> dict:
        """torch.optim's arguments for this setting (the table's record, with the sliders' values)."""
        record = get(self.name)
        return record.torch_kwargs({h.name: getattr(self, h.slider.field) for h in record.hypers if h.slider})


def slider_key(name: str, slider: Slider) -> str:
    """The page's widget key (and URL parameter) of ``slider`` for optimizer ``name``: the slider's key, and
    ``_<name>`` after it for every optimizer but the first in the table that shows it (two at once)."""
    key = slider.key.format(opt=name)
    first = next(n for n, o in TABLE.items() if slider in dict(o.sliders()))
    return key if "{opt}" in slider.key or name == first else f"{key}_{name}"


class Stepper:
    """The state of one optimizer for K points at once; ``step(θ, g, lr)`` returns the next θ (K, 2).
    The update rules of the table's families, as torch.optim's single-tensor paths write them."""

    def __init__(self, spec: OptimizerSpec, shape):
        spec.check()
        self.spec, self.t, self.family, self.kw = spec, 0, get(spec.name).family, spec.torch_kwargs()
        self.buf = self.sq = None
        self.m, self.v = np.zeros(shape), np.zeros(shape)
        self.sum = np.full(shape, float(self.kw.get("initial_accumulator_value", 0.0)))

    def step(self, theta: np.ndarray, g: np.ndarray, lr: float) -> np.ndarray:
        kw, family, wd = self.kw, self.family, self.spec.weight_decay
        self.t += 1
        if wd and family == "adamw":     # decoupled: θ shrinks before the step (wd 0: AdamW is Adam)
            theta = theta * (1 - lr * wd)
        elif wd:                         # through the gradient, as torch.optim's weight_decay
            g = g + wd * theta
        if family == "sgd":
            beta = kw["momentum"]
            if beta == 0:
                return theta - lr * g
            self.buf = g.copy() if self.buf is None else beta * self.buf + g   # torch: buf = g on the first step
            return theta - lr * (g + beta * self.buf if kw["nesterov"] else self.buf)
        if family == "adagrad":
            self.sum = self.sum + g * g
            clr = lr / (1 + (self.t - 1) * kw["lr_decay"])
            return theta - clr * g / (np.sqrt(self.sum) + kw["eps"])
        if family == "rmsprop":
            alpha = kw["alpha"]
            self.v = alpha * self.v + (1 - alpha) * g * g
            return theta - lr * g / (np.sqrt(self.v) + kw["eps"])
        (beta1, beta2), eps = kw["betas"], kw["eps"]      # adam, adamw
        self.m = self.m + (1 - beta1) * (g - self.m)          # torch: exp_avg.lerp_(g, 1 − β1)
        self.v = beta2 * self.v + (1 - beta2) * g * g
        bc1, bc2 = 1 - beta1 ** self.t, 1 - beta2 ** self.t
        return theta - (lr / bc1) * self.m / (np.sqrt(self.v) / math.sqrt(bc2) + eps)


# ---------------------------------------------------------------- batch noise

def examples(n: int, sigma: float, seed: int = DATA_SEED) -> np.ndarray:
    """N fixed example tilts ξ_i (N, 2): mean exactly 0, standard deviation exactly σ per coordinate."""
    xi = np.random.default_rng(seed).standard_normal((n, 2))
    xi -= xi.mean(0)
    sd = xi.std(0)
    return xi / np.where(sd > 0, sd, 1.0) * sigma


def noise_rms(sigma: float, n: int, batch: int, replacement: bool) -> float:
    """RMS of ‖mean ξ over a batch‖: the size of the batch's gradient error (1/√B, 0 for a full batch)."""
    if replacement:
        return sigma * math.sqrt(2 / batch)
    return sigma * math.sqrt(2 * max(n - batch, 0) / (batch * (n - 1))) if n > 1 else 0.0


def batch_noise(xi: np.ndarray, batch: int, steps: int, *, replacement: bool, shuffle: bool,
                seed: int) -> np.ndarray:
    """The gradient error mean ξ of each step's batch, (steps, 2). Without replacement the batches walk an
    epoch's order (a new permutation every epoch if shuffled, else one drawn once), the last one partial."""
    n = len(xi)
    rng = np.random.default_rng(seed)
    if not replacement and batch >= n:
        return np.zeros((steps, 2))     # the full batch: exactly ∇L (the ξ sum to 0; a float sum would not)
    if replacement:
        return xi[rng.integers(0, n, (steps, batch))].mean(1)
    bounds = [(a, min(a + batch, n)) for a in range(0, n, batch)]
    starts = np.array([a for a, _ in bounds])
    stops = np.array([b for _, b in bounds])
    epochs = -(-steps // len(bounds))
    first = rng.permutation(n)
    orders = np.tile(first, (epochs, 1))
    if shuffle and epochs > 1:
        orders[1:] = rng.permuted(orders[1:], axis=1)
    cs = np.concatenate([np.zeros((epochs, 1, 2)), np.cumsum(xi[orders], 1)], 1)
    means = (cs[:, stops] - cs[:, starts]) / (stops - starts)[None, :, None]
    return means.reshape(-1, 2)[:steps]


def noise_table(sigma: float, n: int) -> pd.DataFrame:
    """noise_rms for B = 1, 2, 4, … N under both samplings (the noise chart's lines)."""
    sizes = sorted({2**k for k in range(int(math.log2(n)) + 1)} | {n})
    return pd.DataFrame([{"batch": b, "sampling": "with replacement" if r else "without replacement",
                          "noise": noise_rms(sigma, n, b, r)} for r in (False, True) for b in sizes])


def default_lr(surface: Surface, name: str) -> float:
    """A starting learning rate that shows the surface's lesson: the surface's own for the SGD family; the
    adaptive methods a share of the map's width (optimizers.Optimizer.playground_lr)."""
    share = get(name).playground_lr
    if share is None:
        return surface.lr
    width = surface.domain[0][1] - surface.domain[0][0]
    return round(share * width, 4)


# ---------------------------------------------------------------- trajectories

@dataclass(frozen=True)
class Setup:
    """What one trajectory needs besides the optimizer (all in the page's URL)."""
    steps: int = 200
    batch: int = 256            # B; equal to n_examples without replacement: full-batch gradient descent
    n_examples: int = 256
    replacement: bool = False
    shuffle: bool = True
    sigma: float = 1.0
    warmup: int = 0
    schedule: str = "constant"

    def check(self) -> None:
        if not 1 <= self.steps <= 5000:
            raise ValueError(f"steps must be between 1 and 5000, not {self.steps}")
        if not 2 <= self.n_examples <= 100_000:
            raise ValueError(f"N (examples) must be between 2 and 100000, not {self.n_examples}")
        if not 1 <= self.batch <= self.n_examples:
            raise ValueError(f"batch size B must be between 1 and N = {self.n_examples}, not {self.batch}")
        if not (self.sigma >= 0 and math.isfinite(self.sigma)):
            raise ValueError(f"the noise σ must be ≥ 0, not {self.sigma}")
        if not 0 <= self.warmup <= self.steps:
            raise ValueError(f"warm-up must be between 0 and the {self.steps} steps, not {self.warmup}")
        if self.schedule not in ("constant", "cosine", "step"):
            raise ValueError(f"schedule must be constant, cosine or step, not {self.schedule!r}")


@dataclass
class Paths:
    """K trajectories: θ (K, T+1, 2), full-batch loss and ‖∇L‖ (K, T+1), each step's noise norm (K, T) and
    learning rate (K, T); ``stop[k]``: the last step recorded (the point left the map, or T)."""
    theta: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    noise_norm: np.ndarray
    lr: np.ndarray
    stop: np.ndarray


def schedule_factors(setup: Setup) -> np.ndarray:
    """The multiplier of each optimizer's peak learning rate at every step (warm-up, then the decay)."""
    return np.array([lr_factor(t, total_steps=setup.steps, warmup_steps=setup.warmup, schedule=setup.schedule)
                     for t in range(setup.steps)])


def integrate(surface: Surface, opts: list[OptimizerSpec], which, starts, noise: np.ndarray,
              factors: np.ndarray) -> Paths:
    """K trajectories at once: row k follows ``opts[which[k]]`` from ``starts[k]`` (or one shared start) with
    the gradient error ``noise[k, t]`` and learning rate lr·factors[t]. One gradient call per step for all
    rows keeps a page's dozens of trajectories to milliseconds. A point that leaves the map (a domain width
    beyond it) or overflows stops there: NaN afterwards."""
    which = np.asarray(which, int)
    k, steps = len(which), len(factors)
    theta = np.broadcast_to(np.asarray(starts, float).reshape(-1, 2), (k, 2)).copy()
    groups = [np.flatnonzero(which == i) for i in range(len(opts))]
    steppers = [Stepper(o, (len(g), 2)) for o, g in zip(opts, groups)]
    out = np.full((k, steps + 1, 2), np.nan)
    out[:, 0] = theta
    alive, stop = np.ones(k, bool), np.full(k, steps)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            g = np.stack(surface.grad(theta[:, 0], theta[:, 1]), -1) + noise[:, t]
            for opt, rows, stepper in zip(opts, groups, steppers):
                if len(rows):
                    theta[rows] = stepper.step(theta[rows], g[rows], opt.lr * factors[t])
            ok = np.isfinite(theta).all(1) & surface.in_view(theta[:, 0], theta[:, 1])
            stop[alive & ~ok] = t
            alive &= ok
            if not alive.any():
                break
            out[alive, t + 1] = theta[alive]
        x, y = out[..., 0], out[..., 1]
        gx, gy = surface.grad(x, y)
        lrs = np.array([o.lr for o in opts])[which][:, None] * factors[None]
        return Paths(out, surface.loss(x, y), np.hypot(gx, gy), np.linalg.norm(noise, axis=-1), lrs, stop)


def first_small_gradient(surface: Surface, paths: Paths, k: int = 0, grad_tol: float = GRAD_TOL,
                         eig_tol: float = EIG_TOL) -> dict | None:
    """The first step of trajectory k where the full-batch ‖∇L‖ fell below ``grad_tol``, and the notes'
    verdict there; None if it never did."""
    hits = np.flatnonzero(paths.grad_norm[k] < grad_tol)
    if not len(hits):
        return None
    t = int(hits[0])
    x, y = paths.theta[k, t]
    lam = np.linalg.eigvalsh(surface.hessian(x, y))
    return {"step": t, "x": float(x), "y": float(y), "grad_norm": float(paths.grad_norm[k, t]),
            "eig_min": float(lam[0]), "eig_max": float(lam[1]), "kind": kind_of(lam, eig_tol)}


def last_points(paths: Paths) -> np.ndarray:
    """Where each trajectory ended (its last recorded point)."""
    return paths.theta[np.arange(len(paths.stop)), np.minimum(paths.stop, paths.theta.shape[1] - 1)]


def explore(surface: Surface, optimizers: list[OptimizerSpec], start, setup: Setup, batches: list[int],
            seed: int = 0, grad_tol: float = GRAD_TOL) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The page's one call: every optimizer × batch size from one start, the batches drawn by ``seed``.

    Returns (steps, summary): one row per step (optimizer, label, batch, step, x, y, loss, grad_norm, noise,
    lr) and one row per trajectory (final point and loss, steps run, the noise's theory and measured RMS, where
    the gradient first became small and the verdict there)."""
    setup.check()
    for b in batches:
        replace(setup, batch=int(b)).check()
    xi = examples(setup.n_examples, setup.sigma)
    per_batch = {b: batch_noise(xi, int(b), setup.steps, replacement=setup.replacement, shuffle=setup.shuffle,
                                seed=seed) for b in batches}
    pairs = [(b, i) for b in batches for i in range(len(optimizers))]
    noise = np.stack([per_batch[b] for b, _ in pairs]) if pairs else np.zeros((0, setup.steps, 2))
    p = integrate(surface, optimizers, [i for _, i in pairs], start, noise, schedule_factors(setup))
    rows, summary = [], []
    for k, (b, i) in enumerate(pairs):
        opt, n = optimizers[i], int(p.stop[k]) + 1
        rows.append(pd.DataFrame({
            "optimizer": opt.name, "label": opt.label(), "batch": int(b), "step": np.arange(n),
            "x": p.theta[k, :n, 0], "y": p.theta[k, :n, 1], "loss": p.loss[k, :n], "grad_norm": p.grad_norm[k, :n],
            "noise": np.append(p.noise_norm[k, :n - 1], np.nan), "lr": np.append(p.lr[k, :n - 1], np.nan)}))
        small = first_small_gradient(surface, p, k, grad_tol)
        end = last_points(p)[k]
        summary.append({
            "optimizer": opt.name, "label": opt.label(), "batch": int(b), "steps_run": int(p.stop[k]),
            "left_map": bool(p.stop[k] < setup.steps), "final_x": float(end[0]), "final_y": float(end[1]),
            "final_loss": float(surface.loss(*end)),
            "noise_theory": noise_rms(setup.sigma, setup.n_examples, int(b), setup.replacement),
            "noise_measured": float(np.sqrt(np.mean(p.noise_norm[k, :max(n - 1, 1)] ** 2))),
            **{f"small_{key}": (small or {}).get(key) for key in ("step", "kind", "x", "y", "grad_norm")}})
    return pd.concat(rows, ignore_index=True), pd.DataFrame(summary)
