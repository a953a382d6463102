"""Run: one run's page, /Run?run=ID (an id or its first characters; &study= picks among studies that share
it): its stop reason, learning curves, every measure with its error, its landscape slices, its configuration
and a download of its final weights (safetensors)."""
import streamlit as st

import ui
from studies import charts
from studies.analysis import runview
from studies.charts import runs as charts_runs
from studies.i18n import code, t

store = ui.page(t("nav.Run"), ":material/timeline:")
wanted = st.query_params.get("run", "")
if wanted and not st.query_params.get("study"):   # a bare run link: the study that has it
    if found := ui.study_of_run(store, wanted):
        st.query_params["study"] = found
sid = ui.study_picker(store)
runs = ui.runs_or_stop(store, sid)
labels = dict(zip(runs.run_id, charts.run_labels(runs)["run"]))
ids = list(labels)
match = [r for r in ids if wanted and r.startswith(wanted)]
if wanted and not match:
    st.warning(t("run.not_here", run=wanted))
rid = st.selectbox(t("run.pick"), ids, index=ids.index(match[0]) if match else 0,
                   format_func=lambda r: f"{labels[r]} · {r[:8]}", key=f"run_pick_{sid}")
st.query_params["run"] = rid
row = runs[runs.run_id == rid].iloc[0]

st.subheader(f"{labels[rid]}")
st.markdown(f"{code(rid)} · " + runview.stop_reason(row))
epochs = ui.table(store, sid, "epochs")
mine = epochs[epochs.run_id == rid].sort_values("epoch")
if mine.empty:
    st.caption(t("run.no_epochs"))
else:
    smooth = ui.smoothing("run_smooth", st.columns([3, 5])[0])
    left, right = st.columns(2)
    with left:
        ui.chart(charts_runs.run_curve, mine, "loss", smooth=smooth, name=f"{rid}-loss", key="run_loss")
    with right:
        ui.chart(charts_runs.run_curve, mine, "acc", smooth=smooth, name=f"{rid}-acc", key="run_acc")

st.subheader(t("run.measures"))
measured = runview.measure_rows(row)
if measured.empty:
    st.caption(t("run.no_measures"))
else:
    st.dataframe(measured.drop(columns="column"), hide_index=True, key="run_measures", column_config={
        "measure": t("run.col.measure"), "value": st.column_config.NumberColumn(t("run.col.value"), format="%.4g"),
        "error": st.column_config.NumberColumn(t("run.col.error"), format="%.2g", help=t("run.col.error_help"))})

land = ui.table(store, sid, "landscape")
slices = land[(land["kind"] == "random") & (land["run_id"] == rid)] if "kind" in land else land.iloc[:0]
if len(slices):
    st.subheader(t("sharp.landscape"))
    ui.chart(charts.landscape_chart, slices, runs[runs.run_id == rid], "train_loss", name=f"{rid}-slices",
             key="run_slices")

st.subheader(t("run.settings"))
st.dataframe(runview.settings(row), hide_index=True, key="run_settings",
             column_config={"setting": t("run.col.setting"), "value": t("run.col.value")})
weights = store.run_dir(rid) / "weights.safetensors"
if weights.is_file():
    st.download_button(t("run.weights"), lambda: weights.read_bytes(), file_name=f"{rid}.safetensors",
                       mime="application/octet-stream", key="run_weights", on_click="ignore",
                       icon=":material/download:", help=t("run.weights_help"))
else:
    st.caption(t("run.no_weights"))
