"""Streamlit helpers every page uses: the password gate, the shared sidebar, cached loaders, the study picker
(mirrored in the URL, so a copied link opens the same view), and a chart with its downloads.

The library (`studies/`) never imports streamlit; this module is the one place that joins the two.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import hmac
import math
import sys
import uuid
from pathlib import Path

import pandas as pd
import streamlit as st

from studies import charts, i18n
from studies.storage import csvsafe
from studies.analysis import b_simple, conclusions, fairness, lr_edges, statements, tidy
from studies.i18n import code, t
from studies.engine.device import device_slot
from studies.office.jobs import JobManager
from studies.storage.store import Store, StoreError, open_store, resolve_root
from studies.office.throttle import Throttle, client_key, trusted_proxies

ROOT = Path(__file__).resolve().parent
HOME = "home.py"


def page_files() -> list[str]:
    """home.py, then pages/*.py in Streamlit's order (by the number prefix), as paths relative to ROOT."""
    from streamlit.source_util import page_sort_key
    files = sorted((ROOT / "pages").glob("*.py"), key=page_sort_key)
    return [HOME] + [f"pages/{f.name}" for f in files if not f.name.startswith((".", "_"))]


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


# ---------------------------------------------------------------- password gate

class SecretsUnreadable(Exception):
    """A secrets file exists but cannot be read: the dashboard stays closed (never open without a password)."""


THROTTLE = Throttle()   # one per server process: wrong guesses are counted per client address and overall


def _secrets_files() -> list[Path]:
    from streamlit import config
    return [Path(p).expanduser() for p in config.get_option("secrets.files")]


def _expected_password() -> str | None:
    """The ``password`` from .streamlit/secrets.toml; None when no secrets file exists. A secrets file that
    exists but cannot be read raises SecretsUnreadable: failing open would share the dashboard unguarded."""
    try:
        loaded = st.secrets.load_if_toml_exists()   # False for "no file" and for "a file that does not parse"
        value = st.secrets.get("password") if loaded else None
    except Exception as e:  # noqa: BLE001 - unreadable (permissions, encoding): closed, said once
        raise SecretsUnreadable(f"{e.__class__.__name__}") from None
    if not loaded:
        for path in _secrets_files():
            if path.exists():
                raise SecretsUnreadable(_why_unreadable(path))
        return None
    return str(value) if value not in (None, "") else None


def _why_unreadable(path: Path) -> str:
    """tomllib's one-line reason (line and column, never the file's text)."""
    import tomllib
    name = f"{path.parent.name}/{path.name}"   # viewers see this too: no full server path
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        return f"{name}: {e}"
    except (OSError, UnicodeDecodeError) as e:
        return f"{name}: {e.__class__.__name__}"
    return f"{name}: not readable as secrets"


def _client_address() -> str | None:
    """The unit of throttling (studies.office.throttle.client_key): the browser's address, one shared bucket for
    unverifiable X-Forwarded-For headers, and per-session buckets behind a trusted proxy that names no one."""
    try:
        remote, headers = st.context.ip_address, st.context.headers
    except Exception:  # noqa: BLE001 - no session context (bare script runs)
        return None
    if "_throttle_session" not in st.session_state:
        st.session_state["_throttle_session"] = uuid.uuid4().hex
    session = st.session_state["_throttle_session"]
    return client_key(remote, headers.get("X-Forwarded-For"), session, trusted_proxies())


def require_password() -> None:
    """If .streamlit/secrets.toml sets `password`, every page asks for it once per browser session. Wrong
    guesses lock the client's address out for a doubling time and, past a server-wide rate, everyone
    (studies.office.throttle); a secrets file that cannot be read keeps every page closed."""
    try:
        expected = _expected_password()
    except SecretsUnreadable as e:
        st.error("This dashboard is closed: its secrets file cannot be read, so the password cannot be checked. "
                 f"Whoever runs the server: fix {e} — a password is written in quotes, e.g. "
                 'password = "…".')
        st.stop()
    if not expected:
        return
    token = hashlib.sha256(expected.encode()).hexdigest()   # a changed password logs everyone out
    if st.session_state.get("_auth") == token:
        return
    st.session_state.setdefault("_asked_for", st.query_params.to_dict())   # the link's view, kept for after
    st.title("Batchscope")
    with st.form("login"):
        given = st.text_input(t("frame.password"), type="password", key="login_password",
                              help=t("frame.password_help"))
        submitted = st.form_submit_button(t("frame.open"), key="login_submit")
    if submitted:
        address = _client_address()
        wait = THROTTLE.wait_s(address)
        if wait > 0:   # locked out: the guess is not even compared
            st.error(t("frame.locked_out", s=math.ceil(wait)))
        elif hmac.compare_digest(given.encode(), expected.encode()):
            THROTTLE.succeeded(address)
            st.session_state["_auth"] = token
            st.query_params.update(st.session_state.pop("_asked_for", {}))   # ?study=…, ?paper_pick=… survive
            st.rerun()
        else:
            lock = THROTTLE.failed(address)
            st.error(t("frame.wrong_password_wait", s=math.ceil(lock)))
    st.stop()


# ---------------------------------------------------------------- frame

@st.cache_resource(show_spinner=False)
def job_manager(root: str) -> JobManager:
    """One job manager per store and server; its thread starts queued studies in the background."""
    return JobManager(root).start()


def _classic_run() -> bool:
    """True in a script run that Streamlit's classic pages/ discovery started instead of dashboard.py: with a
    pages/ folder it decides so at server start (and AppTest on every run), so a deep link opened first never
    reaches our st.navigation. st.navigation itself turns the discovery off for the later runs."""
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


def navigation():
    """The router dashboard.py runs: the language switch and the sidebar over home.py and pages/*.py."""
    language()
    pages = [st.Page(str(ROOT / p), title=page_title(p), default=p == HOME) for p in page_files()]
    return st.navigation(pages)


def page(title: str, icon: str) -> Store:
    """Page config, password gate, the shared sidebar; returns the store."""
    if _classic_run():   # run this page as the router would (our sidebar, the same widget ids), then stop
        navigation().run()
        st.stop()
    else:
        i18n.set_language(st.session_state.get("lang"))
    name = t("app.name")
    st.set_page_config(page_title=title if title == name else f"{title} · {name}", page_icon=icon, layout="wide")
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
        st.caption(t("frame.store", root=code(store.root), n=len(slots), slots=", ".join(slots)))
        if running or queued:
            names = ", ".join(t("frame.on", name=j["name"], slot=j.get("slot", "cpu")) for j in running) or t("frame.none")
            st.caption(t("frame.queue", running=len(running), names=names, queued=queued))


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
        st.warning(i18n.plain(p))
    return df


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


# ---------------------------------------------------------------- charts with downloads

@st.cache_data(show_spinner=False, max_entries=256)
def _vega_lite(builder: str, args: tuple, kwargs: dict, module: str = "studies.charts", lang: str = "en") -> dict:
    """The chart's Vega-Lite spec, built once per input and language (altair's build and validation cost more
    than loading a 1,000-run study, so a rerun that changes nothing here costs only the hashing of the inputs)."""
    with i18n.language(lang):
        made = getattr(importlib.import_module(module), builder)(*args, **kwargs)
    return made if isinstance(made, dict) else charts.to_vega_lite(made)     # a builder may return a Vega-Lite dict


def chart_spec(builder, *args, params: dict | None = None, **kwargs) -> dict:
    """The cached Vega-Lite spec of ``builder(*args, **kwargs)`` (from any studies chart module: charts,
    charts_playground), with ``params`` setting the values of its Vega-Lite parameters (the playground's
    scrubbed step): changing those rebuilds nothing."""
    spec = _vega_lite(builder.__name__, args, kwargs, builder.__module__, i18n.current())
    if params:
        spec = {**spec, "params": [{**p, "value": params[p["name"]]} if p.get("name") in params else p
                                   for p in spec.get("params", [])]}
    return spec


def chart(builder, *args, name: str, key: str, csv: pd.DataFrame | None = None, params: dict | None = None,
          caption: str | None = None, **kwargs) -> None:
    """``builder(*args, **kwargs)`` drawn (see chart_spec), its one-line caption (what is plotted, unit or scale,
    key parameter), then CSV / PNG / SVG downloads (the images are made by vl-convert only when clicked). The
    CSV is ``csv``, else the first argument, with the grid columns added to per-run rows."""
    try:
        spec = chart_spec(builder, *args, params=params, **kwargs)
    except Exception as e:  # noqa: BLE001 - one chart that cannot be drawn must not take the page down
        st.error(t("frame.chart_failed", name=name, error=f"{e.__class__.__name__}: {e}"))
        return
    st.vega_lite_chart(spec, width="stretch", theme=None, key=f"{key}_chart")
    if caption:
        st.caption(caption)
    data = args[0] if csv is None else csv
    if len(args) > 1 and isinstance(args[1], pd.DataFrame):   # per-epoch or landscape rows: add the grid columns
        data = tidy.with_grid(data, args[1])
    with st.container(horizontal=True, gap="small", key=f"{key}_downloads"):
        st.download_button("CSV", lambda: csvsafe.to_csv(data), file_name=f"{name}.csv", mime="text/csv",
                           key=f"{key}_csv", on_click="ignore", icon=":material/download:", type="tertiary")
        for fmt, mime in (("png", "image/png"), ("svg", "image/svg+xml")):
            st.download_button(fmt.upper(), lambda fmt=fmt: charts.to_image(spec, fmt), file_name=f"{name}.{fmt}",
                               mime=mime, key=f"{key}_{fmt}", on_click="ignore", icon=":material/image:",
                               type="tertiary")


# ---------------------------------------------------------------- fair comparisons

def fit_warning(runs: pd.DataFrame) -> fairness.FitCheck:
    """At the top of a page: a loud warning when the compared runs (best lr) are not at a matched fit, and one
    line saying what the comparison holds equal (the target, the lr) and what varies (lr/B)."""
    check = fairness.matched_fit(fairness.compared_runs(runs))
    if not check.matched:
        st.warning(t("fit.not_matched", message=check.message), icon=":material/warning:")
    if held := fairness.held_equal(runs):
        st.caption(held)
    return check


def study_conclusions(store: Store, study_id: str, runs: pd.DataFrame,
                      name: str | None = None) -> tuple[float, float, float] | None:
    """Below the fit warning on every study page: B_simple per optimizer × budget and B_crit where there is one,
    each with its interval, a warning per optimizer whose best lr sits at its grid's edge, and how many runs are
    left out of the conclusions (``name`` first where several studies are shown). Returns B_simple as
    (value, low, high) for the rules when the study has one."""
    k, n = conclusions.left_out(runs)
    st.caption((f"**{i18n.plain(name)}** · " if name else "") + statements.derived_line(runs) + "  \n" +
               (t("study.left_out", k=k, n=n) if k else t("study.all_in", n=n)))
    for line in lr_edges.edge_warnings(runs):
        st.warning(line, icon=":material/warning:")
    return b_simple.rule(runs)


def difference_note(runs: pd.DataFrame, measure: str) -> str:
    """Per optimizer: whether the smallest → largest batch difference in ``measure`` is outside the seed noise,
    and the train losses it was taken at."""
    return statements.difference_note(runs, measure)


def pair_warning(studies: dict[str, pd.DataFrame]) -> None:
    """Compare: a warning for each pair of picked studies not at a matched fit with each other."""
    names = list(studies)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            check = fairness.matched_pair(fairness.compared_runs(studies[a]), fairness.compared_runs(studies[b]))
            if not check.matched:
                st.warning(t("fit.pair_not_matched", a=a, b=b, message=check.message), icon=":material/warning:")
    if len(names) == 1:
        fit_warning(studies[names[0]])


def lr_view(runs: pd.DataFrame, key: str) -> pd.DataFrame:
    """With an lr sweep: the best-lr runs (the default) or, toggled, every lr; otherwise ``runs`` as they are."""
    if not fairness.sweeps_lr(runs):
        return runs
    every = st.toggle(t("fit.every_lr"), key=key, help=t("fit.every_lr_help", rule=t("fair.best_lr_rule")))
    if every:
        st.caption(t("fit.every_lr_caption"))
        return runs
    st.caption(t("fit.best_lr_caption", rule=t("fair.best_lr_rule")))
    return fairness.compared_runs(runs)
