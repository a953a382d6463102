"""The noisy quadratic model's prediction for a study (analysis/nqm), from what its runs measured: steps to the
target against the batch size per optimizer, and the predicted B_crit beside the S(B) fit's. No torch.

Per optimizer, the NQM is built from its smallest-batch best-lr run (the lowest seed that has the measures):

- the spectrum: a power law h_i = λ_max·i^(−p) over the model's n_params weights, with p chosen so that Σh_i
  equals the measured Hessian trace (λ_max and the trace at the run's final weights, `hessian`);
- the noise: σ_i² = c·h_i (the gradient covariance ≈ the Hessian, as Zhang et al. assume), with c·tr H = tr Σ,
  the per-example gradient covariance's trace on the whole training set at the same weights (`noise_scale_trace`,
  B_simple's numerator). A run stored before that column: tr Σ = B_simple·|G|², |G|² from `grad_norm` less the
  sampling noise it carries when measured on a sample of n of the N examples, E|G_n|² = |G|² + c_n·tr Σ, so
  |G|² = |G_n|²/(1 + B_simple·c_n), c_n = (1/n − 1/N)·N/(N − 1) (`noise.batch_factor`); B_simple·|G_n|² alone
  overstated tr Σ, and with it B_crit, by 1 + B_simple·c_n (15× at B_simple ≈ 20,000 and n = 1,024 of 4,000);
- the start: E x₀² equal along every direction, set so that the NQM's initial loss is the run's train loss at
  epoch 0 (the minimum taken as 0), and the target the study's train-loss target as a fraction of it.

The update is the optimizer's (analysis/nqm.update_for: momentum's β and Adam's β₁ as configured). Each batch
size gets the NQM's own best lr. The prediction is a model: it says where B_crit lies from the curvature and
the noise at one point of one run, not what a sweep would measure; ``b_crit_predicted`` rows say so.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize

from . import nqm
from .scaling import b_crit_text, kind_of
from ..i18n import Markdown, t

PREDICT_BATCHES = 2.0 ** np.arange(0, 25)    # B_crit is searched over 1…16.7 M
NEEDS = ("hessian_top_eig", "hessian_trace", "n_params", "target_train_loss")   # and noise_trace's columns
RULE = ("NQM (Zhang et al. 2019) from the smallest-batch best-lr run: power-law spectrum matched to λ_max and "
        "the Hessian trace, noise σ² ∝ h with tr Σ the per-example gradient covariance's trace on the whole "
        "training set, start at the epoch-0 train loss; B_crit where the predicted steps are twice the "
        "noise-free model's")


def _num(row: pd.Series, key: str) -> float:
    return float(pd.to_numeric(row.get(key), errors="coerce"))


def noise_trace(row: pd.Series) -> float:
    """tr Σ of one run at its final weights (see the module's docstring); nan when it cannot be had."""
    tr = _num(row, "noise_scale_trace")
    if math.isfinite(tr) and tr > 0:
        return tr
    b_simple, g = _num(row, "noise_scale"), _num(row, "grad_norm")
    if not (math.isfinite(b_simple) and b_simple > 0 and math.isfinite(g) and g > 0):
        return math.nan
    n, big_n = _num(row, "measure_sample"), _num(row, "n_train")
    c = (1 / n - 1 / big_n) * big_n / (big_n - 1) if math.isfinite(n) and math.isfinite(big_n) and 1 <= n < big_n \
        else 0.0
    return b_simple * g * g / (1 + b_simple * c)


def power_exponent(top: float, trace: float, dims: int) -> float:
    """p with Σ_{i ≤ dims} top·i^(−p) = trace (the larger the trace against λ_max, the flatter the spectrum);
    inf when the trace is at most λ_max (one direction carries it all), 0 when it is dims·λ_max or more."""
    if trace <= top:
        return math.inf
    if trace >= top * dims:
        return 0.0
    i = np.arange(1, dims + 1, dtype=float)
    f = lambda p: top * float(np.sum(i ** (-p))) - trace  # noqa: E731
    return float(optimize.brentq(f, 0.0, 60.0, xtol=1e-6))


def quadratic_for(row: pd.Series, initial_loss: float, bins: int = 60) -> nqm.Quadratic | None:
    """The NQM of one run (see the module's docstring); None where a measure is missing or not positive."""
    vals = {k: _num(row, k) for k in NEEDS}
    trace_sigma = noise_trace(row)
    if any(not (math.isfinite(v) and v > 0) for v in vals.values()) or not math.isfinite(trace_sigma) \
            or not (math.isfinite(initial_loss) and initial_loss > vals["target_train_loss"]):
        return None
    top, trace, dims = float(vals["hessian_top_eig"]), float(vals["hessian_trace"]), int(vals["n_params"])
    p = power_exponent(top, trace, dims)
    h = np.array([top]) if math.isinf(p) else top * np.arange(1, dims + 1, dtype=float) ** (-p)
    c = trace_sigma / float(h.sum())
    s0 = 2.0 * initial_loss / float(h.sum())
    return nqm.from_eigenvalues(h, bins=bins, noise=c, s0=s0,
                                fraction=float(vals["target_train_loss"]) / initial_loss)


def _has_needs(runs: pd.DataFrame) -> pd.Series:
    """Per run: done, with every measure the NQM needs."""
    if runs.empty or not set(NEEDS) <= set(runs.columns):
        return pd.Series(False, index=runs.index)
    ok = runs.status == "done"
    for k in NEEDS:
        ok &= pd.to_numeric(runs[k], errors="coerce").gt(0)
    return ok & runs.apply(lambda r: math.isfinite(noise_trace(r)), axis=1).astype(bool)


def _source_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Per optimizer: its smallest-batch best-lr done run with every measure the NQM needs (lowest seed)."""
    if "best_lr" not in runs.columns:
        return runs.iloc[0:0]
    have = runs[_has_needs(runs) & runs.best_lr.fillna(False).astype(bool)]
    if have.empty:
        return have
    small = have.groupby("optimizer").batch_size.transform("min")
    return have[have.batch_size == small].sort_values(["optimizer", "seed"]).groupby("optimizer").head(1)


def _initial_loss(epochs: pd.DataFrame | None, run_id: str) -> float:
    if epochs is None or epochs.empty or not {"run_id", "epoch", "train_loss"} <= set(epochs.columns):
        return math.nan
    e = epochs[(epochs.run_id == run_id) & (epochs.epoch == 0)]
    return float(e.train_loss.iloc[0]) if len(e) else math.nan


def predictions(runs: pd.DataFrame, epochs: pd.DataFrame | None, hyper: dict | None = None) -> pd.DataFrame:
    """Per optimizer and batch size (1…2²⁴): the NQM's steps and best lr, its S_min and B_crit, and the run
    it was built from (``source_run``, ``source_batch``). ``hyper``: optimizer → its momentum/β₁ if not 0.9."""
    out = []
    for _, row in _source_runs(runs).iterrows():
        q = quadratic_for(row, _initial_loss(epochs, row.run_id))
        if q is None:
            continue
        beta = (hyper or {}).get(row.optimizer)
        f = nqm.curves(q, {row.optimizer: nqm.update_for(row.optimizer, beta)}, PREDICT_BATCHES)
        out.append(f.assign(source_run=row.run_id, source_batch=float(row.batch_size)))
    cols = ["optimizer", "batch_size", "steps", "lr", "s_min", "b_crit", "source_run", "source_batch"]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)


def beside_measured(pred: pd.DataFrame, measured: pd.DataFrame) -> pd.DataFrame:
    """The predicted S(B) on the measured batch-size range, scaled per optimizer so that it equals the measured
    median steps at the smallest batch (the NQM predicts the curve's shape and B_crit, not the network's step
    count): columns optimizer, batch_size, steps (scaled), steps_nqm, b_crit."""
    rows = []
    for opt, g in pred.groupby("optimizer", sort=False):
        m = measured[measured.optimizer == opt]
        if m.empty:
            continue
        b0 = float(m.batch_size.min())
        s0 = float(m[m.batch_size == b0].steps.median())
        lo, hi = b0, float(m.batch_size.max())
        ref = float(np.exp(np.interp(np.log(b0), np.log(g.batch_size), np.log(g.steps))))
        keep = g[(g.batch_size >= lo / 2) & (g.batch_size <= hi * 2)]
        rows.append(keep.assign(steps_nqm=keep.steps, steps=keep.steps * s0 / ref)[
            ["optimizer", "batch_size", "steps", "steps_nqm", "b_crit"]])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["optimizer", "batch_size", "steps", "steps_nqm", "b_crit"])


def summary_rows(runs: pd.DataFrame, epochs: pd.DataFrame | None, hyper: dict | None = None) -> list[dict]:
    """The summary export's ``b_crit_predicted`` rows, one per optimizer (a model's number: no interval)."""
    pred = predictions(runs, epochs, hyper)
    rows = []
    for opt, g in pred.groupby("optimizer", sort=True):
        r = g.iloc[0]
        rows.append({"measure": "b_crit_predicted", "batch_size": "all", "optimizer": opt, "shuffle": "all",
                     "lr": "best", "budget": "target", "mean": float(r.b_crit), "ci_low": math.nan,
                     "ci_high": math.nan, "n": 1, "n_left_out": 0, "interval": "a model's prediction: no interval",
                     "note": f"{RULE}; from run {r.source_run} (B = {r.source_batch:g})"})
    return rows


def compare_lines(pred: pd.DataFrame, fits: list[dict]) -> list[str]:
    """Per optimizer: the predicted B_crit beside the S(B) fit's (its own text: a value with its interval, or
    a bound) and how far apart they are where the fit is a B_crit (lr tuned per batch size, best lrs inside
    their grids) inside its batch sizes. The NQM predicts B_crit at each batch size's best lr: an "S(B) scale
    at lr = …" (no sweep: said so) or a bound is no B_crit to measure it against, so neither gets a ratio."""
    by = {}
    for f in fits:
        by.setdefault(f["optimizer"], f)
    out = []
    for opt, g in pred.groupby("optimizer", sort=True):
        bc, f = float(g.b_crit.iloc[0]), by.get(opt)
        ratio = ""
        if f is not None and kind_of(f) == "b_crit" and not f.get("beyond") and math.isfinite(bc) and bc > 0:
            ratio = t("nqm.gen.ratio", r=Markdown(f"{max(bc / f['b_crit'], f['b_crit'] / bc):.1f}"))
        elif f is not None and not f.get("lr_tuned", True):
            ratio = t("nqm.gen.untuned")
        out.append(t("nqm.gen.compare", opt=opt, pred=Markdown(f"{bc:,.0f}") if math.isfinite(bc) else "–",
                     fit=b_crit_text(f) if f is not None else t("nqm.gen.no_fit"), ratio=ratio))
    return out


def usable_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The done runs that carry every measure the NQM needs (the Playground's "from a stored run"), the runs the
    study's own prediction is built from first (each optimizer's smallest-batch best-lr run), then the other
    best-lr runs, then the rest, each by optimizer, batch size, lr and seed."""
    have = runs[_has_needs(runs)]
    if have.empty:
        return have
    source = have.index.isin(_source_runs(runs).index)
    best = have.best_lr.fillna(False).astype(bool) if "best_lr" in have else pd.Series(False, index=have.index)
    rank = pd.Series(2, index=have.index).mask(best, 1).mask(source, 0)
    keys = [k for k in ("optimizer", "batch_size", "lr", "seed") if k in have]
    return have.assign(_rank=rank).sort_values(["_rank", *keys], kind="stable").drop(columns="_rank")


def panel_from_run(row: pd.Series, epochs: pd.DataFrame | None, beta: float) -> pd.DataFrame:
    """The Playground's NQM curves (SGD, momentum, Adam-like) on the quadratic of one stored run; ValueError
    (one line) when the run lacks what the NQM needs."""
    q = quadratic_for(row, _initial_loss(epochs, row.run_id))
    if q is None:
        raise ValueError(t("nqm.run_unusable"))
    return nqm.curves(q, nqm.panel_updates(beta), nqm.PANEL_BATCHES)
