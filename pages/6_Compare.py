"""Compare: two or more studies (or some of their runs) overlaid on the same batch-size axes."""
import pandas as pd
import streamlit as st

import ui
from studies.i18n import t
from studies import charts, fairness

METRICS = ["test_acc", "train_acc", "gap_acc", "test_loss", "train_loss", "epoch_time_s", "samples_per_s",
           "sharpness_eps", "sharpness_rand", "hessian_top_eig", "hessian_trace"]

store = ui.page(t("nav.Compare"), ":material/compare_arrows:")
all_studies = ui.studies(store)
if len(all_studies) < 1:
    ui.fail("No studies in this store yet.")
labels = {r.study_id: ui.study_label(r) for r in all_studies.itertuples()}
ids = list(labels)
current = st.query_params.get("study") or st.session_state.get("_study")   # the study the other pages show
from_link = [s for s in st.query_params.get("studies", "").split(",") if s in labels]
default = from_link or ([current] if current in labels else []) + [s for s in ids if s != current][:1]
picked = st.multiselect("Studies", ids, default=default, format_func=labels.get, key="compare_studies",
                        help="Pick two or more; each gets one colour")
st.query_params["studies"] = ",".join(picked)
if not picked:
    ui.fail("Pick at least one study.")
st.query_params["study"] = st.session_state["_study"] = current if current in picked else picked[0]

per_study = {labels[s]: ui.table(store, s, "runs") for s in picked}
ui.pair_warning({k: v for k, v in per_study.items() if len(v)})
per_study = {k: (fairness.compared_runs(v) if len(v) else v) for k, v in per_study.items()}   # best lr each
runs = pd.concat([charts.with_speed(v).assign(study=k) for k, v in per_study.items()], ignore_index=True)
if runs.empty:
    ui.fail("The picked studies have no finished runs yet.")
available = [m for m in METRICS if m in runs and runs[m].notna().any()]
left, right = st.columns([1, 2])
metric = left.selectbox("Metric", available, format_func=charts.label, key="compare_metric", bind="query-params")
optimizers = sorted(runs.optimizer.unique())
chosen = right.multiselect("Optimizers", optimizers, default=optimizers, key="compare_optimizers",
                           bind="query-params")
shown = runs[runs.optimizer.isin(chosen)]
ui.chart(charts.batch_size_chart, shown, metric, color="study", log_y=metric in ("epoch_time_s", "samples_per_s"),
         title=f"{charts.label(metric)} vs batch size", name="compare", key="compare_main")

st.subheader("Learning curves of chosen runs")
run_labels = charts.run_labels(shown)
names = dict(zip(run_labels.run_id, run_labels.study + " · " + run_labels.run))
ends = shown.sort_values(["study", "batch_size"]).groupby("study").run_id.agg(["first", "last"])
picked_runs = st.multiselect("Runs", list(names), default=[r for r in ends.values.ravel() if r in names],
                             format_func=names.get, key="compare_runs", max_selections=10)
if picked_runs:
    epochs = pd.concat([ui.table(store, s, "epochs") for s in picked], ignore_index=True)
    curves = epochs[epochs.run_id.isin(picked_runs)].drop_duplicates(["run_id", "epoch"])
    chosen_runs = shown[shown.run_id.isin(picked_runs)].drop_duplicates("run_id")
    ui.chart(charts.learning_curves, curves, chosen_runs, "test_acc", color="run", name="compare-curves",
             key="compare_curves")
