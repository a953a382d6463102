"""The Curvature page's charts: B_simple over training, the Hessian's spectral density, and the ranking of
the measures that predict the gap. DataFrame in, altair chart out; no torch, no streamlit (as charts.py)."""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from .common import PALETTE, label
from ..i18n import t

DENSITY_FLOOR = 1e-6   # the log density axis starts here (PyHessian's plots add a small constant the same way)


def _batch_color(sizes) -> alt.Color:
    domain = sorted({int(b) for b in sizes})
    return alt.Color("batch_size:O", title="batch size", sort=domain,
                     scale=alt.Scale(domain=domain, range=[PALETTE[i % len(PALETTE)] for i in range(len(domain))]))


def noise_over_training_chart(epochs: pd.DataFrame, runs: pd.DataFrame, *, height: int = 300) -> alt.Chart:
    """B_simple (log) against epoch (symlog, so epoch 0 shows) for every done run, one colour per batch size,
    each point with its ±1 SE error bar (the estimator's own uncertainty)."""
    keep = [c for c in ("run_id", "batch_size", "optimizer", "seed", "status") if c in runs.columns]
    df = epochs.drop(columns=[c for c in keep if c != "run_id" and c in epochs.columns]) \
        .merge(runs[keep], on="run_id", how="inner")
    if "status" in df.columns:
        df = df[df["status"] == "done"]
    if "noise_scale" not in df.columns:
        df = df.iloc[:0].assign(noise_scale=[])
    df = df[pd.to_numeric(df["noise_scale"], errors="coerce") > 0].copy()
    se = pd.to_numeric(df.get("noise_scale_se", pd.Series(np.nan, index=df.index)), errors="coerce")
    df["se"] = se
    df["lo"] = (df["noise_scale"] - se).clip(lower=df["noise_scale"] / 10)   # a log axis: never ≤ 0
    df["hi"] = df["noise_scale"] + se
    df = df[["run_id", "batch_size", "optimizer", "seed", "epoch", "noise_scale", "se", "lo", "hi"]]
    top = int(df["epoch"].max()) if len(df) else 1
    ticks = [0] + [2 ** k for k in range(0, max(1, top).bit_length() + 1) if 2 ** k <= 2 * top]
    x = alt.X("epoch:Q", title="epoch (symlog)", scale=alt.Scale(type="symlog"), axis=alt.Axis(values=ticks))
    y = alt.Y("noise_scale:Q", title="B_simple (log)", scale=alt.Scale(type="log"))
    base = alt.Chart(df).encode(x=x, color=_batch_color(df["batch_size"]))
    tooltip = ["optimizer:N", "batch_size:Q", "seed:Q", "epoch:Q",
               alt.Tooltip("noise_scale:Q", title="B_simple", format=",.0f"),
               alt.Tooltip("se:Q", title="SE", format=",.0f")]
    line = base.mark_line(strokeWidth=1.5, opacity=0.8).encode(y=y, detail="run_id:N")
    pts = base.mark_point(filled=True, size=40).encode(y=y, tooltip=tooltip)
    bars = base.mark_errorbar(ticks=True).encode(y=alt.Y("lo:Q", scale=alt.Scale(type="log"),
                                                         title="B_simple (log)"), y2="hi:Q") \
        .transform_filter("isValid(datum.se)")
    return alt.layer(line, bars, pts).properties(title="gradient noise scale over training", height=height)


def density_curve(nodes, weights, grid, width: float) -> np.ndarray:
    """Σ_j w_j·N(λ; node_j, width²) on `grid`: the smoothed spectral density (PyHessian's broadening)."""
    nodes, weights = np.asarray(nodes, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    g = np.asarray(grid, dtype=np.float64)[:, None]
    z = (g - nodes[None, :]) / width
    return (weights[None, :] * np.exp(-0.5 * z * z)).sum(1) / (width * math.sqrt(2 * math.pi))


def density_frame(rows: pd.DataFrame, points: int = 400, width_frac: float = 0.01) -> tuple[pd.DataFrame, float]:
    """The smoothed density of one run's `spectrum` rows (eigenvalue, weight) on a grid over their range
    (± 5 %), Gaussian width = width_frac × the range; returns (frame with eigenvalue, density; the width)."""
    ev, w = rows["eigenvalue"].to_numpy(float), rows["weight"].to_numpy(float)
    lo, hi = float(ev.min()), float(ev.max())
    span = max(hi - lo, 1e-12)
    width = width_frac * span
    grid = np.linspace(lo - 0.05 * span, hi + 0.05 * span, points)
    return pd.DataFrame({"eigenvalue": grid, "density": np.maximum(density_curve(ev, w, grid, width),
                                                                     DENSITY_FLOOR)}), width


def spectrum_chart(rows: pd.DataFrame, *, title: str = "Hessian spectral density", height: int = 260) -> alt.Chart:
    """The density of one run's Hessian eigenvalues (log density), with a rule at λ = 0."""
    df, width = density_frame(rows)
    area = alt.Chart(df).mark_area(opacity=0.35, line=True, color=PALETTE[0]).encode(
        x=alt.X("eigenvalue:Q", title="eigenvalue λ"),
        y=alt.Y("density:Q", title="density (log)", scale=alt.Scale(type="log", domainMin=DENSITY_FLOOR)),
        tooltip=[alt.Tooltip("eigenvalue:Q", format=".3g"), alt.Tooltip("density:Q", format=".3g")])
    zero = alt.Chart(pd.DataFrame({"eigenvalue": [0.0]})).mark_rule(color="#e15759", strokeDash=[3, 3]) \
        .encode(x="eigenvalue:Q")
    return alt.layer(area, zero).properties(title=f"{title} (Gaussian width {width:.2g})", height=height)


def predictors_chart(table: pd.DataFrame, *, height: int | None = None) -> alt.Chart:
    """The predictors table (predictors.predictors_table) in its order (by agreement with the expected sign):
    bars Ψ, the granulated τ; black points plain τ over all fitted runs with its bootstrap interval (red, only
    from 10 runs on). Each name carries its expected sign."""
    df = table.reindex(columns=[*table.columns, *(c for c in ("psi", "expected_sign", "label", "note")
                                                  if c not in table.columns)]).copy()
    expect = {1: t("pred.expected", sign="+"), -1: t("pred.expected", sign="−")}
    df["name"] = [f"{lab if isinstance(lab, str) else m} ({expect.get(e, t('pred.no_sign'))})"
                  for m, lab, e in zip(df["measure"], df["label"], df["expected_sign"])]
    df["baseline"] = df["measure"] == "batch_size"
    y = alt.Y("name:N", sort=df["name"].tolist(), title=None, axis=alt.Axis(labelLimit=360))
    scale = alt.Scale(domain=[-1, 1])
    tooltip = ["name:N", alt.Tooltip("psi:Q", title="Ψ", format=".2f"), alt.Tooltip("tau:Q", title="τ", format=".2f"),
               alt.Tooltip("ci_low:Q", format=".2f"), alt.Tooltip("ci_high:Q", format=".2f"), "n:Q", "note:N"]
    bars = alt.Chart(df).mark_bar(opacity=0.75).encode(
        x=alt.X("psi:Q", title=t("pred.axis"), scale=scale), y=y, tooltip=tooltip,
        color=alt.condition("datum.baseline", alt.value("#9c9c9c"), alt.value(PALETTE[0])))
    ci = alt.Chart(df).mark_errorbar(ticks=True, color="#e15759", thickness=2).encode(
        x=alt.X("ci_low:Q", title=t("pred.axis"), scale=scale), x2="ci_high:Q", y=y) \
        .transform_filter("isValid(datum.ci_low)")
    tau = alt.Chart(df).mark_point(shape="diamond", filled=True, color="black", size=70).encode(
        x=alt.X("tau:Q", scale=scale), y=y, tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"tau": [0.0]})).mark_rule(color="#555").encode(x="tau:Q")
    return alt.layer(bars, ci, tau, zero).properties(title=t("pred.title"), height=height or 34 * max(1, len(df)))


__all__ = ["noise_over_training_chart", "density_curve", "density_frame", "spectrum_chart", "predictors_chart",
           "label"]
