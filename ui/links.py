"""A choice kept in the link by its code, the way ?lang= and ?study= are (ui/frame.language, ui/data.study_picker):
?nqm_source=run opens that view in English and in 中文 alike. A widget bound with bind="query-params" writes its
format_func label, which changes with the language, so a link copied in one language does not restore in the
other, and the code itself (?nqm_source=run) is not read at all."""
from __future__ import annotations

from typing import Callable, Sequence

import streamlit as st

from studies import i18n


def follow_link(key: str, options: Sequence, label: Callable[[object], str]) -> bool:
    """Call before drawing the widget ``key``: where the link's ?key= names one of ``options`` — by its code, or
    by its label (``label(option)``) in any language — and says something new since the last script run, select
    it (a link opened, the browser's back and forward; a click in the widget is never undone by the link it has
    not yet rewritten). Returns whether the session holds a value for ``key`` (then draw the widget without a
    default)."""
    wanted = st.query_params.get(key)
    seen = f"_link_{key}"
    if wanted is not None and st.session_state.get(seen) != wanted:
        names = {}
        for lang in i18n.LANGUAGES:
            with i18n.language(lang):
                names.update({str(label(o)): o for o in options})
        names.update({str(o): o for o in options})
        if wanted in names:
            st.session_state[key] = names[wanted]
    st.session_state[seen] = wanted
    return key in st.session_state


def write_link(key: str, value, default=None) -> None:
    """Call after drawing: ?key= holds ``value``'s code (dropped at ``default``, as ?lang= is at English)."""
    if value is None or value == default:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = str(value)
    st.session_state[f"_link_{key}"] = st.query_params.get(key)
