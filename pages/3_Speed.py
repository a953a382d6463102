"""Speed: epoch time, time per step and samples/s against batch size, per optimizer and shuffle."""
import streamlit as st

import ui
from studies.i18n import t
from studies import charts
from studies.spec.config import SHUFFLE_LABELS

store = ui.page(t("nav.Speed"), ":material/speed:")
sid = ui.study_picker(store)
all_runs = charts.with_speed(ui.runs_or_stop(store, sid))
ui.fit_warning(all_runs)
b_simple = ui.study_conclusions(store, sid, all_runs)
runs = ui.lr_view(all_runs, "speed_every_lr")   # best lr by default

optimizers = sorted(runs.optimizer.unique())
left, right = st.columns(2)
chosen = left.multiselect(t("speed.optimizers"), optimizers, default=optimizers, key="speed_optimizers",
                          bind="query-params", help=t("speed.optimizers_help"))
order_of = runs.shuffle.map(SHUFFLE_LABELS)
present = [o for o in SHUFFLE_LABELS.values() if o in set(order_of)]
orders = right.multiselect(t("speed.order"), present, default=present, key="speed_order", bind="query-params",
                           help=t("speed.order_help"))
shown = runs[runs.optimizer.isin(chosen) & order_of.isin(orders)]
if shown.empty:
    ui.fail(t("speed.nothing"))

st.caption(charts.timing_note(shown))
ui.chart(charts.epoch_time_chart, shown, b_simple=b_simple, name=f"{sid}-epoch-time", key="speed_epoch",
         caption=t("caption.epoch_time") + (" " + t("caption.bcrit", b=f"{b_simple[0]:,.0f}") if b_simple else ""))
left, right = st.columns(2)
with left:
    ui.chart(charts.batch_size_chart, shown, "step_time_s", log_y=True, title=t("speed.step_title"),
             name=f"{sid}-step-time", key="speed_step", caption=t("caption.step_time"))
with right:
    ui.chart(charts.batch_size_chart, shown, "samples_per_s", log_y=True, title=t("speed.throughput_title"),
             b_simple=b_simple, name=f"{sid}-throughput", key="speed_throughput",
             caption=t("caption.throughput"))
with st.expander(t("how.title")):
    st.markdown(t("how.speed"))
