"""The store as pages read it: cached tables, the study picker (mirrored in ?study=, so a copied link opens
the same view), and `study_page`, the one opening of every page about one study."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from studies import i18n
from studies.i18n import code, t
from studies.office import learned
from studies.storage.store import Store, StoreError, open_store

from .fair import fit_warning, study_conclusions
from .frame import page


@st.cache_data(show_spinner=False, max_entries=128)
def _load(root: str, study_id: str, table: str, version: tuple) -> tuple[pd.DataFrame, list[str]]:
    """Keyed on every input: a table is re-read only when the study's store version or the file changes."""
    store = open_store(root)
    return store.load_table(study_id, table), list(store.problems)


def table(store: Store, study_id: str, name: str = "runs") -> pd.DataFrame:
    path = store.study_dir(study_id) / f"{name}.parquet"
    stamp = path.stat().st_mtime_ns if path.exists() else 0
    df, problems = _load(str(store.root), study_id, name, (store.version(study_id), stamp))
    for p in problems:
        st.warning(i18n.plain(p))
    return df


@st.cache_data(show_spinner=False, max_entries=4)
def _rates(root: str, version: tuple) -> pd.DataFrame:
    return learned.store_rates(open_store(root))


def finished_rates(store: Store) -> pd.DataFrame:
    """What this store's finished runs took per epoch (studies.office.learned.store_rates), re-read only when a
    study changes."""
    ids = store.list_studies().study_id
    return _rates(str(store.root), tuple((s, store.version(s)) for s in ids))


def studies(store: Store) -> pd.DataFrame:
    df = store.list_studies()
    for p in store.problems:
        st.warning(i18n.plain(p))
    store.problems.clear()
    return df


def study_label(row) -> str:
    """Stable text for a study (no counters), so a label never changes under a shared link."""
    return f"{row.name} · {row.study_id[:8]}"


def state_label(state: str) -> str:
    key = f"frame.state.{state}"
    text = t(key)
    return state if text == key else text


def study_picker(store: Store, all_studies: pd.DataFrame | None = None) -> str:
    """The sidebar's study select, mirrored in ?study= (an id, id prefix or unique name also works)."""
    df = studies(store) if all_studies is None else all_studies
    if df.empty:
        st.info(t("frame.no_studies", root=code(store.root)))
        st.stop()
    ids = list(df.study_id)
    wanted = st.query_params.get("study") or st.session_state.get("_study")
    if wanted and wanted not in ids:
        try:
            wanted = store.find_study(wanted)
        except StoreError as e:
            st.warning(t("frame.study_missing", error=e))
            wanted = None
    labels = {r.study_id: study_label(r) for r in df.itertuples()}
    states = {r.study_id: t("frame.runs_state", done=r.runs_done, total=r.runs_total, state=state_label(r.state))
              for r in df.itertuples()}
    sid = st.sidebar.selectbox(t("frame.study"), ids, index=ids.index(wanted) if wanted in ids else 0,
                               format_func=labels.get, key="study")
    st.sidebar.caption(states[sid])   # under the select, so a narrow sidebar never cuts it
    st.query_params["study"] = sid
    st.session_state["_study"] = sid
    return sid


def runs_or_stop(store: Store, study_id: str) -> pd.DataFrame:
    runs = table(store, study_id, "runs")
    if runs.empty:
        st.info(t("frame.no_runs"))
        st.stop()
    return runs


def study_of_run(store: Store, run: str) -> str | None:
    """The newest study whose runs include ``run`` (an id or its first characters), None if none does."""
    for sid in studies(store).study_id:
        ids = table(store, sid, "runs").get("run_id", pd.Series(dtype=str)).astype(str)
        if ids.str.startswith(run).any():
            return sid
    return None


def run_links(runs: pd.DataFrame, study_id: str) -> pd.Series:
    """Each run's page (/Run?run=ID&study=ID), for a table's link column."""
    return "Run?run=" + runs["run_id"].astype(str) + "&study=" + study_id


def run_link_column():
    """The link column of a runs table: "open" to the run's page."""
    return st.column_config.LinkColumn(t("runs.page"), display_text=t("runs.open"), help=t("runs.page_help"))


class StudyPage(NamedTuple):
    store: Store
    study_id: str
    runs: pd.DataFrame
    b_simple: tuple[float, float, float] | None   # (value, low, high), None without an estimate


def study_page(key: str, icon: str) -> StudyPage:
    """The opening of a page about one study: the frame (titled by the catalogue's ``nav.<key>``), the study
    picker, its runs (or a line saying there are none yet, and stop), the matched-fit warning and the line of
    conclusions (B_simple, B_crit, runs left out)."""
    store = page(t(f"nav.{key}"), icon)
    sid = study_picker(store)
    runs = runs_or_stop(store, sid)
    fit_warning(runs)
    return StudyPage(store, sid, runs, study_conclusions(runs, table(store, sid, "epochs")))
