"""Curvature: the notes' Hessian test at each run's end point (gradient norm, λ_min, λ_max, minimum ratio),
one run's spectral density, λ_max over training with the stability threshold, the rescaling audit, the
gradient noise scale over training, and which measure predicts the gap. What the study did not measure is one
line at the top, with one action: measure it on the stored runs (no retraining)."""
import streamlit as st

import ui
from studies import charts, measures
from studies.charts import curvature as cc
from studies.i18n import t
from studies.analysis.audit import audit_view
from studies.analysis.predictors import predictors_caption, predictors_table
from studies.spec.config import MeasureSpec, SpecError, StudySpec
from studies.analysis.verdict import verdict_caption, verdict_table


@st.cache_data(show_spinner=False, max_entries=32)
def _predictors(runs):
    """A bootstrap per measure: computed once per runs table, not on every rerun."""
    return predictors_table(runs)


store, sid, runs, _ = ui.study_page("Curvature", ":material/ssid_chart:")
st.markdown(t("curv.explain"))
offer = st.container()   # filled at the end: what this study did not measure, and the one action
off = []                 # the switches whose sections have nothing to show
try:
    spec = StudySpec.from_toml_text(store.spec_text(sid) or "")
except (OSError, SpecError):
    spec = None
epochs, land = ui.table(store, sid, "epochs"), ui.table(store, sid, "landscape")

columns = [c for c in measures.drawn("curvature") if c in runs and runs[c].notna().any()]
if not columns:
    off += ["hessian", "critical"]
else:
    cut = runs["min_ratio_cut"].dropna().iloc[0] if "min_ratio_cut" in runs and runs["min_ratio_cut"].notna().any() \
        else None
    st.caption(t("curv.caption", cut=t("curv.cut", cut=f"{cut:g}") if cut else ""))
    try:
        measure = StudySpec.from_toml_text(store.spec_text(sid) or "").measure
    except (OSError, SpecError):
        measure = MeasureSpec()   # the defaults: what a spec without [measure] ran with
    cols = st.columns(2)
    for i, col in enumerate(columns):
        with cols[i % 2]:
            ui.chart(charts.batch_size_chart, runs, col, name=f"{sid}-{col}", key=f"curv_{col}",
                     caption=measures.caption(col, measure) + " " + ui.difference_note(runs, col))
    if "hessian_min_eig" not in columns:
        off.append("critical")
    else:
        st.subheader(t("curv.verdicts"))
        verdicts = verdict_table(runs, charts.run_labels(runs)["run"])
        st.dataframe(ui.csvsafe.neutralise(verdicts).assign(page=ui.run_links(runs.loc[verdicts.index], sid)),
                     hide_index=True, column_config={"page": ui.run_link_column()})   # a row opens its run
        st.caption(verdict_caption())

spectra = land[land["kind"] == "spectrum"] if "kind" in land and "eigenvalue" in land else land.iloc[:0]
if spectra.empty:
    off.append("spectrum")
else:
    st.subheader(t("curv.density"))
    have = runs[runs.run_id.isin(spectra.run_id.unique())].sort_values(["batch_size", "optimizer", "seed"])
    labels = dict(zip(have.run_id, charts.run_labels(have)["run"]))
    rid = st.selectbox(t("curv.run"), list(labels), format_func=labels.get, key="curv_run", bind="query-params",
                       help=t("curv.run_help"))
    ui.chart(cc.spectrum_chart, spectra[spectra.run_id == rid], name=f"{sid}-spectrum", key="curv_spectrum")
    st.caption(t("curv.density_caption"))

if measures.LAMBDA_MAX not in epochs or not epochs[measures.LAMBDA_MAX].notna().any():
    off.append("hessian_track")
else:
    st.subheader(t("curv.track"))
    optim = dict(spec.optim) if spec else {}
    left, right = st.columns([3, 2])
    x = left.segmented_control(t("curv.track_x"), cc.TRACK_X, format_func=lambda v: t(f"curv.track_x.{v}"),
                               default="epoch", key="curv_track_x", required=True, bind="query-params")
    smooth = ui.smoothing("curv_smooth", right, unit="points")
    ui.chart(cc.sharpness_over_training_chart, epochs, runs, x=x, optim=optim, smooth=smooth,
             name=f"{sid}-sharpness-over-training",
             key="curv_track", caption=t("curv.track_caption", n=f"{spec.measure.track_sample if spec else 512:,}",
                                         thresholds=cc.threshold_caption(runs, optim)))

view = audit_view(land, runs, charts.run_labels(runs)["run"])
if view.table.empty and not view.refused:
    off.append("rescale_audit")
else:
    st.subheader(t("curv.audit"))
    st.markdown(view.explain)
    st.dataframe(ui.csvsafe.neutralise(view.table), hide_index=True)   # its toolbar downloads a CSV
    for line in view.verdicts:
        st.markdown(line)
    if view.refused:
        st.warning(t("curv.audit_refused", reason=view.refused))

if "noise_scale" not in epochs or not epochs["noise_scale"].notna().any():
    off.append("noise_scale")
else:
    st.subheader(t("curv.noise"))
    smooth = ui.smoothing("curv_noise_smooth", st.columns([3, 5])[0], unit="points")
    ui.chart(cc.noise_over_training_chart, epochs, runs, smooth=smooth, name=f"{sid}-noise-over-training",
             key="curv_noise")
    st.caption(t("curv.noise_caption"))

st.subheader(t("curv.pred"))
table = _predictors(runs)
if table.empty or table["tau"].isna().all():
    st.caption(t("curv.pred_few"))
else:
    ui.chart(cc.predictors_chart, table, name=f"{sid}-predictors", key="curv_predictors",
             caption=predictors_caption(table, budgets=runs["budget"].nunique() if "budget" in runs else 1))

if off:
    with offer:
        ui.measure_offer(store, spec, off)
with st.expander(t("how.title")):
    st.markdown(measures.how((*measures.drawn("curvature"), "noise_scale_init")))
