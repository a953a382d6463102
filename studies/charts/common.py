"""What every chart shares: colours per optimizer, axis and legend names, the log₂ batch-size axis, and the
Vega-Lite / PNG / SVG export. No torch, no streamlit."""
from __future__ import annotations

import math
import re
from pathlib import Path

import altair as alt
import pandas as pd

from ..spec.config import OPTIMIZERS, SHUFFLE_LABELS, run_label
from ..measures import measure
from ..spec.optimizers import TABLE
from ..i18n import t, text as chart_text
from ..i18n.common import CATALOGUE
from .edges import whole_points

# Colours stay fixed per optimizer across charts (the optimizer table's).
OPTIMIZER_COLORS = {name: o.color for name, o in TABLE.items()}


# For series that are not optimizers (studies, interpolation pairs): Tableau 10, hues far apart.
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#3b3b3b"]


LABELS = {
    "epoch_time_s": "epoch time (s)", "step_time_s": "time per step (s)", "samples_per_s": "samples / s",
    "train_acc": "train accuracy", "test_acc": "test accuracy", "gap_acc": "train − test accuracy",
    "train_loss": "train loss", "test_loss": "test loss", "gap_loss": "test − train loss",
    "epochs": "epochs", "steps": "steps", "acc": "accuracy", "loss": "loss",
}


def label(col: str) -> str:
    """A column's axis / legend name in the current language (English LABELS for what the catalogue lacks);
    a measure's is its registry label (studies.measures)."""
    m = measure(col)
    key = m.label if m else f"label.{col}"
    text = t(key)
    return text if text != key else LABELS.get(col, col.replace("_", " "))


def _series(runs: pd.DataFrame) -> pd.DataFrame:
    df = runs.copy()
    df["shuffle_label"] = df["shuffle"].map(SHUFFLE_LABELS)
    if "budget" in df.columns:   # shown in legends and tooltips: in the current language (one-to-one)
        df["budget"] = df["budget"].map(budget_text)
    if "study" not in df.columns:
        df["study"] = df.get("study_id", "")
    return df


def _color(domain: list[str], field: str = "optimizer"):
    """Fixed colours per optimizer; any other field (study, pair) takes PALETTE in order."""
    if field != "optimizer":
        domain = list(dict.fromkeys(domain))
        legend = alt.Legend(labelLimit=420, symbolOpacity=1, orient="bottom", direction="vertical", columns=2) \
            if field == "run" else alt.Legend(labelLimit=260, symbolOpacity=1, orient="bottom", columns=2)
        name = t(f"chart.legend.{field}")
        return alt.Color(f"{field}:N", title=field if name == f"chart.legend.{field}" else name, legend=legend,
                         scale=alt.Scale(domain=domain, range=[PALETTE[i % len(PALETTE)] for i in range(len(domain))]))
    known = [o for o in OPTIMIZERS if o in domain] + [o for o in domain if o not in OPTIMIZERS]
    return alt.Color("optimizer:N", title=t("chart.legend.optimizer"),   # below the plot: never clipped
                     legend=alt.Legend(symbolOpacity=1, orient="bottom", direction="horizontal"),
                     scale=alt.Scale(domain=known, range=[OPTIMIZER_COLORS.get(o, "#888") for o in known]))


def run_pages(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``page``, each row's run page ("Run?run=ID", relative to the dashboard's address), which the
    marks of a chart where a point is a run open on a click (``RUN_HREF``, Vega-Lite's href)."""
    return df.assign(page="Run?run=" + df["run_id"].astype(str)) if "run_id" in df.columns else df


RUN_HREF = alt.Href("page:N")   # a click on a run's mark opens its page


def _order_names() -> str:
    """A Vega label expression naming the two orders in the current language (the data keeps the English)."""
    return " : ".join(f"datum.label == '{v}' ? '{t(f'order.{v}')}'" for v in SHUFFLE_LABELS.values()) + \
        " : datum.label"


def _dash(present=tuple(SHUFFLE_LABELS.values())):
    """Solid for shuffle, dashed for fixed order; the legend lists only the orders the data has."""
    domain = [o for o in SHUFFLE_LABELS.values() if o in set(present)] or [SHUFFLE_LABELS[True]]
    return alt.StrokeDash("shuffle_label:N", title=t("chart.legend.order"),
                          legend=alt.Legend(symbolType="stroke", symbolSize=500, symbolStrokeWidth=2, symbolOpacity=1,
                                            orient="bottom", direction="horizontal", labelExpr=_order_names()),
                          scale=alt.Scale(domain=domain, range=[{SHUFFLE_LABELS[True]: [1, 0], SHUFFLE_LABELS[False]: [6, 4]}[o]
                                                                for o in domain]))


def _powers_of_two(sizes: pd.Series, extra: float | None = None) -> list[int]:
    """Tick values for the log₂ batch axis: the powers of two spanning the data (never 10, 12, 14…)."""
    vals = pd.to_numeric(sizes, errors="coerce").dropna().tolist() + ([extra] if extra and extra > 0 else [])
    if not vals:
        return [1]
    lo, hi = math.floor(math.log2(min(vals))), math.ceil(math.log2(max(vals)))
    return [2 ** k for k in range(lo, hi + 1)]


def _full_batch(runs: pd.DataFrame) -> int | None:
    """The training-set size when some run trained at full batch (batch_size == n_train), else None."""
    if "n_train" not in runs.columns or runs.empty:
        return None
    full = runs.loc[pd.to_numeric(runs["batch_size"], errors="coerce") == runs["n_train"], "n_train"]
    return int(full.iloc[0]) if len(full) else None


def _batch_axis(runs: pd.DataFrame, critical_batch: float | None = None) -> alt.X:
    """The log₂ batch axis: power-of-two ticks, the full-batch size labelled "full (1437)" in place of the
    powers of two that would crowd it, and labels that overlap dropped rather than drawn over each other."""
    values = _powers_of_two(runs["batch_size"], critical_batch)
    full = _full_batch(runs)
    expr = "datum.value"
    if full:
        values = sorted([v for v in values if not full / 1.45 < v < full * 1.45] + [full])
        expr = f"datum.value == {full} ? '{t('chart.full_tick', n=full)}' : datum.value"
    # padding: a point at the first or last batch size is drawn whole, never cut in half by the plot's edge
    return alt.X("batch_size:Q", title=t("chart.batch_size"), scale=alt.Scale(type="log", base=2, padding=10, nice=False),
                 axis=alt.Axis(format="d", values=values, labelExpr=expr, labelOverlap="greedy",
                               labelSeparation=4))


def localised_run_label(text: str) -> str:
    """A run's name as config.run_label writes it ("adam B=16 fixed order seed=0", the progress files' and the
    CLI's), with its words in the current language; anything else comes back as it is."""
    for order in SHUFFLE_LABELS.values():
        text = text.replace(f" {order} ", f" {t(f'order.{order}')} ")
    text = re.sub(r" ((?:epochs|steps|examples):\d+)", lambda m: " " + budget_text(m.group(1)), text)
    return text.replace(" seed=", f" {t('chart.seed_eq')}")


def run_labels(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with a "run" column naming each run (the settings that vary) in the current language."""
    df = _series(runs)
    lrs = df["lr"] if "lr" in df else [None] * len(df)
    df["run"] = [localised_run_label(run_label(o, int(b), bool(s), int(seed), lr)) for o, b, s, seed, lr
                 in zip(df["optimizer"], df["batch_size"], df["shuffle"], df["seed"], lrs)]
    if several_budgets(df):   # runs held to different budgets: the budget names the series too
        df["run"] = df["run"] + " " + df["budget"]
    return df


def budget_text(budget) -> str:
    """A stored budget label ("target", "epochs:30", "steps:6000") in the current language."""
    kind, _, amount = str(budget).partition(":")
    key = f"chart.budget.{kind}"
    return str(budget) if key not in CATALOGUE or (kind == "target") == bool(amount) else chart_text(key, n=amount)


def several_budgets(runs: pd.DataFrame) -> bool:
    """Whether ``runs`` were held to more than one budget (budget.py): charts then tell them apart."""
    return "budget" in runs.columns and runs["budget"].nunique() > 1


def to_vega_lite(chart: alt.TopLevelMixin) -> dict:
    """The chart as a Vega-Lite dict (validated by altair), data inline, no row limit; the scales its points
    are drawn on padded, so no point is cut in half by the plot's edge (edges.whole_points)."""
    with alt.data_transformers.disable_max_rows():
        return whole_points(chart.to_dict())


FONTS = Path(__file__).resolve().parent / "fonts"   # Batchscope CJK (OFL.txt): 中文 on a server without a CJK font
_registered: list[bool] = []


def _register_fonts(vlc) -> None:
    """Hand vl-convert the fonts shipped in FONTS, once a process: text a system font lacks (中文 on a server
    with no CJK font) is drawn with them instead of as empty boxes."""
    if not _registered:
        vlc.register_font_directory(str(FONTS))
        _registered.append(True)


def to_image(chart: alt.TopLevelMixin | dict, fmt: str = "png", width: int = 640) -> bytes:
    """PNG or SVG of a chart (or its Vega-Lite dict) by vl-convert, no browser; "container" widths become
    ``width`` pixels. About 0.1–0.6 s a chart on a 2-core CPU, so pages make them only on a click."""
    import vl_convert as vlc

    _register_fonts(vlc)
    spec = dict(chart) if isinstance(chart, dict) else to_vega_lite(chart)
    if spec.get("width") in (None, "container") and not any(k in spec for k in ("hconcat", "vconcat", "concat")):
        spec["width"] = width
    spec.setdefault("background", "white")
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode()
    return vlc.vegalite_to_png(spec, scale=2)
