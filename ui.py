"""Streamlit helpers every page uses: the password gate, the shared sidebar, cached loaders, the study picker
(mirrored in the URL, so a copied link opens the same view), and a chart with its downloads.

The library (`studies/`) never imports streamlit; this module is the one place that joins the two.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import importlib
import sys
import time

import pandas as pd
import streamlit as st

from studies import charts
from studies.jobs import JobManager, device_slot
from studies.store import Store, StoreError, open_store, resolve_root

PAGES = {  # page file → title, for links between pages
    "dashboard.py": "Studies", "pages/1_New_study.py": "New study", "pages/2_Jobs.py": "Jobs",
    "pages/3_Speed.py": "Speed", "pages/4_Generalization.py": "Generalization",
    "pages/5_Sharpness.py": "Sharpness", "pages/6_Compare.py": "Compare",
}


def fail(message: str) -> None:
    """An error the user can act on: shown in the page, never a traceback."""
    st.error(message)
    st.stop()


def store_root() -> str:
    """`streamlit run dashboard.py -- --store DIR`, else $BATCHSCOPE_STORE, else ./batchscope-results."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--store")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return str(resolve_root(args.store))


# ---------------------------------------------------------------- password gate

def _expected_password() -> str | None:
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        value = st.secrets.get("password")
    except Exception:  # noqa: BLE001 - an unreadable secrets file means no password, not a crash
        return None
    return str(value) if value else None


def require_password() -> None:
    """If .streamlit/secrets.toml sets `password`, every page asks for it once per browser session."""
    expected = _expected_password()
    if not expected:
        return
    token = hashlib.sha256(expected.encode()).hexdigest()   # a changed password logs everyone out
    if st.session_state.get("_auth") == token:
        return
    st.title("Batchscope")
    with st.form("login"):
        given = st.text_input("Password", type="password", key="login_password",
                              help="Ask whoever shared this link")
        submitted = st.form_submit_button("Open the dashboard", key="login_submit")
    if submitted:
        if hmac.compare_digest(given.encode(), expected.encode()):
            st.session_state["_auth"] = token
            st.rerun()
        time.sleep(1.0)   # slows guessing
        st.error("Wrong password.")
    st.stop()


# ---------------------------------------------------------------- frame

@st.cache_resource(show_spinner=False)
def job_manager(root: str) -> JobManager:
    """One job manager per store and server; its thread starts queued studies in the background."""
    return JobManager(root).start()


def page(title: str, icon: str) -> Store:
    """Page config, password gate, the shared sidebar; returns the store."""
    st.set_page_config(page_title=f"{title} · Batchscope", page_icon=icon, layout="wide")
    require_password()
    try:
        store = open_store(store_root())
    except StoreError as e:
        fail(str(e))
    st.title(f"{icon} {title}")
    _sidebar(store)
    return store


def _sidebar(store: Store) -> None:
    jobs = job_manager(str(store.root)).queue.jobs()
    running = [j for j in jobs if j["state"] == "running"]
    queued = sum(j["state"] == "queued" for j in jobs)
    with st.sidebar:
        slots = sorted({"cpu", device_slot("auto")})
        st.caption(f"Store `{store.root}` · {len(slots)} worker{'s' * (len(slots) > 1)} ({', '.join(slots)}): "
                   "one study at a time per device, so epoch times are honest")
        if running or queued:
            names = ", ".join(f"{j['name']} on {j['slot']}" for j in running) or "none"
            st.caption(f"Queue: {len(running)} running ({names}), {queued} waiting")


# ---------------------------------------------------------------- cached loaders

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
        st.warning(p)
    return df


def studies(store: Store) -> pd.DataFrame:
    df = store.list_studies()
    for p in store.problems:
        st.warning(p)
    store.problems.clear()
    return df


def study_label(row) -> str:
    """Stable text for a study (no counters), so a label never changes under a shared link."""
    return f"{row.name} · {row.study_id[:8]}"


def study_picker(store: Store, all_studies: pd.DataFrame | None = None) -> str:
    """The sidebar's study select, mirrored in ?study= (an id, id prefix or unique name also works)."""
    df = studies(store) if all_studies is None else all_studies
    if df.empty:
        st.info(f"No studies in `{store.root}` yet. Design one on **New study**, or run "
                "`python -m studies run examples/quick.toml`")
        st.stop()
    ids = list(df.study_id)
    wanted = st.query_params.get("study") or st.session_state.get("_study")
    if wanted and wanted not in ids:
        try:
            wanted = store.find_study(wanted)
        except StoreError as e:
            st.warning(f"The study in the link is not here: {e}")
            wanted = None
    labels = {r.study_id: f"{study_label(r)} · {r.runs_done}/{r.runs_total} runs · {r.state}"
              for r in df.itertuples()}
    sid = st.sidebar.selectbox("Study", ids, index=ids.index(wanted) if wanted in ids else 0,
                               format_func=labels.get, key="study")
    st.query_params["study"] = sid
    st.session_state["_study"] = sid
    return sid


def runs_or_stop(store: Store, study_id: str) -> pd.DataFrame:
    runs = table(store, study_id, "runs")
    if runs.empty:
        st.info("This study has no finished runs yet; the **Jobs** page shows its progress.")
        st.stop()
    return runs


# ---------------------------------------------------------------- charts with downloads

@st.cache_data(show_spinner=False, max_entries=256)
def _vega_lite(builder: str, args: tuple, kwargs: dict, module: str = "studies.charts") -> dict:
    """The chart's Vega-Lite spec, built once per input (altair's build and validation cost more than
    loading a 1,000-run study, so a rerun that changes nothing here costs only the hashing of the inputs).
    ``module``: the torch-free chart module the builder lives in (studies.charts, studies.curvature_charts)."""
    return charts.to_vega_lite(getattr(importlib.import_module(module), builder)(*args, **kwargs))


def chart(builder, *args, name: str, key: str, csv: pd.DataFrame | None = None, **kwargs) -> None:
    """``builder(*args, **kwargs)`` from studies.charts, drawn, then CSV / PNG / SVG downloads (the images are
    made by vl-convert only when clicked). The CSV is ``csv``, else the first argument."""
    try:
        spec = _vega_lite(builder.__name__, args, kwargs, builder.__module__)
    except Exception as e:  # noqa: BLE001 - one chart that cannot be drawn must not take the page down
        st.error(f"{name}: this chart cannot be drawn from the data ({e.__class__.__name__}: {e})")
        return
    st.vega_lite_chart(spec, width="stretch", theme=None, key=f"{key}_chart")
    data = args[0] if csv is None else csv
    with st.container(horizontal=True, gap="small", key=f"{key}_downloads"):
        st.download_button("CSV", lambda: data.to_csv(index=False), file_name=f"{name}.csv", mime="text/csv",
                           key=f"{key}_csv", on_click="ignore", icon=":material/download:", type="tertiary")
        for fmt, mime in (("png", "image/png"), ("svg", "image/svg+xml")):
            st.download_button(fmt.upper(), lambda fmt=fmt: charts.to_image(spec, fmt), file_name=f"{name}.{fmt}",
                               mime=mime, key=f"{key}_{fmt}", on_click="ignore", icon=":material/image:",
                               type="tertiary")
