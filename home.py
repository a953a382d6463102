"""Home: what Batchscope shows, the studies in the store, one picked with its three overview charts, and links
to its views. dashboard.py routes here for the root URL."""
import streamlit as st

import ui
from studies import charts, i18n
from studies.analysis import fairness
from studies.i18n import t

store = ui.page(t("nav.home"), ":material/straighten:")
st.markdown(t("home.intro"))
st.markdown(f"**{t('home.start')}**")
steps = (("home.step1", "pages/1_New_study.py", ":material/add_circle:"),
         ("home.step2", "pages/2_Jobs.py", ":material/queue:"),
         ("home.step3", "pages/4_Generalization.py", ":material/school:"))
for col, (text, path, icon) in zip(st.columns(3), steps):
    with col.container(border=True, height="stretch"):
        st.markdown(t(text))
        if st.button(ui.page_title(path), key=f"start_{ui.page_key(path)}", icon=icon, type="primary",
                     width="stretch"):
            st.switch_page(path)
all_studies = ui.studies(store)
sid = ui.study_picker(store, all_studies)
if len(first := ui.table(store, sid, "runs")):
    ui.fit_warning(first)   # at the top: the home page's charts compare these runs

st.markdown(t("home.overview"))
views = ui.page_files()[1:]
for col, path in zip(st.columns(len(views)), views):
    col.page_link(path, label=ui.page_title(path),
                  query_params=None if ui.page_key(path) in ("New_study", "Jobs") else {"study": sid})

shown = all_studies.assign(study_id=all_studies.study_id.str[:8], state=all_studies.state.map(ui.state_label),
                           fit=all_studies.fit.map(fairness.translate_summary), updated=all_studies.updated.map(i18n.ago))
st.dataframe(shown, hide_index=True, key="studies_table",
             column_order=["study_id", "name", "state", "fit", "dataset", "updated"],
             column_config={"study_id": t("home.col.id"), "name": t("home.col.name"), "fit": t("home.col.runs"), "state": t("home.col.state"),
                            "dataset": t("home.col.dataset"), "updated": t("home.col.updated")})
runs = ui.lr_view(ui.runs_or_stop(store, sid), "home_every_lr")
info = store.study_info(sid) or {}
st.caption(t("home.study_line", name=info.get("name", sid), n=len(runs), dataset=runs.dataset.iloc[0],
             timing=charts.timing_note(runs)))
left, right = st.columns(2)
with left:
    ui.chart(charts.epoch_time_chart, runs, name=f"{sid}-epoch-time", key="home_time",
             caption=t("caption.epoch_time"))
with right:
    ui.chart(charts.gap_chart, runs, name=f"{sid}-gap", key="home_gap", caption=t("caption.gap"))
ui.chart(charts.accuracy_chart, runs, name=f"{sid}-accuracy", key="home_acc", caption=t("caption.accuracy"))
with st.expander(t("how.title")):
    st.markdown(t("how.speed"))
    st.markdown(t("how.generalization"))
with st.expander(t("home.runs_and_spec")):
    st.dataframe(runs.astype({c: str for c in runs.columns if runs[c].dtype == object}), hide_index=True,
                 key="runs_table")
    spec_text = store.spec_text(sid)   # None: missing, or set aside (a link, too big) and said above
    if spec_text is None:
        st.warning(t("home.spec_unreadable"))
    else:
        st.code(spec_text, language="toml")
