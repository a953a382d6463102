"""Charts of a fair comparison: the learning rate × batch size map and steps-to-target with the S(B) fit.

DataFrame (and the fit stored with the study) in, altair chart out; no torch, no streamlit. The heat map
shows where the best learning rate moves with the batch size (Goyal et al.'s linear scaling and where it
breaks); the steps chart draws McCandlish et al.'s S(B) = S_min·(1 + B_crit/B) through the measured points.
"""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from ..spec.config import SHUFFLE_LABELS
from ..i18n import t
from .common import OPTIMIZER_COLORS, RUN_HREF, _powers_of_two, label, run_pages
from ..analysis import lr_rule
from ..analysis.fairness import censored_steps, ensure_best_lr
from ..analysis.lr_edges import STEP, lr_edges
from ..analysis.scaling import REGIME_FACTOR, b_crit_text, kind_of, steps_points

RULE_COLOR = "#ff7f0e"    # the best-lr rule's line on the lr map (the best lr itself is red)
REGIME_COLORS = {"perfect scaling": "#59a14f", "diminishing returns": "#edc948", "no further gain": "#e15759"}


def lr_grid(runs: pd.DataFrame, value: str) -> pd.DataFrame:
    """One cell per (optimizer, batch_size, lr): the median ``value`` over the seeds that reached the fit
    (steps: only those that reached the target), how many did, and whether the cell is the best lr."""
    df = ensure_best_lr(runs).copy()
    done = df.status == "done"
    reached = df.reached_target.fillna(False).astype(bool) if "reached_target" in df else pd.Series(False, df.index)
    use = done & reached if value in ("steps", "epochs") else done
    df["v"] = df[value].where(use)
    df["ok"] = (done & reached).astype(int)
    df["untrained"] = (~done).astype(int)
    best = df.best_lr.fillna(False).astype(bool) if "best_lr" in df else pd.Series(False, df.index)
    df["best"] = best.astype(int)
    g = df.groupby(["optimizer", "batch_size", "lr"]).agg(value=("v", "median"), reached=("ok", "sum"),
                                                           untrained=("untrained", "sum"), seeds=("seed", "count"),
                                                           best=("best", "max")).reset_index()
    g["best"] = g.best.astype(bool)
    g["note"] = np.where(g.untrained == g.seeds, t("fitc.untrained"),
                         np.where(g.reached == 0, t("fitc.missed"), ""))
    edges = lr_edges(runs)   # a best lr at the grid's edge: only a bound (analysis/lr_edges.py)
    edges = edges[edges.lr_at_edge != ""].groupby(["optimizer", "batch_size", "lr"], as_index=False) \
        .agg(edge=("lr_at_edge", "first"), next_lr=("next_lr", "first"))
    g = g.merge(edges, on=["optimizer", "batch_size", "lr"], how="left")
    g["edge"] = g.edge.fillna("")
    g["edge_note"] = [t("fitc.single_note", down=f"{lr / STEP:.3g}", next=f"{n:.3g}") if e == "single" else
                      t("fitc.edge_note", side=t(f"edgex.{e}"), next=f"{n:.3g}") if e else ""
                      for e, n, lr in zip(g.edge, g.next_lr, g.lr)]
    g = g.drop(columns="next_lr")
    pruned = censored_steps(runs)
    if len(pruned):   # stopped early by pruning: their steps to the target are only known to exceed S
        g = g.merge(pruned, on=["optimizer", "batch_size", "lr"], how="left")
        g["note"] = np.where(g.censored.notna() & g.value.isna(), "> " + g.censored.fillna(0).map("{:.0f}".format),
                             g.note)
        g = g.drop(columns="censored")
    return g


def _cells(values) -> dict:
    """Cell bounds on a log axis per value: the geometric midpoints between neighbours, as far beyond the ends
    as the nearest neighbour's midpoint (×/÷ √2 for a lone value)."""
    v = np.sort(np.unique(np.asarray(values, dtype=float)))
    if len(v) == 1:
        return {v[0]: (v[0] / math.sqrt(2), v[0] * math.sqrt(2))}
    mids = np.sqrt(v[:-1] * v[1:])
    low = np.concatenate([[v[0] ** 2 / mids[0]], mids])
    high = np.concatenate([mids, [v[-1] ** 2 / mids[-1]]])
    return {a: (lo, hi) for a, lo, hi in zip(v, low, high)}


def _rule_layers(runs: pd.DataFrame, X, Y) -> tuple[list, str]:
    """The best-lr-vs-B rule the optimizer follows best (analysis/lr_rule.rule_curve): a dashed orange line with
    its 95 % band, and the line's name for the map's subtitle; ([], "") without a fit (fewer than 3 batch sizes
    inside their grids).
    ``X``/``Y``: the map's encodings by field name (its log axes)."""
    pts = lr_rule.best_points(runs)
    f = lr_rule.fit_rule(pts) if len(pts) else None
    curve = lr_rule.rule_curve(pts, f) if f else pd.DataFrame()
    if curve.empty:
        return [], ""
    name = t(f"lrrule.rule.{curve.rule.iloc[0]}", k=f"{f['slope']:.2f}")
    curve = curve.assign(what=t("lrrule.curve", rule=name))
    tip = [alt.Tooltip("what:N", title=t("lrrule.curve_title")),
           alt.Tooltip("batch_size:Q", title=t("chart.batch_size"), format=".0f"),
           alt.Tooltip("lr:Q", title=t("fitc.lr"), format=".3g"),
           alt.Tooltip("lr_low:Q", title=t("chart.tip.ci_low"), format=".3g"),
           alt.Tooltip("lr_high:Q", title=t("chart.tip.ci_high"), format=".3g")]
    base = alt.Chart(curve).encode(x=X("batch_size"))
    band = base.mark_area(color=RULE_COLOR, opacity=0.22).encode(y=Y("lr_low"), y2="lr_high:Q", tooltip=tip)
    line = base.mark_line(color=RULE_COLOR, strokeWidth=2.5, strokeDash=[7, 4]).encode(y=Y("lr"), tooltip=tip)
    return [band, line], t("lrrule.curve", rule=name)


def lr_heatmap(runs: pd.DataFrame, value: str = "steps", *, optimizer: str | None = None) -> alt.Chart:
    """Heat map of ``value`` (steps to target, or test accuracy) over lr × batch size for one optimizer, on
    log axes (a cell spans the geometric midpoints to its neighbours), with the best lr per batch size traced
    in red, a red ring where it sits at its grid's edge, and the rule the best lr follows best (linear, √B, a
    surge, or the fitted power) as a dashed orange line with its 95 % band. Empty cells: no seed reached the
    target."""
    opt = optimizer or sorted(runs.optimizer.unique())[0]
    mine = runs[runs.optimizer == opt]
    g = lr_grid(mine, value)
    bx, ly = _cells(g.batch_size), _cells(g.lr)
    g["b0"], g["b1"] = g.batch_size.map(lambda b: bx[b][0]), g.batch_size.map(lambda b: bx[b][1])
    g["lr0"], g["lr1"] = g.lr.map(lambda v: ly[v][0]), g.lr.map(lambda v: ly[v][1])
    lrs, sizes = sorted(g.lr.unique()), sorted(g.batch_size.unique())
    xs = alt.Scale(type="log", base=2, domain=[float(g.b0.min()), float(g.b1.max())], nice=False, zero=False)
    ys = alt.Scale(type="log", domain=[float(g.lr0.min()), float(g.lr1.max())], nice=False, zero=False)
    xaxis = alt.Axis(values=[float(b) for b in sizes], format="d", grid=False)
    yaxis = alt.Axis(values=[float(v) for v in lrs], format=".4~g", grid=False)

    def X(field):
        return alt.X(f"{field}:Q", title=t("chart.batch_size"), scale=xs, axis=xaxis)

    def Y(field):
        return alt.Y(f"{field}:Q", title=t("fitc.lr"), scale=ys, axis=yaxis)
    x, y = X("batch_size"), Y("lr")
    color = alt.Color("value:Q", title=label(value),
                      scale=alt.Scale(type="log" if value in ("steps", "epochs") else "linear", scheme="viridis",
                                      reverse=value in ("steps", "epochs")))
    tooltip = [alt.Tooltip("batch_size:Q", title=t("chart.batch_size"), format="d"),
               alt.Tooltip("lr:Q", title=t("fitc.lr"), format="g"),
               alt.Tooltip("value:Q", title=t("fitc.median", what=label(value)), format=".4g"),
               alt.Tooltip("reached:Q", title=t("fitc.reached")), alt.Tooltip("seeds:Q", title=t("fitc.seeds")),
               alt.Tooltip("best:N", title=t("fitc.best")), alt.Tooltip("note:N", title=t("fitc.note"))]
    cells = alt.Chart(g).mark_rect(stroke="#fff", strokeWidth=1).encode(
        x=X("b0"), x2="b1:Q", y=Y("lr0"), y2="lr1:Q", color=color, tooltip=tooltip)
    empty = alt.Chart(g[g.value.isna()]).mark_text(fontSize=10, color="#666").encode(x=x, y=y, text="note:N")
    best = g[g.best]
    ridge = alt.Chart(best).mark_line(color="#d62728", strokeWidth=2.5, point=alt.OverlayMarkDef(
        color="#d62728", size=70, shape="diamond")).encode(x=x, y=y, tooltip=tooltip)
    ring = alt.Chart(g[g.edge != ""]).mark_point(shape="circle", size=900, filled=False, strokeWidth=2.5,
                                                  color="#d62728").encode(
        x=x, y=y, tooltip=tooltip + [alt.Tooltip("edge_note:N", title=t("fitc.edge"))])
    rule, named = _rule_layers(mine, X, Y)
    # two title lines, so the key is not cut off at the map's width (four batch sizes: 280 px)
    title = alt.TitleParams([t("fitc.heat_title", opt=opt, what=label(value)), t("fitc.heat_key")],
                            subtitle=[named] if named else [],
                            subtitleColor="#b35900")   # a darker orange than the line: readable as text
    return alt.layer(cells, empty, *rule, ridge, ring).properties(
        title=title, height=40 * len(lrs) + 60,
        width="container")   # its column's width: half the page beside the other map, or its whole width


def steps_fit_chart(runs: pd.DataFrame, fits: list[dict] | None, *,
                    b_simple: tuple[float, float, float] | None = None) -> alt.Chart:
    """Steps to target vs batch size (the comparable best-lr runs, log–log) with the fitted S(B) per optimizer,
    B_crit (when inside the batch sizes measured) and the study's B_simple as rules, and the three regimes of
    the first fit shaded."""
    pts = steps_points(runs)
    pts = run_pages(pts.assign(shuffle_label=pts["shuffle"].map(SHUFFLE_LABELS)))
    sizes = pd.to_numeric(pts.batch_size, errors="coerce")
    fits = [f for f in (fits or []) if f.get("s_min")]
    lo_b = float(sizes.min()) if len(sizes) else 1.0
    hi_b = float(sizes.max()) if len(sizes) else 2.0
    grid = np.geomspace(lo_b / 2, hi_b * 2, 80)
    known = sorted(set(pts.optimizer) | {f["optimizer"] for f in fits})
    scale = alt.Scale(domain=known, range=[OPTIMIZER_COLORS.get(o, "#888") for o in known])
    colour = alt.Color("optimizer:N", scale=scale, title=t("chart.legend.optimizer"))
    quiet = alt.Color("optimizer:N", scale=scale, legend=None)   # the points' legend names the optimizers
    x = alt.X("batch_size:Q", title=t("chart.batch_size"), scale=alt.Scale(type="log", base=2, domain=[grid[0], grid[-1]]),
              axis=alt.Axis(format="d", values=_powers_of_two(pd.Series([lo_b / 2, hi_b * 2]))))
    y = alt.Y("steps:Q", title=t("fitc.steps"), scale=alt.Scale(type="log"))
    layers = []
    if fits and kind_of(fits[0]) != "bound":   # a bound's knee is not a place to shade regimes from
        f0 = fits[0]
        bands = [(name, max(a, grid[0]), min(b, grid[-1])) for name, a, b in
                 [("perfect scaling", 0.0, f0["b_crit"] / REGIME_FACTOR),
                  ("diminishing returns", f0["b_crit"] / REGIME_FACTOR, f0["b_crit"] * REGIME_FACTOR),
                  ("no further gain", f0["b_crit"] * REGIME_FACTOR, math.inf)]]
        bands = pd.DataFrame([{"regime": t(f"fitc.regime.{list(REGIME_COLORS).index(n)}"), "from": a, "to": b}
                              for n, a, b in bands if b > a])
        layers.append(alt.Chart(bands).mark_rect(opacity=0.12).encode(
            x=alt.X("from:Q", scale=alt.Scale(type="log", base=2, domain=[grid[0], grid[-1]])), x2="to:Q",
            color=alt.Color("regime:N", title=t("fitc.regime", opt=f0["optimizer"]),
                            scale=alt.Scale(domain=[t(f"fitc.regime.{i}") for i in range(len(REGIME_COLORS))],
                                            range=list(REGIME_COLORS.values()))),
            tooltip=[alt.Tooltip("regime:N", title=t("fitc.regime_word")),
                     alt.Tooltip("from:Q", title=t("fitc.from"), format=".0f"),
                     alt.Tooltip("to:Q", title=t("fitc.to"), format=".0f")]))
    if fits:
        curve = pd.concat([pd.DataFrame({"optimizer": f["optimizer"], "batch_size": grid,
                                         "steps": f["s_min"] * (1 + f["b_crit"] / grid),
                                         "fit": f"S = {f['s_min']:.0f}·(1 + {f['b_crit']:.0f}/B)"})
                           for f in fits], ignore_index=True)
        layers.append(alt.Chart(curve).mark_line(strokeWidth=2, opacity=0.8).encode(
            x=x, y=y, color=quiet, detail="optimizer:N", tooltip=["optimizer:N", "fit:N"]))
        rules = pd.DataFrame([{"batch_size": f["b_crit"], "what": f"{f['optimizer']}: {b_crit_text(f)}",
                               "optimizer": f["optimizer"]} for f in fits
                              if not f.get("beyond") and kind_of(f) != "bound"],
                             columns=["batch_size", "what", "optimizer"])
        layers.append(alt.Chart(rules).mark_rule(strokeDash=[6, 3], strokeWidth=1.5).encode(
            x=alt.X("batch_size:Q", scale=alt.Scale(type="log", base=2, domain=[grid[0], grid[-1]])), color=quiet,
            tooltip=["what:N", alt.Tooltip("batch_size:Q", format=".0f")]))
    if b_simple and b_simple[0] > 0:
        rs = pd.DataFrame({"batch_size": [b_simple[0]], "what": [t("fitc.b_simple")]})
        layers.append(alt.Chart(rs).mark_rule(color="#333", strokeDash=[2, 2], strokeWidth=1.5).encode(
            x=alt.X("batch_size:Q", scale=alt.Scale(type="log", base=2, domain=[grid[0], grid[-1]])),
            tooltip=["what:N", alt.Tooltip("batch_size:Q", format=".0f")]))
    tooltip = ["optimizer:N", "shuffle_label:N", "batch_size:Q", alt.Tooltip("lr:Q", format="g"), "seed:Q",
               "steps:Q"] + (["epochs:Q"] if "epochs" in pts else [])
    layers.append(alt.Chart(pts).mark_point(filled=True, size=60).encode(   # a point is a run: a click opens it
        x=x, y=y, color=colour, tooltip=tooltip, href=RUN_HREF if "page" in pts else alt.Undefined))
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        title=t("fitc.title"), height=320)


def critical_sizes_chart(table: pd.DataFrame) -> alt.Chart:
    """Compare: each study's B_simple and B_crit (analysis.critical.critical_sizes) on one log₂ batch axis, a
    point with its 95 % interval as a bar; one row per study, one colour per quantity."""
    from .common import PALETTE
    df = table.assign(low=table["low"].where(table["low"].notna(), table["value"]),
                      high=table["high"].where(table["high"].notna(), table["value"]))
    kinds = list(dict.fromkeys(df["quantity"]))
    color = alt.Color("quantity:N", title=t("cmp.critical_legend"), legend=alt.Legend(orient="bottom"),
                      scale=alt.Scale(domain=kinds, range=[PALETTE[i % len(PALETTE)] for i in range(len(kinds))]))
    values = _powers_of_two(pd.concat([df["low"], df["high"]]).clip(lower=1))
    scale = alt.Scale(type="log", base=2, padding=12, nice=False)
    x = alt.X("value:Q", title=t("chart.batch_size"), scale=scale,
              axis=alt.Axis(values=values, format="d", labelOverlap="greedy"))
    y = alt.Y("study:N", title=None, axis=alt.Axis(labelLimit=320))
    off = alt.YOffset("quantity:N", scale=alt.Scale(domain=kinds))
    tip = [alt.Tooltip("study:N", title=t("chart.legend.study")), alt.Tooltip("quantity:N", title=t("cmp.critical_legend")),
           alt.Tooltip("value:Q", format=",.0f", title=t("cmp.critical_value")),
           alt.Tooltip("low:Q", format=",.0f", title=t("chart.tip.ci_low")),
           alt.Tooltip("high:Q", format=",.0f", title=t("chart.tip.ci_high"))]
    base = alt.Chart(df).encode(y=y, yOffset=off, color=color)
    bars = base.mark_rule(strokeWidth=2).encode(x=alt.X("low:Q", scale=scale), x2="high:Q")
    points = base.mark_point(filled=True, size=80).encode(x=x, tooltip=tip)
    return alt.layer(bars, points).properties(width="container", height=alt.Step(22),
                                              title=t("cmp.critical_title"))
