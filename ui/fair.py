"""What a page says about a comparison before its charts: the matched-fit warning, what is held equal, the
line of conclusions (B_simple, B_crit with intervals, runs left out), differences against the seed noise, and
the best-lr / every-lr choice of an lr sweep."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from studies import i18n
from studies.analysis import b_simple, conclusions, fairness, lr_edges, statements
from studies.i18n import Markdown, t


def fit_warning(runs: pd.DataFrame) -> fairness.FitCheck:
    """At the top of a page: a loud warning when the compared runs (best lr) are not at a matched fit, and one
    line saying what the comparison holds equal (the target, the lr) and what varies (lr/B)."""
    compared = fairness.compared_runs(runs)
    check = fairness.matched_fit(compared)
    fixed = statements.fixed_budget_line(compared, check)
    if fixed is not None:   # a fixed budget is a question of its own, not a failed target
        st.info(fixed, icon=":material/straighten:")
    elif not check.matched:
        st.warning(t("fit.not_matched", message=check.message), icon=":material/warning:")
    if held := fairness.held_equal(runs):
        st.caption(held)
    return check


def study_conclusions(runs: pd.DataFrame, epochs: pd.DataFrame, name: str | None = None,
                      warnings: dict | None = None) -> tuple[float, float, float] | None:
    """Below the fit warning on every study page: B_simple per optimizer × budget and B_crit where there is one,
    each with its interval, a warning per optimizer whose best lr sits at its grid's edge (a caption where the study
    tried one lr per configuration: no sweep to be at the edge of), and how many runs are
    left out of the conclusions (``name`` first where several studies are shown). Returns B_simple as
    (value, low, high) for the rules when the study has one. (``epochs`` is unused: B_simple is taken at the
    final weights, analysis.b_simple.) ``warnings`` (Compare): the lr-edge warnings are collected there, text →
    the names of the studies it holds for, for ``edge_warnings`` to draw once each."""
    k, n = conclusions.left_out(runs)
    st.caption((f"**{i18n.plain(name)}** · " if name else "") + statements.derived_line(runs) + "  \n" +
               (t("study.left_out", k=k, n=n) if k else t("study.all_in", n=n)))
    swept = fairness.sweeps_lr(runs)   # without any sweep the one lr is the study's stated choice: a caption
    for line in lr_edges.edge_warnings(runs):
        if not swept:
            st.caption(line)
        elif warnings is None:
            st.warning(line, icon=":material/warning:")
        else:
            warnings.setdefault(line, []).append(name or "")
    return b_simple.rule(runs)


def edge_warnings(warnings: dict) -> None:
    """Compare: each lr-edge warning once, led by the studies it holds for (two studies with the same grid, like
    a paper's pair, share one box instead of stacking two alike)."""
    for line, names in warnings.items():
        lead = " · ".join(i18n.plain(n) for n in names if n)
        st.warning(Markdown(f"**{lead}:** ") + line if lead else line, icon=":material/warning:")


def difference_note(runs: pd.DataFrame, measure: str) -> str:
    """Per optimizer: whether the smallest → largest batch difference in ``measure`` is outside the seed noise,
    and the train losses it was taken at."""
    return statements.difference_note(runs, measure)


def pair_warning(studies: dict[str, pd.DataFrame]) -> None:
    """Compare: a warning for each pair of picked studies not at a matched fit with each other."""
    names = list(studies)
    compared = {name: fairness.compared_runs(runs) for name, runs in studies.items()}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            check = fairness.matched_pair(compared[a], compared[b])
            both = pd.concat([compared[a], compared[b]])
            fixed = None if fairness.has_target(both) else statements.fixed_budget_line(both, check)
            if fixed is not None:   # two fixed budgets: compared at equal epochs (or updates), not at a target
                st.info(Markdown(f"**{i18n.plain(a)} · {i18n.plain(b)}:** ") + fixed, icon=":material/straighten:")
            elif not check.matched:
                st.warning(t("fit.pair_not_matched", a=a, b=b, message=check.message), icon=":material/warning:")
    if len(names) == 1:
        fit_warning(studies[names[0]])


def lr_view(runs: pd.DataFrame, key: str) -> pd.DataFrame:
    """With an lr sweep: the best-lr runs (the default) or, toggled, every lr; otherwise ``runs`` as they are."""
    if not fairness.sweeps_lr(runs):
        return runs
    every = st.toggle(t("fit.every_lr"), key=key, help=t("fit.every_lr_help", rule=t("fair.best_lr_rule")))
    if every:
        st.caption(t("fit.every_lr_caption"))
        return runs
    st.caption(t("fit.best_lr_caption", rule=t("fair.best_lr_rule")))
    return fairness.compared_runs(runs)
