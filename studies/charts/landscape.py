"""The loss landscape: 1-D slices along a filter-normalised random direction and the small↔large interpolation
(Keskar et al. 2017, Figure 3)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from ..i18n import t
from .common import OPTIMIZER_COLORS, PALETTE, _dash, label, run_labels

def landscape_chart(landscape: pd.DataFrame, runs: pd.DataFrame, y: str = "train_loss") -> alt.Chart:
    """Random 1-D slices f(θ + α·d) around each solution, coloured by batch size (sequential: small→large)."""
    keep = ["run_id", "optimizer", "batch_size", "shuffle_label", "seed", "run"]
    df = landscape[landscape["kind"] == "random"].merge(run_labels(runs)[keep], on="run_id", how="inner")
    sizes = sorted(set(df["batch_size"]))
    return alt.Chart(df).mark_line(strokeWidth=2).encode(
        x=alt.X("alpha:Q", title=t("chart.alpha_random")),
        y=alt.Y(f"{y}:Q", title=label(y), scale=alt.Scale(zero=False)),
        color=alt.Color("batch_size:O", title=t("chart.batch_size"), scale=alt.Scale(domain=sizes, scheme="viridis")),
        strokeDash=_dash(df["shuffle_label"]), detail="run_id:N",
        tooltip=["run:N", alt.Tooltip("alpha:Q", format=".2f"), alt.Tooltip(f"{y}:Q", format=".4g")],
    ).properties(title=t("chart.title.slice", what=label(y)), height=280)


def interpolation_chart(landscape: pd.DataFrame, runs: pd.DataFrame | None = None, *,
                        width: int = 420) -> alt.Chart:
    """Keskar et al. (2017) Figure 3: f((1−α)·θ_small + α·θ_large); α = 0 is the small-batch solution.

    Left: loss, right: accuracy; train solid, test dashed; one colour per small↔large pair."""
    df = landscape[landscape["kind"] == "interpolation"].copy()
    if runs is not None and len(df):
        info = run_labels(runs).set_index("run_id")
        df["pair"] = [f"{info.at[a, 'optimizer']} {info.at[a, 'shuffle_label']} seed={info.at[a, 'seed']}: "
                      if a in info.index else "" for a in df["run_id"]]
    else:
        df["pair"] = ""
    df["pair"] = (df["pair"] + "B=" + df["batch_size_a"].astype(int).astype(str) + " → B="
                  + df["batch_size_b"].astype(int).astype(str))
    long = pd.concat([df.assign(split=s, loss=df[f"{s}_loss"], acc=df[f"{s}_acc"]) for s in ("train", "test")],
                     ignore_index=True)
    pick = alt.selection_point(fields=["pair"], bind="legend")
    pairs = list(dict.fromkeys(df["pair"]))
    optimizer_of = [p.split(" ")[0] for p in pairs]
    one_per_optimizer = runs is not None and len(set(optimizer_of)) == len(pairs)   # then: the optimizer's colour
    colors = [OPTIMIZER_COLORS.get(o, "#888") for o in optimizer_of] if one_per_optimizer else \
        [PALETTE[i % len(PALETTE)] for i in range(len(pairs))]
    bottom = {"orient": "bottom", "direction": "vertical"}
    base = alt.Chart(long).encode(
        x=alt.X("alpha:Q", title=t("chart.alpha_interp")),
        color=alt.Color("pair:N", title=t("chart.pair"), scale=alt.Scale(domain=pairs, range=colors),
                        legend=alt.Legend(labelLimit=400, columns=2, symbolOpacity=1, **bottom)),
        strokeDash=alt.StrokeDash("split:N", title="split", scale=alt.Scale(domain=["train", "test"],
                                                                         range=[[1, 0], [6, 4]]),
                                  legend=alt.Legend(symbolType="stroke", symbolSize=500, symbolStrokeWidth=2,
                                                    **bottom)),
        detail="split:N", opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12)))
    ends = alt.Chart(pd.DataFrame({"alpha": [0.0, 1.0]})).mark_rule(color="#999", strokeDash=[2, 2]) \
        .encode(x="alpha:Q")
    panels = []
    for metric in ("loss", "acc"):
        line = base.mark_line(strokeWidth=2).encode(
            y=alt.Y(f"{metric}:Q", title=label(metric), scale=alt.Scale(zero=False)),
            tooltip=["pair:N", "split:N", alt.Tooltip("alpha:Q", format=".2f"),
                     alt.Tooltip(f"{metric}:Q", format=".4g")])
        chart = alt.layer(ends, line)
        panels.append((chart.add_params(pick) if metric == "loss" else chart)
                      .properties(title=t("chart.title.between", what=label(metric)), width=width, height=280))
    return alt.hconcat(*panels)
