"""The noisy quadratic model (NQM; Zhang et al. 2019, "Which algorithmic choices matter at which batch sizes?"):
steps to a target loss against the batch size for SGD, heavy-ball momentum and a diagonal preconditioner
H^(−power) (power 0.5 stands for Adam), each at its own best constant lr per batch size. No torch.

The model. The loss is ½·Σ_i h_i·x_i² along the Hessian's eigen-directions; a batch of B examples gives the
gradient h_i·x_i + ξ_i with E ξ_i = 0 and Var ξ_i = σ_i²/B (σ_i² the per-example gradient variance along
direction i; the paper takes σ² ∝ h, the gradient covariance ≈ the Fisher ≈ the Hessian). The update is
PyTorch's SGD with momentum, written as heavy ball on each direction:

    x_{t+1} = x_t − η·p_i·(h_i·x_t + ξ_t) + β·(x_t − x_{t−1}),     p_i = h_i^(−power)

(Adam's EMA of the gradient, m ← β·m + (1−β)·g, is the same with η·(1−β)). The update is linear in x and ξ,
so the second moments z = (E x_t², E x_{t−1}², E x_t·x_{t−1}) follow an exact affine recursion per direction,
z_{t+1} = M·z_t + (η·p_i)²·σ_i²/B·e₁ with a = 1 − η·p_i·h_i + β:

    E x_{t+1}² = a²·E x_t² + β²·E x_{t−1}² − 2aβ·E x_t x_{t−1} + (η p_i)² σ_i²/B
    E x_t x_{t+1} = a·E x_t² − β·E x_t x_{t−1}

and the expected loss after k steps, ½·Σ w_i·h_i·E x_i²(k), is exact for any k: the 4×4 augmented matrix
[[M, n], [0, 1]] is raised to the k-th power by repeated squaring (no eigen-decomposition, so critically
damped momentum needs no special case). Steps to the target: the first k whose expected loss is ≤ the target
(a geometric scan, then bisection inside the first bracket); the best lr: a log grid over the stable range
(η·p·h_max < 2(1+β)) refined around its best point. B_crit of a predicted curve is where S(B) = 2·S_min, S_min
the steps of the noise-free model (McCandlish's S(B) = S_min(1 + B_crit/B) has S(B_crit) = 2·S_min).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..i18n import Markdown, t
from ..spec.optimizers import BETA1, MOMENTUM

K_MAX = 2 ** 30          # steps beyond this count as "never" (inf)
LR_GRID = 32             # learning rates over the stable range (log-spaced), then a refinement around the best
LR_SPAN = 1e-6           # the grid runs from LR_SPAN × the stability bound up to just below it
REFINE = 12


@dataclass(frozen=True)
class Quadratic:
    """The NQM: curvatures h (> 0) with their multiplicities, per-example noise variances along them, the
    initial E x² along them, and the target loss (an excess over the minimum, < the initial loss)."""
    h: np.ndarray
    weight: np.ndarray
    sigma2: np.ndarray
    s0: np.ndarray
    target: float

    def __post_init__(self):
        arrs = [np.asarray(a, dtype=float).ravel() for a in (self.h, self.weight, self.sigma2, self.s0)]
        if len({a.size for a in arrs}) != 1 or arrs[0].size == 0:
            raise ValueError("h, weight, sigma2 and s0 must be non-empty and of one length")
        if not (np.all(arrs[0] > 0) and np.all(arrs[1] > 0) and np.all(arrs[2] >= 0) and np.all(arrs[3] >= 0)):
            raise ValueError("curvatures and weights must be > 0, noise and initial variances ≥ 0")
        for name, a in zip(("h", "weight", "sigma2", "s0"), arrs):
            object.__setattr__(self, name, a)
        if not 0 < self.target < self.initial_loss:
            raise ValueError(f"the target {self.target:g} must lie between 0 and the initial loss "
                             f"{self.initial_loss:g}")

    @property
    def initial_loss(self) -> float:
        return self.loss(self.s0)

    def loss(self, s) -> np.ndarray:
        """½·Σ w·h·E x² over the last axis."""
        return 0.5 * np.sum(self.weight * self.h * np.asarray(s), axis=-1)

    def noiseless(self) -> "Quadratic":
        return Quadratic(self.h, self.weight, np.zeros_like(self.sigma2), self.s0, self.target)


@dataclass(frozen=True)
class Update:
    """An update rule: heavy-ball momentum β, preconditioner power (0 SGD, 0.5 Adam-like), and whether the
    momentum is an EMA of the gradient (Adam's m ← βm + (1−β)g: the step is η·(1−β) in heavy-ball terms)."""
    beta: float = 0.0
    power: float = 0.0
    ema: bool = False

    def __post_init__(self):
        if not 0 <= self.beta < 1 or not 0 <= self.power <= 1:
            raise ValueError("momentum must lie in [0, 1) and the preconditioner power in [0, 1]")

    def step_scale(self) -> float:
        return 1.0 - self.beta if self.ema else 1.0

    def lr_bound(self, q: Quadratic) -> float:
        """The largest stable lr: η·scale·p·h < 2(1+β) along every direction."""
        return 2 * (1 + self.beta) / (self.step_scale() * float(np.max(q.h ** (1 - self.power))))


UPDATES = {"sgd": Update(), "momentum": Update(beta=MOMENTUM.default),
           "adam": Update(beta=BETA1.default, power=0.5, ema=True)}   # the optimizers' own defaults


def update_for(optimizer: str, beta: float | None = None) -> Update:
    """The NQM update that stands for a Batchscope optimizer: SGD, momentum (β as configured) or Adam-like
    (β₁ as configured, power 0.5); RMSProp and Adagrad are preconditioned without momentum."""
    if optimizer in ("adam", "adamw"):
        return Update(beta=BETA1.default if beta is None else beta, power=0.5, ema=True)
    if optimizer in ("rmsprop", "adagrad"):
        return Update(power=0.5)
    if optimizer == "momentum" or (beta and optimizer in ("sgd", "nesterov")):
        return Update(beta=MOMENTUM.default if beta is None else beta)
    return Update()


def _augmented(q: Quadratic, u: Update, lrs: np.ndarray, batch) -> np.ndarray:
    """(n, n_dir, 4, 4): the affine second-moment map per (lr, batch size) pair and direction."""
    batch = np.broadcast_to(np.asarray(batch, dtype=float), lrs.shape)
    eta = lrs[:, None] * u.step_scale() * q.h[None, :] ** (-u.power)          # effective step per direction
    a = 1.0 - eta * q.h[None, :] + u.beta
    b = u.beta
    m = np.zeros(eta.shape + (4, 4))
    m[..., 0, 0], m[..., 0, 1], m[..., 0, 2] = a * a, b * b, -2 * a * b
    m[..., 0, 3] = eta ** 2 * q.sigma2[None, :] / batch[:, None]
    m[..., 1, 0] = 1.0
    m[..., 2, 0], m[..., 2, 2] = a, -b
    m[..., 3, 3] = 1.0
    return m


def _loss(q: Quadratic, z: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = q.loss(z[..., 0])
    return np.where(np.isfinite(out), out, np.inf)


def _step(pj: np.ndarray, z: np.ndarray, where: np.ndarray) -> np.ndarray:
    out = z.copy()
    if where.any():
        with np.errstate(all="ignore"):
            out[where] = np.einsum("...ij,...j->...i", pj[where], z[where])
    return out


def _start(q: Quadratic) -> np.ndarray:
    return np.stack([q.s0, q.s0, q.s0, np.ones_like(q.s0)], axis=-1)     # x_{−1} = x_0: no initial velocity


def steps_to_target(q: Quadratic, u: Update, lrs, batch) -> np.ndarray:
    """For each lr (and batch size: one, or one per lr): the first step count k ≥ 1 at which the expected loss
    is ≤ the target (inf if none within K_MAX steps, or the iteration is unstable). The first power of two at
    which it is ≤ the target brackets the crossing; a binary descent inside that bracket finds its first step.
    M^(2^j) is squared only for the rows still looking (found and diverged rows stop)."""
    lrs = np.atleast_1d(np.asarray(lrs, dtype=float))
    m = _augmented(q, u, lrs, batch)
    z0 = np.broadcast_to(_start(q), m.shape[:-1])
    n, jmax = lrs.size, int(math.log2(K_MAX))
    powers = [m]
    j = np.full(n, -1)                                   # first j with loss(2^j) ≤ target; -1 none yet
    active = np.ones(n, bool)
    for jj in range(jmax + 1):
        if jj:
            nxt = np.full_like(m, np.nan)
            with np.errstate(all="ignore"):
                nxt[active] = powers[-1][active] @ powers[-1][active]
            powers.append(nxt)
        loss = _loss(q, _step(powers[jj], z0, active))
        hit = active & (loss <= q.target)
        j[hit] = jj
        active &= ~hit & np.isfinite(loss)
        if not active.any():
            break
    found = j >= 0
    # descend from k = 2^(j−1) (above the target) by 2^m, m = j−2…0, while still above the target
    k = np.where(j > 0, 2 ** np.maximum(j - 1, 0), 0).astype(np.int64)
    z = np.array(z0)
    for mm in range(len(powers)):
        z = _step(powers[mm], z, (j - 1) == mm)
    for mm in range(len(powers) - 1, -1, -1):
        live = mm <= j - 2
        if not live.any():
            continue
        trial = _step(powers[mm], z, live)
        up = live & (_loss(q, trial) > q.target)
        z = np.where(up[:, None, None], trial, z)
        k = k + np.where(up, 2 ** mm, 0)
    return np.where(found, np.where(j == 0, 1, k + 1), np.inf).astype(float)


@dataclass(frozen=True)
class Best:
    steps: float
    lr: float


def best_lrs(q: Quadratic, u: Update, batches) -> list[Best]:
    """Per batch size: the fewest steps to the target at a constant lr, and that lr (a log grid over the
    stable range, refined between the best point's neighbours; the smallest lr wins ties). All batch sizes
    in one vectorised pass."""
    bs = np.atleast_1d(np.asarray(batches, dtype=float))
    top = u.lr_bound(q) * (1 - 1e-9)
    grid = np.geomspace(top * LR_SPAN, top, LR_GRID)
    s = steps_to_target(q, u, np.tile(grid, bs.size), np.repeat(bs, LR_GRID)).reshape(bs.size, LR_GRID)
    i = np.argmin(s, axis=1)
    lo, hi = grid[np.maximum(i - 1, 0)], grid[np.minimum(i + 1, LR_GRID - 1)]
    fine = np.exp(np.log(lo)[:, None] + (np.log(hi) - np.log(lo))[:, None] * np.linspace(0, 1, REFINE)[None, :])
    sf = steps_to_target(q, u, fine.ravel(), np.repeat(bs, REFINE)).reshape(bs.size, REFINE)
    j = np.argmin(sf, axis=1)
    out = []
    for k in range(bs.size):
        if sf[k, j[k]] <= s[k, i[k]]:
            out.append(Best(float(sf[k, j[k]]), float(fine[k, j[k]])))
        else:
            out.append(Best(float(s[k, i[k]]), float(grid[i[k]])))
    return out


def best_lr(q: Quadratic, u: Update, batch: float) -> Best:
    """best_lrs at one batch size."""
    return best_lrs(q, u, [batch])[0]


@dataclass(frozen=True)
class Curve:
    """A predicted S(B): steps and best lr per batch size, S_min (the noise-free model's steps) and B_crit."""
    batch_sizes: np.ndarray
    steps: np.ndarray
    lrs: np.ndarray
    s_min: float
    b_crit: float
    extra: dict = field(default_factory=dict)


def crossing(batch_sizes, steps, level: float) -> float:
    """The batch size where a falling S(B) first reaches ``level`` (log-log interpolation; nan if never,
    the smallest batch size if it starts there)."""
    b, s = np.asarray(batch_sizes, float), np.asarray(steps, float)
    ok = np.isfinite(s)
    b, s = b[ok], s[ok]
    hit = np.flatnonzero(s <= level)
    if not hit.size:
        return math.nan
    k = int(hit[0])
    if k == 0:
        return float(b[0])
    x0, x1, y0, y1 = np.log(b[k - 1]), np.log(b[k]), np.log(s[k - 1]), np.log(s[k])
    if y1 == y0:
        return float(b[k])
    return float(np.exp(x0 + (math.log(level) - y0) * (x1 - x0) / (y1 - y0)))


def predict(q: Quadratic, u: Update, batch_sizes=None) -> Curve:
    """S(B) and the best lr per batch size, S_min, and B_crit (the batch size where S = 2·S_min; searched
    on the given batch sizes, by default 2^0…2^24)."""
    bs = np.asarray(batch_sizes if batch_sizes is not None else 2.0 ** np.arange(25), dtype=float)
    best = best_lrs(q, u, bs)
    s_min = best_lr(q.noiseless(), u, 1.0).steps
    steps = np.array([x.steps for x in best])
    return Curve(bs, steps, np.array([x.lr for x in best]), s_min, crossing(bs, steps, 2 * s_min))


def power_law(*, dims: int = 10_000, bins: int = 100, exponent: float = 1.0, top: float = 1.0,
              noise: float = 1.0, s0: float = 1.0, fraction: float = 0.01) -> Quadratic:
    """The paper's toy problem: h_i = top·i^(−exponent), i = 1…dims, binned into ``bins`` geometric bins
    (the bin's geometric mean curvature, its count as weight), σ² = noise·h (Σ ∝ H), E x₀² = s0; the target is
    ``fraction`` of the initial loss."""
    if dims < 1 or bins < 1 or exponent <= 0 or top <= 0 or noise < 0 or s0 <= 0:
        raise ValueError("need dims, bins ≥ 1 and exponent, top, s0 > 0, noise ≥ 0")
    h = top * np.arange(1, dims + 1, dtype=float) ** (-exponent)
    return from_eigenvalues(h, bins=bins, noise=noise, s0=s0, fraction=fraction)


def from_eigenvalues(eigenvalues, *, weights=None, sigma2=None, bins: int = 100, noise: float = 1.0,
                     s0: float = 1.0, fraction: float = 0.01) -> Quadratic:
    """A quadratic from positive eigenvalues (with optional weights, e.g. a spectral density's, and optional
    per-eigenvalue noise variances; by default σ² = noise·h), binned into at most ``bins`` geometric bins, with
    the target at ``fraction`` (in (0, 1)) of the initial loss. Non-positive eigenvalues are dropped (the NQM
    is convex)."""
    if not 0 < fraction < 1:
        raise ValueError(f"the target must be a fraction of the initial loss in (0, 1), got {fraction:g}")
    h = np.asarray(eigenvalues, dtype=float).ravel()
    w = np.ones_like(h) if weights is None else np.asarray(weights, dtype=float).ravel()
    sg = noise * h if sigma2 is None else np.asarray(sigma2, dtype=float).ravel()
    keep = np.isfinite(h) & (h > 0) & (w > 0) & np.isfinite(sg)
    h, w, sg = h[keep], w[keep], sg[keep]
    if not h.size:
        raise ValueError("no positive eigenvalue: the quadratic needs positive curvature")
    edges = np.geomspace(h.min(), h.max() * (1 + 1e-12), min(bins, h.size) + 1)
    idx = np.clip(np.searchsorted(edges, h, side="right") - 1, 0, len(edges) - 2)
    hb, wb, sb = [], [], []
    for j in np.unique(idx):
        m = idx == j
        ww = w[m].sum()
        hb.append(float(np.exp(np.sum(w[m] * np.log(h[m])) / ww)))
        wb.append(float(ww))
        sb.append(float(np.sum(w[m] * sg[m]) / ww))
    hb, wb, sb = np.array(hb), np.array(wb), np.array(sb)
    s = np.full_like(hb, s0)
    return Quadratic(hb, wb, sb, s, fraction * 0.5 * float(np.sum(wb * hb * s)))


def curves(q: Quadratic, updates: dict[str, Update], batch_sizes) -> pd.DataFrame:
    """One row per (optimizer, batch size): steps, best lr, and the optimizer's S_min and B_crit (where
    S = 2·S_min, on these batch sizes) — the table the Playground's NQM panel and Generalization draw."""
    rows = []
    for name, u in updates.items():
        c = predict(q, u, batch_sizes)
        rows += [{"optimizer": name, "batch_size": float(b), "steps": s, "lr": lr, "s_min": c.s_min,
                  "b_crit": c.b_crit} for b, s, lr in zip(c.batch_sizes, c.steps, c.lrs)]
    return pd.DataFrame(rows, columns=["optimizer", "batch_size", "steps", "lr", "s_min", "b_crit"])


PANEL_BATCHES = 2.0 ** np.arange(0, 21)


def panel_updates(beta: float) -> dict[str, Update]:
    """The Playground's three updates: SGD, momentum β, and Adam-like (H^(−½) with β₁ = β)."""
    return {"sgd": Update(), "momentum": Update(beta=beta), "adam": Update(beta=beta, power=0.5, ema=True)}


def panel(*, dims: int, exponent: float, noise: float, fraction: float, beta: float) -> pd.DataFrame:
    """The Playground's NQM panel: a power-law spectrum, σ² = noise·h, the target a fraction of the initial
    loss; curves() for SGD, momentum and Adam-like over B = 1…2²⁰."""
    q = power_law(dims=dims, bins=40, exponent=exponent, noise=noise, fraction=fraction)
    return curves(q, panel_updates(beta), PANEL_BATCHES)


def crit_text(table: pd.DataFrame) -> str:
    """"sgd B_crit ≈ 573; momentum B_crit ≈ 11,176; …" in the current language (none within the range: said)."""
    parts = []
    for opt, g in table.groupby("optimizer", sort=False):
        bc = float(g.b_crit.iloc[0])
        parts.append(t("nqm.crit_one", opt=opt, b=Markdown(f"{bc:,.0f}")) if math.isfinite(bc)
                     else t("nqm.crit_none", opt=opt))
    return Markdown("; ".join(parts))
