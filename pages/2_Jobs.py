"""Jobs: the queue of studies, live progress of the running ones, cancel and resume.

Training happens in worker processes (studies/office/jobs.py), never in this page's script run; the fragment below
re-reads their progress files every second while something is queued or running.
"""
import time

import pandas as pd
import streamlit as st

import ui
from studies import charts
from studies.analysis import fairness
from studies.charts import runs as charts_runs
from studies.i18n import plain, t
from studies.spec.estimate import format_seconds
from studies.office.job_queue import ACTIVE
from studies.office.jobfile import NeedsConfirmation, QueueFull, max_queued
from studies.office.progress import live_curves, progress_view, smoothed_remaining

BADGE = {"queued": "gray", "running": "blue", "done": "green", "failed": "red", "cancelled": "orange",
         "interrupted": "orange"}

store = ui.page(t("nav.Jobs"), ":material/queue:")
manager = ui.job_manager(str(store.root))
S = st.session_state
states_at_start = {j["job_id"]: j["state"] for j in manager.queue.jobs()}
active = bool(set(states_at_start.values()) & set(ACTIVE))
paused = active and st.toggle(t("jobs.pause"), key="jobs_pause", help=t("jobs.pause_help"))   # to zoom the curves


@st.fragment(run_every="1s" if active and not paused else None)
def queue_view() -> None:
    ui.keep_language()   # a fragment's rerun starts in a fresh context: without this it draws English
    jobs = sorted(manager.queue.jobs(), key=lambda j: j.get("created", 0), reverse=True)
    for problem in manager.queue.problems:   # job files that are not jobs: said, never a crash
        st.warning(plain(problem))
    if not jobs:
        st.info(t("jobs.none"))
        return
    smooth = ui.smoothing("jobs_smooth", st.columns([3, 5])[0]) if any(j["state"] == "running" for j in jobs) else 1
    for job in jobs:
        jid, state = job["job_id"], job["state"]
        p = progress_view(job, manager.queue.progress(jid))
        with st.container(border=True, key=f"job_{jid}"):
            head, actions = st.columns([5, 1])
            head.markdown(f"**{plain(job['name'])}** · :{BADGE.get(state, 'gray')}-badge[{ui.state_label(state)}] · "
                          f"{plain(job.get('slot', ''))} · {t('jobs.study')} `{job['study_id'][:8]}` · "
                          f"{t('jobs.job')} `{jid}`")
            if state in ACTIVE and actions.button(t("jobs.cancel"), key=f"cancel_{jid}", help=t("jobs.cancel_help")):
                manager.cancel(jid)
                st.rerun(scope="app")
            if state in ("interrupted", "cancelled", "failed") and actions.button(
                    t("jobs.resume"), key=f"resume_{jid}", help=t("jobs.resume_help")):
                try:   # Launch's gate: the queue limit and the long-queue confirmation
                    manager.resume(jid, confirmed=bool(st.session_state.get(f"confirm_resume_{jid}")))
                except QueueFull:
                    st.error(t("form.queue_full", n=max_queued()))
                except NeedsConfirmation as e:
                    st.session_state["_resume_ask"] = (jid, e.estimate_s, e.waiting_s, e.limit_s)
                else:
                    st.rerun(scope="app")
            ask = st.session_state.get("_resume_ask")
            if ask and ask[0] == jid and state not in ACTIVE:
                st.warning(t("jobs.resume_long", time=format_seconds(ask[1]), queue=format_seconds(ask[2]),
                             limit=format_seconds(ask[3])))
                st.checkbox(t("jobs.resume_confirm", time=format_seconds(ask[1])), key=f"confirm_resume_{jid}")
            fit = (store.study_info(job["study_id"]) or {}).get("fit") if state not in ACTIVE else None
            runs_text = t("jobs.runs_done", done=p["done"], total=p["total"], pct=round(100 * p["fraction"]))
            st.progress(p["fraction"], text=f"{runs_text} · {plain(fairness.translate_summary(fit))}" if fit else runs_text)
            line = [t("jobs.elapsed", time=format_seconds(p["elapsed_s"]))]
            if state == "running":
                if p["phase"]:
                    line.append(t(f"jobs.phase.{p['phase']}"))
                shown = smoothed_remaining(S.get(f"_left_{jid}"), p["remaining_s"], time.time())
                if shown is not None:
                    S[f"_left_{jid}"] = (shown, time.time())
                    line.append(t("jobs.remaining", time=format_seconds(shown)))
                if p["current"] and p["phase"] == "training":
                    loss = t("jobs.loss", loss=f"{p['loss']:.3g}") if p["loss"] is not None else ""
                    line.append(t("jobs.now", run=charts.localised_run_label(p["current"]), epoch=p["epoch"], epochs=p["epochs"], loss=loss))
            elif state == "queued" and p["remaining_s"] is not None:
                line.append(t("jobs.estimated", time=format_seconds(p["remaining_s"])))
            if p["failed"]:
                line.append(t("jobs.failed", n=p["failed"]))
            st.caption(" · ".join(line))
            curves = pd.DataFrame(live_curves(manager.queue.progress(jid)))
            if state == "running" and len(curves):   # live: loss and accuracy per epoch of this attempt's runs
                for col, metric in zip(st.columns(2), ("train_loss", "test_acc")):
                    col.vega_lite_chart(ui.chart_spec(charts_runs.live_curve, curves, metric, smooth=smooth),
                                        width="stretch",
                                        theme=None, key=f"live_{metric}_{jid}")
            if job.get("message"):
                st.caption(plain(job["message"]))
            if p["runs"]:
                with st.expander(t("jobs.run_table", n=len(p["runs"])), expanded=state == "running"):
                    table = pd.DataFrame(p["runs"])
                    if state == "done":   # stored now: each run opens its page
                        table["page"] = ui.run_links(table, job["study_id"]).where(table["state"] == "done")
                    st.dataframe(table.drop(columns="run_id").assign(
                        run=lambda d: d["run"].map(charts.localised_run_label),
                        state=lambda d: d["state"].map(ui.state_label),
                        time_s=lambda d: d["time_s"].map(lambda v: format_seconds(v) if v == v and v is not None
                                                         else "")),
                        hide_index=True, key=f"runs_{jid}",
                        column_config={"run": t("jobs.col.run"), "state": t("jobs.col.state"),
                                       "epochs": t("jobs.col.epochs"),
                                       "reached_target": st.column_config.CheckboxColumn(t("jobs.col.target")),
                                       "time_s": t("jobs.col.time"), "page": ui.run_link_column()})
            if p["done"]:
                st.page_link("pages/4_Generalization.py", label=t("jobs.open_results"),
                             query_params={"study": job["study_id"]}, icon=":material/insights:")
                if job.get("pair"):   # a paper's two halves (Smith): Compare on both
                    st.page_link("pages/6_Compare.py", label=t("jobs.open_pair"), icon=":material/compare_arrows:",
                                 query_params={"studies": f"{job['study_id']},{job['pair']}"})
    if {j["job_id"]: j["state"] for j in jobs} != states_at_start:   # a job started or ended: redraw all
        time.sleep(0.2)
        st.rerun(scope="app")


queue_view()
