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
from .lr_edges import edge_sizes, lr_edges

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


MIN_SIZES = 3          # an S(B) fit with 2 batch sizes is only a transform of their two step counts
LACK_OF_FIT = 0.05     # the F-test's level: below it the curve does not describe the per-batch-size means


def lack_of_fit(batch_sizes, steps, fit: StepsFit) -> tuple[float, float]:
    """The lack-of-fit F-test of S(B) against the per-batch-size means (log space): F = (SS_lof/(k − 2)) /
    (SS_pe/(n − k)), SS_pe the spread of the seeds about their batch size's mean, SS_lof what the curve misses
    of those means; (F, p). (NaN, NaN) without replicates or with fewer than 3 batch sizes (nothing to test)."""
    b = np.asarray(batch_sizes, dtype=float)
    y = np.log(np.asarray(steps, dtype=float))
    keep = np.isfinite(b) & np.isfinite(y) & (b > 0)
    b, y = b[keep], y[keep]
    k, n = len(np.unique(b)), len(b)
    if k < 3 or n <= k:
        return math.nan, math.nan
    means = pd.Series(y).groupby(b).transform("mean").to_numpy()
    ss_pe = float(((y - means) ** 2).sum())
    r = y - np.log1p(fit.b_crit / b)
    ss_lof = max(float(((r - r.mean()) ** 2).sum()) - ss_pe, 0.0)
    if ss_pe <= 0:
        return (math.inf, 0.0) if ss_lof > 0 else (math.nan, math.nan)
    f = (ss_lof / (k - 2)) / (ss_pe / (n - k))
    return float(f), float(stats.f.sf(f, k - 2, n - k))


def fit_points(batch_sizes, steps) -> tuple[StepsFit | None, float, float, bool]:
    """(fit, F, p, on_means): S(B) fitted to every point; when the lack-of-fit test fails (p < LACK_OF_FIT) the
    seeds are not independent draws about the curve, so the fit is redone on the per-batch-size geometric means
    (one point per batch size) and its interval, from k − 2 degrees of freedom, is the honest, wider one."""
    fit = fit_steps(batch_sizes, steps)
    if fit is None:
        return None, math.nan, math.nan, False
    f, p = lack_of_fit(batch_sizes, steps, fit)
    if not p < LACK_OF_FIT:
        return fit, f, p, False
    b = np.asarray(batch_sizes, dtype=float)
    logs = pd.Series(np.log(np.asarray(steps, dtype=float))).groupby(b).mean()
    means = fit_steps(logs.index.to_numpy(), np.exp(logs.to_numpy()))
    return means, f, p, True


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


def _json(v: float):
    """A float as study.json keeps it: None for NaN, "inf" for ∞ (bound() reads both back)."""
    return None if math.isnan(v) else ("inf" if math.isinf(v) else v)


def _kind(tuned: bool, edges: dict, fit: StepsFit) -> tuple[str, str]:
    """(kind, bound): "scale" without an lr sweep (a shape of S(B) at that lr, not B_crit); "b_crit" with a
    sweep whose best lrs lie inside their grids; "bound" where some sit at a grid's edge. Steps at an edge's
    batch size are only an upper bound on the tuned steps: lower steps at batch sizes above B_crit would push it
    up (bound ">="), below it down ("<="); edges on both sides leave no bound ("")."""
    if not tuned:
        return "scale", ""
    sizes = [b for side in edges.values() for b in side]
    if not sizes:
        return "b_crit", ""
    if all(b >= fit.b_crit for b in sizes):
        return "bound", ">="
    if all(b < fit.b_crit for b in sizes):
        return "bound", "<="
    return "bound", ""


def fit_study(runs: pd.DataFrame, *, short: bool = False) -> list[dict]:
    """One S(B) fit per (optimizer, shuffle) over its best-lr runs that reached the target, at ≥ MIN_SIZES batch
    sizes; [] when nothing can be fitted. ``kind``: "b_crit" (lr tuned per batch size, best lrs inside their
    grids), "bound" (some best lr at a grid's edge: ``bound`` ">=", "<=" or "" for none, ``edges`` the batch
    sizes per side), "scale" (no lr sweep: "S(B) scale at lr = …"). ``lof_f``/``lof_p``: the lack-of-fit test;
    ``on_means``: it failed and the fit is the per-batch-size means'. ``short``: also (kind "too_few") the
    optimizers with steps at fewer than MIN_SIZES batch sizes, which get no number."""
    pts = steps_points(runs)
    out = []
    if "steps" not in pts.columns:
        return out
    edges = lr_edges(runs)
    for (opt, sh), g in pts.groupby(["optimizer", "shuffle"], sort=True):
        mine = runs[(runs.optimizer == opt) & (runs.shuffle == sh)]
        # swept where some configuration tried several lrs; one that tried a single lr is then an edge
        # ("single", lr_edges.edge): its steps are a bound like a best lr at its grid's edge
        tuned = bool(len(mine)) and bool(mine.groupby(GROUP).lr.nunique().max() > 1)
        lrs = sorted({float(v) for v in g.lr}) if "lr" in g else []
        base = {"optimizer": opt, "shuffle": bool(sh), "lr_tuned": tuned, "lr": lrs[0] if len(lrs) == 1 else None}
        k = g.batch_size.nunique()
        if k < MIN_SIZES:
            if short and k:
                out.append({**base, "kind": "too_few", "n_batch_sizes": int(k), "n_points": len(g)})
            continue
        fit, f, p, on_means = fit_points(g.batch_size, g.steps)
        if fit is None:
            continue
        edges_of = edge_sizes(runs, opt, sh, edges) if tuned else {}
        kind, side = _kind(tuned, edges_of, fit)
        out.append({**base, **fit.to_dict(), "n_points": len(g), "kind": kind, "bound": side, "edges": edges_of,
                    "lof_f": _json(f), "lof_p": _json(p), "on_means": on_means})
    return out


def bound(value) -> float:
    """A stored interval bound back as a float ("inf" → inf, None → NaN)."""
    if value is None:
        return math.nan
    return float(value)


def kind_of(f: dict) -> str:
    """A fit's kind; a fit stored before kinds: "b_crit" when its lr was tuned, else "scale"."""
    return f.get("kind") or ("b_crit" if f.get("lr_tuned") else "scale")


def _sizes(edges: dict) -> Markdown:
    return Markdown(", ".join(f"{b} ({t('edgex.' + side)})" for side, bs in sorted((edges or {}).items())
                              for b in bs))


def b_crit_text(f: dict) -> str:
    """"B_crit ≈ 386 (95 % profile-likelihood interval 115–1,290)", "B_crit > 1,024, beyond the largest batch
    in the fit (…)"; without an lr sweep "S(B) scale at lr = 0.002 ≈ 175 (…)", never called B_crit; with a best
    lr at its grid's edge a bound without an interval ("B_crit ≥ 386, a lower bound: …") or no number; with
    the lack-of-fit test failed, says so (the interval is then the per-batch-size means')."""
    kind = kind_of(f)
    if kind == "too_few":
        return t("fitx.too_few", k=f.get("n_batch_sizes", 0))
    name = Markdown("B_crit") if kind != "scale" else (
        t("fitx.scale_name", lr=f["lr"]) if f.get("lr") is not None else t("fitx.scale_name_lrs"))
    if kind == "bound":
        sizes = _sizes(f.get("edges"))
        if f.get("bound") in (">=", "<="):
            key = "fitx.lower_bound" if f["bound"] == ">=" else "fitx.upper_bound"
            return t(key, b=f["b_crit"], sizes=sizes)
        return t("fitx.no_bound", sizes=sizes)
    low, high = bound(f.get("b_crit_low")), bound(f.get("b_crit_high"))
    if f.get("beyond") == "above":
        head = t("fitx.above", name=name, b=f["b_max"])
    elif f.get("beyond") == "below":
        head = t("fitx.below", name=name, b=f["b_min"])
    else:
        head = t("fitx.value", name=name, b=f["b_crit"])
    if math.isnan(low) and math.isnan(high):
        head += t("fitx.no_interval", n=f["n_points"])
    else:   # numbers we format: safe as markdown
        head += t("fitx.interval", low=Markdown(f"{low:,.0f}"),
                  high=Markdown("∞" if math.isinf(high) else f"{high:,.0f}"))
    if kind == "scale":
        head += t("fitx.not_b_crit")
    if f.get("on_means"):
        head += t("fitx.lack_of_fit", f=bound(f["lof_f"]), p=bound(f["lof_p"]))
    return Markdown(head)


def describe_fit(f: dict) -> str:
    """One line for the CLI and the pages: the fit's curve, its B_crit (or S(B) scale, or bound) with the
    interval, and its points; for too few batch sizes, why there is no number."""
    order = t(f"order.{SHUFFLE_LABELS[bool(f['shuffle'])]}")
    if kind_of(f) == "too_few":
        return t("fitx.describe_short", opt=f["optimizer"], order=order, crit=b_crit_text(f))
    if kind_of(f) == "bound":   # no curve parameters: a bound is not a point
        return t("fitx.describe_bound", opt=f["optimizer"], order=order, crit=b_crit_text(f), n=f["n_points"],
                 k=f["n_batch_sizes"])
    return t("fitx.describe", opt=f["optimizer"], order=order,
             s_min=f["s_min"], crit=b_crit_text(f), n=f["n_points"], k=f["n_batch_sizes"], rmse=f["rmse_log"])
