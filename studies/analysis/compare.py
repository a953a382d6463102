"""Compare: what differs between studies besides the batch size. Overlaying a study on mnist1d trained for a
fixed 10 epochs with one on digits trained to a target compares data sets and stopping rules, not batch
sizes; the Compare page warns with the differences found here. Pure pandas, no streamlit, no torch."""
from __future__ import annotations

import pandas as pd

from ..i18n import Markdown, t

# What a study's setup is, read from its runs table: (name, columns). One value per study is expected.
SETUP = (("dataset", ("dataset",)), ("model", ("model", "hidden")),
         ("stopping", ("epoch_budget", "target_train_acc", "target_train_loss")))


def stopping_rule(row: pd.Series) -> str:
    """'10 epochs' or 'train acc ≥ 0.99 within 30 epochs' (what decides when a run stops)."""
    budget = row.get("epoch_budget", row.get("epochs"))
    targets = []
    acc, loss = row.get("target_train_acc"), row.get("target_train_loss")
    if pd.notna(acc) and float(acc) > 0:
        targets.append(t("fair.acc", v=float(acc)))
    if pd.notna(loss) and float(loss) > 0:
        targets.append(t("fair.loss", v=float(loss)))
    budget_text = t("cmpx.epochs", n=int(budget)) if pd.notna(budget) else t("cmpx.unknown_epochs")
    return t("cmpx.within", targets=Markdown(t("fair.and").join(targets)), budget=budget_text) if targets \
        else budget_text


def _describe(runs: pd.DataFrame, what: str) -> str:
    if runs.empty:
        return "?"
    if what == "stopping":
        rules = sorted({stopping_rule(r) for _, r in runs.iterrows()})
        return " / ".join(rules)
    if what == "model":
        parts = sorted({f"{r.get('model', '?')} [{r.get('hidden', '')}]" for _, r in runs.iterrows()})
        return " / ".join(parts)
    return " / ".join(sorted({str(v) for v in runs[what].dropna()})) if what in runs else "?"


def setup_differences(studies: dict[str, pd.DataFrame]) -> list[tuple[str, dict[str, str]]]:
    """For each setup aspect (dataset, model, stopping) on which the picked studies differ: (aspect,
    {study: its value}). Empty when they agree on all, or fewer than two studies have runs."""
    have = {name: runs for name, runs in studies.items() if len(runs)}
    if len(have) < 2:
        return []
    out = []
    for what, cols in SETUP:
        if not any(c in runs for runs in have.values() for c in cols):
            continue
        values = {name: _describe(runs, what) for name, runs in have.items()}
        if len(set(values.values())) > 1:
            out.append((what, values))
    return out


def resolve_ids(keys: list[str], ids: list[str]) -> list[str]:
    """The study ids a ``?studies=`` link names, in its order: full ids or unique id prefixes (Home shows the
    first 8 characters); a key that names no study, or more than one, is left out; each study once."""
    out: list[str] = []
    for key in (k.strip() for k in keys):
        hits = [key] if key in ids else [i for i in ids if key and i.startswith(key)]
        if len(hits) == 1 and hits[0] not in out:
            out.append(hits[0])
    return out
