"""The rescaling audit's table (rows of kind "audit" in the landscape table, measure_run) and the one rule that
reads it: a measure is invariant when every audited run's rescaled value is within INVARIANT_TOL of the
original (ratio rescaled/original within 1 ± 5 %). Dinh et al.'s rescaling by α = 10 moves λ_max by ~α²,
so the line between "survives" and "does not" is wide; 5 % leaves room for a nonconvex maximiser's noise."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..i18n import t
from ..measures import measure

AUDIT_COLUMNS = ("run_id", "measure", "original", "rescaled", "ratio", "logits_max_diff", "rescale_alpha")
INVARIANT_TOL = 0.05


def audit_table(landscape: pd.DataFrame) -> pd.DataFrame:
    """The audit rows of a study's landscape table, one per run and measure, in AUDIT_COLUMNS."""
    if landscape.empty or "kind" not in landscape or "measure" not in landscape:
        return pd.DataFrame(columns=list(AUDIT_COLUMNS))
    rows = landscape[landscape["kind"] == "audit"]
    return rows.reindex(columns=list(AUDIT_COLUMNS)).reset_index(drop=True)


def invariance(audit: pd.DataFrame, tol: float = INVARIANT_TOL) -> dict[str, bool]:
    """measure → True when its ratio is within 1 ± tol in every audited run (a nan ratio, an original of 0,
    counts as not shown invariant), in the table's order."""
    out: dict[str, bool] = {}
    for m, g in audit.groupby("measure", sort=False):
        out[str(m)] = all(math.isfinite(r) and abs(r - 1.0) <= tol for r in g["ratio"].astype(float))
    return out


def _name(column: str) -> str:
    """A measure's label in the current language (the column itself for one the registry lacks)."""
    m = measure(column)
    return t(m.label) if m else column


@dataclass(frozen=True)
class AuditView:
    """What the Curvature page shows of the audit: the table (current language), the explanation, one line
    each for the invariant and the other measures, and why runs were refused ("" if none)."""

    table: pd.DataFrame
    explain: str
    verdicts: tuple[str, ...]
    refused: str


def audit_view(landscape: pd.DataFrame, runs: pd.DataFrame, labels: pd.Series) -> AuditView:
    """The audit of a study for the page: one row per run and measure with the run's label (`labels`, aligned
    with runs), the measure's label, both values, the ratio, the logits' max difference and whether it is
    invariant; the sentences that say plainly which measures survive the rescaling."""
    audit = audit_table(landscape)
    refused = ""
    if "rescale_audit_note" in runs.columns:
        notes = runs["rescale_audit_note"].dropna().astype(str)
        refused = notes.iloc[0] if len(notes) else ""
    if audit.empty:
        return AuditView(pd.DataFrame(), "", (), refused)
    names = dict(zip(runs["run_id"], labels))
    ok = invariance(audit)
    table = pd.DataFrame({
        t("audit.col.run"): [names.get(r, r) for r in audit["run_id"]],
        t("audit.col.measure"): [_name(m) for m in audit["measure"]],
        t("audit.col.original"): audit["original"].astype(float),
        t("audit.col.rescaled"): audit["rescaled"].astype(float),
        t("audit.col.ratio"): audit["ratio"].astype(float),
        t("audit.col.logits"): audit["logits_max_diff"].astype(float),
        t("audit.col.invariant"): [t("audit.yes") if ok[m] else t("audit.no") for m in audit["measure"]]})
    alpha = float(audit["rescale_alpha"].dropna().iloc[0]) if audit["rescale_alpha"].notna().any() else math.nan
    explain = t("curv.audit_explain", alpha=f"{alpha:g}", diff=f"{float(audit['logits_max_diff'].max()):.1e}")
    listed = lambda keep: ", ".join(_name(m) for m, v in ok.items() if v == keep) or t("curv.none_listed")  # noqa: E731
    verdicts = (t("curv.invariant", tol=f"{100 * INVARIANT_TOL:g} %", names=listed(True)),
                t("curv.not_invariant", names=listed(False)))
    return AuditView(table, explain, verdicts, refused)
