"""Batchscope dashboard: the studies in the store, one picked, and links to its views.

`streamlit run dashboard.py [-- --store DIR]`; the pages in pages/ are the views (classic multipage, so a link
such as /Speed?study=<id> opens that view of that study, also as the first request after a server start).
"""
import streamlit as st

import ui
from studies import charts

store = ui.page("Batchscope", ":material/straighten:")
all_studies = ui.studies(store)
sid = ui.study_picker(store, all_studies)
if len(first := ui.table(store, sid, "runs")):
    ui.fit_warning(first)   # at the top: the home page's charts compare these runs

links = st.columns(len(ui.PAGES) - 1)
for col, (path, title) in zip(links, list(ui.PAGES.items())[1:]):
    col.page_link(path, label=title, query_params={"study": sid} if "New" not in title else None)

st.dataframe(all_studies.assign(study_id=all_studies.study_id.str[:8]), hide_index=True, key="studies_table",
             column_order=["study_id", "name", "state", "fit", "dataset", "updated"],
             column_config={"fit": "runs"})
runs = ui.lr_view(ui.runs_or_stop(store, sid), "home_every_lr")
info = store.study_info(sid) or {}
st.caption(f"**{info.get('name', sid)}** · {len(runs)} runs · {runs.dataset.iloc[0]} · {charts.timing_note(runs)}")
left, right = st.columns(2)
with left:
    ui.chart(charts.epoch_time_chart, runs, name=f"{sid}-epoch-time", key="home_time")
with right:
    ui.chart(charts.gap_chart, runs, name=f"{sid}-gap", key="home_gap")
ui.chart(charts.accuracy_chart, runs, name=f"{sid}-accuracy", key="home_acc")
with st.expander("Runs table and spec"):
    st.dataframe(runs.astype({c: str for c in runs.columns if runs[c].dtype == object}), hide_index=True,
                 key="runs_table")
    try:
        st.code(store.spec_text(sid), language="toml")
    except OSError as e:
        st.warning(f"The spec of this study cannot be read ({e.__class__.__name__}).")
