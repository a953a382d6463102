"""Steps to a target vs batch size: S(B) = S_min·(1 + B_crit/B) (McCandlish et al. 2018, eq. 2.11), with B_crit's
95 % interval.

Below B_crit a doubled batch nearly halves the steps (perfect scaling); above it the steps approach S_min and
larger batches stop paying off. The fit is least squares in log space (each point's relative error counts the
same). For a given B_crit the best log S_min is the mean residual, so the fit is one-dimensional in log B_crit:
a dense grid, then a bounded refinement. B_crit's interval is the profile-likelihood one (the set of B_crit
whose residual sum of squares stays below RSS_min·(1 + F₀.₉₅(1, n−2)/(n−2))); where that set reaches the edge
of what the data can tell (1000× beyond the batch sizes measured), the interval is open on that side, and a
fit that lands outside the measured batch sizes is reported as "> largest B" or "< smallest B", never as a
number. McCandlish's B_crit is a property of the *tuned* lr per batch size: at one lr per batch size the fit
is labelled with that lr, "not tuned". Pure numpy/scipy/pandas, no torch.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..spec.config import SHUFFLE_LABELS
from ..i18n import Markdown, t
from .fairness import GROUP, ensure_best_lr, fitted
from .intervals import LEVEL

# Regimes by where S(B) sits: within 10 % of perfect scaling below B_crit/10, within 10 % of S_min above
# 10·B_crit; diminishing returns between. The fitted curve sets both edges.
REGIME_FACTOR = 10.0
REACH = 1e3            # B_crit is searched within [B_min/REACH, B_max·REACH]: beyond, the data cannot tell
GRID = 2001
INTERVAL = "95 % profile-likelihood interval"


@dataclass(frozen=True)
class StepsFit:
    s_min: float          # steps at an infinite batch
    b_crit: float         # the critical batch size (McCandlish's B_crit = B_noise of eq. 2.11)
    b_crit_low: float     # its 95 % interval: NaN without one (fewer than 3 points); 0 / inf where open
    b_crit_high: float
    b_min: float          # the batch sizes measured: a B_crit outside them is "> largest" / "< smallest"
    b_max: float
    n_points: int
    n_batch_sizes: int
    rmse_log: float       # root-mean-square residual of ln S
    converged: bool       # the best B_crit lies inside the search range (not at its edge)

    @property
    def beyond(self) -> str:
        """"above" when the fit puts B_crit beyond the largest batch measured, "below" under the smallest."""
        return "above" if self.b_crit > self.b_max else "below" if self.b_crit < self.b_min else ""

    def steps(self, batch_size) -> np.ndarray:
        b = np.asarray(batch_size, dtype=float)
        return self.s_min * (1.0 + self.b_crit / b)

    def regimes(self) -> list[tuple[str, float, float]]:
        """(name, from B, to B) of perfect scaling, diminishing returns and no further gain."""
        lo, hi = self.b_crit / REGIME_FACTOR, self.b_crit * REGIME_FACTOR
        return [("perfect scaling", 0.0, lo), ("diminishing returns", lo, hi), ("no further gain", hi, math.inf)]

    def to_dict(self) -> dict:
        """JSON-safe: a non-finite bound becomes None (no interval), except an open side, kept as a string."""
        d = asdict(self)
        for k in ("b_crit_low", "b_crit_high"):
            v = d[k]
            d[k] = None if math.isnan(v) else ("inf" if math.isinf(v) else v)
        return {**d, "beyond": self.beyond}


def _profile(log_b: np.ndarray, b: np.ndarray, log_s: np.ndarray) -> np.ndarray:
    """Residual sum of squares at each candidate log B_crit, log S_min at its optimum (the mean residual)."""
    r = log_s[None, :] - np.log1p(np.exp(log_b)[:, None] / b[None, :])
    return ((r - r.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)


def fit_steps(batch_sizes, steps) -> StepsFit | None:
    """Fit S(B) to (batch size, steps-to-target) points; None with fewer than 2 distinct batch sizes or no
    positive values (a two-parameter curve needs two batch sizes; an interval needs a third point)."""
    b = np.asarray(batch_sizes, dtype=float)
    s = np.asarray(steps, dtype=float)
    keep = np.isfinite(b) & np.isfinite(s) & (b > 0) & (s > 0)
    b, s = b[keep], s[keep]
    if len(np.unique(b)) < 2:
        return None
    log_s = np.log(s)
    lo, hi = math.log(b.min() / REACH), math.log(b.max() * REACH)
    grid = np.linspace(lo, hi, GRID)
    rss = _profile(grid, b, log_s)
    i = int(np.argmin(rss))
    a, c = grid[max(i - 1, 0)], grid[min(i + 1, GRID - 1)]
    best = optimize.minimize_scalar(lambda x: float(_profile(np.array([x]), b, log_s)[0]), bounds=(a, c),
                                    method="bounded", options={"xatol": 1e-9})
    log_bc = float(best.x) if best.fun <= rss[i] else float(grid[i])
    rss_min = float(min(best.fun, rss[i]))
    converged = 0 < i < GRID - 1
    n = len(b)
    low = high = math.nan
    if n >= 3:
        thr = rss_min * (1 + stats.f.ppf(LEVEL, 1, n - 2) / (n - 2)) + 1e-12 * n
        inside = rss <= thr

        f = lambda x: float(_profile(np.array([x]), b, log_s)[0]) - thr

        def edge(beyond: np.ndarray, limit: float) -> float:
            """Walk the grid away from the optimum to the first point outside; the root lies before it."""
            out = np.flatnonzero(~inside[beyond])
            if not len(out):
                return limit                             # the interval runs off the range the data can tell
            k = out[0]
            inner = log_bc if k == 0 else grid[beyond[k - 1]]
            return math.exp(optimize.brentq(f, *sorted((inner, grid[beyond[k]])), xtol=1e-10))

        above = np.flatnonzero(grid > log_bc)
        below = np.flatnonzero(grid < log_bc)[::-1]
        low, high = edge(below, 0.0), edge(above, math.inf)
        low, high = min(low, math.exp(log_bc)), max(high, math.exp(log_bc))
    r = log_s - np.log1p(math.exp(log_bc) / b)
    log_smin = float(r.mean())
    rmse = float(np.sqrt(np.mean((r - log_smin) ** 2)))
    return StepsFit(s_min=math.exp(log_smin), b_crit=math.exp(log_bc), b_crit_low=low, b_crit_high=high,
                    b_min=float(b.min()), b_max=float(b.max()), n_points=int(n), n_batch_sizes=int(len(np.unique(b))),
                    rmse_log=rmse, converged=bool(converged))


def steps_points(runs: pd.DataFrame, *, best_only: bool = True) -> pd.DataFrame:
    """The points the fit uses: done runs that reached their target (best-lr runs unless ``best_only`` is
    False), one row each with optimizer, shuffle, batch_size, lr, seed, steps."""
    if runs.empty or "reached_target" not in runs.columns:
        return pd.DataFrame(columns=["optimizer", "shuffle", "batch_size", "lr", "seed", "steps"])
    runs = ensure_best_lr(runs) if best_only else runs
    ok = fitted(runs) & runs.reached_target.fillna(False).astype(bool)
    if best_only and "best_lr" in runs.columns:
        ok &= runs.best_lr.fillna(False).astype(bool)
    cols = [c for c in ("run_id", "optimizer", "shuffle", "batch_size", "lr", "seed", "steps", "epochs")
            if c in runs.columns]
    return runs.loc[ok, cols].reset_index(drop=True)


def fit_study(runs: pd.DataFrame) -> list[dict]:
    """One S(B) fit per (optimizer, shuffle) over its best-lr runs that reached the target; [] when nothing
    can be fitted. ``lr_tuned``: every batch size of it had an lr sweep to choose from; otherwise ``lr`` names
    the learning rate(s) the fit is a property of."""
    pts = steps_points(runs)
    out = []
    for (opt, sh), g in pts.groupby(["optimizer", "shuffle"], sort=True):
        fit = fit_steps(g.batch_size, g.steps)
        if fit is None:
            continue
        mine = runs[(runs.optimizer == opt) & (runs.shuffle == sh)]
        tuned = bool(len(mine)) and bool(mine.groupby(GROUP).lr.nunique().min() > 1)
        lrs = sorted({float(v) for v in g.lr}) if "lr" in g else []
        out.append({"optimizer": opt, "shuffle": bool(sh), **fit.to_dict(), "lr_tuned": tuned,
                    "lr": lrs[0] if len(lrs) == 1 else None})
    return out


def bound(value) -> float:
    """A stored interval bound back as a float ("inf" → inf, None → NaN)."""
    if value is None:
        return math.nan
    return float(value)


def b_crit_text(f: dict) -> str:
    """"B_crit ≈ 386 (95 % profile-likelihood interval 115–1,290)", "B_crit > 1,024, beyond the largest batch
    in the fit (…)", with the lr it holds for when the lr was not tuned per batch size."""
    low, high = bound(f.get("b_crit_low")), bound(f.get("b_crit_high"))
    if f.get("beyond") == "above":
        head = t("fitx.above", b=f["b_max"])
    elif f.get("beyond") == "below":
        head = t("fitx.below", b=f["b_min"])
    else:
        head = t("fitx.value", b=f["b_crit"])
    if math.isnan(low) and math.isnan(high):
        head += t("fitx.no_interval", n=f["n_points"])
    else:   # numbers we format: safe as markdown
        head += t("fitx.interval", low=Markdown(f"{low:,.0f}"),
                  high=Markdown("∞" if math.isinf(high) else f"{high:,.0f}"))
    if not f.get("lr_tuned", False):
        head += t("fitx.lr_not_tuned", lr=f["lr"]) if f.get("lr") is not None else t("fitx.lrs_not_tuned")
    return Markdown(head)


def describe_fit(f: dict) -> str:
    """One line for the CLI and the pages: the fit's curve, its B_crit with the interval, and its points."""
    return t("fitx.describe", opt=f["optimizer"], order=t(f"order.{SHUFFLE_LABELS[bool(f['shuffle'])]}"),
             s_min=f["s_min"], crit=b_crit_text(f), n=f["n_points"], k=f["n_batch_sizes"], rmse=f["rmse_log"])
