"""Charts against batch size (Speed, Generalization, Sharpness, Curvature): a mean line over the seeds at the
study's fit with its 95 % t-interval as a band, runs that missed the fit as hollow points of their own,
failed runs as red crosses, the study's B_simple as a rule with its interval."""
from __future__ import annotations

import re

import math
import warnings

import altair as alt
import numpy as np
import pandas as pd
from scipy import stats

from ..analysis import intervals
from ..analysis.fairness import fitted
from ..spec.config import PRUNED
from ..i18n import Markdown, t
from .common import RUN_HREF, _batch_axis, _color, _dash, _series, label, run_pages, several_budgets


def _tip_title(col: str) -> str:
    """A tooltip's name for a column: the legend's for the grid, the axis label for the rest."""
    return {"shuffle_label": t("chart.legend.order"), "study": t("chart.legend.study"), "budget": t("label.budget"),
            "batch_size": t("chart.batch_size")}.get(col, label(col))


def aggregate_over_seeds(runs: pd.DataFrame, y: str, by: tuple[str, ...] = ("optimizer", "shuffle_label",
                                                                              "batch_size", "budget")) -> pd.DataFrame:
    """Mean, std, min, max of ``y`` over the seeds at the study's fit for each line point, its 95 % t-interval
    (``lo``, ``hi``; for a positive, skewed ``y`` — intervals.log_scale — the geometric mean and the t-interval
    on the log scale, as the summary export; none where the seeds share one timing pass, n = 1), how many
    finished runs the point has (``seeds``), how many reached the fit (``fitted``,
    the mean's n) and missed it (``missed``: not in the mean), and their median epochs and steps.
    Runs of several learning rates in one point (the "every lr" view) get one point per lr; runs held to
    different budgets never share a point."""
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
    q = stats.t.ppf(0.5 + intervals.LEVEL / 2, (n - 1).clip(lower=1)) / n.clip(lower=1) ** 0.5
    if len(ok) and intervals.log_scale(y, ok[y]):   # positive, skewed: geometric mean, ×/÷ band on the log scale
        logs = ok.assign(_l=np.log(ok[y].astype(float))).groupby(by, dropna=False)["_l"].agg(["mean", "std"])
        logs = g[by].merge(logs.reset_index(), on=by, how="left")
        half = q * logs["std"].fillna(0.0)
        g["mean"] = np.exp(logs["mean"])
        g["lo"] = np.exp(logs["mean"] - half.where(n > 1, 0.0))
        g["hi"] = np.exp(logs["mean"] + half.where(n > 1, 0.0))
    else:
        half = q * g["std"]
        g["lo"] = g["mean"] - half.where(n > 1, 0.0)       # the band: a 95 % t-interval of the mean over seeds
        g["hi"] = g["mean"] + half.where(n > 1, 0.0)
    g["missed"] = g["seeds"] - g["fitted"]
    g["reached"] = [t("chart.k_of_n", k=int(k), n=int(n)) for k, n in zip(g["fitted"], g["seeds"])]
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
    g["std_text"] = g["std"].map("{:.2g}".format)
    if y == "epoch_time_s" and "epoch_time_iqr_s" in ok.columns:   # the median spread of each seed's timing
        iqr = ok.groupby(by, dropna=False).epoch_time_iqr_s.median().rename("iqr").reset_index()
        g = g.merge(iqr, on=by, how="left")
    if y in ("epoch_time_s", "step_time_s", "samples_per_s") and "timing" in ok.columns and len(g):
        # seeds that trained in company report their configuration's timing pass: one measurement, no spread
        shared = ok.groupby(by, dropna=False).timing.agg(lambda s: bool((s == "timing-pass").all()))
        shared = g.merge(shared.rename("_shared").reset_index(), on=by, how="left")["_shared"]
        shared = shared.astype(object).where(shared.notna(), False).astype(bool)
        g["std_text"] = g["std_text"].where(~shared, t("chart.one_timing_pass"))
        g.loc[shared, ["lo", "hi"]] = np.nan   # one measurement: n = 1, no band (conclusions.group_estimate)
    return g


def batch_size_chart(runs: pd.DataFrame, y: str, *, title: str | None = None, log_y: bool = False,
                     b_simple: tuple[float, float, float] | None = None, height: int = 280,
                     color: str = "optimizer") -> alt.Chart:
    """``y`` against batch size: mean line over the seeds at the study's fit with its 95 % t-interval as a
    band, points with tooltips; each run that missed the fit is a hollow point of its own (not in the mean).

    Where the runs table has ``<y>_se`` (a stochastic estimate's standard error), each point gets an error
    bar of ±√(Σ se²)/n: how sure the estimator is, apart from the band, which is the spread over seeds.
    ``<y>_err`` (a deterministic bound, the Lanczos eigenvalues') gives a bar of ± the mean bound.
    ``b_simple`` = (value, low, high): the study's B_simple as a rule, its interval shaded.

    Diverged, stalled, pruned and failed runs appear as red crosses at the bottom of the chart (never as
    minima), so a missing point is never silent.
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
               alt.Tooltip("std_text:N", title=t("chart.std")),
               alt.Tooltip("seeds:Q", title=t("chart.tip.n_seeds")), alt.Tooltip("reached:N", title=t("chart.reached"))]
    tooltip[0] = alt.Tooltip("optimizer:N", title=t("chart.legend.optimizer"))
    tooltip += [alt.Tooltip(f"{c}:Q", title=t("chart.tip.median", what=label(c)), format=".0f")
                for c in ("epochs", "steps") if c in agg]
    if f"{y}" == "epoch_time_s" and "iqr" in agg:
        tooltip.append(alt.Tooltip("iqr:Q", title=t("chart.iqr"), format=".2g"))
    if "lr" in agg:
        tooltip.insert(3, alt.Tooltip("lr:Q", format="g", title=t("label.lr")))
    if agg["study"].nunique() > 1:
        tooltip.insert(0, alt.Tooltip("study:N", title=t("chart.legend.study")))
    budgets = several_budgets(agg)   # lines and points per budget; the points' shape names it
    if budgets:
        tooltip.insert(1, alt.Tooltip("budget:N", title=t("label.budget")))
    has_se = "se" in agg.columns and agg["se"].notna().any()
    if has_se:
        bound = "se_kind" in agg.columns
        tooltip.append(alt.Tooltip("se:Q", format=".2g", title=t("chart.tip.bound" if bound else "chart.tip.se")))
        if log_y:   # a log axis cannot show a bar below 0: it stops at a tenth of the mean
            agg["se_lo"] = agg[["se_lo"]].assign(f=agg["mean"] / 10).max(axis=1)
    base = alt.Chart(agg).encode(x=x, color=_color(domain, color), opacity=opacity)
    detail = alt.Detail("optimizer:N" if color == "study" else "study:N")
    band = base.mark_area().encode(y=alt.Y("lo:Q", scale=yscale), y2="hi:Q",
                                   detail=[detail, alt.Detail("shuffle_label:N")] +
                                   ([alt.Detail("budget:N")] if budgets else []),
                                   opacity=alt.condition(pick, alt.value(0.15), alt.value(0.03)),
                                   tooltip=[tooltip[0], alt.Tooltip("batch_size:Q", title=t("chart.batch_size")),
                                            alt.Tooltip("lo:Q", title=t("chart.tip.ci_low"), format=".4g"),
                                            alt.Tooltip("hi:Q", title=t("chart.tip.ci_high"), format=".4g"),
                                            alt.Tooltip("fitted:Q", title=t("chart.tip.n_seeds"))]) \
        .transform_filter("datum.fitted > 1 && isValid(datum.lo)")
    line_detail = [detail] + ([alt.Detail("lr:Q")] if "lr" in agg else []) + \
        ([alt.Detail("budget:N")] if budgets else [])
    line = base.mark_line(point=False, strokeWidth=2).encode(y=enc_y, strokeDash=_dash(series["shuffle_label"]),
                                                             detail=line_detail)
    # filled: the mean of the runs at the fit; hollow: each run that missed it, at its own value
    points = base.mark_point(filled=True, size=60).encode(y=enc_y, tooltip=tooltip) \
        .transform_filter("datum.fitted > 0")
    missed = series[(series["status"] == "done") & ~fitted(series)] if "status" in series else series.iloc[:0]
    missed = missed[missed[y].notna()] if y in missed else missed.iloc[:0]
    keep = dict.fromkeys(("optimizer", "shuffle_label", "batch_size", "lr", "seed", "study", "budget", y, "epochs",
                          "train_acc", "train_loss", "run_id"))
    missed = run_pages(missed[[c for c in keep if c in missed]].assign(why=t("chart.missed_fit")))
    hollow = alt.Chart(missed).mark_point(filled=False, size=70, strokeWidth=2).encode(
        x=x, color=_color(domain, color), opacity=opacity, y=alt.Y(f"{y}:Q", scale=yscale), href=RUN_HREF,
        tooltip=[alt.Tooltip("why:N", title=t("chart.reached"))] + [
            alt.Tooltip(f"{c}:N", title=_tip_title(c)) if c in ("optimizer", "shuffle_label", "study", "seed",
                                                                 "batch_size", "budget")
            else alt.Tooltip(f"{c}:Q", format=".4g", title=_tip_title(c)) for c in missed.columns if c not in ("why", "run_id", "page")])
    if color == "study":   # one colour per study: optimizers by the points' shape
        points = points.encode(shape=alt.Shape("optimizer:N", title=t("chart.legend.optimizer")))
        hollow = hollow.encode(shape=alt.Shape("optimizer:N", legend=None))   # the points' legend says it once
    elif budgets:
        points = points.encode(shape=alt.Shape("budget:N", title=t("label.budget"),
                                               legend=alt.Legend(orient="bottom", direction="horizontal")))
        hollow = hollow.encode(shape=alt.Shape("budget:N", legend=None))
    layers = [band, line, points, hollow]
    if has_se:
        layers.append(base.mark_errorbar(ticks=True, thickness=1.5).encode(
            y=alt.Y("se_lo:Q", scale=yscale, title=label(y)), y2="se_hi:Q", detail=line_detail)
            .transform_filter("isValid(datum.se)"))
    df = series
    bad = df[df["status"].isin(["diverged", "stalled", "failed", PRUNED])] if "status" in df.columns else df.iloc[:0]
    if len(bad):
        bad = run_pages(bad[[c for c in ("optimizer", "batch_size", "shuffle_label", "seed", "status", "error",
                                         "run_id") if c in bad]])
        marks = alt.Chart(bad).mark_point(shape="cross", color="#d62728", size=90, filled=True).encode(
            x=alt.X("batch_size:Q", scale=alt.Scale(type="log", base=2)),
            y=alt.value(alt.expr("height - 6")), href=RUN_HREF,   # pinned to the bottom edge of the plot
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


def device_labels(names: list[str]) -> list[str]:
    """The devices of recorded timings, said once each: CPU timings recorded as "cpu (N threads)" with
    different N (each batch size is timed at its faster thread count) become one "CPU, 1–2 threads"."""
    names = sorted({d.split(", torch")[0] for d in names})
    cpu = {d: int(m.group(1)) for d in names if (m := re.fullmatch(r"cpu \((\d+) threads?\)", d))}
    threads = sorted(set(cpu.values()))
    others = [d for d in names if d not in cpu]
    if threads:
        span = "–".join(map(str, sorted({threads[0], threads[-1]})))
        others.insert(0, t("chart.cpu_thread" if span == "1" else "chart.cpu_threads", threads=span))
    return others


def timing_note(runs: pd.DataFrame) -> str:
    """What a timing chart must say beside it: device(s), torch version, the warm-up policy."""
    def values(col):
        return sorted(set(runs[col].dropna().astype(str))) if col in runs.columns else ["?"]
    devices = device_labels(values("device_name"))
    timed = sorted({int(float(v)) for v in values("timed_epochs") if v != "?"})
    over = "–".join(map(str, sorted({timed[0], timed[-1]}))) if timed else "?"
    note = t("chart.timing", devices="; ".join(devices), torch=", ".join(values("torch_version")), over=over,
             warmup=", ".join(values("warmup_epochs")))
    if "timing_statistic" in runs.columns and (runs.timing_statistic == "min").all():   # interleaved (timing.py)
        num = lambda c: pd.to_numeric(runs[c], errors="coerce")  # noqa: E731
        note = t("chart.timing_min", devices="; ".join(devices), torch=", ".join(values("torch_version")),
                 warmup=", ".join(values("warmup_epochs"))) + " " + t(
            "speed.timing", repeats=int(num("timing_repeats").max()), k=int(num("timing_interleaved").max()),
            share=float(num("cpu_share").median()))
    if "contended" in runs.columns and runs.contended.fillna(False).astype(bool).any():
        bad = runs[runs.contended.fillna(False).astype(bool)]
        note = Markdown(note + t("chart.contended", n=len(bad), total=len(runs),
                                 share=float(pd.to_numeric(bad.cpu_share, errors="coerce").median())))
    return note
