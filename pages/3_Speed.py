"""Speed: epoch time, time per step and samples/s against batch size, per optimizer and shuffle."""
import streamlit as st

import ui
from studies.i18n import t
from studies import charts

store = ui.page(t("nav.Speed"), ":material/speed:")
sid = ui.study_picker(store)
runs = charts.with_speed(ui.runs_or_stop(store, sid))

optimizers = sorted(runs.optimizer.unique())
left, right = st.columns(2)
chosen = left.multiselect("Optimizers", optimizers, default=optimizers, key="speed_optimizers",
                          bind="query-params", help="Also a click on the chart legend highlights one")
present = [o for o in ("shuffle", "fixed order") if o in set(runs.shuffle.map({True: "shuffle", False: "fixed order"}))]
orders = right.multiselect("Order", present, default=present,
                           key="speed_order", bind="query-params",
                           help="shuffle: a new permutation every epoch; fixed order: one order for all epochs")
shown = runs[runs.optimizer.isin(chosen) & runs.shuffle.map({True: "shuffle", False: "fixed order"}).isin(orders)]
if shown.empty:
    ui.fail("Nothing to show: pick at least one optimizer and one order.")

st.caption(charts.timing_note(shown))
critical = charts.critical_batch_size(shown)
ui.chart(charts.epoch_time_chart, shown, critical_batch=critical, name=f"{sid}-epoch-time", key="speed_epoch")
left, right = st.columns(2)
with left:
    ui.chart(charts.batch_size_chart, shown, "step_time_s", log_y=True, title="time per step vs batch size",
             name=f"{sid}-step-time", key="speed_step")
with right:
    ui.chart(charts.batch_size_chart, shown, "samples_per_s", log_y=True, title="samples / s vs batch size",
             critical_batch=critical, name=f"{sid}-throughput", key="speed_throughput")
