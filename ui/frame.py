"""The frame every page shares: the explicit list of pages and the router over them, the language switch,
page config with the password gate, the sidebar, the store, and the one-line error that stops a page."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import streamlit as st

from studies import i18n
from studies.engine.device import device_slot
from studies.i18n import code, t
from studies.office.jobs import JobManager
from studies.storage.store import Store, StoreError, open_store, resolve_root

from .gate import require_password
from .uploader import uploader_text

ROOT = Path(__file__).resolve().parents[1]
HOME = "home.py"
ICON = ROOT / "ui" / "icon.png"   # the tab's icon, served by the dashboard itself (a :material: one is fetched)
# Every page, in the sidebar's order: the URL name is the file name without its number prefix.
PAGES = (HOME, "pages/1_New_study.py", "pages/2_Jobs.py", "pages/3_Speed.py", "pages/4_Generalization.py",
         "pages/5_Sharpness.py", "pages/6_Compare.py", "pages/7_Playground.py", "pages/8_Curvature.py", "pages/9_Run.py")


def page_files() -> list[str]:
    """home.py, then the pages, as paths relative to ROOT."""
    return list(PAGES)


def page_key(path: str) -> str:
    """The page's URL name ("pages/1_New_study.py" -> "New_study"; home -> "home"), also its catalogue key."""
    if path == HOME:
        return "home"
    stem = Path(path).stem
    return stem.split("_", 1)[1] if "_" in stem and stem.split("_", 1)[0].isdigit() else stem


def page_title(path: str) -> str:
    key = f"nav.{page_key(path)}"
    title = t(key)
    return title if title != key else page_key(path).replace("_", " ")


def fail(message: str) -> None:
    """An error the user can act on: shown in the page (as typed, never as markup), never a traceback."""
    st.error(i18n.plain(message))
    st.stop()


def store_root() -> str:
    """`streamlit run dashboard.py -- --store DIR`, else $BATCHSCOPE_STORE, else ./batchscope-results."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--store")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return str(resolve_root(args.store))


@st.cache_resource(show_spinner=False)
def job_manager(root: str) -> JobManager:
    """One job manager per store and server; its thread starts queued studies in the background."""
    return JobManager(root).start()


def _classic_run() -> bool:
    """True in a script run that Streamlit's classic pages/ discovery started instead of dashboard.py. With a
    folder named pages/ beside the entry point, Streamlit (1.67) decides so once per server process (AppTest on
    every run) before any of our code runs, so a deep link opened first would never reach our st.navigation.
    st.navigation turns the discovery off for the later runs. The folder keeps its name: links and the
    acceptance checks address pages/*.py."""
    from streamlit.runtime.pages_manager import PagesManager
    return bool(PagesManager.uses_pages_directory)


def language() -> str:
    """The sidebar's English / 中文 switch, mirrored in ?lang= like every other view state; sets i18n's language."""
    wanted = st.query_params.get("lang")
    wanted = {name: code for code, name in i18n.LANGUAGES.items()}.get(wanted, wanted)   # ?lang=中文 works too
    if "lang" not in st.session_state and wanted in i18n.LANGUAGES:   # a shared link opens in its language
        st.session_state["lang"] = wanted
    lang = st.sidebar.segmented_control(t("frame.language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get,
                                        key="lang", required=True, default=None if "lang" in st.session_state
                                        else "en")
    lang = i18n.set_language(lang)
    if lang == "en":
        st.query_params.pop("lang", None)
    else:
        st.query_params["lang"] = lang
    return lang


def keep_language() -> str:
    """Set this script run's language from the session (a fragment's rerun starts in a fresh context, which
    would otherwise draw English): call it first in every fragment."""
    return i18n.set_language(st.session_state.get("lang"))


def navigation():
    """The router dashboard.py runs: the language switch and the sidebar over PAGES."""
    language()
    return st.navigation([st.Page(str(ROOT / p), title=page_title(p), default=p == HOME) for p in PAGES])


def page(title: str, icon: str) -> Store:
    """Page config, password gate, the shared sidebar; returns the store."""
    if _classic_run():   # run this page as the router would (our sidebar, the same widget ids), then stop
        navigation().run()
        st.stop()
    keep_language()
    name = t("app.name")
    st.set_page_config(page_title=title if title == name else f"{title} · {name}", page_icon=str(ICON),
                       layout="wide")
    require_password()
    uploader_text()   # Streamlit's own uploader text in the page's language
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
        st.caption(t("frame.store", root=code(store.root), n=len(slots), slots=", ".join(slots)))
        if running or queued:
            names = ", ".join(t("frame.on", name=j["name"], slot=j.get("slot", "cpu")) for j in running) or t("frame.none")
            st.caption(t("frame.queue", running=len(running), names=names, queued=queued))
