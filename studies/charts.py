"""DataFrame in, altair chart out: the batch-size charts every page draws. No torch, no streamlit.

Conventions (DESIGN.md, "Charts people expect"): log₂ batch-size axis, one colour per optimizer, dashed lines
for shuffle off, a band over seeds (mean ± std), tooltips with the run's numbers, a click-to-filter legend,
and the critical batch size (gradient noise scale) as a vertical rule.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from .config import OPTIMIZERS

# Distinct hues (Tableau 10 order, no two neighbouring blues): colours stay fixed per optimizer across charts.
OPTIMIZER_COLORS = dict(zip(OPTIMIZERS, ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#9c755f",
                                         "#edc948"]))
LABELS = {
    "epoch_time_s": "epoch time (s)", "step_time_s": "time per step (s)", "samples_per_s": "samples / s",
    "train_acc": "train accuracy", "test_acc": "test accuracy", "gap_acc": "train − test accuracy",
    "train_loss": "train loss", "test_loss": "test loss", "gap_loss": "test − train loss",
    "sharpness_eps": "ε-sharpness (Keskar)", "sharpness_rand": "random sharpness",
    "sharpness_sam": "SAM sharpness", "hessian_top_eig": "Hessian λ_max", "hessian_trace": "Hessian trace",
    "noise_scale": "gradient noise scale B_simple", "epochs": "epochs", "steps": "steps",
}


def label(col: str) -> str:
    return LABELS.get(col, col.replace("_", " "))


def _series(runs: pd.DataFrame) -> pd.DataFrame:
    df = runs.copy()
    df["shuffle_label"] = df["shuffle"].map({True: "shuffle", False: "fixed order"})
    if "study" not in df.columns:
        df["study"] = df.get("study_id", "")
    return df


def aggregate_over_seeds(runs: pd.DataFrame, y: str, by: tuple[str, ...] = ("optimizer", "shuffle_label",
                                                                              "batch_size")) -> pd.DataFrame:
    """Mean, std, min, max and count of ``y`` over seeds for each line point (only finished runs)."""
    df = _series(runs)
    by = [b for b in by if b in df.columns] + (["study"] if "study" in df.columns and "study" not in by else [])
    ok = df[df["status"] == "done"] if "status" in df.columns else df
    ok = ok[ok[y].notna()] if y in ok.columns else ok.iloc[:0]
    g = ok.groupby(by, dropna=False)[y].agg(["mean", "std", "min", "max", "count"]).reset_index()
    g["std"] = g["std"].fillna(0.0)
    g["lo"] = g["mean"] - g["std"]
    g["hi"] = g["mean"] + g["std"]
    return g.rename(columns={"count": "seeds"})


def _color(domain: list[str]):
    known = [o for o in OPTIMIZERS if o in domain] + [o for o in domain if o not in OPTIMIZERS]
    return alt.Color("optimizer:N", title="optimizer",
                     scale=alt.Scale(domain=known, range=[OPTIMIZER_COLORS.get(o, "#888") for o in known]))


def _dash():
    return alt.StrokeDash("shuffle_label:N", title="order",
                          scale=alt.Scale(domain=["shuffle", "fixed order"], range=[[1, 0], [6, 4]]))


def batch_size_chart(runs: pd.DataFrame, y: str, *, title: str | None = None, log_y: bool = False,
                     critical_batch: float | None = None, height: int = 280) -> alt.Chart:
    """``y`` against batch size: mean line over seeds with a ±std band, points with tooltips.

    Diverged runs appear as red crosses at the bottom of the chart, so a missing point is never silent.
    """
    agg = aggregate_over_seeds(runs, y)
    optimizers = sorted(set(_series(runs)["optimizer"]))
    pick = alt.selection_point(fields=["optimizer"], bind="legend")
    x = alt.X("batch_size:Q", title="batch size", scale=alt.Scale(type="log", base=2),
              axis=alt.Axis(format="d"))
    yscale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    enc_y = alt.Y("mean:Q", title=label(y), scale=yscale)
    opacity = alt.condition(pick, alt.value(1.0), alt.value(0.12))
    tooltip = [alt.Tooltip("optimizer:N"), alt.Tooltip("shuffle_label:N", title="order"),
               alt.Tooltip("batch_size:Q", title="batch size"), alt.Tooltip("mean:Q", title=label(y), format=".4g"),
               alt.Tooltip("std:Q", title="std over seeds", format=".2g"), alt.Tooltip("seeds:Q")]
    if agg["study"].nunique() > 1:
        tooltip.insert(0, alt.Tooltip("study:N"))
    base = alt.Chart(agg).encode(x=x, color=_color(optimizers), opacity=opacity)
    detail = alt.Detail("study:N")
    band = base.mark_area(opacity=0.15).encode(y=alt.Y("lo:Q", scale=yscale), y2="hi:Q", detail=detail) \
        .transform_filter("datum.seeds > 1")
    line = base.mark_line(point=False, strokeWidth=2).encode(y=enc_y, strokeDash=_dash(), detail=detail)
    points = base.mark_point(filled=True, size=60).encode(y=enc_y, shape=alt.Shape("shuffle_label:N", legend=None),
                                                          tooltip=tooltip)
    layers = [band, line, points]
    df = _series(runs)
    bad = df[df["status"].isin(["diverged", "failed"])] if "status" in df.columns else df.iloc[:0]
    if len(bad):
        marks = alt.Chart(bad).mark_point(shape="cross", color="#d62728", size=90, filled=True).encode(
            x=alt.X("batch_size:Q", scale=alt.Scale(type="log", base=2)),
            y=alt.value(height - 6),   # pixels: pinned to the bottom edge
            tooltip=["optimizer:N", "batch_size:Q", "shuffle_label:N", "seed:Q", "status:N", "error:N"])
        layers.append(marks)
    if critical_batch is not None and critical_batch > 0:
        rule_df = pd.DataFrame({"batch_size": [critical_batch], "what": ["critical batch (B_simple)"]})
        rule = alt.Chart(rule_df).mark_rule(color="#555", strokeDash=[2, 2]).encode(
            x="batch_size:Q", tooltip=[alt.Tooltip("what:N"), alt.Tooltip("batch_size:Q", format=".0f")])
        layers.append(rule)
    return alt.layer(*layers).add_params(pick).properties(title=title or label(y), height=height) \
        .resolve_scale(shape="independent")


def epoch_time_chart(runs: pd.DataFrame, **kw) -> alt.Chart:
    """Epoch time vs batch size: big batches finish an epoch sooner until the device is saturated."""
    return batch_size_chart(runs, "epoch_time_s", log_y=True, title="epoch time vs batch size", **kw)


def accuracy_chart(runs: pd.DataFrame, **kw) -> alt.Chart:
    """Train and test accuracy side by side (same y scale), so the gap between them is visible."""
    long = []
    for split in ("train", "test"):
        part = runs.drop(columns=[c for c in ("acc",) if c in runs.columns]).copy()
        part["acc"] = part[f"{split}_acc"]
        part["split"] = split
        long.append(part)
    df = pd.concat(long, ignore_index=True)
    charts = [batch_size_chart(df[df.split == s], "acc", title=f"{s} accuracy", **kw).properties(width=300)
              for s in ("train", "test")]
    return alt.hconcat(*charts).resolve_scale(y="shared")


def gap_chart(runs: pd.DataFrame, **kw) -> alt.Chart:
    """Generalisation gap (train − test accuracy) vs batch size: large batches tend to generalise worse."""
    return batch_size_chart(runs, "gap_acc", title="generalisation gap vs batch size", **kw)


def learning_curves(epochs: pd.DataFrame, runs: pd.DataFrame, y: str = "test_acc") -> alt.Chart:
    """Per-epoch curves of the given runs, coloured by optimizer, one line per run."""
    keep = ["run_id", "optimizer", "batch_size", "shuffle", "seed"]
    df = epochs.merge(_series(runs)[keep + ["shuffle_label"]], on="run_id", how="inner")
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("epoch:Q"), y=alt.Y(f"{y}:Q", title=label(y), scale=alt.Scale(zero=False)),
        color=_color(sorted(set(df["optimizer"]))), strokeDash=_dash(), detail="run_id:N",
        tooltip=["optimizer:N", "batch_size:Q", "shuffle_label:N", "seed:Q", "epoch:Q",
                 alt.Tooltip(f"{y}:Q", format=".4g")],
    ).properties(title=f"{label(y)} per epoch", height=280)
