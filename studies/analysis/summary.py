"""The closing note of a study (CLI): matched-fit verdict, the compared runs as a table, then the derived
numbers with their intervals and the runs they come from — the same as the pages and `export --table summary`
(studies.analysis.conclusions)."""
from __future__ import annotations

import pandas as pd

from . import cbs, conclusions
from ..measures import measures
from .fairness import compared_runs, ensure_best_lr, held_equal, matched_fit, pruned_line
from .scaling import describe_fit, fit_study

OUTCOMES = ("test_acc", "gap_acc")   # the differences the note judges, before the registry's measures with a `note`
COLUMNS = {"batch_size": "B", "budget": "budget", "optimizer": "optimizer", "lr": "lr", "seed": "seed",
           "status": "status",
           "reached_target": "reached", "epochs": "epochs", "steps": "steps", "test_acc": "test acc",
           "gap_acc": "gap"}   # the compared runs' table: column → header, then the measures' `note` headers


def ends() -> tuple[str, ...]:
    return OUTCOMES + tuple(m.column for m in measures() if m.note)


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    headers = {**COLUMNS, **{m.column: m.note for m in measures() if m.note}}
    cols = [c for c in headers if c in runs.columns]
    return runs.sort_values([c for c in ("optimizer", "budget", "batch_size", "seed") if c in runs.columns])[cols] \
        .rename(columns=headers).reset_index(drop=True)


def difference_line(runs: pd.DataFrame, measure: str) -> list[str]:
    """"gap_acc, adam: B 16 → 1024 +0.031 (95 % Welch −0.01 to +0.07): inside the seed noise"."""
    out = []
    several = "budget" in runs.columns and runs.budget.nunique() > 1
    for d in conclusions.end_difference(runs, measure):
        within = f" at {d['budget']}" if several else ""
        where = f"{measure}, {d['optimizer']}{within}: B {d['small']} → {d['large']} {d['diff']:+.3g}"
        if d["beyond_noise"] is None:
            out.append(f"{where} (no interval: fewer than 2 comparable seeds per batch size)")
        else:
            out.append(f"{where} (95 % Welch interval {d['low']:+.3g} to {d['high']:+.3g}): "
                       f"{'outside' if d['beyond_noise'] else 'inside'} the seed noise")
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
    est, left = conclusions.b_simple(runs, epochs)
    if est.n:
        derived.append(conclusions.b_simple_text(est, left))
    derived += [describe_fit(f) for f in fit_study(runs)] + [cbs.describe(c) for c in cbs.study_cbs(runs)]
    for m in ends():
        if m in runs.columns:
            derived += difference_line(runs, m)
    return "\n".join([head, table] + derived)
