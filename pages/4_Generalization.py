"""Generalization: train and test accuracy and loss vs batch size with the gap, learning curves per epoch,
and the steps and epochs needed to reach the training target (Shallue et al. 2019)."""
import streamlit as st

import ui
from studies.i18n import t
from studies import charts, measures
from studies.charts import fit as charts_fit, nqm as charts_nqm, runs as charts_runs, sgd_noise as charts_g
from studies.analysis import cbs, fairness, lr_edges, lr_rule, nqm_study, runtable, scaling, sgd_noise


@st.cache_data(show_spinner=False, max_entries=8)
def nqm_prediction(runs, epochs):
    return nqm_study.predictions(runs, epochs)


store, sid, runs, b_simple = ui.study_page("Generalization", ":material/school:")
all_runs, runs = runs, ui.lr_view(runs, "gen_every_lr")

ui.chart(charts.accuracy_chart, runs, name=f"{sid}-accuracy", key="gen_acc",
         caption=t("caption.accuracy") + " " + ui.difference_note(all_runs, "test_acc"))
left, right = st.columns(2)
with left:
    ui.chart(charts.gap_chart, runs, name=f"{sid}-gap", key="gen_gap",
             caption=t("caption.gap") + " " + ui.difference_note(all_runs, "gap_acc"))
with right:
    ui.chart(charts.batch_size_chart, runs, "gap_loss", title=t("gen.gap_loss_title"),
             name=f"{sid}-gap-loss", key="gen_gap_loss", caption=t("caption.gap_loss"))
ui.chart(charts.split_chart, runs, "loss", name=f"{sid}-loss", key="gen_loss", caption=t("caption.loss"))

st.subheader(t("gen.curves"))
sizes = sorted(int(b) for b in runs.batch_size.unique())
left, mid, right = st.columns([3, 2, 3])   # room for the x-axis choice's three labels
picked = left.multiselect(t("gen.batch_sizes"), sizes, default=[sizes[0], sizes[-1]], key="gen_sizes",
                          bind="query-params", help=t("gen.batch_sizes_help"))
metric = mid.selectbox(t("gen.metric"), ["test_acc", "train_acc", "test_loss", "train_loss"], key="gen_metric",
                       format_func=charts.label, bind="query-params")
x_axis = right.segmented_control(t("cmp.x"), list(charts.CURVE_X), default="epoch", key="gen_x", required=True,
                                 format_func=lambda x: t(f"chart.x.{x}"), bind="query-params")
left, right = st.columns([3, 5])
smooth = ui.smoothing("gen_smooth", left)
show_runs = right.toggle(t("gen.show_runs"), key="gen_runs", bind="query-params", help=t("gen.show_runs_help"))
chosen = runs[runs.batch_size.isin(picked)]
if chosen.empty:
    st.info(t("gen.pick_size"))
else:
    epochs = ui.table(store, sid, "epochs")
    curves = epochs[epochs.run_id.isin(chosen.run_id)]
    ui.chart(charts.learning_curve_bands, curves, chosen, metric, name=f"{sid}-curves", key="gen_curves",
             x=x_axis or "epoch", smooth=smooth, show_runs=show_runs,
             caption=t("caption.curve_bands", n=len(chosen), k=int(chosen.seed.nunique())) + " " +
             (t("caption.curve_smooth", w=smooth) if smooth > 1 else "") +
             (" " + t("caption.curve_log") if metric.endswith("loss") else "") + " " +
             fairness.held_equal(all_runs[all_runs.batch_size.isin(picked)]))

st.subheader(t("gen.target"))
if not fairness.has_target(all_runs):   # a fixed budget: nothing to count steps to, and that is no failure
    st.caption(t("gen.fixed_budget", budget=fairness.fixed_budget(all_runs)))
elif "reached_target" not in runs or not runs.reached_target.fillna(False).astype(bool).any():
    st.info(t("gen.no_target"))
else:
    reached = runs[runs.reached_target.fillna(False).astype(bool)]
    fits = scaling.fit_study(all_runs, short=True)
    ui.chart(charts_fit.steps_fit_chart, all_runs, fits, b_simple=b_simple,
             csv=reached, name=f"{sid}-steps-fit", key="gen_steps_fit")
    st.caption(t("caption.steps_fit", n=len(reached), total=len(runs)))
    for f in fits:
        st.caption(scaling.describe_fit(f))
    for c in cbs.study_cbs(all_runs):
        st.caption(cbs.describe(c))
    st.markdown(f"**{t('nqm.gen.title')}**")
    pred = nqm_prediction(all_runs, ui.table(store, sid, "epochs"))
    if pred.empty:
        st.info(t("nqm.gen.none"))
    else:
        measured = scaling.steps_points(all_runs)
        ui.chart(charts_nqm.predicted_vs_measured, measured, nqm_study.beside_measured(pred, measured),
                 name=f"{sid}-nqm", key="gen_nqm", caption=t("nqm.gen.caption"))
        st.caption("  \n".join(nqm_study.compare_lines(pred, fits)))
    ui.chart(charts.target_chart, runs, "epochs", csv=reached, name=f"{sid}-epochs-to-target", key="gen_epochs")
    st.caption(t("caption.epochs_to_target"))

if fairness.sweeps_lr(all_runs):
    st.subheader(t("gen.lr_grid"))
    opt = st.selectbox(t("gen.optimizer"), sorted(all_runs.optimizer.unique()), key="gen_heat_opt", bind="query-params")
    heat, budgets = all_runs, list(dict.fromkeys(all_runs.get("budget", [])))
    if len(budgets) > 1:   # a cell is one configuration: one budget at a time
        heat = all_runs[all_runs.budget == st.selectbox(t("label.budget"), budgets, key="gen_heat_budget")]
    targeted = fairness.has_target(heat)   # steps to a target only where runs train to one
    left, right = st.columns(2)
    if targeted:
        with left:
            ui.chart(charts_fit.lr_heatmap, heat, "steps", optimizer=opt, name=f"{sid}-lr-steps",
                     key="gen_heat_steps")
    with right if targeted else left:
        ui.chart(charts_fit.lr_heatmap, heat, "test_acc", optimizer=opt, name=f"{sid}-lr-test-acc",
                 key="gen_heat_acc")
    st.caption(t("caption.lr_heatmap" if targeted else "caption.lr_heatmap_budget", opt=opt) +
               (" " + t("caption.lr_edge") if (lr_edges.lr_edges(heat).lr_at_edge != "").any() else ""))
    st.caption("  \n".join(lr_rule.describe(f) for f in lr_rule.study_rules(heat)))

st.subheader(t("gscale.subheader"))
optim = sgd_noise.optim_of(store.spec_text(sid))
if why := sgd_noise.has_view(all_runs, optim):
    st.info(t(why))
else:
    ui.chart(charts_g.noise_scale_chart, all_runs, optim, csv=charts_g.g_points(all_runs, optim),
             name=f"{sid}-noise-scale", key="gen_noise_scale", caption=sgd_noise.caption(all_runs, optim))
    st.markdown("  \n".join(sgd_noise.reading(all_runs, optim)))

st.subheader(t("runs.title"))
table = runtable.run_table(all_runs)
left, mid, right = st.columns([2, 2, 1.5])
optimizers = sorted(table.optimizer.unique())
statuses = sorted(table.status.unique())
opts = left.multiselect(t("runs.optimizers"), optimizers, default=optimizers, key="runs_opt", bind="query-params")
stat = mid.multiselect(t("runs.status"), statuses, default=statuses, key="runs_status", format_func=ui.state_label,
                       bind="query-params")
only_fit = right.toggle(t("runs.only_fit"), key="runs_fit", help=t("runs.only_fit_help"), bind="query-params")
quick = runtable.filter_runs(table, opts, stat, only_fit)
shown, selected = ui.runs_table(quick, ui.run_links(quick, sid), key="runs")
st.caption(t("runs.caption", n=len(shown), total=len(table)))
if len(shown):
    outcomes = ["test_acc", "gap_acc"] + [c for c in runtable.measure_columns(shown)
                                          if c in measures.drawn("sharpness")][:1]   # the first sharpness
    ui.chart(charts_runs.parallel_coordinates, shown, outcomes, selected=selected, name=f"{sid}-runs-parallel",
             key="gen_parallel", caption=t("runs.parallel_caption"))

with st.expander(t("how.title")):
    st.markdown(t("how.generalization"))
