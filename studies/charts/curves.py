"""Learning curves: a metric per epoch (or steps, or examples seen), one line per run, one panel per batch size."""
from __future__ import annotations

import math

import altair as alt
import pandas as pd
from scipy import stats

from ..analysis import intervals
from ..i18n import t
from .common import RUN_HREF, _color, _dash, _full_batch, label, run_labels, run_pages, several_budgets
from .curve_tools import smooth as smooth_curve, zoomable

ROW_PX = 680   # the panels of a row together: over 40 % of the page at 1920 px, inside it at 1400 px


def panel_width(columns: int) -> int:
    """A facet panel's width for ``columns`` panels a row: one alone spans ROW_PX, never narrower than 300 px."""
    return max(300, ROW_PX // max(1, columns))

RUN_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 4], [4, 2, 1, 2], [3, 5], [12, 2], [2, 6]]


CURVE_X = {"epoch": "epoch", "steps": "optimizer steps", "examples": "examples seen"}


def learning_curves(epochs: pd.DataFrame, runs: pd.DataFrame, y: str = "test_acc",
                    color: str = "optimizer", width: int | None = None, x: str = "epoch",
                    studies: list[str] | None = None, smooth: int = 1) -> alt.Chart:
    """Per-epoch curves, one line per run, against epochs, optimizer steps or examples seen (``x``); ``smooth``
    > 1 draws each run's centred moving average over that many points bold, its measured line faint behind it.

    By optimizer (the default): one panel per batch size on a shared y axis and its own x scale, so batch 8's
    five epochs are not squashed beside full batch's hundred. ``color="run"`` (the Compare page): one panel,
    a colour per run, and where several studies are drawn a dash pattern per study (in the order ``studies``).
    """
    df = epochs.drop(columns=[c for c in ("batch_size",) if c in epochs.columns]).merge(
        run_labels(runs)[["run_id", "run", "study", "optimizer", "batch_size", "seed", "shuffle_label"]
                         + [c for c in ("samples_per_epoch",) if c in runs]], on="run_id", how="inner")
    _counted(df)
    df = run_pages(df)   # a line is a run: a click opens its page
    x = x if x in CURVE_X and df[x].notna().all() else "epoch"
    x_enc = alt.X(f"{x}:Q", title=t(f"chart.x.{x}"),
                  axis=alt.Axis(format="d" if x == "epoch" else "~s", tickMinStep=1 if x == "epoch" else alt.Undefined,
                                labelOverlap="greedy"))
    title = t("chart.per_x", y=label(y), x=t(f"chart.x.{x}"))
    tooltip = ["run:N", alt.Tooltip(f"{x}:Q", title=t(f"chart.x.{x}")), alt.Tooltip(f"{y}:Q", format=".4g")]
    if smooth > 1:   # the line is the moving average; the tooltip gives both
        df = df.sort_values(["run_id", x], kind="mergesort").assign(measured=df[y])
        df[y] = smooth_curve(df["measured"], smooth, groups=df["run_id"])
        tooltip = tooltip[:2] + [alt.Tooltip("measured:Q", title=label(y), format=".4g"),
                                 alt.Tooltip(f"{y}:Q", title=t("chart.tip.smoothed"), format=".4g")]
    if color == "run":
        df["run"] = df["study"].astype(str) + " · " + df["run"]
        order = [s for s in (studies or []) if s in set(df["study"])] + \
            [s for s in dict.fromkeys(df["study"]) if s not in (studies or [])]
        runs_in = list(dict.fromkeys(df.sort_values(["study", "batch_size"])["run"]))
        pick = alt.selection_point(fields=["run"], bind="legend")
        dash = alt.StrokeDash("study:N", title=t("chart.legend.study"), scale=alt.Scale(
            domain=order, range=[RUN_DASHES[i % len(RUN_DASHES)] for i in range(len(order))]),
            legend=alt.Legend(labelLimit=420, orient="bottom", direction="vertical", symbolType="stroke",
                              symbolSize=500, symbolStrokeWidth=2)) if len(order) > 1 else alt.Undefined
        return zoomable(_measured_behind(alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
            x=x_enc, y=alt.Y(f"{y}:Q", title=label(y), scale=alt.Scale(zero=False)),
            color=_color(runs_in, "run"), strokeDash=dash,   # the study, a second variable, as the dash
            detail="run_id:N", opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)), tooltip=tooltip,
            href=RUN_HREF,
        ).add_params(pick), y, smooth).properties(title=title, height=300))
    pick = alt.selection_point(fields=[color], bind="legend")
    domain = sorted(set(df[color])) if color == "optimizer" else list(dict.fromkeys(df[color]))
    chart = alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=x_enc, y=alt.Y(f"{y}:Q", title=label(y), scale=alt.Scale(zero=False)),
        color=_color(domain, color), strokeDash=_dash(df["shuffle_label"]), detail="run_id:N",
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12)), tooltip=tooltip, href=RUN_HREF,
    ).add_params(pick)
    chart = _measured_behind(chart, y, smooth)
    if color != "optimizer":
        return zoomable(chart.properties(title=title, height=300))
    full = _full_batch(runs)
    expr = t("chart.batch_header") + (f" + (datum.value == {full} ? '{t('chart.full_suffix')}' : '')" if full else "")
    header = alt.Header(labelExpr=expr, labelFontSize=12, labelFontWeight="bold")
    columns = min(df["batch_size"].nunique() or 1, 3)
    return zoomable(chart.properties(width=width or panel_width(columns), height=240).facet(
        alt.Facet("batch_size:O", title=None, header=header), columns=columns,
    ).resolve_scale(x="independent").properties(title=title))


def _measured_behind(chart: alt.Chart, y: str, smooth: int):
    """``chart`` (a line per run of the moving average) with, when ``smooth`` > 1, each run's measured line
    (column ``measured``) thin and faint beside it: the same colours and dashes, no points, no tooltip."""
    if smooth <= 1:
        return chart
    faint = chart.copy(deep=True)
    faint.params = alt.Undefined
    faint.encoding.tooltip = alt.Undefined
    faint = faint.mark_line(strokeWidth=1).encode(y=alt.Y("measured:Q", title=label(y), scale=alt.Scale(zero=False)),
                                                  opacity=alt.value(0.3))
    return alt.layer(chart, faint)   # the legend (the first layer's) shows the bold line


LOSSES = ("train_loss", "test_loss")
CONFIG = ["optimizer", "batch_size", "shuffle_label", "lr", "budget"]   # a configuration: everything but the seed


def _counted(df: pd.DataFrame) -> None:
    """The steps and examples axes: the epoch rows' own counts (exact under a step budget, whose last epoch is
    cut short, and a growing batch), else epochs × a whole epoch's, for runs stored before they were kept."""
    per_epoch = df["samples_per_epoch"] if "samples_per_epoch" in df else pd.Series(float("nan"), index=df.index)
    whole = {"examples": df["epoch"] * per_epoch, "steps": df["epoch"] * -(-per_epoch // df["batch_size"])}
    for col, fallback in whole.items():
        own = pd.to_numeric(df[col], errors="coerce") if col in df else pd.Series(float("nan"), index=df.index)
        df[col] = own.fillna(fallback)


def _with_x(epochs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per-epoch rows with the run's grid columns and the three x axes: epoch, steps, examples seen."""
    cols = ["run_id", "run", "optimizer", "batch_size", "seed", "shuffle_label", "lr", "budget"]
    labels = run_labels(runs)
    df = epochs.drop(columns=[c for c in ("lr", "batch_size", "budget") if c in epochs.columns]).merge(
        labels[[c for c in cols if c in labels]].assign(
            samples_per_epoch=runs.set_index("run_id").reindex(labels.run_id)["samples_per_epoch"].to_numpy()
            if "samples_per_epoch" in runs else float("nan")), on="run_id", how="inner")
    _counted(df)
    return df


def curve_bands(epochs: pd.DataFrame, runs: pd.DataFrame, y: str, *, smooth: int = 1,
                log: bool = False) -> pd.DataFrame:
    """Per configuration (optimizer, batch size, order, lr) and epoch: the mean of ``y`` over its seeds, the
    95 % t-interval of that mean (``lo``/``hi``, NaN below two seeds: no band from one run) and ``n`` (seeds
    with a value at that epoch: runs that stopped at the target early drop out). ``smoothed`` is a centred
    moving average of the mean over ``smooth`` epochs (1: none; of its logarithm when ``log``, as a log axis
    shows it); the band and ``mean`` stay raw."""
    df = _with_x(epochs, runs)
    df = df[df[y].notna()] if y in df else df.iloc[:0]
    config = [c for c in CONFIG if c in df.columns]
    g = df.groupby(config + ["epoch"], dropna=False).agg(
        mean=(y, "mean"), std=(y, "std"), n=(y, "size"), low=(y, "min"), steps=("steps", "first"),
        examples=("examples", "first")).reset_index()
    n = g["n"].astype(float)
    half = stats.t.ppf(0.5 + intervals.LEVEL / 2, (n - 1).clip(lower=1)) * g["std"] / n ** 0.5
    g["lo"], g["hi"] = (g["mean"] - half).where(n > 1), (g["mean"] + half).where(n > 1)
    g["smoothed"] = smooth_curve(g["mean"], smooth, log=log, groups=[g[c] for c in config])
    return g


MAX_MARKERS = 40   # markers per curve before they merge into a bar


def _config_names(df: pd.DataFrame) -> pd.Series:
    """A configuration's name (everything but the seed): "sgd · shuffle · lr 0.1", with the budget where several."""
    names = df["optimizer"] + " · " + df["shuffle_label"] + " · lr " + df["lr"].map("{:g}".format)
    return names + " · " + df["budget"].astype(str) if several_budgets(df) else names


def learning_curve_bands(epochs: pd.DataFrame, runs: pd.DataFrame, y: str = "test_acc", *, x: str = "epoch",
                         smooth: int = 1, show_runs: bool = False, width: int | None = None) -> alt.Chart:
    """Learning curves grouped by configuration: the mean over seeds as a line (smoothed by a centred moving
    average over ``smooth`` epochs, the raw mean faint behind it), the 95 % t-interval of the mean as a band
    (n in the tooltip), the single runs as thin lines when ``show_runs``; losses on a log axis. One panel per
    batch size with its own x scale (epochs, optimizer steps or examples seen)."""
    log = y in LOSSES
    g = curve_bands(epochs, runs, y, smooth=smooth, log=log)
    x = x if x in CURVE_X and g[x].notna().all() else "epoch"
    if y.endswith("_acc"):   # an accuracy lies in [0, 1]: so does the band drawn for it (n = 2 makes t wide)
        g["lo"], g["hi"] = g["lo"].clip(lower=0.0), g["hi"].clip(upper=1.0)
    if log:   # a log axis cannot show a band reaching 0 or below: it stops at the lowest seed's value
        g = g[g["mean"] > 0]
        g["lo"] = g["lo"].where(g["lo"].isna() | (g["lo"] > 0), g["low"])
    yscale = alt.Scale(type="log" if log else "linear", zero=False)
    g["config"] = _config_names(g)
    x_enc = alt.X(f"{x}:Q", title=t(f"chart.x.{x}"), axis=alt.Axis(
        format="d" if x == "epoch" else "~s", tickMinStep=1 if x == "epoch" else alt.Undefined, labelOverlap="greedy"))
    # colour tells the curves of a panel apart: the optimizer where it names them, else each configuration (the
    # lrs of "every lr", the budgets); the order (a second variable) is the dash
    one_each = g["optimizer"].nunique() > 1 or g.groupby(["batch_size", "optimizer"])["config"].nunique().max() <= 1
    color = _color(sorted(set(g["optimizer"]))) if one_each else _color(list(dict.fromkeys(g["config"])), "config")
    dash = _dash(g["shuffle_label"])
    tips = [alt.Tooltip("config:N", title=t("chart.legend.config")), alt.Tooltip(f"{x}:Q", title=t(f"chart.x.{x}")),
            alt.Tooltip("mean:Q", title=t("chart.tip.mean"), format=".4g"),
            alt.Tooltip("lo:Q", title=t("chart.tip.ci_low"), format=".4g"),
            alt.Tooltip("hi:Q", title=t("chart.tip.ci_high"), format=".4g"),
            alt.Tooltip("n:Q", title=t("chart.tip.n_seeds"))]
    data = g.assign(kind="mean")
    if show_runs:   # the single runs, thin, in the same table (a facet needs one data source)
        df = _with_x(epochs, runs)
        df = df[df[y].notna() & ((df[y] > 0) if log else True)]
        df = run_pages(df).assign(config=_config_names(df))
        data = pd.concat([data, df[[c for c in CONFIG if c in df] + ["epoch", "steps", "examples", "run", "config",
                                                                    "run_id", "page", y]].rename(
            columns={y: "value"}).assign(kind="run")], ignore_index=True)
    mean, single = alt.datum.kind == "mean", alt.datum.kind == "run"
    base = alt.Chart().encode(x=x_enc, color=color)
    layers = [base.transform_filter(mean).mark_area(opacity=0.18).encode(
        y=alt.Y("lo:Q", scale=yscale, title=label(y)), y2="hi:Q", detail="config:N", tooltip=tips)]
    if show_runs:
        layers.insert(0, base.transform_filter(single).mark_line(opacity=0.35, strokeWidth=0.8).encode(
            y=alt.Y("value:Q", scale=yscale, title=label(y)), detail="run_id:N", strokeDash=dash, href=RUN_HREF,
            tooltip=["run:N", alt.Tooltip(f"{x}:Q", title=t(f"chart.x.{x}")), alt.Tooltip("value:Q", format=".4g")]))
    if smooth > 1:
        layers.append(base.transform_filter(mean).mark_line(opacity=0.3, strokeWidth=1).encode(
            y=alt.Y("mean:Q", scale=yscale, title=label(y)), detail="config:N", strokeDash=dash))
    smoothed = alt.Y("smoothed:Q", scale=yscale, title=label(y))
    layers.append(base.transform_filter(mean).mark_line(strokeWidth=2.2).encode(
        y=smoothed, detail="config:N", strokeDash=dash, tooltip=tips))
    # a marker per epoch while they stay apart; a long run (hundreds of epochs) gets one every k-th epoch
    every = max(1, math.ceil(g.groupby("config").size().max() / MAX_MARKERS)) if len(g) else 1
    marked = mean & (alt.datum.epoch % every == 0)
    points = base.transform_filter(marked).mark_point(size=14, filled=True, opacity=1).encode(
        y=smoothed, detail="config:N", tooltip=tips)
    if several_budgets(g):   # a short budget's curve is a longer one's start: hollow shapes show both
        points = base.transform_filter(marked).mark_point(size=45, filled=False, opacity=1).encode(
            y=smoothed, detail="config:N", tooltip=tips,
            shape=alt.Shape("budget:N", title=t("label.budget"), legend=alt.Legend(orient="bottom")))
    layers.append(points)
    title = t("chart.per_x", y=label(y), x=t(f"chart.x.{x}"))
    full = _full_batch(runs)
    expr = t("chart.batch_header") + (f" + (datum.value == {full} ? '{t('chart.full_suffix')}' : '')" if full else "")
    header = alt.Header(labelExpr=expr, labelFontSize=12, labelFontWeight="bold")
    columns = min(g["batch_size"].nunique() or 1, 3)
    return zoomable(alt.layer(*layers, data=data).properties(width=width or panel_width(columns), height=240).facet(
        alt.Facet("batch_size:O", title=None, header=header), columns=columns,
    ).resolve_scale(x="independent").properties(title=title))
