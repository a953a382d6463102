"""Jobs: the queue of studies, live progress of the running ones, cancel and resume.

Training happens in worker processes (studies/jobs.py), never in this page's script run; the fragment below
re-reads their progress files every second while something is queued or running.
"""
import time

import streamlit as st

import ui
from studies.i18n import t
from studies.estimate import format_seconds
from studies.jobs import ACTIVE, progress_view

BADGE = {"queued": "gray", "running": "blue", "done": "green", "failed": "red", "cancelled": "orange",
         "interrupted": "orange"}

store = ui.page(t("nav.Jobs"), ":material/queue:")
manager = ui.job_manager(str(store.root))
states_at_start = {j["job_id"]: j["state"] for j in manager.queue.jobs()}


@st.fragment(run_every="1s" if set(states_at_start.values()) & set(ACTIVE) else None)
def queue_view() -> None:
    jobs = sorted(manager.queue.jobs(), key=lambda j: j.get("created", 0), reverse=True)
    if not jobs:
        st.info("No jobs yet. Launch a study on **New study**.")
        return
    for job in jobs:
        jid, state = job["job_id"], job["state"]
        p = progress_view(job, manager.queue.progress(jid))
        with st.container(border=True, key=f"job_{jid}"):
            head, actions = st.columns([5, 1])
            head.markdown(f"**{job['name']}** · :{BADGE.get(state, 'gray')}-badge[{state}] · {job['slot']} · "
                          f"study `{job['study_id'][:8]}` · job `{jid}`")
            if state in ACTIVE and actions.button("Cancel", key=f"cancel_{jid}",
                                                  help="Stop it; finished runs are kept"):
                manager.cancel(jid)
                st.rerun(scope="app")
            if state in ("interrupted", "cancelled", "failed") and actions.button(
                    "Resume", key=f"resume_{jid}", help="Queue it again; the runs already finished are skipped"):
                manager.resume(jid)
                st.rerun(scope="app")
            fit = (store.study_info(job["study_id"]) or {}).get("fit") if state not in ACTIVE else None
            st.progress(p["fraction"], text=fit or f"{p['done']} / {p['total']} runs")   # "12 done · 2 missed target"
            line = [f"elapsed {format_seconds(p['elapsed_s'])}"]
            if state == "running":
                line.append(f"remaining ≈ {format_seconds(p['remaining_s'])}")
                if p["current"]:
                    loss = f", loss {p['loss']:.3g}" if p["loss"] is not None else ""
                    line.append(f"now: {p['current']} — epoch {p['epoch']}/{p['epochs']}{loss}")
            if p["failed"]:
                line.append(f"{p['failed']} runs failed")
            st.caption(" · ".join(line))
            if job.get("message"):
                st.caption(job["message"])
            if p["done"]:
                st.page_link("pages/4_Generalization.py", label="Open its results",
                             query_params={"study": job["study_id"]}, icon=":material/insights:")
    if {j["job_id"]: j["state"] for j in jobs} != states_at_start:   # a job started or ended: redraw all
        time.sleep(0.2)
        st.rerun(scope="app")


queue_view()
