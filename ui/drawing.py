"""A chart on a page: its Vega-Lite spec built once per input and language, drawn at the page's width, its
one-line caption, then CSV / PNG / SVG downloads (the images made only when clicked)."""
from __future__ import annotations

import importlib

import pandas as pd
import streamlit as st

from studies import charts, i18n
from studies.charts.curve_tools import SMOOTHING
from studies.analysis import tidy
from studies.storage import csvsafe
from studies.i18n import t

from .links import follow_link, write_link


@st.cache_data(show_spinner=False, max_entries=256)
def _vega_lite(builder: str, args: tuple, kwargs: dict, module: str = "studies.charts", lang: str = "en") -> dict:
    """The chart's Vega-Lite spec, built once per input and language (altair's build and validation cost more
    than loading a 1,000-run study, so a rerun that changes nothing here costs only the hashing of the inputs)."""
    with i18n.language(lang):
        made = getattr(importlib.import_module(module), builder)(*args, **kwargs)
    return charts.whole_points(made) if isinstance(made, dict) else charts.to_vega_lite(made)   # a builder may return a dict


def chart_spec(builder, *args, params: dict | None = None, **kwargs) -> dict:
    """The cached Vega-Lite spec of ``builder(*args, **kwargs)`` (from any module of studies.charts), with
    ``params`` setting the values of its Vega-Lite parameters (the playground's scrubbed step): changing those
    rebuilds nothing."""
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


def smoothing(key: str, where=st, *, unit: str = "epochs") -> int:
    """The smoothing control every page that draws curves over training shares (Generalization's first): a
    centred moving-average window from SMOOTHING (1: none), in ``unit`` ("epochs" or measured "points"), kept
    in the link under ``key`` by its number (?run_smooth=3; its label in either language is read too, ui.links),
    and dropped from the link at 1."""
    def label(w):
        return t("gen.smooth_none") if w == 1 else t(f"smooth.{unit}", w=w)
    held = follow_link(key, SMOOTHING, label)
    window = where.select_slider(t("gen.smooth"), list(SMOOTHING), key=key, format_func=label,
                                 help=t("gen.smooth_help") if key == "gen_smooth" else t(f"smooth.{unit}_help"),
                                 **({} if held else {"value": 1}))
    write_link(key, window, default=1)
    return window
