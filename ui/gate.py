"""The password gate: if .streamlit/secrets.toml sets `password`, every page asks for it once per browser
session; wrong guesses are throttled per client and for the whole server (studies.office.throttle); a secrets file
that exists but cannot be read keeps every page closed (never open without a password)."""
from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from pathlib import Path

import streamlit as st

from studies.i18n import t
from studies.office.throttle import Throttle, client_key, trusted_proxies


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
    """Ask for the password when one is set (once per browser session); stop the page until it is given.
    Wrong guesses lock the client's address out for a doubling time and, past a server-wide rate, everyone."""
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
