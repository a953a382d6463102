"""The Curvature page's charts: B_simple and λ_max over training (with the optimizer's stability threshold),
the Hessian's spectral density, and the ranking of the measures that predict the gap. DataFrame in, altair
chart out; no torch, no streamlit (as every module of charts/)."""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from .common import PALETTE, RUN_HREF, label, run_pages
from .curve_tools import smooth as smooth_curve, zoomable
from ..spec import optimizers
from ..i18n import Markdown, t, text as chart_text
from ..measures import LAMBDA_MAX

DENSITY_FLOOR = 1e-6   # the log density axis starts here (PyHessian's plots add a small constant the same way)


def _batch_color(sizes) -> alt.Color:
    domain = sorted({int(b) for b in sizes})
    return alt.Color("batch_size:O", title=t("chart.batch_size"), sort=domain, legend=alt.Legend(symbolOpacity=1),
                     scale=alt.Scale(domain=domain, range=[PALETTE[i % len(PALETTE)] for i in range(len(domain))]))


def noise_over_training_chart(epochs: pd.DataFrame, runs: pd.DataFrame, *, height: int = 300,
                              smooth: int = 1) -> alt.Chart:
    """B_simple (log) against epoch (symlog, so epoch 0 shows) for every done run, one colour per batch size,
    each point with its ±1 SE error bar (the estimator's own uncertainty), ×/÷ on the log scale. ``smooth`` > 1:
    each run's line is the centred moving average (of the logarithm) over that many measured points, the
    measured line faint behind it; the points and bars stay as measured. Zoom and pan with the mouse."""
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
    rel = np.exp(se / df["noise_scale"])   # ±1 SE on the log scale (delta method): ×/÷, never ≤ 0
    df["lo"] = df["noise_scale"] / rel
    df["hi"] = df["noise_scale"] * rel
    df = run_pages(df[["run_id", "batch_size", "optimizer", "seed", "epoch", "noise_scale", "se", "lo", "hi"]]) \
        .sort_values(["run_id", "epoch"], kind="mergesort")
    df["smoothed"] = smooth_curve(df["noise_scale"], smooth, log=True, groups=df["run_id"])
    top = int(df["epoch"].max()) if len(df) else 1
    ticks = [0] + [2 ** k for k in range(0, max(1, top).bit_length() + 1) if 2 ** k <= 2 * top]
    x = alt.X("epoch:Q", title=t("curvc.epoch_symlog"), scale=alt.Scale(type="symlog"), axis=alt.Axis(values=ticks))
    y = alt.Y("noise_scale:Q", title=t("curvc.b_simple_log"), scale=alt.Scale(type="log"))
    base = alt.Chart(df).encode(x=x, color=_batch_color(df["batch_size"]))
    tooltip = ["optimizer:N", "batch_size:Q", "seed:Q", "epoch:Q",
               alt.Tooltip("noise_scale:Q", title="B_simple", format=",.0f"),
               alt.Tooltip("se:Q", title="SE", format=",.0f")]
    lines = _smoothed_lines(base, y, alt.Y("smoothed:Q", title=t("curvc.b_simple_log"), scale=alt.Scale(type="log")),
                            smooth, width=1.5)
    pts = base.mark_point(filled=True, size=40).encode(y=y, tooltip=tooltip, href=RUN_HREF)   # a click: the run
    bars = base.mark_errorbar(ticks=True).encode(y=alt.Y("lo:Q", scale=alt.Scale(type="log"),
                                                         title=t("curvc.b_simple_log")), y2="hi:Q") \
        .transform_filter("isValid(datum.se)")
    return zoomable(alt.layer(*lines, bars, pts).properties(title=t("curvc.noise_title"), height=height))


def _smoothed_lines(base: alt.Chart, y: alt.Y, smoothed: alt.Y, smooth: int, width: float) -> list[alt.Chart]:
    """A run's line through its measured points (``y``), or (``smooth`` > 1) that line faint and the
    ``smoothed`` line bold over it (the colour legend keeps full strength: _batch_color)."""
    measured = base.mark_line(strokeWidth=width, opacity=0.8 if smooth <= 1 else 0.25).encode(y=y, detail="run_id:N")
    if smooth <= 1:
        return [measured]
    return [measured, base.mark_line(strokeWidth=width + 0.7).encode(y=smoothed, detail="run_id:N")]


TRACK_X = ("epoch", "steps", "examples")   # what λ_max over training can be drawn against


def _tracked(epochs: pd.DataFrame, runs: pd.DataFrame, column: str) -> pd.DataFrame:
    """The epoch rows of done runs where `column` was measured (> 0, for a log axis), with the run's grid
    columns and examples seen (the epoch rows' own count, else epoch × samples_per_epoch)."""
    keep = [c for c in ("run_id", "batch_size", "optimizer", "lr", "seed", "status", "samples_per_epoch")
            if c in runs.columns]
    df = epochs.drop(columns=[c for c in keep if c != "run_id" and c in epochs.columns]) \
        .merge(runs[keep], on="run_id", how="inner")
    if "status" in df.columns:
        df = df[df["status"] == "done"]
    if column not in df.columns:
        df = df.iloc[:0].assign(**{column: []})
    df = df[pd.to_numeric(df[column], errors="coerce") > 0].copy()
    own = pd.to_numeric(df["examples"], errors="coerce") if "examples" in df else np.nan   # exact where kept
    df["examples"] = pd.Series(own, index=df.index).fillna(df["epoch"] * df.get("samples_per_epoch", np.nan))
    return df


def stability_lines(runs: pd.DataFrame, optim: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """(optimizer, lr, threshold, formula) per optimizer and learning rate of the done runs (optimizers.
    stability_threshold, with the study's [optim] values), and the optimizers that have no such line."""
    rows, none = [], []
    done = runs[runs["status"] == "done"] if "status" in runs.columns else runs
    for (opt, lr), _ in done.groupby(["optimizer", "lr"], sort=True):
        line = optimizers.stability_threshold(str(opt), float(lr), optim)
        if line is None:
            none.append(str(opt))
        else:
            rows.append({"optimizer": str(opt), "lr": float(lr), "threshold": line[0], "formula": line[1]})
    return pd.DataFrame(rows, columns=["optimizer", "lr", "threshold", "formula"]), sorted(set(none))


def threshold_caption(runs: pd.DataFrame, optim: dict | None = None) -> Markdown:
    """One sentence per line drawn (optimizer, η, formula, value) and per optimizer without one (why)."""
    lines, none = stability_lines(runs, optim)
    parts = [t("curv.threshold", optimizer=r.optimizer, lr=f"{r.lr:g}", formula=r.formula, value=f"{r.threshold:.4g}")
             for r in lines.itertuples()]
    return Markdown(" ".join([*parts, *(t("curv.no_threshold", optimizer=o) for o in none)]))


def sharpness_over_training_chart(epochs: pd.DataFrame, runs: pd.DataFrame, *, x: str = "epoch",
                                  optim: dict | None = None, height: int = 320, smooth: int = 1) -> alt.Chart:
    """λ_max (log) against epoch, steps or examples (symlog, so 0 shows) for every done run, one colour per
    batch size, ±residual-bound error bars, and a dashed rule at each optimizer's stability threshold.
    ``smooth`` > 1: each run's line is the centred moving average of log λ_max over that many measured points,
    the measured line faint behind it (points and bars as measured). Zoom and pan with the mouse."""
    if x not in TRACK_X:
        raise ValueError(f"x must be one of {', '.join(TRACK_X)}, got {x!r}")
    df = _tracked(epochs, runs, LAMBDA_MAX)
    err = pd.to_numeric(df.get(LAMBDA_MAX + "_err", pd.Series(np.nan, index=df.index)), errors="coerce")
    df["err"], df["lo"], df["hi"] = err, (df[LAMBDA_MAX] - err).clip(lower=df[LAMBDA_MAX] / 10), \
        df[LAMBDA_MAX] + err
    if "steps" not in df.columns:
        df["steps"] = np.nan
    df = run_pages(df[["run_id", "batch_size", "optimizer", "seed", "lr", "epoch", "steps", "examples", LAMBDA_MAX,
                       "err", "lo", "hi"]]).sort_values(["run_id", "epoch"], kind="mergesort")
    df["smoothed"] = smooth_curve(df[LAMBDA_MAX], smooth, log=True, groups=df["run_id"])
    lines, _ = stability_lines(runs, optim)
    ytitle = t("chart.track_y")
    top = max([float(df["hi"].max()) if len(df) else 1.0, *lines["threshold"].tolist()])
    bottom = float(df["lo"].min()) if len(df) else 0.1
    yscale = alt.Scale(type="log", domain=[bottom / 1.2, top * 1.2])
    top_x = float(df[x].max()) if len(df) and df[x].notna().any() else 1.0
    base_x = 4 if x == "epoch" else 10   # the probe epochs are powers of 4; steps and examples: decades
    ticks = [0] + [base_x ** k for k in range(0, 40) if base_x ** k <= 2 * max(top_x, 1.0)]
    xa = alt.X(f"{x}:Q", title=f"{t(f'curv.track_x.{x}')} (symlog)", scale=alt.Scale(type="symlog"),
               axis=alt.Axis(values=ticks, format="~s" if x != "epoch" else "d"))
    base = alt.Chart(df).encode(x=xa, color=_batch_color(df["batch_size"]))
    tooltip = ["optimizer:N", "batch_size:Q", "seed:Q", "epoch:Q",
               alt.Tooltip(f"{LAMBDA_MAX}:Q", title="λ_max", format=".4g"),
               alt.Tooltip("err:Q", title="±", format=".2g")]
    y = alt.Y(f"{LAMBDA_MAX}:Q", title=ytitle, scale=yscale)
    line = _smoothed_lines(base, y, alt.Y("smoothed:Q", title=ytitle, scale=yscale), smooth, width=1.5)
    pts = base.mark_point(filled=True, size=40).encode(y=y, tooltip=tooltip, href=RUN_HREF)   # a click: the run
    bars = base.mark_errorbar(ticks=True).encode(y=alt.Y("lo:Q", scale=yscale, title=ytitle), y2="hi:Q") \
        .transform_filter("isValid(datum.err)")
    lines = lines.assign(name=[f"{t('chart.threshold')}: {o} η={lr:g}, {f}" for o, lr, f in
                               zip(lines["optimizer"], lines["lr"], lines["formula"])])
    rule = alt.Chart(lines).mark_rule(color="#555", strokeDash=[6, 4], strokeWidth=1.5).encode(
        y=alt.Y("threshold:Q", scale=yscale, title=ytitle),
        tooltip=["name:N", alt.Tooltip("threshold:Q", format=".4g")])
    text = alt.Chart(lines).mark_text(align="left", dx=4, dy=-6, color="#555").encode(
        y=alt.Y("threshold:Q", scale=yscale), x=alt.value(4), text="name:N")
    return zoomable(alt.layer(rule, text, *line, bars, pts).properties(title=t("chart.title.track"), height=height))


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
        x=alt.X("eigenvalue:Q", title=t("curvc.eigenvalue")),
        y=alt.Y("density:Q", title=t("curvc.density"), scale=alt.Scale(type="log", domainMin=DENSITY_FLOOR)),
        tooltip=[alt.Tooltip("eigenvalue:Q", format=".3g"), alt.Tooltip("density:Q", format=".3g")])
    zero = alt.Chart(pd.DataFrame({"eigenvalue": [0.0]})).mark_rule(color="#e15759", strokeDash=[3, 3]) \
        .encode(x="eigenvalue:Q")
    return alt.layer(area, zero).properties(title=t("curvc.density_title", title=Markdown(title), width=width), height=height)


def predictors_chart(table: pd.DataFrame, *, height: int | None = None) -> alt.Chart:
    """The predictors table (predictors.predictors_table) in its order (by agreement with the expected sign):
    bars Ψ, the granulated τ; black points plain τ over all fitted runs with its bootstrap interval (red, only
    from 10 runs on). Each name carries its expected sign."""
    df = table.reindex(columns=[*table.columns, *(c for c in ("psi", "expected_sign", "label", "note")
                                                  if c not in table.columns)]).copy()
    expect = {1: chart_text("pred.expected", sign="+"), -1: chart_text("pred.expected", sign="−")}   # chart text: no escapes
    named = {"batch_size": t("label.batch_size_baseline")}   # in the chart's language, whatever built the table
    df["name"] = [f"{named.get(m) or label(m)} ({expect.get(e, t('pred.no_sign'))})"
                  for m, e in zip(df["measure"], df["expected_sign"])]
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


__all__ = ["noise_over_training_chart", "sharpness_over_training_chart", "stability_lines", "threshold_caption", "density_curve", "density_frame", "spectrum_chart", "predictors_chart",
           "label"]
