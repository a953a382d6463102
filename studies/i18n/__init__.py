"""English / 中文: every user-facing string of the dashboard, in one catalogue, and `t(key, **fmt)`.

The lecture notes Batchscope is built from are Chinese, so every label, caption, help text and chart title has
both languages. A key maps to (English, 中文); `t` formats the text of the current language. The language is a
context variable (not a module global), so two browser sessions on one server never see each other's choice;
the dashboard sets it once per script run (ui/frame.py) and around each chart it builds. No streamlit here.
"""
from __future__ import annotations

import contextlib
import contextvars
import numbers
import re
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


class Markdown(str):
    """Text that is safe to draw as markdown: a catalogue text, or a value passed through ``plain``."""


# Every ASCII punctuation mark markdown (CommonMark, GFM, Streamlit's :color[…] and $math$) may read as syntax;
# a backslash before any of them is always a literal, so escaping them all is safe.
_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&])")


def plain(value) -> Markdown:
    """A user- or store-derived value (a study name, a job's message, ?study=, a file name, an error) as
    markdown that shows it as typed: every syntax character escaped, on one line. A link, an image fetched
    from elsewhere or a heading can never come out of it. Already safe text (``Markdown``) passes as it is."""
    if isinstance(value, Markdown):
        return value
    return Markdown(_SYNTAX.sub(r"\\\1", " ".join(str(value).split())))


def code(value) -> Markdown:
    """A user- or store-derived value (a path, a job id) as an inline code span: shown as typed, since
    markdown inside a code span is not interpreted (``plain``'s escapes would show there as backslashes);
    one line, and a backtick, which would end the span, becomes a quote."""
    return Markdown("`" + " ".join(str(value).replace("`", "'").split()) + "`")


def t(key: str, **fmt) -> Markdown:
    """The text of ``key`` in the current language, formatted with ``fmt``. The one escaping rule: every value
    but a number or a text ``t`` made itself goes in through ``plain``, so whatever a user or the store
    supplied is shown, never interpreted. An unknown key shows itself (a test checks that every key the code
    uses is in the catalogue), so a slip is visible, never a crash."""
    texts = CATALOGUE.get(key)
    if texts is None:
        return Markdown(key)
    text = texts[_INDEX[_current.get()]]
    if not fmt:
        return Markdown(text)
    return Markdown(text.format(**{k: v if isinstance(v, numbers.Number) else plain(v) for k, v in fmt.items()}))


def text(key: str, **fmt) -> str:
    """The text of ``key`` in the current language with ``fmt`` put in as they are: for what is never read as
    markdown (chart titles, axes, legends, SVG), where ``t``'s escapes would show as backslashes."""
    texts = CATALOGUE.get(key)
    if texts is None:
        return key
    return texts[_INDEX[_current.get()]].format(**fmt) if fmt else texts[_INDEX[_current.get()]]


def fields(text: str) -> set[str]:
    """The placeholder names of a catalogue text ({n}, {eps:g} -> {"n", "eps"})."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def ago(when, now=None) -> str:
    """An ISO timestamp (the store's "updated") as "3 min ago" in the current language, for a table cell; text
    that is not one comes back as it is."""
    import datetime as dt
    try:
        then = dt.datetime.fromisoformat(str(when))
    except ValueError:
        return str(when)
    now = now or (dt.datetime.now(then.tzinfo) if then.tzinfo else dt.datetime.now())
    s = max((now - then).total_seconds(), 0)
    for limit, key, unit in ((60, "time.just_now", 1), (3600, "time.min_ago", 60), (86400, "time.h_ago", 3600),
                             (86400 * 60, "time.d_ago", 86400)):
        if s < limit:
            return t(key, n=int(s // unit))
    return then.strftime("%Y-%m-%d")
