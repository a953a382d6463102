"""Generalization: train and test accuracy and loss vs batch size with the gap, learning curves per epoch,
and the steps and epochs needed to reach the training target (Shallue et al. 2019)."""
import streamlit as st

import ui
from studies.i18n import t
from studies import charts, charts_fit, fairness, scaling

MAX_CURVES = 60   # more lines than this is a tangle, and slow to draw

store = ui.page(t("nav.Generalization"), ":material/school:")
sid = ui.study_picker(store)
runs = ui.runs_or_stop(store, sid)
ui.fit_warning(runs)
all_runs, runs = runs, ui.lr_view(runs, "gen_every_lr")

ui.chart(charts.accuracy_chart, runs, name=f"{sid}-accuracy", key="gen_acc")
left, right = st.columns(2)
with left:
    ui.chart(charts.gap_chart, runs, name=f"{sid}-gap", key="gen_gap")
with right:
    ui.chart(charts.batch_size_chart, runs, "gap_loss", title="test − train loss vs batch size",
             name=f"{sid}-gap-loss", key="gen_gap_loss")
ui.chart(charts.split_chart, runs, "loss", name=f"{sid}-loss", key="gen_loss")

st.subheader("Learning curves")
sizes = sorted(int(b) for b in runs.batch_size.unique())
left, right = st.columns([2, 1])
picked = left.multiselect("Batch sizes", sizes, default=[sizes[0], sizes[-1]], key="gen_sizes",
                          bind="query-params", help="Runs of these batch sizes (all optimizers, orders and seeds)")
metric = right.selectbox("Metric", ["test_acc", "train_acc", "test_loss", "train_loss"], key="gen_metric",
                         format_func=charts.label, bind="query-params")
chosen = runs[runs.batch_size.isin(picked)].head(MAX_CURVES)
if chosen.empty:
    st.info("Pick at least one batch size.")
else:
    epochs = ui.table(store, sid, "epochs")
    curves = epochs[epochs.run_id.isin(chosen.run_id)]
    ui.chart(charts.learning_curves, curves, chosen, metric, name=f"{sid}-curves", key="gen_curves")

st.subheader("Steps and epochs to reach the target")
if "reached_target" not in runs or not runs.reached_target.fillna(False).astype(bool).any():
    st.info("No run reached a training target. Set target_train_acc (e.g. 0.99) or target_train_loss on "
            "**New study**: each run then stops at the target and this chart shows the steps it took.")
else:
    reached = runs[runs.reached_target.fillna(False).astype(bool)]
    fits = (store.study_info(sid) or {}).get("steps_fit") or scaling.fit_study(all_runs)
    ui.chart(charts_fit.steps_fit_chart, all_runs, fits, b_simple=charts.critical_batch_size(all_runs),
             csv=reached, name=f"{sid}-steps-fit", key="gen_steps_fit")
    st.caption(f"{len(reached)} of {len(runs)} runs reached the target. Points: steps to the target of each "
               "best-lr run (log–log). Line: S(B) = S_min·(1 + B_noise/B) fitted in log space (McCandlish et "
               "al. 2018); coloured rule: its B_crit = B_noise; black dotted rule: the measured gradient noise "
               "scale B_simple. Shaded: perfect scaling (B < B_crit/10), diminishing returns, no further gain "
               "(B > 10·B_crit).")
    for f in fits:
        st.caption(scaling.describe_fit(f))
    ui.chart(charts.target_chart, runs, "epochs", csv=reached, name=f"{sid}-epochs-to-target", key="gen_epochs")
    st.caption("Epochs to reach the target vs batch size (log–log, mean over seeds): a large batch takes fewer "
               "steps but more passes over the data.")

if fairness.sweeps_lr(all_runs):
    st.subheader("Learning rate × batch size")
    opt = st.selectbox("Optimizer", sorted(all_runs.optimizer.unique()), key="gen_heat_opt", bind="query-params")
    left, right = st.columns(2)
    with left:
        ui.chart(charts_fit.lr_heatmap, all_runs, "steps", optimizer=opt, name=f"{sid}-lr-steps", key="gen_heat_steps")
    with right:
        ui.chart(charts_fit.lr_heatmap, all_runs, "test_acc", optimizer=opt, name=f"{sid}-lr-test-acc",
                 key="gen_heat_acc")
    st.caption(f"{opt}: median steps to the target (left, log colour scale, darker = more steps) and test "
               "accuracy (right) over each learning rate × batch size; the red line traces the best lr per batch "
               "size (Goyal et al.'s linear scaling holds while it climbs with B). Blank cells: no seed reached "
               "the target, or every run stalled or diverged.")
