"""What each paper template claims, and the words for what a study measured: chosen from Welch's interval in
the study's `export --table summary` (its `<column>_diff` / `_ratio` rows), never by hand. No torch.

A claim names a comparison and the direction the paper found: "-" (the larger batch is lower), "+" (higher),
or "0" (no change). The verdict of one comparison:

- a direction claimed, the interval excluding no change on that side: "reproduces, outside the seed noise";
- the same sign, the interval containing no change: "same sign, inside the noise";
- the other sign: "the opposite sign, outside / inside the seed noise";
- no change claimed: "reproduces, inside the seed noise" or "does not reproduce, outside the seed noise";
- no interval (fewer than 2 comparable seeds a side): "no interval".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

NAMES = {"test_acc": "test accuracy", "gap_acc": "train − test accuracy gap", "sharpness_eps": "ε-sharpness",
         "hessian_top_eig": "λ_max", "steps": "steps"}
REPRODUCES = ("reproduces, outside the seed noise", "reproduces, inside the seed noise")


@dataclass(frozen=True)
class Claim:
    """One comparison of the smallest against the largest comparable batch: `column` of the runs table,
    `expect` "+", "-" or "0", at `budget` (None: every budget the study has)."""
    column: str
    expect: str
    budget: str | None = None


@dataclass(frozen=True)
class Paper:
    """A row of examples/README.md's table: the paper, what it found, its templates (the first is the study the
    claims are read from; a second is compared with it configuration by configuration) and its claims."""
    key: str
    title: str
    found: str
    templates: tuple[str, ...]
    claims: tuple[Claim, ...] = ()
    paired: tuple[str, ...] = ()          # runs-table columns compared across the two templates, config by config
    b_crit: bool = False                  # claimed: perfect scaling up to a B_crit inside the batch sizes
    b_crit_order: tuple[str, str] | None = None   # (higher, lower): the first optimizer's B_crit above the second's
    extra: dict = field(default_factory=dict)


def verdict(expect: str, value: float, low: float, high: float, ratio: bool) -> str:
    """The words for one comparison (the module's rules). `ratio`: value and bounds are ×-factors (no change
    is 1), else differences (no change is 0)."""
    if any(map(lambda v: v is None or not math.isfinite(v), (low, high))):
        return "no interval"
    null = 1.0 if ratio else 0.0
    outside = low > null or high < null
    sign = "+" if value > null else "-" if value < null else "0"
    if expect == "0":
        return REPRODUCES[1] if not outside else "does not reproduce, outside the seed noise"
    if sign == expect:
        return REPRODUCES[0] if outside else "same sign, inside the noise"
    return f"the opposite sign, {'outside the seed noise' if outside else 'inside the noise'}"


def number(v: float, ratio: bool = False) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    if ratio:
        return f"×{v:.3g}"
    return f"{v:+.3g}" if abs(v) < 10 else f"{v:+,.0f}"


def comparison_text(claim: Claim, summary: pd.DataFrame, runs: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """(sentence, verdict) per budget for one claim, from the summary's difference rows; a budget where the
    comparison has no row says why (its smaller or larger batch has no comparable run) and, from ``runs`` (the
    runs export), what the two ends measured at their unmatched fits (no verdict is drawn from that)."""
    rows = summary[summary.measure.isin([f"{claim.column}_diff", f"{claim.column}_ratio"])]
    if claim.budget is not None:
        rows = rows[rows.budget.astype(str) == claim.budget]
    name = NAMES.get(claim.column, claim.column)
    if rows.empty:
        where = f" at {claim.budget}" if claim.budget else ""
        raw = unmatched_text(claim, runs)
        return [(f"{name}{where}: no comparison (one end of the batch sizes has no comparable run: "
                 f"{left_out_text(summary, claim.budget)})" + (f"; {raw}" if raw else ""), "no comparison")]
    several = rows.budget.nunique() > 1 or claim.budget is not None
    out = []
    for r in rows.itertuples():
        ratio = str(r.measure).endswith("_ratio")
        v, lo, hi = (float(x) for x in (r.mean, r.ci_low, r.ci_high))
        words = verdict(claim.expect, v, lo, hi, ratio)
        small, large = str(r.batch_size).split("->")
        at = f" at {r.budget}" if several else ""
        rng = "" if words == "no interval" else f" (Welch 95 % {number(lo, ratio)} to {number(hi, ratio)})"
        losses = str(r.note).split("; ", 1)[1] if "; " in str(r.note) else ""
        out.append((f"{name}{at}, B = {small} → {large}: {number(v, ratio)}{rng}: **{words}**"
                    + (f"; {losses}" if losses else ""), words))
    return out


def left_out_text(summary: pd.DataFrame, budget: str | None) -> str:
    """"B=16: 2 of 2 runs left out (missed the fit)" for the groups of `budget` with runs left out."""
    g = summary[(summary.measure == "test_acc")]
    if budget is not None:
        g = g[g.budget.astype(str) == budget]
    parts = [f"B={r.batch_size}: {int(r.n_left_out)} of {int(r.n + r.n_left_out)} runs left out"
             for r in g.itertuples() if pd.notna(r.n_left_out) and r.n_left_out > 0]
    return "; ".join(parts) + " (missed the fit)" if parts else "no run left out"


def _best_lr(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of a runs export marked best_lr (read back from CSV as a bool or its text); all without it."""
    return runs[runs.best_lr.astype(str).str.lower().isin(["true", "1"])] if "best_lr" in runs.columns else runs


def _median(runs: pd.DataFrame, col: str) -> float:
    return float(pd.to_numeric(runs[col], errors="coerce").median()) if col in runs else math.nan


def _best_runs(runs: pd.DataFrame | None, budget, opt, b) -> pd.DataFrame:
    """The best-lr runs of one (budget, optimizer, batch size) of a runs export (empty without one)."""
    if runs is None or runs.empty:
        return pd.DataFrame()
    r = runs[(runs.optimizer == opt) & (pd.to_numeric(runs.batch_size) == b)]
    if "budget" in r.columns and isinstance(budget, str):
        r = r[r.budget.astype(str) == budget]
    return _best_lr(r)


def why_left_out(r: pd.DataFrame) -> str:
    """Why a group's best-lr runs are all out of the comparison: their status, else the fit they missed."""
    status = r.status.astype(str) if "status" in r.columns else pd.Series("done", index=r.index)
    if not (status == "done").any():
        return ", ".join(sorted(set(status)))
    targeted = any(float(r.get(c, pd.Series([0])).fillna(0).max()) > 0
                   for c in ("target_train_loss", "target_train_acc"))
    return "target not reached" if targeted else "final train loss above the loss band of this budget"


def groups_text(summary: pd.DataFrame, runs: pd.DataFrame | None = None, label: str = "") -> str:
    """Per budget and batch size: mean test accuracy and train loss and the steps (geometric mean) of the
    comparable runs, with n and how many were left out. A batch size whose runs are all left out shows the
    medians of its best-lr runs from ``runs`` (the runs export) and why they are out of the comparison.
    ``label`` (a study's name) leads each group where two studies are shown side by side."""
    g = summary[summary.batch_size.astype(str) != "all"]
    g = g[pd.to_numeric(g.batch_size, errors="coerce").notna()]
    parts = []
    for (budget, opt), rows in g.groupby(["budget", "optimizer"], sort=False, dropna=False):
        cells = []
        for b, r in rows.groupby(pd.to_numeric(rows.batch_size), sort=True):
            m = r.set_index("measure")
            get = lambda col: float(m.loc[col, "mean"]) if col in m.index and pd.notna(m.loc[col, "mean"]) else math.nan
            if "test_acc" not in m.index:
                continue
            n, k = int(m.loc["test_acc", "n"]), int(m.loc["test_acc", "n_left_out"])
            if n == 0:
                out = _best_runs(runs, budget, opt, b)
                if out.empty:
                    cells.append(f"B = {b:g}: no comparable run ({k} left out)")
                    continue
                cell = (f"B = {b:g}: test acc {_median(out, 'test_acc'):.3f}, "
                        f"train loss {_median(out, 'train_loss'):.2g}")
                if math.isfinite(_median(out, "steps")):
                    cell += f", {_median(out, 'steps'):,.0f} steps"
                cells.append(cell + f" (medians of {len(out)} run{'s' * (len(out) != 1)} left out of the "
                                    f"comparison: {why_left_out(out)})")
                continue
            cell = f"B = {b:g}: test acc {get('test_acc'):.3f}"
            if math.isfinite(get("train_loss")):
                cell += f", train loss {get('train_loss'):.2g}"
            if math.isfinite(get("steps")):
                cell += f", {get('steps'):,.0f} steps"
            cells.append(cell + f" ({n} run{'s' * (n != 1)}" + (f", {k} left out)" if k else ")"))
        if cells:
            lead = (f"`{label}` " if label else "") + f"{opt}" + (f" at {budget}" if g.budget.nunique() > 1 else "")
            parts.append(f"{lead}: " + "; ".join(cells))
    return ". ".join(parts)


def unmatched_text(claim: Claim, runs: pd.DataFrame | None) -> str:
    """Where a claim has no comparison at a matched fit: the two ends' medians (best-lr, finished runs of the
    claim's budget) with their train losses, said to be unmatched; "" without a runs export or finished ends."""
    if runs is None or runs.empty or not {"batch_size", "test_acc", "train_loss"} <= set(runs.columns):
        return ""
    r = _best_lr(runs[runs.status.astype(str) == "done"] if "status" in runs.columns else runs)
    if claim.budget is not None and "budget" in r.columns:
        r = r[r.budget.astype(str) == claim.budget]
    sizes = sorted(pd.to_numeric(r.batch_size).unique())
    if len(sizes) < 2 or claim.column not in r.columns:
        return ""
    small, large = (r[pd.to_numeric(r.batch_size) == b] for b in (sizes[0], sizes[-1]))
    return (f"not at a matched fit, medians of the finished runs: B = {sizes[0]:g} {_median(small, claim.column):.3g} "
            f"at train loss {_median(small, 'train_loss'):.2g} vs B = {sizes[-1]:g} "
            f"{_median(large, claim.column):.3g} at train loss {_median(large, 'train_loss'):.2g}")


def b_crit_text(summary: pd.DataFrame) -> list[str]:
    """The b_crit (or s_b_scale) rows in words, with their interval or the note that says why there is none."""
    out = []
    for r in summary[summary.measure.isin(["b_crit", "s_b_scale"])].itertuples():
        what = "B_crit" if r.measure == "b_crit" else "S(B) scale"
        if pd.isna(r.mean):
            out.append(f"{r.optimizer}: no {what} ({r.note})")
            continue
        rng = "" if pd.isna(r.ci_low) else f" ({r.interval} {r.ci_low:,.0f}–{r.ci_high:,.0f})"
        note = f"; {r.note}" if isinstance(r.note, str) and r.note else ""
        out.append(f"{r.optimizer}: {what} ≈ {float(r.mean):,.0f}{rng}{note}")
    return out


def b_crit_order_verdict(summary: pd.DataFrame, higher: str, lower: str) -> tuple[str, str]:
    """Whether optimizer `higher`'s B_crit is above `lower`'s: "reproduces, outside the seed noise" when its
    interval's low end (or its lower bound) is above the other's high end (or its point where there is no
    interval), "same sign, inside the noise" when only the numbers are in that order."""
    rows = summary[summary.measure == "b_crit"].set_index("optimizer")
    if higher not in rows.index or lower not in rows.index or pd.isna(rows.loc[higher, "mean"]) \
            or pd.isna(rows.loc[lower, "mean"]):
        return f"B_crit of {higher} vs {lower}: no number for both", "no comparison"
    h, l = rows.loc[higher], rows.loc[lower]
    h_low = h.ci_low if pd.notna(h.ci_low) else (h["mean"] if "lower bound" in str(h.note) else math.nan)
    l_high = l.ci_high if pd.notna(l.ci_high) else (l["mean"] if "upper bound" in str(l.note) else math.nan)
    if math.isfinite(h_low) and math.isfinite(l_high) and h_low > l_high:
        words = REPRODUCES[0]
    elif h["mean"] > l["mean"]:
        words = "same sign, inside the noise"
    else:
        words = "the opposite sign"
    return f"B_crit {higher} {float(h['mean']):,.0f} vs {lower} {float(l['mean']):,.0f}: **{words}**", words


def paired_text(a: pd.DataFrame, b: pd.DataFrame, column: str, names: tuple[str, str]) -> tuple[str, str]:
    """Two templates' runs compared configuration by configuration (batch size, lr, seed): the mean paired
    difference of `column` with its 95 % t-interval (a ratio of steps: geometric mean of the ratios), judged
    as a "0" claim (the second template ends where the first does) — or, for steps, stated without one."""
    from studies.analysis import intervals
    keys = ["batch_size", "lr", "seed"]
    m = a[keys + [column]].merge(b[keys + [column]], on=keys, suffixes=("_a", "_b"))
    if m.empty:
        return f"{column}: no configuration in both", "no comparison"
    name = NAMES.get(column, column)
    if column == "steps":
        est = intervals.log_interval(m[f"{column}_a"] / m[f"{column}_b"])
        return (f"{name} `{names[0]}` / `{names[1]}`: ×{est.value:.3g} (95 % ×{est.low:.3g} to ×{est.high:.3g}, "
                f"{est.n} configurations)", "stated")
    est = intervals.mean_interval(m[f"{column}_a"] - m[f"{column}_b"])
    words = verdict("0", est.value, est.low, est.high, False)
    return (f"{name} `{names[0]}` − `{names[1]}`, configuration by configuration: {number(est.value)} "
            f"(95 % {number(est.low)} to {number(est.high)}, {est.n} pairs): **{words}**", words)


def headline(verdicts: list[str]) -> str:
    """The row's first words: every claim reproduces, some do, or none."""
    judged = [v for v in verdicts if v != "stated"]
    if not judged:
        return "**Measured.**"
    good = sum(v in REPRODUCES for v in judged)
    same = sum(v == "same sign, inside the noise" for v in judged)
    if good == len(judged):
        return "**Reproduces.**"
    if good + same == len(judged):
        return "**Same direction; not every difference is outside the seed noise.**"
    if good or same:
        return "**Partly reproduces.**"
    return "**Does not reproduce here.**"


def b_crit_inside(summary: pd.DataFrame) -> tuple[str, str]:
    """Shallue et al.'s shape: perfect scaling, then diminishing returns. It reproduces ("outside the seed
    noise") when some optimizer's B_crit has a profile interval wholly inside the batch sizes measured and no
    note of an edge, a bound or a lack of fit; "no interval" otherwise, with the reason."""
    sizes = pd.to_numeric(summary.batch_size, errors="coerce").dropna()
    lo, hi = (float(sizes.min()), float(sizes.max())) if len(sizes) else (math.nan, math.nan)
    for r in summary[summary.measure == "b_crit"].itertuples():
        note = str(r.note) if isinstance(r.note, str) else ""
        if pd.notna(r.ci_low) and pd.notna(r.ci_high) and lo < r.ci_low and r.ci_high < hi and \
                not any(w in note for w in ("edge", "bound", "lack of fit")):
            return (f"{r.optimizer}: B_crit's interval lies inside B = {lo:g}–{hi:g}: perfect scaling below it, "
                    f"diminishing returns above: **{REPRODUCES[0]}**", REPRODUCES[0])
    return (f"no B_crit interval wholly inside B = {lo:g}–{hi:g} without an edge, bound or lack-of-fit note: "
            "**no interval**", "no interval")
