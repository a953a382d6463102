"""The noise-scale view: generalisation gap, test accuracy and sharpness against SGD's noise scale
g = ηN/(B(1−m)) (Smith & Le 2018), one point per run, colour = batch size, shape = learning rate, so runs of equal
g that end alike stand in one column. Runs at the study's fit are filled, runs that missed it hollow (not in
the reading); dotted rules mark each g that two or more configurations share. No torch, no streamlit."""
from __future__ import annotations

from typing import Mapping

import altair as alt
import numpy as np
import pandas as pd

from ..analysis.sgd_noise import CONFIG, OUTCOMES, g_table, sharpness_columns
from ..i18n import t
from .common import RUN_HREF, label, run_pages

PANEL = (330, 210)   # px (width, height): two panels a row fit a page at its usual width


def g_points(runs: pd.DataFrame, optim: Mapping | None = None) -> pd.DataFrame:
    """The chart's data, long: per done SGD-family run and panel measure, its g and value (``measure`` holds
    the column, ``panel`` its label), at_fit, and the grid columns for the tooltip."""
    df = g_table(runs, optim)
    if "status" in df:
        df = df[df.status == "done"]
    cols = [c for c in (*OUTCOMES, *sharpness_columns(df)) if c in df.columns]
    keep = ["run_id", *CONFIG, "seed", "m", "g", "g_group", "at_fit"]
    rows = [df[[c for c in keep if c in df.columns]].assign(measure=c, panel=label(c),
                                                             value=pd.to_numeric(df[c], errors="coerce"))
            for c in cols]
    long = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=keep + ["measure", "panel", "value"])
    long = long[long.value.notna()].reset_index(drop=True)
    long["lr_label"] = long.lr.map(lambda v: format(float(v), "g"))
    long["fit_label"] = np.where(long.at_fit.astype(bool), t("gscale.at_fit"), t("gscale.missed"))
    return long


def shared_g(points: pd.DataFrame) -> pd.DataFrame:
    """One row per equal-g group that two or more configurations share: its geometric-mean g."""
    if points.empty:
        return pd.DataFrame(columns=["g_group", "g", "configs"])
    cfg = points.drop_duplicates(CONFIG)
    groups = cfg.groupby("g_group").agg(g=("g", lambda s: float(np.exp(np.log(s).mean()))), configs=("g", "size"))
    return groups[groups.configs > 1].reset_index()


def noise_scale_chart(runs: pd.DataFrame, optim: Mapping | None = None) -> alt.ConcatChart:
    """Gap, test accuracy and sharpness (ε-sharpness and λ_max where measured) against g, log x, one panel each,
    two a row; the x range padded by a factor 1.5 either side, so no point sits on the frame."""
    pts = run_pages(g_points(runs, optim))
    lo, hi = (float(pts.g.min()) / 1.5, float(pts.g.max()) * 1.5) if len(pts) else (1.0, 10.0)
    log_x = alt.Scale(type="log", domain=[lo, hi], nice=False)
    sizes = sorted(int(b) for b in pts.batch_size.unique()) if len(pts) else []
    lrs = [format(v, "g") for v in sorted(pts.lr.unique())] if len(pts) else []
    x = alt.X("g:Q", title=t("gscale.axis"), scale=log_x, axis=alt.Axis(format="~g", tickCount=5))
    colour = alt.Color("batch_size:O", title=t("chart.batch_size"), sort=sizes,
                       scale=alt.Scale(scheme="viridis", domain=sizes),
                       legend=alt.Legend(orient="bottom", direction="horizontal"))
    shape = alt.Shape("lr_label:N", title=t("label.lr"), sort=lrs, scale=alt.Scale(domain=lrs),
                      legend=alt.Legend(orient="bottom", direction="horizontal"))
    tooltip = [alt.Tooltip("optimizer:N", title=t("chart.legend.optimizer")),
               alt.Tooltip("batch_size:Q", title=t("chart.batch_size")),
               alt.Tooltip("lr:Q", title=t("label.lr"), format="g"), alt.Tooltip("m:Q", title="m", format="g"),
               alt.Tooltip("seed:Q", title=t("gscale.seed")), alt.Tooltip("g:Q", title="g", format=",.4g"),
               alt.Tooltip("value:Q", title=t("gscale.value"), format=".4g"),
               alt.Tooltip("fit_label:N", title=t("gscale.fit"))]
    rules = shared_g(pts)
    panels = []
    for measure in dict.fromkeys(pts.measure):
        sub = pts[pts.measure == measure]
        y = alt.Y("value:Q", title=label(measure), scale=alt.Scale(zero=False, padding=10))   # no mark on the frame
        base = alt.Chart(sub)
        layers = [alt.Chart(rules).mark_rule(color="#999", strokeDash=[2, 3]).encode(
                      x=alt.X("g:Q", scale=log_x),
                      tooltip=[alt.Tooltip("g:Q", title=t("gscale.shared"), format=",.4g"),
                               alt.Tooltip("configs:Q", title=t("gscale.configs"))])] if len(rules) else []
        layers.append(base.transform_filter(alt.datum.at_fit).mark_point(filled=True, size=70, opacity=0.85)
                      .encode(x=x, y=y, color=colour, shape=shape, tooltip=tooltip, href=RUN_HREF))   # a run each
        layers.append(base.transform_filter(~alt.datum.at_fit).mark_point(filled=False, size=80, strokeWidth=1.6)
                      .encode(x=x, y=y, color=colour, shape=shape, tooltip=tooltip, href=RUN_HREF))
        panels.append(alt.layer(*layers).properties(width=PANEL[0], height=PANEL[1], title=label(measure)))
    if not panels:
        panels = [alt.Chart(pd.DataFrame({"g": []})).mark_point().encode(x=x).properties(width=PANEL[0],
                                                                                         height=PANEL[1])]
    return alt.concat(*panels, columns=2).resolve_scale(color="shared", shape="shared").properties(
        title=t("gscale.title"))
