"""Learning curves: a metric per epoch (or steps, or examples seen), one line per run, one panel per batch size."""
from __future__ import annotations

import altair as alt
import pandas as pd

from ..i18n import t
from .common import _color, _dash, _full_batch, label, run_labels

RUN_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 4], [4, 2, 1, 2], [3, 5], [12, 2], [2, 6]]


CURVE_X = {"epoch": "epoch", "steps": "steps (optimizer updates)", "examples": "examples seen"}


def learning_curves(epochs: pd.DataFrame, runs: pd.DataFrame, y: str = "test_acc",
                    color: str = "optimizer", width: int = 300, x: str = "epoch",
                    studies: list[str] | None = None) -> alt.Chart:
    """Per-epoch curves, one line per run, against epochs, optimizer steps or examples seen (``x``).

    By optimizer (the default): one panel per batch size on a shared y axis and its own x scale, so batch 8's
    five epochs are not squashed beside full batch's hundred. ``color="run"`` (the Compare page): one panel,
    colour = study (in the order ``studies``, as on the chart above it), one dash pattern per run.
    """
    df = epochs.merge(run_labels(runs)[["run_id", "run", "study", "optimizer", "batch_size", "seed",
                                        "shuffle_label"] + [c for c in ("samples_per_epoch",) if c in runs]],
                      on="run_id", how="inner")
    per_epoch = df["samples_per_epoch"] if "samples_per_epoch" in df else pd.Series(float("nan"), index=df.index)
    df["examples"] = df["epoch"] * per_epoch
    df["steps"] = df["epoch"] * -(-per_epoch // df["batch_size"])
    x = x if x in CURVE_X and df[x].notna().all() else "epoch"
    x_enc = alt.X(f"{x}:Q", title=t(f"chart.x.{x}"),
                  axis=alt.Axis(format="d" if x == "epoch" else "~s", tickMinStep=1 if x == "epoch" else None,
                                labelOverlap="greedy"))
    title = t("chart.per_x", y=label(y), x=t(f"chart.x.{x}"))
    tooltip = ["run:N", alt.Tooltip(f"{x}:Q", title=t(f"chart.x.{x}")), alt.Tooltip(f"{y}:Q", format=".4g")]
    if color == "run":
        df["run"] = df["study"].astype(str) + " · " + df["run"]
        order = [s for s in (studies or []) if s in set(df["study"])] + \
            [s for s in dict.fromkeys(df["study"]) if s not in (studies or [])]
        runs_in = list(dict.fromkeys(df.sort_values(["study", "batch_size"])["run"]))
        pick = alt.selection_point(fields=["run"], bind="legend")
        return alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
            x=x_enc, y=alt.Y(f"{y}:Q", title=label(y), scale=alt.Scale(zero=False)),
            color=_color(order, "study"),
            strokeDash=alt.StrokeDash("run:N", title=t("chart.legend.run"), scale=alt.Scale(
                domain=runs_in, range=[RUN_DASHES[i % len(RUN_DASHES)] for i in range(len(runs_in))]),
                legend=alt.Legend(labelLimit=420, orient="bottom", direction="vertical", columns=2,
                                  symbolType="stroke", symbolSize=500, symbolStrokeWidth=2)),
            detail="run_id:N", opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)), tooltip=tooltip,
        ).add_params(pick).properties(title=title, height=300)
    pick = alt.selection_point(fields=[color], bind="legend")
    domain = sorted(set(df[color])) if color == "optimizer" else list(dict.fromkeys(df[color]))
    chart = alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=x_enc, y=alt.Y(f"{y}:Q", title=label(y), scale=alt.Scale(zero=False)),
        color=_color(domain, color), strokeDash=_dash(df["shuffle_label"]), detail="run_id:N",
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12)), tooltip=tooltip,
    ).add_params(pick)
    if color != "optimizer":
        return chart.properties(title=title, height=300)
    full = _full_batch(runs)
    expr = "'batch size ' + datum.value" + (f" + (datum.value == {full} ? ' (full)' : '')" if full else "")
    header = alt.Header(labelExpr=expr, labelFontSize=12, labelFontWeight="bold")
    return chart.properties(width=width, height=240).facet(
        alt.Facet("batch_size:O", title=None, header=header), columns=min(df["batch_size"].nunique() or 1, 3),
    ).resolve_scale(x="independent").properties(title=title)
