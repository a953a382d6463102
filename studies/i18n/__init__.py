"""English / 中文: every user-facing string of the dashboard, in one catalogue, and `t(key, **fmt)`.

The lecture notes Batchscope is built from are Chinese, so every label, caption, help text and chart title has
both languages. A key maps to (English, 中文); `t` formats the text of the current language. The language is a
context variable (not a module global), so two browser sessions on one server never see each other's choice;
the dashboard sets it once per script run (ui.py) and around each chart it builds. No streamlit here.
"""
from __future__ import annotations

import contextlib
import contextvars
import string

from .common import CATALOGUE

LANGUAGES = {"en": "English", "zh": "中文"}
_INDEX = {code: i for i, code in enumerate(LANGUAGES)}
_current: contextvars.ContextVar[str] = contextvars.ContextVar("batchscope_language", default="en")


def set_language(lang: str | None) -> str:
    """Make ``lang`` current for this thread's context (unknown or empty: English); returns the code used."""
    code = lang if lang in LANGUAGES else "en"
    _current.set(code)
    return code


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def language(lang: str | None):
    """``with language("zh"): ...`` builds something (a chart) in that language, then restores the previous."""
    token = _current.set(lang if lang in LANGUAGES else "en")
    try:
        yield
    finally:
        _current.reset(token)


def t(key: str, **fmt) -> str:
    """The text of ``key`` in the current language, formatted with ``fmt``. An unknown key shows itself (a test
    checks that every key the code uses is in the catalogue), so a slip is visible, never a crash."""
    texts = CATALOGUE.get(key)
    if texts is None:
        return key
    text = texts[_INDEX[_current.get()]]
    return text.format(**fmt) if fmt else text


def fields(text: str) -> set[str]:
    """The placeholder names of a catalogue text ({n}, {eps:g} -> {"n", "eps"})."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
