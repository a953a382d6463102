"""Speed: which batch size reaches the target soonest here (with the ones within the noise), time to the target and
the steps–examples trade-off, then epoch time, time per step and samples/s against batch size."""
import pandas as pd
import streamlit as st

import ui
from studies.i18n import t
from studies import charts
from studies.analysis import speed
from studies.charts.speed import time_to_target_chart, tradeoff_chart
from studies.spec.config import SHUFFLE_LABELS

store = ui.page(t("nav.Speed"), ":material/speed:")
sid = ui.study_picker(store)
got = speed.answer(charts.with_speed(ui.runs_or_stop(store, sid)))
all_runs = got["runs"]
for f in got["fastest"]:   # the answer first
    near = (t("speed.near_one_seed") if not f["has_interval"] else t("speed.near_none") if f["low"] == f["high"]
            else t("speed.near", low=f["low"], high=f["high"]))
    st.markdown(t("speed.fastest", b=f["b"], opt=f["optimizer"], order=t(f"order.{SHUFFLE_LABELS[f['shuffle']]}"),
                  time=f"{f['time']:.3g}", n=f["n"], near=near))
if not got["fastest"]:
    st.info(t("speed.no_target"))
ui.fit_warning(all_runs)
b_simple = ui.study_conclusions(all_runs, ui.table(store, sid, "epochs"))
runs = ui.lr_view(all_runs, "speed_every_lr")   # best lr by default

optimizers = sorted(runs.optimizer.unique())
left, right = st.columns(2)
chosen = left.multiselect(t("speed.optimizers"), optimizers, default=optimizers, key="speed_optimizers",
                          bind="query-params", help=t("speed.optimizers_help"))
order_of = runs.shuffle.map(SHUFFLE_LABELS)
present = [o for o in SHUFFLE_LABELS.values() if o in set(order_of)]
orders = right.multiselect(t("speed.order"), present, default=present, key="speed_order", bind="query-params",
                           format_func=lambda o: t(f"order.{o}"),
                           help=t("speed.order_help"))
shown = runs[runs.optimizer.isin(chosen) & order_of.isin(orders)]
if shown.empty:
    ui.fail(t("speed.nothing"))

name = (store.study_info(sid) or {}).get("name") or sid
st.caption(charts.timing_note(shown))
note, button = st.columns([3, 1])
note.caption(t("speed.retime_cmd", name=name) + (" " + t("speed.retimed_at", at=str(shown.retimed_at.dropna().max()))
                                                  if "retimed_at" in shown and shown.retimed_at.notna().any() else ""))
if button.button(t("speed.retime"), key="speed_retime", help=t("speed.retime_help"), icon=":material/timer:"):
    ui.job_manager(str(store.root)).retime(sid, str(name), str(shown.device.iloc[0]) if "device" in shown else "auto")
    st.success(t("speed.retime_queued"))

if got["fastest"]:
    sat = got["saturation"]
    left, right = st.columns(2)
    with left:
        ui.chart(time_to_target_chart, shown, saturation=sat[sat.optimizer.isin(chosen)], name=f"{sid}-time-to-target",
                 key="speed_to_target", caption=t("caption.time_to_target"))
    with right:
        hyper = any(f.get("lr_tuned") for f in got["fits"])
        ui.chart(tradeoff_chart, shown, got["fits"], name=f"{sid}-tradeoff", key="speed_tradeoff",
                 caption=t("caption.tradeoff") + t("caption.tradeoff_fit" if hyper else "caption.tradeoff_nofit"))
    tab = speed.table(got["rows"], all_runs)
    tab = tab[tab.optimizer.isin(chosen)]
    fmt = lambda v, p="{:.3g}": "" if pd.isna(v) else p.format(v)  # noqa: E731
    st.caption(t("speed.table"))
    st.dataframe(pd.DataFrame({
        t("chart.legend.optimizer"): tab.optimizer,
        t("chart.batch_size"): tab.batch_size.astype(int),
        t("speed.col.time"): tab.time.map(fmt),
        t("speed.col.time_ci"): [f"{fmt(a)}–{fmt(b)}" if pd.notna(a) else "" for a, b in zip(tab.time_low, tab.time_high)],
        t("speed.col.examples"): tab.examples.map(lambda v: fmt(v, "{:,.0f}")),
        t("speed.col.examples_ci"): [f"{fmt(a, '{:,.0f}')}–{fmt(b, '{:,.0f}')}" if pd.notna(a) else ""
                                     for a, b in zip(tab.examples_low, tab.examples_high)],
        t("speed.col.wall"): tab.get("wall", pd.Series(dtype=float)).map(fmt),
        t("speed.col.n"): tab.n}), hide_index=True, key="speed_table")

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
    st.markdown(t("how.speed_answer"))
    st.markdown(t("how.speed"))
