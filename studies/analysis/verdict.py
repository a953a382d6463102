"""The critical-point verdict at a run's end point, from its stored columns (no torch: the pages read it).

A negative λ_min shows negative curvature on the measurement sample, so the point is not a (second-order)
minimum; it is a saddle only if the gradient is also about zero. And a λ_min within its error of 0 says
nothing either way. The rules, in one place:

- λ_min is resolved from 0 when |λ_min| > err, err = max(`hessian_min_eig_err`, ZERO_CUT·|λ_max|): Lanczos's
  residual bound, but never below the cut the minimum ratio counts as zero (float32 HVP noise, and the dense
  spectrum's bound is 0).
- the gradient is about zero (stationary) when ‖g‖ ≤ STATIONARY_FRAC·‖g₀‖, g₀ the gradient at the initial
  weights on the same sample (`grad_norm_init`): training removed 99 % of the gradient it started with. A
  scale-free test (‖g‖ alone has loss/weight units); without ‖g₀‖ no run is called a saddle.

Verdicts: `negative` (λ_min < −err, gradient not small: not a minimum, and not a critical point either),
`saddle` (λ_min < −err, λ_max > err, stationary), `no_negative` (λ_min > err: no negative curvature resolved,
consistent with a minimum; Lanczos's λ_min is an upper bound, so not a proof), `unresolved` (|λ_min| ≤ err),
`unmeasured` (no λ_min).
"""
from __future__ import annotations

import math

import pandas as pd

from ..i18n import t
from ..measures import LAMBDA_MAX, ZERO_CUT   # |λ| ≤ ZERO_CUT·max|λ| counts as zero (the measures' own cut)

STATIONARY_FRAC = 1e-2  # ‖g‖ ≤ 1 % of ‖g₀‖: about zero
VERDICTS = ("negative", "saddle", "no_negative", "unresolved", "unmeasured")


def _num(v) -> float:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return math.nan
    return v


def is_stationary(grad_norm, grad_norm_init) -> bool:
    """‖g‖ ≤ STATIONARY_FRAC·‖g₀‖ (False when either is missing)."""
    g, g0 = _num(grad_norm), _num(grad_norm_init)
    return math.isfinite(g) and math.isfinite(g0) and g0 > 0 and g <= STATIONARY_FRAC * g0


def min_eig_error(min_err, top_eig) -> float:
    """The error λ_min is resolved against: its residual bound, at least ZERO_CUT·|λ_max|."""
    err, top = _num(min_err), _num(top_eig)
    return max(err if math.isfinite(err) else 0.0, ZERO_CUT * abs(top) if math.isfinite(top) else 0.0)


def verdict(min_eig, min_err, top_eig, grad_norm, grad_norm_init) -> str:
    """One of VERDICTS for one run (module docstring)."""
    lo = _num(min_eig)
    if not math.isfinite(lo):
        return "unmeasured"
    err = min_eig_error(min_err, top_eig)
    if abs(lo) <= err:
        return "unresolved"
    if lo > 0:
        return "no_negative"
    top = _num(top_eig)
    saddle = is_stationary(grad_norm, grad_norm_init) and math.isfinite(top) and top > err
    return "saddle" if saddle else "negative"


def verdict_table(runs: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Per done run with a λ_min (indexed like ``runs``): its label (`labels`, aligned with runs), ‖g‖,
    ‖g‖/‖g₀‖, λ_min, its error, and the verdict in words (the current language)."""
    if "hessian_min_eig" not in runs.columns:
        return pd.DataFrame()
    done = runs["status"].eq("done") if "status" in runs.columns else pd.Series(True, index=runs.index)
    have = runs[done & runs["hessian_min_eig"].notna()]
    col = {c: have[c] if c in have.columns else pd.Series(math.nan, index=have.index)
           for c in ("hessian_min_eig_err", LAMBDA_MAX, "grad_norm", "grad_norm_init")}
    keys = [verdict(*v) for v in zip(have["hessian_min_eig"], col["hessian_min_eig_err"], col[LAMBDA_MAX],
                                     col["grad_norm"], col["grad_norm_init"])]
    g, g0 = pd.to_numeric(col["grad_norm"], errors="coerce"), pd.to_numeric(col["grad_norm_init"], errors="coerce")
    return pd.DataFrame({
        t("verdict.col.run"): labels.loc[have.index].to_numpy(),
        t("verdict.col.grad"): g.to_numpy(),
        t("verdict.col.grad_ratio"): (g / g0.where(g0 > 0)).to_numpy(),
        t("verdict.col.min_eig"): have["hessian_min_eig"].to_numpy(float),
        t("verdict.col.error"): [min_eig_error(e, tp) for e, tp in zip(col["hessian_min_eig_err"],
                                                                       col[LAMBDA_MAX])],
        t("verdict.col.verdict"): [t(f"verdict.{k}") for k in keys],
    }, index=have.index)   # the runs' own index: a page can add each row's link


def verdict_caption() -> str:
    """The rule, with its constants, for under the verdict table."""
    return t("verdict.rule", cut=f"{ZERO_CUT:g}", frac=f"{STATIONARY_FRAC:.0%}")
