"""Which measure predicts the generalisation gap? (Jiang et al. 2019, "Fantastic Generalization Measures")

For each measure, Kendall's rank correlation τ between the measure and the gap across a study's finished
runs, with a bootstrap confidence interval over runs (paired resampling). τ = 1: ranking the runs by the
measure ranks them exactly by their gap; 0: no relation. Batch size itself is the baseline a sharpness
measure has to beat (Jiang et al.'s point: many measures do no better than the hyperparameter that varied).
No torch here: the CLI's `export --table predictors` and the pages read it from the runs table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

# (column, label); the gap is gap_acc (train − test accuracy) unless asked otherwise
MEASURES = (
    ("sharpness_eps", "ε-sharpness (Keskar)"),
    ("sharpness_rand", "random sharpness"),
    ("sharpness_sam", "SAM sharpness"),
    ("hessian_top_eig", "Hessian λ_max"),
    ("hessian_trace", "Hessian trace"),
    ("noise_scale", "noise scale B_simple"),
    ("batch_size", "batch size (baseline)"),
)
RESAMPLES = 2000
# Above this many runs the vectorised τ's [resamples, n, n] sign arrays cost O(n²) each (190 s for 7 measures of a
# 1,000-run study): each resample then takes scipy's O(n log n) τ, and LARGE_RESAMPLES of them (a 1,000-run
# interval is narrow; 200 percentile resamples place its ends to about ±0.01 in τ).
VECTOR_MAX_N = 200
LARGE_RESAMPLES = 200
CONFIDENCE = 0.95
COLUMNS = ["measure", "label", "tau", "ci_low", "ci_high", "p_value", "n", "gap"]


def kendall_tau(x, y) -> float:
    """Kendall's τ-b (ties handled) of two equally long sequences; nan with fewer than 2 pairs or a
    constant sequence."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in length: {x.size} and {y.size}")
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(stats.kendalltau(x, y).statistic)


def _tau_b(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """τ-b of many resamples at once (rows of x and y, along `axis`): Σ sign·sign over all pairs divided by
    √(Σ sign_x² · Σ sign_y²), which handles ties as τ-b does. A resample in which one variable is constant
    carries no rank information: τ = 0 there (not nan, which would void the whole interval)."""
    x, y = np.moveaxis(np.asarray(x, float), axis, -1), np.moveaxis(np.asarray(y, float), axis, -1)
    sx = np.sign(x[..., :, None] - x[..., None, :])
    sy = np.sign(y[..., :, None] - y[..., None, :])
    num = (sx * sy).sum((-1, -2))
    den = np.sqrt((sx * sx).sum((-1, -2)) * (sy * sy).sum((-1, -2)))
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def resamples_for(n: int, resamples: int = RESAMPLES) -> int:
    """The bootstrap resamples used for n runs (fewer above VECTOR_MAX_N, where each costs O(n log n))."""
    return resamples if n <= VECTOR_MAX_N else min(resamples, LARGE_RESAMPLES)


def tau_with_ci(x, y, *, resamples: int = RESAMPLES, confidence: float = CONFIDENCE, seed: int = 0
                ) -> tuple[float, float, float, float]:
    """(τ, ci_low, ci_high, p) with a percentile bootstrap over pairs (scipy.stats.bootstrap, paired)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    tau = kendall_tau(x, y)
    if math.isnan(tau) or x.size < 3:
        return tau, math.nan, math.nan, math.nan
    if x.size > VECTOR_MAX_N:
        res = stats.bootstrap((x, y), lambda a, b: stats.kendalltau(a, b).statistic, paired=True, vectorized=False,
                              n_resamples=resamples_for(x.size, resamples), confidence_level=confidence,
                              method="percentile", rng=np.random.default_rng(seed))
    else:
        batch = max(1, 4_000_000 // (x.size * x.size))   # bounds the [batch, n, n] sign arrays
        res = stats.bootstrap((x, y), _tau_b, paired=True, vectorized=True, n_resamples=resamples, batch=batch,
                              confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed))
    p = float(stats.kendalltau(x, y).pvalue)
    return tau, float(res.confidence_interval.low), float(res.confidence_interval.high), p


def predictors_table(runs: pd.DataFrame, gap: str = "gap_acc", *, resamples: int = RESAMPLES,
                     confidence: float = CONFIDENCE, seed: int = 0) -> pd.DataFrame:
    """One row per measure the runs table has (columns COLUMNS), ranked by |τ| (best predictor first); runs
    that are not `done` or lack the measure or the gap are left out of that measure's n."""
    if runs.empty:
        return pd.DataFrame(columns=COLUMNS)
    if gap not in runs.columns:
        raise ValueError(f"the runs table has no {gap!r} column")
    done = runs[runs["status"] == "done"] if "status" in runs.columns else runs
    rows = []
    for col, label in MEASURES:
        if col not in done.columns:
            continue
        pair = pd.DataFrame({"m": pd.to_numeric(done[col], errors="coerce"),
                             "g": pd.to_numeric(done[gap], errors="coerce")}).dropna()
        pair = pair[np.isfinite(pair["m"]) & np.isfinite(pair["g"])]
        tau, lo, hi, p = tau_with_ci(pair["m"], pair["g"], resamples=resamples, confidence=confidence, seed=seed)
        rows.append({"measure": col, "label": label, "tau": tau, "ci_low": lo, "ci_high": hi, "p_value": p,
                     "n": len(pair), "gap": gap})
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.assign(_k=out["tau"].abs().fillna(-1)).sort_values("_k", ascending=False, kind="stable") \
        .drop(columns="_k").reset_index(drop=True)
