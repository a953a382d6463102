"""The loss landscape: 1-D slices along a filter-normalised random direction, the 2-D surface around each
solution (Li et al. 2018), and the small↔large interpolation (Keskar et al. 2017, Figure 3)."""
from __future__ import annotations

import altair as alt
import numpy as np
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


def surface_pair(runs: pd.DataFrame, landscape: pd.DataFrame, optimizer: str, seed) -> pd.DataFrame:
    """The runs with a 2-D surface for `optimizer` and `seed`, the smallest and the largest batch size (one
    run each, sorted by batch size); empty when none has a surface."""
    have = set(landscape.loc[landscape["kind"] == "surface", "run_id"]) if "kind" in landscape else set()
    mine = runs[(runs["optimizer"] == optimizer) & (runs["seed"] == seed) & runs["run_id"].isin(have)]
    mine = mine.sort_values(["batch_size", "run_id"]).drop_duplicates("batch_size")
    return mine.iloc[[0, -1]].drop_duplicates("run_id") if len(mine) else mine


def surface_chart(landscape: pd.DataFrame, runs: pd.DataFrame, *, size: int = 300) -> alt.Chart:
    """Heat maps of train loss over the (α, β) plane, one per run of `runs` (in its order) side by side, on one
    log colour scale shared by all panels; the centre (the solution) marked with a cross."""
    df = landscape[(landscape["kind"] == "surface") & landscape["run_id"].isin(runs["run_id"])]
    loss = pd.to_numeric(df["train_loss"], errors="coerce")
    df = df.assign(train_loss=loss.clip(lower=max(float(loss[loss > 0].min()) if (loss > 0).any() else 1e-12,
                                                  1e-12)))
    lo, hi = float(df["train_loss"].min()), float(df["train_loss"].max())
    colour = alt.Color("train_loss:Q", title=t("chart.surface_loss"),
                       scale=alt.Scale(type="log", scheme="viridis", domain=[lo, max(hi, lo * 1.0001)]))
    step = float(np.diff(np.unique(df["alpha"])).min()) if df["alpha"].nunique() > 1 else 0.1
    panels = []
    for r in runs.itertuples():
        half = 0.51 * step   # cells overlap by 2 %: no hairline gaps between them
        one = df[df["run_id"] == r.run_id].assign(a0=lambda d: d.alpha - half, a1=lambda d: d.alpha + half,
                                                 b0=lambda d: d.beta - half, b1=lambda d: d.beta + half)
        heat = alt.Chart(one).mark_rect().encode(
            x=alt.X("a0:Q", title=t("chart.surface_alpha"), scale=alt.Scale(domain=[-1 - step / 2, 1 + step / 2],
                                                                            nice=False)),
            x2="a1:Q",
            y=alt.Y("b0:Q", title=t("chart.surface_beta"), scale=alt.Scale(domain=[-1 - step / 2, 1 + step / 2],
                                                                           nice=False)),
            y2="b1:Q", color=colour,
            tooltip=[alt.Tooltip("alpha:Q", format=".2f"), alt.Tooltip("beta:Q", format=".2f"),
                     alt.Tooltip("train_loss:Q", title=t("chart.surface_loss"), format=".4g")])
        centre = alt.Chart(pd.DataFrame({"alpha": [0.0], "beta": [0.0]})).mark_point(
            shape="cross", size=120, color="white", filled=True).encode(x="alpha:Q", y="beta:Q")
        panels.append(alt.layer(heat, centre).properties(
            title=t("chart.title.surface", b=f"{int(r.batch_size):,}"), width=size, height=size))
    return alt.hconcat(*panels).resolve_scale(color="shared")


def interpolation_chart(landscape: pd.DataFrame, runs: pd.DataFrame | None = None, *,
                        width: int = 420) -> alt.Chart:
    """Keskar et al. (2017) Figure 3: f((1−α)·θ_small + α·θ_large); α = 0 is the small-batch solution.

    Left: loss, right: accuracy; train solid, test dashed; one colour per small↔large pair."""
    df = landscape[landscape["kind"] == "interpolation"].copy()
    if runs is not None and len(df):
        info = run_labels(runs).set_index("run_id")
        seed, order = t("chart.seed_eq"), {o: t(f"order.{o}") for o in set(info["shuffle_label"])}
        df["pair"] = [f"{info.at[a, 'optimizer']} {order[info.at[a, 'shuffle_label']]} {seed}{info.at[a, 'seed']}: "
                      if a in info.index else "" for a in df["run_id"]]
    else:
        df["pair"] = ""
    df["pair"] = (df["pair"] + "B=" + df["batch_size_a"].astype(int).astype(str) + " → B="
                  + df["batch_size_b"].astype(int).astype(str))
    splits = {s: t(f"chart.split_name.{s}") for s in ("train", "test")}   # the data names them as shown
    long = pd.concat([df.assign(split=splits[s], loss=df[f"{s}_loss"], acc=df[f"{s}_acc"]) for s in splits],
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
        strokeDash=alt.StrokeDash("split:N", title=t("chart.split_title"),
                                  scale=alt.Scale(domain=list(splits.values()), range=[[1, 0], [6, 4]]),
                                  legend=alt.Legend(symbolType="stroke", symbolSize=500, symbolStrokeWidth=2,
                                                    **bottom)),
        detail="split:N", opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12)))
    ends = alt.Chart(pd.DataFrame({"alpha": [0.0, 1.0]})).mark_rule(color="#999", strokeDash=[2, 2]) \
        .encode(x="alpha:Q")
    panels = []
    for metric in ("loss", "acc"):
        line = base.mark_line(strokeWidth=2).encode(
            y=alt.Y(f"{metric}:Q", title=label(metric), scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("pair:N", title=t("chart.pair")), alt.Tooltip("split:N", title=t("chart.split_title")),
                     alt.Tooltip("alpha:Q", format=".2f"), alt.Tooltip(f"{metric}:Q", title=label(metric), format=".4g")])
        chart = alt.layer(ends, line)
        panels.append((chart.add_params(pick) if metric == "loss" else chart)
                      .properties(title=t("chart.title.between", what=label(metric)), width=width, height=280))
    return alt.hconcat(*panels)
