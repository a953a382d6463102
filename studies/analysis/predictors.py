"""Which measure predicts the generalisation gap? (Jiang et al. 2020, "Fantastic Generalization Measures and
Where to Find Them", ICLR)

Jiang et al. compare measures over models trained to the same fit, and rank them by the granulated Kendall τ:
for each hyperparameter the study varied, τ between the measure and the gap inside every group of runs that
differ in that hyperparameter only (the others, and the seed, fixed), averaged over the groups (ψ_h); then
Ψ = the mean of ψ_h over the varied hyperparameters. Plain τ over all runs mixes the hyperparameters: a measure
that tracks the optimizer can rank high in a study whose gap moves with the optimizer and the batch size.

So: only fitted runs (`fairness.fitted`: done and at the target, or at the matched loss without one) count;
each measure carries the sign the literature expects (sharper or more curved → larger gap: +); rows are
ranked by agreement = expected sign × Ψ, so a measure with the wrong sign ranks last, not first. Plain τ stays
beside Ψ with a paired bootstrap interval, but only from MIN_RUNS_FOR_INTERVAL runs on: below that a
percentile interval of τ spans about [−1, 1] and says nothing. No torch here: the CLI's
`export --table predictors` and the Curvature page read it from the runs table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..measures import measures
from .fairness import fitted
from ..i18n import Markdown, t



def candidates() -> list[tuple[str, str, int]]:
    """(column, label, expected sign vs the gap gap_acc = train − test accuracy): the registry's predictors
    (studies.measures: sharpness and curvature +, Keskar et al. 2017, Jiang et al. 2020; B_simple 0, no sign in
    the literature, shown but not ranked by agreement), then the batch size: + (Keskar's large-batch gap)."""
    return [(m.column, t(m.label), m.sign) for m in measures() if m.predictor] + \
        [("batch_size", t("label.batch_size_baseline"), 1)]


# The hyperparameters a study's grid varies. The seed is held fixed inside a group, never a hyperparameter; the
# lr is its position in the sweep (rank within optimizer × batch size), so an lr scaled with the batch size
# (linear/sqrt rule) still counts as one setting across batch sizes.
HYPERPARAMETERS = ("batch_size", "lr", "optimizer", "shuffle")
MIN_RUNS_FOR_INTERVAL = 10
RESAMPLES = 2000
# Above this many runs the vectorised τ's [resamples, n, n] sign arrays cost O(n²) each (190 s for 7 measures of a
# 1,000-run study): each resample then takes scipy's O(n log n) τ, and LARGE_RESAMPLES of them (a 1,000-run
# interval is narrow; 200 percentile resamples place its ends to about ±0.01 in τ).
VECTOR_MAX_N = 200
LARGE_RESAMPLES = 200
CONFIDENCE = 0.95
COLUMNS = ["measure", "label", "tau", "ci_low", "ci_high", "p_value", "n", "gap", "psi", "expected_sign",
           "agreement", "n_left_out", "n_groups", *(f"psi_{h}" for h in HYPERPARAMETERS), "note"]


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


def sweep_coordinates(runs: pd.DataFrame) -> pd.DataFrame:
    """The grid coordinates of each run (HYPERPARAMETERS present, plus seed and budget: Ψ's groups never mix
    budgets), lr replaced by its dense rank within (optimizer, batch size): the sweep position, the same for
    every batch size under lr scaling."""
    cols = [c for c in (*HYPERPARAMETERS, "seed", "budget") if c in runs.columns]
    out = runs[cols].copy()
    if "lr" in out.columns:
        keys = [c for c in ("optimizer", "batch_size") if c in runs.columns]
        lr = pd.to_numeric(runs["lr"], errors="coerce")
        out["lr"] = lr.groupby([runs[k] for k in keys], dropna=False).rank(method="dense") if keys \
            else lr.rank(method="dense")
    return out


def granulated_tau(coords: pd.DataFrame, measure, gap) -> tuple[float, dict[str, float], int]:
    """(Ψ, {hyperparameter: ψ_h}, groups used). ψ_h = mean over groups of runs equal in every other coordinate
    (seed included) and differing in h of τ(measure, gap) in the group; a group where the measure or the gap
    is constant contributes 0 (no rank information, as in Jiang et al.'s sign-sum τ). Ψ = mean of the ψ_h of
    the hyperparameters that vary; nan when no group has two runs."""
    df = coords.reset_index(drop=True).assign(_m=np.asarray(measure, float), _g=np.asarray(gap, float))
    per: dict[str, float] = {}
    groups = 0
    for h in HYPERPARAMETERS:
        if h not in df.columns or df[h].nunique(dropna=False) < 2:
            continue
        others = [c for c in coords.columns if c != h]
        gid = df.groupby(others, dropna=False, sort=False).ngroup() if others else pd.Series(0, index=df.index)
        d = pd.DataFrame({"gid": gid, "m": df["_m"], "g": df["_g"]})
        varied = df.groupby(gid)[h].nunique(dropna=False) >= 2
        if not varied.any():
            continue
        pairs = d.merge(d, on="gid")                 # every ordered pair inside a group: τ-b's sums, vectorised
        sm, sg = np.sign(pairs["m_x"] - pairs["m_y"]), np.sign(pairs["g_x"] - pairs["g_y"])
        sums = pd.DataFrame({"num": sm * sg, "sx": sm * sm, "sy": sg * sg}).groupby(pairs["gid"]).sum()
        sums = sums[varied.reindex(sums.index, fill_value=False)]
        den = np.sqrt(sums["sx"] * sums["sy"])
        taus = np.divide(sums["num"], den, out=np.zeros(len(sums)), where=den.to_numpy() > 0)
        per[h] = float(np.mean(taus))
        groups += len(taus)
    psi = float(np.mean(list(per.values()))) if per else math.nan
    return psi, per, groups


def _comparable(runs: pd.DataFrame) -> np.ndarray:
    """The runs a comparison may use: fairness.fitted (a table without train losses: the done runs that
    reached their target, or all done runs)."""
    if "train_loss" in runs.columns:
        return fitted(runs).to_numpy(bool)
    keep = (runs["status"] == "done").to_numpy(bool) if "status" in runs.columns else np.ones(len(runs), bool)
    if "reached_target" in runs.columns:
        keep &= runs["reached_target"].fillna(False).astype(bool).to_numpy()
    return keep


def predictors_table(runs: pd.DataFrame, gap: str = "gap_acc", *, resamples: int = RESAMPLES,
                     confidence: float = CONFIDENCE, seed: int = 0) -> pd.DataFrame:
    """One row per measure the runs table has (columns COLUMNS) over its fitted runs, ranked by agreement =
    expected sign × Ψ (measures without an expected sign last). n counts the fitted runs with the measure and
    the gap; n_left_out the study's other runs. Below MIN_RUNS_FOR_INTERVAL runs τ has no interval (nan) and
    `note` says so."""
    if runs.empty:
        return pd.DataFrame(columns=COLUMNS)
    if gap not in runs.columns:
        raise ValueError(f"the runs table has no {gap!r} column")
    coords = sweep_coordinates(runs)
    keep = _comparable(runs)
    rows = []
    for col, label, sign in candidates():
        if col not in runs.columns:
            continue
        m, g = pd.to_numeric(runs[col], errors="coerce"), pd.to_numeric(runs[gap], errors="coerce")
        ok = keep & np.isfinite(m.to_numpy(float)) & np.isfinite(g.to_numpy(float))
        x, y = m.to_numpy(float)[ok], g.to_numpy(float)[ok]
        few = x.size < MIN_RUNS_FOR_INTERVAL
        tau, lo, hi, p = tau_with_ci(x, y, resamples=resamples, confidence=confidence, seed=seed)
        if few:
            lo = hi = math.nan
        psi, per, groups = granulated_tau(coords[ok], x, y)
        rows.append({"measure": col, "label": label, "tau": tau, "ci_low": lo, "ci_high": hi, "p_value": p,
                     "n": int(x.size), "gap": gap, "psi": psi, "expected_sign": sign,
                     "agreement": sign * psi if sign else math.nan, "n_left_out": int(len(runs) - x.size),
                     "n_groups": groups, **{f"psi_{h}": per.get(h, math.nan) for h in HYPERPARAMETERS},
                     "note": t("pred.too_few_for_interval", n=MIN_RUNS_FOR_INTERVAL) if few else ""})
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.assign(_k=out["agreement"].fillna(-math.inf)).sort_values("_k", ascending=False, kind="stable") \
        .drop(columns="_k").reset_index(drop=True)


def predictors_caption(table: pd.DataFrame, resamples: int = RESAMPLES, budgets: int = 1) -> str:
    """The caption under the predictors chart: runs used and left out, the hyperparameters Ψ is over, the
    interval (or why there is none), and, for a study of ``budgets`` > 1 budgets, that plain τ pools them."""
    n, left = int(table["n"].max()), int(table["n_left_out"].min())
    hypers = [h for h in HYPERPARAMETERS if table[f"psi_{h}"].notna().any()]
    interval = t("curv.pred_interval", resamples=resamples_for(n, resamples)) if n >= MIN_RUNS_FOR_INTERVAL \
        else t("curv.pred_no_interval", min=MIN_RUNS_FOR_INTERVAL)
    text = t("curv.pred_caption", n=n, left=left, hypers=", ".join(hypers) or t("pred.none_varied"),
             interval=interval)
    return Markdown(text + " " + t("pred.pooled_budgets", k=budgets)) if budgets > 1 else text
