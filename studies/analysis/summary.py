"""The closing note of a study (CLI): matched-fit verdict, the compared runs as a table, then the derived
numbers with their intervals and the runs they come from — the same as the pages and `export --table summary`
(studies.analysis.conclusions)."""
from __future__ import annotations

import pandas as pd

from . import b_simple, cbs, conclusions
from ..measures import measures
from .fairness import compared_runs, ensure_best_lr, held_equal, loss_band_text, matched_fit, pruned_line
from .lr_edges import edge_warnings
from .scaling import describe_fit, fit_study

COLUMNS = {"batch_size": "B", "budget": "budget", "optimizer": "optimizer", "lr": "lr", "seed": "seed",
           "status": "status",
           "reached_target": "reached", "epochs": "epochs", "steps": "steps", "test_acc": "test acc",
           "gap_acc": "gap"}   # the compared runs' table: column → header, then the measures' `note` headers


def ends() -> tuple[str, ...]:
    return conclusions.compared_ends()


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    headers = {**COLUMNS, **{m.column: m.note for m in measures() if m.note}}
    cols = [c for c in headers if c in runs.columns]
    return runs.sort_values([c for c in ("optimizer", "budget", "batch_size", "seed") if c in runs.columns])[cols] \
        .rename(columns=headers).reset_index(drop=True)


def losses_text(d: dict) -> str:
    """"at train loss 0.0039 vs 0.0094 (medians), not within the matched band (…)" for one end comparison."""
    if d.get("loss_matched") is None:
        return "train loss not known"
    text = f"at train loss {d['loss_small']:.2g} vs {d['loss_large']:.2g} (medians)"
    return text if d["loss_matched"] else f"{text}, NOT within the matched band ({loss_band_text()}): " \
                                          "the ends are at different fits"


def difference_line(runs: pd.DataFrame, measure: str) -> list[str]:
    """"gap_acc, adam: B 16 → 1024 +0.031 (95 % Welch interval −0.01 to +0.07): inside the seed noise; at
    train loss 0.0096 vs 0.0098 (medians)"; a positive, skewed measure as a ratio ("λ_max … ×4.1 (95 % Welch
    interval on the log scale ×3.2 to ×5.3)")."""
    out = []
    several = "budget" in runs.columns and runs.budget.nunique() > 1
    for d in conclusions.end_difference(runs, measure):
        within = f" at {d['budget']}" if several else ""
        change = f"×{d['diff']:.3g}" if d["ratio"] else f"{d['diff']:+.3g}"
        where = f"{measure}, {d['optimizer']}{within}: B {d['small']} → {d['large']} {change}"
        if d["beyond_noise"] is None:
            out.append(f"{where} (no interval: fewer than 2 comparable seeds per batch size); {losses_text(d)}")
        else:
            rng = (f"on the log scale ×{d['low']:.3g} to ×{d['high']:.3g}" if d["ratio"] else
                   f"{d['low']:+.3g} to {d['high']:+.3g}")
            out.append(f"{where} (95 % Welch interval {rng}): "
                       f"{'outside' if d['beyond_noise'] else 'inside'} the seed noise; {losses_text(d)}")
    return out


def closing_note(runs: pd.DataFrame, epochs: pd.DataFrame | None = None) -> str:
    """Lines printed after a study: the fit verdict, the compared runs, then B_simple, the S(B) fits with
    B_crit and the smallest → largest batch differences, all from the comparable runs."""
    if runs.empty:
        return ""
    runs = ensure_best_lr(runs)
    shown = compared_runs(runs)
    check = matched_fit(shown)
    head = (f"matched fit: {check.summary()}" if check.matched else f"NOT at a matched fit: {check.message}")
    if held := held_equal(runs):
        head += f"\n{held}"
    if "best_lr" in runs.columns and runs.lr.nunique() > 1:
        head += f"\n(best lr per optimizer × batch size: {len(shown)} of {len(runs)} runs shown)"
    if pruned := pruned_line(runs):
        head += f"\n{pruned}"
    table = runs_table(shown).to_string(index=False, float_format=lambda v: f"{v:.3g}")
    k, n = conclusions.left_out(runs)
    derived = [f"derived numbers from {n - k} comparable runs" + (f" ({k} left out: missed the fit)" if k else "")]
    derived += b_simple.texts(runs)
    derived += [describe_fit(f) for f in fit_study(runs, short=True)] + [cbs.describe(c) for c in cbs.study_cbs(runs)]
    derived += edge_warnings(runs)
    for m in ends():
        if m in runs.columns:
            derived += difference_line(runs, m)
    return "\n".join([head, table] + derived)
