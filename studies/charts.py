"""DataFrame in, altair chart out: the batch-size charts every page draws. No torch, no streamlit.

Conventions (DESIGN.md, "Charts people expect"): log₂ batch-size axis, one colour per optimizer, dashed lines
for shuffle off, a band over seeds (the 95 % t-interval of the mean, from the runs at the study's fit; runs that
missed it are hollow points of their own, never in a mean), tooltips with the run's numbers, a click-to-filter
legend, and the study's gradient noise scale B_simple as a vertical rule with its interval shaded.
"""
from __future__ import annotations

import math
import warnings

import altair as alt
import pandas as pd
from scipy import stats

from . import intervals

from .config import OPTIMIZERS, run_label
from .i18n import t
from .fairness import fitted
from .optimizers import TABLE

# Colours stay fixed per optimizer across charts (the optimizer table's).
OPTIMIZER_COLORS = {name: o.color for name, o in TABLE.items()}
# The Sharpness page's batch-size charts, in order (the measurement columns of the runs table).
SHARPNESS_COLUMNS = ("sharpness_eps", "sharpness_rand", "hessian_top_eig", "hessian_trace", "sharpness_sam")
# For series that are not optimizers (studies, interpolation pairs): Tableau 10, hues far apart.
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#3b3b3b"]
LABELS = {
    "epoch_time_s": "epoch time (s)", "step_time_s": "time per step (s)", "samples_per_s": "samples / s",
    "train_acc": "train accuracy", "test_acc": "test accuracy", "gap_acc": "train − test accuracy",
    "train_loss": "train loss", "test_loss": "test loss", "gap_loss": "test − train loss",
    "sharpness_eps": "ε-sharpness (Keskar)", "sharpness_rand": "random sharpness",
    "sharpness_sam": "SAM sharpness", "hessian_top_eig": "Hessian λ_max", "hessian_trace": "Hessian trace",
    "noise_scale": "gradient noise scale B_simple", "epochs": "epochs", "steps": "steps",
    "grad_norm": "gradient norm ‖∇f‖", "hessian_min_eig": "Hessian λ_min", "min_ratio": "minimum ratio (λ>0 / all)",
    "acc": "accuracy", "loss": "loss",
}


def label(col: str) -> str:
    """A column's axis / legend name in the current language (English LABELS for what the catalogue lacks)."""
    key = f"label.{col}"
    text = t(key)
    return text if text != key else LABELS.get(col, col.replace("_", " "))


def _series(runs: pd.DataFrame) -> pd.DataFrame:
    df = runs.copy()
    df["shuffle_label"] = df["shuffle"].map({True: "shuffle", False: "fixed order"})
    if "study" not in df.columns:
        df["study"] = df.get("study_id", "")
    return df


def aggregate_over_seeds(runs: pd.DataFrame, y: str, by: tuple[str, ...] = ("optimizer", "shuffle_label",
                                                                              "batch_size")) -> pd.DataFrame:
    """Mean, std, min, max of ``y`` over the seeds at the study's fit for each line point, its 95 % t-interval
    (``lo``, ``hi``), how many finished runs the point has (``seeds``), how many reached the fit (``fitted``,
    the mean's n) and missed it (``missed``: not in the mean), and their median epochs and steps.
    Runs of several learning rates in one point (the "every lr" view) get one point per lr."""
    df = _series(runs)
    df["fit_ok"] = fitted(df)
    by = [b for b in by if b in df.columns] + (["study"] if "study" in df.columns and "study" not in by else [])
    if "lr" in df.columns and "lr" not in by and len(df) and df.groupby(by, dropna=False).lr.nunique().max() > 1:
        by.append("lr")
    ok = df[df["status"] == "done"] if "status" in df.columns else df
    ok = ok[ok[y].notna()] if y in ok.columns else ok.iloc[:0]
    extra = {"seeds": ("fit_ok", "size"), "fitted": ("fit_ok", "sum")}
    extra.update({c: (c, "median") for c in ("epochs", "steps") if c in ok.columns})
    counts = ok.groupby(by, dropna=False).agg(**extra)
    ok = ok[ok["fit_ok"]]          # only runs at the study's fit make the mean and the band
    g = counts.join(ok.groupby(by, dropna=False)[y].agg(["mean", "std", "min", "max"])).reset_index()
    n = g["fitted"].astype(float)
    g["std"] = g["std"].fillna(0.0)
    half = stats.t.ppf(0.5 + intervals.LEVEL / 2, (n - 1).clip(lower=1)) * g["std"] / n.clip(lower=1) ** 0.5
    g["lo"] = g["mean"] - half.where(n > 1, 0.0)       # the band: a 95 % t-interval of the mean over seeds
    g["hi"] = g["mean"] + half.where(n > 1, 0.0)
    g["missed"] = g["seeds"] - g["fitted"]
    g["reached"] = g["fitted"].astype(int).astype(str) + " of " + g["seeds"].astype(str)
    se_col = f"{y}_se"
    if se_col in ok.columns:   # the estimator's own error of the mean over seeds: √(Σ se²)/n
        v = ok.assign(_v=pd.to_numeric(ok[se_col], errors="coerce") ** 2).groupby(by, dropna=False)["_v"]
        se = (v.sum(min_count=1) ** 0.5 / v.count()).rename("se").reset_index()
        g = g.merge(se, on=by, how="left")
    elif f"{y}_err" in ok.columns:   # a deterministic error bound (Lanczos): the mean's is the mean bound
        err = ok.assign(_e=pd.to_numeric(ok[f"{y}_err"], errors="coerce")).groupby(by, dropna=False)["_e"]
        g = g.merge(err.mean().rename("se").reset_index(), on=by, how="left")
        g["se_kind"] = "bound"
    if "se" in g.columns:
        g["se_lo"], g["se_hi"] = g["mean"] - g["se"], g["mean"] + g["se"]
    return g


def _color(domain: list[str], field: str = "optimizer"):
    """Fixed colours per optimizer; any other field (study, pair) takes PALETTE in order."""
    if field != "optimizer":
        domain = list(dict.fromkeys(domain))
        legend = alt.Legend(labelLimit=420, symbolOpacity=1, orient="bottom", direction="vertical", columns=2) \
            if field == "run" else alt.Legend(labelLimit=260, symbolOpacity=1, orient="bottom", columns=2)
        name = t(f"chart.legend.{field}")
        return alt.Color(f"{field}:N", title=field if name == f"chart.legend.{field}" else name, legend=legend,
                         scale=alt.Scale(domain=domain, range=[PALETTE[i % len(PALETTE)] for i in range(len(domain))]))
    known = [o for o in OPTIMIZERS if o in domain] + [o for o in domain if o not in OPTIMIZERS]
    return alt.Color("optimizer:N", title=t("chart.legend.optimizer"),   # below the plot: never clipped
                     legend=alt.Legend(symbolOpacity=1, orient="bottom", direction="horizontal"),
                     scale=alt.Scale(domain=known, range=[OPTIMIZER_COLORS.get(o, "#888") for o in known]))


def _dash(present=("shuffle", "fixed order")):
    """Solid for shuffle, dashed for fixed order; the legend lists only the orders the data has."""
    domain = [o for o in ("shuffle", "fixed order") if o in set(present)] or ["shuffle"]
    return alt.StrokeDash("shuffle_label:N", title=t("chart.legend.order"),
                          legend=alt.Legend(symbolType="stroke", symbolSize=500, symbolStrokeWidth=2,
                                            orient="bottom", direction="horizontal"),
                          scale=alt.Scale(domain=domain, range=[{"shuffle": [1, 0], "fixed order": [6, 4]}[o]
                                                                for o in domain]))


def _powers_of_two(sizes: pd.Series, extra: float | None = None) -> list[int]:
    """Tick values for the log₂ batch axis: the powers of two spanning the data (never 10, 12, 14…)."""
    vals = pd.to_numeric(sizes, errors="coerce").dropna().tolist() + ([extra] if extra and extra > 0 else [])
    if not vals:
        return [1]
    lo, hi = math.floor(math.log2(min(vals))), math.ceil(math.log2(max(vals)))
    return [2 ** k for k in range(lo, hi + 1)]


def _full_batch(runs: pd.DataFrame) -> int | None:
    """The training-set size when some run trained at full batch (batch_size == n_train), else None."""
    if "n_train" not in runs.columns or runs.empty:
        return None
    full = runs.loc[pd.to_numeric(runs["batch_size"], errors="coerce") == runs["n_train"], "n_train"]
    return int(full.iloc[0]) if len(full) else None


def _batch_axis(runs: pd.DataFrame, critical_batch: float | None = None) -> alt.X:
    """The log₂ batch axis: power-of-two ticks, the full-batch size labelled "full (1437)" in place of the
    powers of two that would crowd it, and labels that overlap dropped rather than drawn over each other."""
    values = _powers_of_two(runs["batch_size"], critical_batch)
    full = _full_batch(runs)
    expr = "datum.value"
    if full:
        values = sorted([v for v in values if not full / 1.45 < v < full * 1.45] + [full])
        expr = f"datum.value == {full} ? 'full ({full})' : datum.value"
    return alt.X("batch_size:Q", title=t("chart.batch_size"), scale=alt.Scale(type="log", base=2),
                 axis=alt.Axis(format="d", values=values, labelExpr=expr, labelOverlap="greedy",
                               labelSeparation=4))


def batch_size_chart(runs: pd.DataFrame, y: str, *, title: str | None = None, log_y: bool = False,
                     b_simple: tuple[float, float, float] | None = None, height: int = 280,
                     color: str = "optimizer") -> alt.Chart:
    """``y`` against batch size: mean line over the seeds at the study's fit with its 95 % t-interval as a
    band, points with tooltips; each run that missed the fit is a hollow point of its own (not in the mean).

    Where the runs table has ``<y>_se`` (a stochastic estimate's standard error), each point gets an error
    bar of ±√(Σ se²)/n: how sure the estimator is, apart from the band, which is the spread over seeds.
    ``<y>_err`` (a deterministic bound, the Lanczos eigenvalues') gives a bar of ± the mean bound.
    ``b_simple`` = (value, low, high): the study's B_simple as a rule, its interval shaded.

    Diverged, stalled and failed runs appear as red crosses at the bottom of the chart (never as minima), so a
    missing point is never silent.
    ``color="study"`` overlays studies (the Compare page): one colour per study, optimizers as detail.
    """
    agg = aggregate_over_seeds(runs, y)
    if log_y:   # a log axis cannot show mean − std ≤ 0: the band stops at the smallest seed's value
        agg["lo"] = agg[["lo", "min"]].max(axis=1)
    series = _series(runs)
    domain = sorted(set(series[color])) if color == "optimizer" else list(dict.fromkeys(series[color]))
    pick = alt.selection_point(fields=[color], bind="legend")
    critical_batch = b_simple[0] if b_simple and b_simple[0] and b_simple[0] > 0 else None
    x = _batch_axis(series, critical_batch)
    yscale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    enc_y = alt.Y("mean:Q", title=label(y), scale=yscale,   # 100k, not 100,000: a narrow axis
                  axis=alt.Axis(format="~s") if y == "samples_per_s" else alt.Axis())
    opacity = alt.condition(pick, alt.value(1.0), alt.value(0.12))
    tooltip = [alt.Tooltip("optimizer:N"), alt.Tooltip("shuffle_label:N", title=t("chart.legend.order")),
               alt.Tooltip("batch_size:Q", title=t("chart.batch_size")), alt.Tooltip("mean:Q", title=label(y), format=".4g"),
               alt.Tooltip("std:Q", title=t("chart.std"), format=".2g"), alt.Tooltip("seeds:Q"),
               alt.Tooltip("reached:N", title=t("chart.reached"))]
    tooltip += [alt.Tooltip(f"{c}:Q", title=f"{c} (median)", format=".0f") for c in ("epochs", "steps") if c in agg]
    if "lr" in agg:
        tooltip.insert(3, alt.Tooltip("lr:Q", format="g"))
    if agg["study"].nunique() > 1:
        tooltip.insert(0, alt.Tooltip("study:N"))
    has_se = "se" in agg.columns and agg["se"].notna().any()
    if has_se:
        bound = "se_kind" in agg.columns
        tooltip.append(alt.Tooltip("se:Q", format=".2g", title="Lanczos error bound (mean over seeds)" if bound
                                   else "estimator SE of the mean"))
        if log_y:   # a log axis cannot show a bar below 0: it stops at a tenth of the mean
            agg["se_lo"] = agg[["se_lo"]].assign(f=agg["mean"] / 10).max(axis=1)
    base = alt.Chart(agg).encode(x=x, color=_color(domain, color), opacity=opacity)
    detail = alt.Detail("optimizer:N" if color == "study" else "study:N")
    band = base.mark_area().encode(y=alt.Y("lo:Q", scale=yscale), y2="hi:Q",
                                   detail=[detail, alt.Detail("shuffle_label:N")],
                                   opacity=alt.condition(pick, alt.value(0.15), alt.value(0.03))) \
        .transform_filter("datum.fitted > 1")
    line_detail = [detail] + ([alt.Detail("lr:Q")] if "lr" in agg else [])
    line = base.mark_line(point=False, strokeWidth=2).encode(y=enc_y, strokeDash=_dash(series["shuffle_label"]),
                                                             detail=line_detail)
    # filled: the mean of the runs at the fit; hollow: each run that missed it, at its own value
    points = base.mark_point(filled=True, size=60).encode(y=enc_y, tooltip=tooltip) \
        .transform_filter("datum.fitted > 0")
    missed = series[(series["status"] == "done") & ~fitted(series)] if "status" in series else series.iloc[:0]
    missed = missed[missed[y].notna()] if y in missed else missed.iloc[:0]
    keep = dict.fromkeys(("optimizer", "shuffle_label", "batch_size", "lr", "seed", "study", y, "epochs", "train_acc",
                          "train_loss"))
    missed = missed[[c for c in keep if c in missed]].assign(why=t("chart.missed_fit"))
    hollow = alt.Chart(missed).mark_point(filled=False, size=70, strokeWidth=2).encode(
        x=x, color=_color(domain, color), opacity=opacity, y=alt.Y(f"{y}:Q", scale=yscale),
        tooltip=[alt.Tooltip("why:N", title=t("chart.reached"))] + [
            alt.Tooltip(f"{c}:N") if c in ("optimizer", "shuffle_label", "study", "seed", "batch_size")
            else alt.Tooltip(f"{c}:Q", format=".4g") for c in missed.columns if c != "why"])
    if color == "study":   # one colour per study: optimizers by the points' shape
        points = points.encode(shape=alt.Shape("optimizer:N", title=t("chart.legend.optimizer")))
        hollow = hollow.encode(shape=alt.Shape("optimizer:N", title=t("chart.legend.optimizer")))
    layers = [band, line, points, hollow]
    if has_se:
        layers.append(base.mark_errorbar(ticks=True, thickness=1.5).encode(
            y=alt.Y("se_lo:Q", scale=yscale, title=label(y)), y2="se_hi:Q", detail=line_detail)
            .transform_filter("isValid(datum.se)"))
    df = series
    bad = df[df["status"].isin(["diverged", "stalled", "failed"])] if "status" in df.columns else df.iloc[:0]
    if len(bad):
        bad = bad[[c for c in ("optimizer", "batch_size", "shuffle_label", "seed", "status", "error") if c in bad]]
        marks = alt.Chart(bad).mark_point(shape="cross", color="#d62728", size=90, filled=True).encode(
            x=alt.X("batch_size:Q", scale=alt.Scale(type="log", base=2)),
            y=alt.value(alt.expr("height - 6")),   # pixels: pinned to the bottom edge of the plot
            tooltip=["optimizer:N", "batch_size:Q", "shuffle_label:N", "seed:Q", "status:N", "error:N"])
        layers.append(marks)
    if critical_batch is not None:
        layers += b_simple_rule(b_simple, df["batch_size"])
    return alt.layer(*layers).add_params(pick).properties(   # offset: the title clears the top tick label
        title=alt.TitleParams(title or label(y), offset=10), height=height) \
        .resolve_scale(shape="independent")


def b_simple_rule(b_simple: tuple[float, float, float], batch_sizes: pd.Series) -> list:
    """The study's B_simple as a dotted rule labelled with its value, its 95 % interval shaded."""
    value, low, high = b_simple
    rule_x = alt.X("batch_size:Q", scale=alt.Scale(type="log", base=2))
    rule_df = pd.DataFrame({"batch_size": [value], "what": [label("noise_scale")]})
    rule = alt.Chart(rule_df).mark_rule(color="#555", strokeDash=[2, 2], strokeWidth=1.5).encode(
        x=rule_x, tooltip=[alt.Tooltip("what:N"), alt.Tooltip("batch_size:Q", format=",.0f")])
    sizes = pd.to_numeric(batch_sizes, errors="coerce").dropna()
    right_half = len(sizes) and value > (sizes.min() * sizes.max()) ** 0.5   # log-scale middle
    text = alt.Chart(rule_df.assign(text=f"B_simple ≈ {value:,.0f}")).mark_text(
        align="right" if right_half else "left", dx=-4 if right_half else 4, dy=4, baseline="top",
        color="#555", fontSize=11).encode(x=rule_x, y=alt.value(0), text="text:N")   # inside the plot
    out = []
    if math.isfinite(low) and math.isfinite(high) and high > low > 0:
        out.append(alt.Chart(pd.DataFrame({"a": [low], "b": [high]})).mark_rect(color="#888", opacity=0.12)
                   .encode(x=alt.X("a:Q", scale=alt.Scale(type="log", base=2)), x2="b:Q"))
    return out + [rule, text]


def epoch_time_chart(runs: pd.DataFrame, **kw) -> alt.Chart:
    """Epoch time vs batch size: big batches finish an epoch sooner until the device is saturated."""
    return batch_size_chart(runs, "epoch_time_s", log_y=True, title=t("chart.title.epoch_time"), **kw)


def split_chart(runs: pd.DataFrame, metric: str = "acc", *, width: int = 420, **kw) -> alt.Chart:
    """Train and test ``metric`` (acc | loss) side by side on one y scale, so the gap between them shows."""
    long = []
    for split in ("train", "test"):
        part = runs.drop(columns=[c for c in (metric,) if c in runs.columns]).copy()
        part[metric] = part[f"{split}_{metric}"]
        part["split"] = split
        long.append(part)
    df = pd.concat(long, ignore_index=True)
    charts = [batch_size_chart(df[df.split == s], metric, title=t(f"chart.split.{s}", what=label(metric)), **kw).properties(width=width)
              for s in ("train", "test")]
    with warnings.catch_warnings():   # the panels' identical legend selections merge into one: what we want
        warnings.filterwarnings("ignore", message="Automatically deduplicated selection")
        return alt.hconcat(*charts).resolve_scale(y="shared")


def accuracy_chart(runs: pd.DataFrame, **kw) -> alt.Chart:
    """Train and test accuracy side by side (same y scale), so the gap between them is visible."""
    return split_chart(runs, "acc", **kw)


def gap_chart(runs: pd.DataFrame, **kw) -> alt.Chart:
    """Generalisation gap (train − test accuracy) vs batch size: large batches tend to generalise worse."""
    return batch_size_chart(runs, "gap_acc", title=t("chart.title.gap"), **kw)


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


# ---------------------------------------------------------------- more views of one study

def with_speed(runs: pd.DataFrame) -> pd.DataFrame:
    """Adds samples_per_s (= samples_per_epoch / epoch_time_s) and step_time_s where missing."""
    df = runs.copy()
    if {"samples_per_epoch", "epoch_time_s"} <= set(df.columns):
        df["samples_per_s"] = df["samples_per_epoch"] / df["epoch_time_s"]
        if "step_time_s" not in df.columns:
            steps = -(-df["samples_per_epoch"] // df["batch_size"])
            df["step_time_s"] = df["epoch_time_s"] / steps
    return df


def target_chart(runs: pd.DataFrame, y: str = "steps", **kw) -> alt.Chart:
    """Steps (or epochs) to reach the training target vs batch size, log–log (Shallue et al. 2019).

    Only runs with ``reached_target`` count; perfect scaling is a slope of −1 in steps."""
    reached = runs[runs["reached_target"].fillna(False).astype(bool)] if "reached_target" in runs.columns \
        else runs.iloc[:0]
    chart = batch_size_chart(reached, y, log_y=True, title=t("chart.title.to_target", what=label(y)), **kw)
    sizes = sorted(set(reached["batch_size"]))
    if y != "steps" or len(sizes) < 2:
        return chart
    b0 = sizes[0]   # perfect scaling from the smallest batch: doubling the batch halves the steps
    s0 = reached.loc[reached["batch_size"] == b0, "steps"].median()
    ideal = pd.DataFrame({"batch_size": [b0, sizes[-1]], "steps": [s0, s0 * b0 / sizes[-1]],
                          "what": "perfect scaling (slope −1)"})
    ref = alt.Chart(ideal).mark_line(color="#888", strokeDash=[1, 3], strokeWidth=1.5).encode(
        x="batch_size:Q", y="steps:Q", tooltip=["what:N"])
    return alt.layer(chart, ref)


def run_labels(runs: pd.DataFrame) -> pd.DataFrame:
    df = _series(runs)
    lrs = df["lr"] if "lr" in df else [None] * len(df)
    df["run"] = [run_label(o, int(b), bool(s), int(seed), lr) for o, b, s, seed, lr
                 in zip(df["optimizer"], df["batch_size"], df["shuffle"], df["seed"], lrs)]
    return df


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


# ---------------------------------------------------------------- files

def to_vega_lite(chart: alt.TopLevelMixin) -> dict:
    """The chart as a Vega-Lite dict (validated by altair), data inline, no row limit."""
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict()


def to_image(chart: alt.TopLevelMixin | dict, fmt: str = "png", width: int = 640) -> bytes:
    """PNG or SVG of a chart (or its Vega-Lite dict) by vl-convert, no browser; "container" widths become
    ``width`` pixels. About 0.1–0.6 s a chart on a 2-core CPU, so pages make them only on a click."""
    import vl_convert as vlc

    spec = dict(chart) if isinstance(chart, dict) else to_vega_lite(chart)
    if spec.get("width") in (None, "container") and not any(k in spec for k in ("hconcat", "vconcat", "concat")):
        spec["width"] = width
    spec.setdefault("background", "white")
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode()
    return vlc.vegalite_to_png(spec, scale=2)


def timing_note(runs: pd.DataFrame) -> str:
    """What a timing chart must say beside it: device(s), torch version, the warm-up policy."""
    def values(col):
        return sorted(set(runs[col].dropna().astype(str))) if col in runs.columns else ["?"]
    devices = sorted({d.split(", torch")[0] for d in values("device_name")})
    timed = sorted({int(float(v)) for v in values("timed_epochs") if v != "?"})
    over = "–".join(map(str, sorted({timed[0], timed[-1]}))) if timed else "?"
    return t("chart.timing", devices="; ".join(devices), torch=", ".join(values("torch_version")), over=over,
             warmup=", ".join(values("warmup_epochs")))
