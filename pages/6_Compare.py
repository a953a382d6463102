"""Compare: two or more studies (or some of their runs) overlaid on the same batch-size axes."""
import pandas as pd
import streamlit as st

import ui
from studies.i18n import t
from studies import charts, measures
from studies.analysis import compare, fairness, runtable
from studies.analysis.critical import critical_sizes
from studies.charts import fit as charts_fit

METRICS = ["test_acc", "train_acc", "gap_acc", "test_loss", "train_loss", "epoch_time_s", "samples_per_s",
           *measures.drawn("sharpness")]

store = ui.page(t("nav.Compare"), ":material/compare_arrows:")
all_studies = ui.studies(store)
if len(all_studies) < 1:
    ui.fail(t("cmp.no_studies"))
labels = {r.study_id: ui.study_label(r) for r in all_studies.itertuples()}
ids = list(labels)
current = st.query_params.get("study") or st.session_state.get("_study")   # the study the other pages show
from_link = compare.resolve_ids(st.query_params.get("studies", "").split(","), ids)   # ids or 8-char prefixes
default = from_link or ([current] if current in labels else []) + [s for s in ids if s != current][:1]
picked = st.multiselect(t("cmp.studies"), ids, default=default, format_func=labels.get, key="compare_studies",
                        help=t("cmp.studies_help"))
st.query_params["studies"] = ",".join(picked)
if not picked:
    ui.fail(t("cmp.pick_one"))
st.query_params["study"] = st.session_state["_study"] = current if current in picked else picked[0]

per_study = {labels[s]: ui.table(store, s, "runs") for s in picked}
differences = compare.setup_differences(per_study)
if differences:   # more than batch size differs: say what, loudly, before any chart
    st.warning(t("cmp.differ") + "\n" + "\n".join(
        f"- **{t(f'cmp.aspect.{what}')}**: " + "; ".join(f"{name}: {value}" for name, value in values.items())
        for what, values in differences), icon=":material/warning:")
ui.pair_warning({k: v for k, v in per_study.items() if len(v)})
edges: dict = {}
for s, (name, table) in zip(picked, per_study.items()):   # each study's B_simple and B_crit, with intervals
    if len(table):
        ui.study_conclusions(table, ui.table(store, s, "epochs"), name=name, warnings=edges)
ui.edge_warnings(edges)   # an lr-edge warning the studies share: once
critical = critical_sizes({name: (table, ui.table(store, s, "epochs"))   # before best-lr: what the lines above say
                           for s, (name, table) in zip(picked, per_study.items())})
per_study = {k: (fairness.compared_runs(v) if len(v) else v) for k, v in per_study.items()}   # best lr each
runs = pd.concat([charts.with_speed(v).assign(study=k) for k, v in per_study.items()], ignore_index=True)
if runs.empty:
    ui.fail(t("cmp.no_runs"))
available = [m for m in METRICS if m in runs and runs[m].notna().any()]
left, right = st.columns([1, 2])
metric = left.selectbox(t("cmp.metric"), available, format_func=charts.label, key="compare_metric", bind="query-params")
optimizers = sorted(runs.optimizer.unique())
chosen = right.multiselect(t("cmp.optimizers"), optimizers, default=optimizers, key="compare_optimizers",
                           bind="query-params")
shown = runs[runs.optimizer.isin(chosen)]
ui.chart(charts.batch_size_chart, shown, metric, color="study", log_y=metric in ("epoch_time_s", "samples_per_s"),
         title=t("cmp.title", metric=charts.label(metric)), name="compare", key="compare_main",
         caption=t("cmp.caption", metric=charts.label(metric)))
if len(critical):   # each study's B_simple and B_crit on one axis, with their intervals
    ui.chart(charts_fit.critical_sizes_chart, critical, name="compare-critical", key="compare_critical",
             caption=t("cmp.critical_caption"))

st.subheader(t("cmp.curves"))
run_labels = charts.run_labels(shown)
names = dict(zip(run_labels.run_id, run_labels.study + " · " + run_labels.run))
ends = shown.sort_values(["study", "batch_size"]).groupby("study").run_id.agg(["first", "last"])
left, right = st.columns([3, 2])   # room for the x-axis choice's three labels
picked_runs = left.multiselect(t("cmp.runs"), list(names), default=[r for r in ends.values.ravel() if r in names],
                               format_func=names.get, key="compare_runs", max_selections=10, bind="query-params",
                               wrap=True, help=t("cmp.runs_help"))   # every chip whole: run labels are long
x_axis = right.segmented_control(t("cmp.x"), list(charts.CURVE_X), default="epoch", key="compare_x",
                                 format_func=lambda x: t(f"chart.x.{x}"), bind="query-params", required=True)
smooth = ui.smoothing("compare_smooth", st.columns([3, 5])[0])
if picked_runs:
    epochs = pd.concat([ui.table(store, s, "epochs") for s in picked], ignore_index=True)
    curves = epochs[epochs.run_id.isin(picked_runs)].drop_duplicates(["run_id", "epoch"])
    chosen_runs = shown[shown.run_id.isin(picked_runs)].drop_duplicates("run_id")
    ui.chart(charts.learning_curves, curves, chosen_runs, "test_acc", color="run", name="compare-curves",
             key="compare_curves", x=x_axis or "epoch", studies=list(dict.fromkeys(shown["study"])), smooth=smooth,
             caption=t("cmp.curves_caption"))

st.subheader(t("cmp.runs_table"))   # every run of every chosen study, one table (W&B's habit)
table = runtable.studies_table({labels[s]: ui.table(store, s, "runs") for s in picked})
sid_of = {labels[s]: s for s in picked}
links = "Run?run=" + table["run_id"].astype(str) + "&study=" + table["study"].map(sid_of)
shown_runs, _ = ui.runs_table(table, links, key="cmp_runs")
st.caption(t("cmp.runs_caption", n=len(shown_runs), total=len(table)))
