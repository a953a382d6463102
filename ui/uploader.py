"""Streamlit's file uploader in the page's language. st.file_uploader (Streamlit 1.67) takes no text for its
button ("Upload"), its drop hint ("Drag and drop a file here", shown while a file is dragged over it) or its
limit line ("1MB per file • TOML"): they are drawn by Streamlit's frontend. So a stylesheet draws the button's
and the hint's text from the catalogue in place of Streamlit's (the English stays in the DOM at size 0, out of
sight and of the layout), and hides the limit line, whose megabytes round up the page's own limits: every
uploader's label states its true limit and type."""
from __future__ import annotations

import streamlit as st

from studies.i18n import current, language, t

DROPZONE = "[data-testid=stFileUploaderDropzone]"
BUTTON = f"{DROPZONE} [data-testid^=stBaseButton] [data-testid=stMarkdownContainer] p"
HINT = f"{DROPZONE} > div:not([data-testid]) > span"   # the drop hint, there only while a file is dragged over
LIMIT = f"{DROPZONE} [data-testid=stFileUploaderDropzoneInstructions]"


def _css_string(text: str) -> str:
    """A CSS string literal: quotes and backslashes escaped, every other character as it is (UTF-8)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def stylesheet(lang: str) -> str:
    """The CSS for ``lang``: the limit line hidden in every language; the button's and the drop hint's text
    replaced by the catalogue's where the language is not English."""
    css = f"{LIMIT} {{display: none !important;}}"
    if lang != "en":
        with language(lang):
            for selector, key in ((BUTTON, "upload.button"), (HINT, "upload.drop")):
                css += (f"{selector} {{font-size: 0 !important;}} {selector}::after {{content: "
                        f"{_css_string(t(key))}; font-size: 0.875rem; line-height: 1.6;}}")
    return css


def uploader_text() -> None:
    """Send the stylesheet for the page's language (a style-only st.html takes no room on the page)."""
    st.html(f"<style>{stylesheet(current())}</style>")
