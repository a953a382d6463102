"""What a page's study did not measure, said in one line with one action: measure it on the stored runs (no
retraining), at its rough cost (studies.office.remeasure)."""
from __future__ import annotations

import streamlit as st

from studies import measures
from studies.office import remeasure
from studies.spec.config import StudySpec
from studies.engine.device import device_slot
from studies.spec.estimate import format_seconds
from studies.i18n import Markdown, code, t
from studies.office.jobfile import QueueFull, max_queued
from studies.storage.store import Store

from .frame import job_manager


def measure_offer(store: Store, spec: StudySpec | None, off: list[str]) -> None:
    """One info line naming the switches in ``off`` (measure switch names) and, for those that need only the
    final weights, a button that queues the study again with them on: a measure-only job on the stored runs."""
    form = {s.name: s.form for s in measures.switches()}
    now = [s for s in off if s in remeasure.FINAL_WEIGHTS]
    later = [s for s in off if s not in now]
    names = lambda switches: Markdown(", ".join(f"*{t(form[s])}*" for s in switches))   # noqa: E731 - catalogue text
    line = t("offer.off", names=names(off))
    if later:
        line += " " + t("offer.retrain", names=names(later))
    st.info(line, icon=":material/add_chart:")
    if spec is None or not now:
        return
    wanted = remeasure.with_switches(spec, now)
    cost = format_seconds(remeasure.measure_seconds(wanted, device_slot(spec.device)))
    if st.button(t("offer.measure", names=", ".join(t(form[s]) for s in now), time=cost), key="offer_measure",
                 icon=":material/play_arrow:", help=t("offer.measure_help")):
        try:
            job = job_manager(str(store.root)).submit(wanted)
        except QueueFull:
            st.error(t("form.queue_full", n=max_queued()))
        else:
            st.success(t("form.queued", name=wanted.name, job=code(job["job_id"])))
            st.page_link("pages/2_Jobs.py", label=t("form.watch"), icon=":material/queue:")
