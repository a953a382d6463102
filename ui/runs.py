"""A runs table a reader filters on any column and picks the columns of (W&B's habit), for one study
(Generalization) or several (Compare): the filter text and the columns live in the URL; the logic is
studies.analysis.runtable's, this module only reads the widgets and draws."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from studies import charts
from studies.analysis import runtable
from studies.charts.common import budget_text
from studies.i18n import t
from studies.storage import csvsafe

from .data import run_link_column, state_label


def runs_table(table: pd.DataFrame, links: pd.Series, *, key: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``table`` (runtable.run_table, or studies_table) under a filter on any column and a column pick, both
    restored from the URL (``{key}_filter``, ``{key}_cols``), each row linked to its run's page (``links``,
    aligned with ``table``). A filter that cannot be read is one error line and leaves the rows unfiltered.
    Returns the rows kept (every column) and the run ids of the rows ticked."""
    names = {c: charts.label(c) for c in table.columns}
    left, right = st.columns([3, 2])
    text = left.text_input(t("runs.filter"), key=f"{key}_filter", placeholder=t("runs.filter_placeholder"),
                           help=t("runs.filter_help"), bind="query-params")
    cols = right.multiselect(t("runs.columns"), list(table.columns), default=[], format_func=names.get,
                             key=f"{key}_cols", bind="query-params", help=t("runs.columns_help"),
                             placeholder=t("runs.columns_all"))
    try:
        shown = runtable.filter_table(table, text or "", names, {"status": state_label, "budget": budget_text})
    except runtable.FilterError as e:
        st.error(str(e))
        shown = table
    view = runtable.pick_columns(shown, cols)
    if "status" in view:
        view = view.assign(status=view["status"].map(state_label))
    if "budget" in view:   # "target", "epochs:30" in the page's language
        view = view.assign(budget=view["budget"].map(budget_text))
    picked = st.dataframe(csvsafe.neutralise(view).assign(page=links.loc[shown.index].to_numpy()), hide_index=True,
                          key=f"{key}_table", on_select="rerun", selection_mode="multi-row",
                          column_config={**{c: st.column_config.Column(names.get(c, c)) for c in view.columns},
                                         "page": run_link_column()})
    return shown, tuple(shown.iloc[picked.selection.rows].run_id)
