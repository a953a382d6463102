"""Steps to a target vs batch size: S(B) = S_min·(1 + B_noise/B) (McCandlish et al. 2018, eq. 2.11).

Below B_noise a doubled batch nearly halves the steps (perfect scaling); above it, the steps approach S_min
and larger batches stop paying off. The fit is least squares in log space (each point's relative error
counts the same, from 10 to 10,000 steps), over log S_min and log B_noise so both stay positive. Pure
numpy/scipy/pandas, no torch: the runner stores the fit with the study, the pages and the CLI read it back.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

# Regimes by where S(B) sits: within 10 % of perfect scaling (S_min·B_noise/B) below B_noise/10, within 10 %
# of S_min above 10·B_noise; diminishing returns between. The fitted curve sets both edges.
REGIME_FACTOR = 10.0


@dataclass(frozen=True)
class StepsFit:
    s_min: float          # steps at an infinite batch
    b_noise: float        # the critical batch size B_crit (McCandlish's B_noise)
    n_points: int
    n_batch_sizes: int
    rmse_log: float       # root-mean-square residual of ln S
    converged: bool

    def steps(self, batch_size) -> np.ndarray:
        b = np.asarray(batch_size, dtype=float)
        return self.s_min * (1.0 + self.b_noise / b)

    def regimes(self) -> list[tuple[str, float, float]]:
        """(name, from B, to B) of perfect scaling, diminishing returns and no further gain."""
        lo, hi = self.b_noise / REGIME_FACTOR, self.b_noise * REGIME_FACTOR
        return [("perfect scaling", 0.0, lo), ("diminishing returns", lo, hi), ("no further gain", hi, math.inf)]

    def to_dict(self) -> dict:
        return asdict(self)


def fit_steps(batch_sizes, steps) -> StepsFit | None:
    """Fit S(B) to (batch size, steps-to-target) points; None with fewer than 2 distinct batch sizes or
    non-positive values (a two-parameter curve needs two batch sizes)."""
    from scipy.optimize import least_squares

    b = np.asarray(batch_sizes, dtype=float)
    s = np.asarray(steps, dtype=float)
    keep = np.isfinite(b) & np.isfinite(s) & (b > 0) & (s > 0)
    b, s = b[keep], s[keep]
    if len(np.unique(b)) < 2:
        return None
    log_s = np.log(s)

    def residuals(p):
        log_smin, log_bn = p
        return log_smin + np.log1p(np.exp(log_bn) / b) - log_s

    start = np.array([np.log(s.min()), np.log(np.median(b))])
    # B_noise is kept within 1e-3 .. 1e3 times the batch-size range: outside it the data cannot tell
    bounds = ([-np.inf, np.log(b.min() * 1e-3)], [np.inf, np.log(b.max() * 1e3)])
    res = least_squares(residuals, start, bounds=bounds, method="trf", x_scale="jac")
    rmse = float(np.sqrt(np.mean(res.fun ** 2)))
    return StepsFit(s_min=float(np.exp(res.x[0])), b_noise=float(np.exp(res.x[1])), n_points=int(len(b)),
                    n_batch_sizes=int(len(np.unique(b))), rmse_log=rmse, converged=bool(res.success))


def steps_points(runs: pd.DataFrame, *, best_only: bool = True) -> pd.DataFrame:
    """The points the fit uses: done runs that reached their target (best-lr runs unless ``best_only`` is
    False), one row each with optimizer, shuffle, batch_size, lr, seed, steps."""
    if runs.empty or "reached_target" not in runs.columns:
        return pd.DataFrame(columns=["optimizer", "shuffle", "batch_size", "lr", "seed", "steps"])
    ok = (runs.status == "done") & runs.reached_target.fillna(False).astype(bool)
    if best_only and "best_lr" in runs.columns:
        ok &= runs.best_lr.fillna(False).astype(bool)
    cols = [c for c in ("run_id", "optimizer", "shuffle", "batch_size", "lr", "seed", "steps", "epochs")
            if c in runs.columns]
    return runs.loc[ok, cols].reset_index(drop=True)


def fit_study(runs: pd.DataFrame) -> list[dict]:
    """One S(B) fit per (optimizer, shuffle) over its best-lr runs that reached the target, with the study's
    measured B_simple (median ``noise_scale`` of its done runs) beside it; [] when nothing can be fitted."""
    pts = steps_points(runs)
    b_simple = math.nan
    if "noise_scale" in runs.columns:
        ns = runs.loc[runs.status == "done", "noise_scale"].astype(float)
        ns = ns[np.isfinite(ns)]
        b_simple = float(ns.median()) if len(ns) else math.nan
    out = []
    for (opt, sh), g in pts.groupby(["optimizer", "shuffle"], sort=True):
        fit = fit_steps(g.batch_size, g.steps)
        if fit is not None:
            out.append({"optimizer": opt, "shuffle": bool(sh), **fit.to_dict(),
                        "b_simple": b_simple if math.isfinite(b_simple) else None})   # JSON has no NaN
    return out


def fits_frame(fits: list[dict] | None) -> pd.DataFrame:
    """A stored fit list as a table (empty with the columns when there is none)."""
    cols = ["optimizer", "shuffle", "s_min", "b_noise", "n_points", "n_batch_sizes", "rmse_log", "converged",
            "b_simple"]
    return pd.DataFrame(fits or [], columns=cols)


def describe_fit(f: dict) -> str:
    """One line for the CLI and the pages: the same numbers from the stored fit."""
    shuffle = "shuffle" if f["shuffle"] else "fixed order"
    bs = f.get("b_simple")
    b_simple = f"; measured B_simple ≈ {bs:.0f}" if bs is not None and math.isfinite(bs) else ""
    return (f"{f['optimizer']} ({shuffle}): S(B) = {f['s_min']:.0f}·(1 + {f['b_noise']:.0f}/B) steps, "
            f"B_crit ≈ {f['b_noise']:.0f} from {f['n_points']} runs at {f['n_batch_sizes']} batch sizes "
            f"(rms log error {f['rmse_log']:.2f}){b_simple}")
