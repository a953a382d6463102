"""Which rule the best lr follows against the batch size, per optimizer: linear (η ∝ B, Goyal et al. 2017),
square root (η ∝ √B, Hoffer et al. 2017; Malladi et al. 2022 for Adam), or a surge (rising, then falling:
Li et al. 2024 for Adam) — said with its uncertainty. No torch.

The best lr of each batch size is only known to the grid's resolution: the true optimum lies within half a
grid step of the chosen lr (on the log scale), so each point carries a uniform error of that width (sd =
step/√12), and more where seeds disagree. The slope k of log η* against log B is fitted by weighted least
squares with its 95 % t-interval (n − 2 degrees of freedom when the scatter exceeds the grid's resolution,
else the resolution alone, normal). A rule is "consistent" when its slope (1 or ½) lies in the interval; a surge
needs a quadratic in log B whose curvature is negative beyond its own 95 % interval with its peak inside the
batch sizes. The verdict names the consistent rules (both, when the interval is wide), "surge", or none.
A best lr at the edge of its grid (lr_edges.edge: the largest or smallest tried, or the only one) is a bound,
not a point: such batch sizes are left out and counted. ``rule_curve`` is the line of the rule the best lrs
follow best, with its 95 % band, for the lr map to draw.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .fairness import best_lr
from .lr_edges import edge
from ..i18n import Markdown, t

RULES = {"linear": 1.0, "sqrt": 0.5}


def best_points(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (optimizer, batch size): the best lr, the grid's local log-step around it, and whether it is at
    the grid's edge (then the point is a bound)."""
    cols = ["optimizer", "batch_size", "lr", "log_step", "at_edge"]
    if runs.empty or "lr" not in runs.columns:
        return pd.DataFrame(columns=cols)
    best = runs[best_lr(runs)]
    rows = []
    for (opt, b), g in runs.groupby(["optimizer", "batch_size"], sort=True):
        tried = np.sort(np.unique(g.lr.astype(float)))
        won = best[(best.optimizer == opt) & (best.batch_size == b)].lr.astype(float).unique()
        if len(won) != 1:
            continue
        i = int(np.searchsorted(tried, won[0]))
        near = [abs(math.log(tried[j]) - math.log(tried[i])) for j in (i - 1, i + 1) if 0 <= j < len(tried)]
        rows.append({"optimizer": opt, "batch_size": float(b), "lr": float(won[0]),
                     "log_step": float(np.mean(near)) if near else math.nan, "at_edge": edge(tried, won[0]) != ""})
    return pd.DataFrame(rows, columns=cols)


def fit_rule(points: pd.DataFrame) -> dict | None:
    """The rule one optimizer's best lrs follow (points of best_points, one optimizer); None with fewer than
    three batch sizes inside their grids."""
    inside = points[~points.at_edge]
    if inside.batch_size.nunique() < 3:
        return None
    x, y, w = _xyw(inside)
    X = np.column_stack([np.ones_like(x), x])
    coef, cov, q = _wls(X, y, w)
    n = len(x)
    se = math.sqrt(cov[1, 1])
    k, low, high = float(coef[1]), float(coef[1] - q * se), float(coef[1] + q * se)
    consistent = [name for name, slope in RULES.items() if low <= slope <= high]
    surge = _surge(x, y, w) if n >= 4 else False
    verdict = "surge" if surge else (consistent[0] if len(consistent) == 1 else
                                     "undecided" if consistent else "neither")
    return {"slope": k, "slope_low": low, "slope_high": high, "n": n, "left_out": int(points.at_edge.sum()),
            "consistent": consistent, "surge": surge, "verdict": verdict}


def _xyw(inside: pd.DataFrame):
    """log B, log η* and the weights: half a grid step either way, uniform (sd = step/√12)."""
    sd = inside.log_step.to_numpy() / math.sqrt(12)
    return np.log(inside.batch_size.to_numpy()), np.log(inside.lr.to_numpy()), 1 / np.maximum(sd, 1e-6) ** 2


def _wls(X, y, w):
    """Weighted least squares: the coefficients, their covariance (widened where the scatter exceeds the grid's
    resolution) and the 95 % quantile to multiply a standard error by (t with n − p degrees of freedom when
    widened, else normal)."""
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    coef = cov @ X.T @ (w * y)
    n, p = X.shape
    resid = y - X @ coef
    scale = max(1.0, float(np.sum(w * resid ** 2)) / (n - p)) if n > p else 1.0
    q = stats.t.ppf(0.975, n - p) if scale > 1 else stats.norm.ppf(0.975)
    return coef, cov * scale, float(q)


def _surge(x, y, w) -> bool:
    """A quadratic in log B with negative curvature beyond its 95 % interval and its peak inside the data."""
    X = np.column_stack([np.ones_like(x), x, x * x])
    try:
        c, cov, _ = _wls(X, y, w)
    except np.linalg.LinAlgError:
        return False
    if not c[2] + stats.norm.ppf(0.975) * math.sqrt(cov[2, 2]) < 0:
        return False
    peak = -c[1] / (2 * c[2])
    return bool(x.min() < peak < x.max())


def drawn_rule(f: dict) -> str:
    """The rule a fit's line shows: its verdict's ("linear", "sqrt", "surge"); of two consistent rules the one
    nearer the fitted exponent; "power" (η ∝ B^k, the free fit) where neither fits."""
    if f["verdict"] in ("linear", "sqrt", "surge"):
        return f["verdict"]
    if f["verdict"] == "undecided":
        return min(f["consistent"], key=lambda r: abs(RULES[r] - f["slope"]))
    return "power"


def rule_curve(points: pd.DataFrame, f: dict, n: int = 40) -> pd.DataFrame:
    """The line of the rule one optimizer's best lrs follow best (``drawn_rule``), fitted to its points inside
    their grids (best_points) over its batch sizes: columns batch_size, lr, lr_low, lr_high (the line's 95 %
    band: for linear and √B the intercept's uncertainty at the fixed exponent, for a surge or a power law the
    coefficients'), rule. Empty without a fit."""
    cols = ["batch_size", "lr", "lr_low", "lr_high", "rule"]
    inside = points[~points.at_edge]
    if f is None or inside.batch_size.nunique() < 3:
        return pd.DataFrame(columns=cols)
    rule = drawn_rule(f)
    x, y, w = _xyw(inside)
    grid = np.linspace(x.min(), x.max(), n)
    fixed = RULES.get(rule, 0.0)
    powers = {"surge": 3, "power": 2}.get(rule, 1)          # coefficients of 1, log B, (log B)²
    X = np.column_stack([x ** p for p in range(powers)])
    coef, cov, q = _wls(X, y - fixed * x, w)
    G = np.column_stack([grid ** p for p in range(powers)])
    mid = G @ coef + fixed * grid
    half = q * np.sqrt(np.einsum("ij,jk,ik->i", G, cov, G))
    return pd.DataFrame({"batch_size": np.exp(grid), "lr": np.exp(mid), "lr_low": np.exp(mid - half),
                         "lr_high": np.exp(mid + half), "rule": rule})


def study_rules(runs: pd.DataFrame) -> list[dict]:
    """fit_rule per optimizer that swept its lr, with the optimizer's name."""
    pts = best_points(runs)
    out = []
    for opt, g in pts.groupby("optimizer", sort=True):
        f = fit_rule(g)
        if f is not None:
            out.append({"optimizer": opt, **f})
    return out


def describe(f: dict) -> str:
    """"sgd: best lr ∝ B^0.93 (95 % interval 0.61–1.25): linear fits, √B does not; 4 batch sizes, 1 at an edge
    left out" in the current language."""
    verdict = t(f"lrrule.{f['verdict']}")
    left = t("lrrule.left_out", k=f["left_out"]) if f["left_out"] else ""
    num = {k: Markdown(f"{f[c]:.2f}") for k, c in (("k", "slope"), ("low", "slope_low"), ("high", "slope_high"))}
    return t("lrrule.line", opt=f["optimizer"], verdict=verdict, n=f["n"], left=left, **num)
