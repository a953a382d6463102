"""The sentences the study pages put above and under their charts, in the current language: the derived numbers
(B_simple per optimizer × budget, B_crit only where there is one) and each smallest → largest batch comparison
with the train losses it was taken at. The CLI's English lines are summary.py's. No torch, no streamlit."""
from __future__ import annotations

import pandas as pd

from . import b_simple, conclusions
from ..i18n import Markdown, plain, t
from .fairness import FitCheck, by_budget, fixed_budget, has_target, loss_band_text
from .scaling import b_crit_text, fit_study, kind_of


def derived_line(runs: pd.DataFrame) -> Markdown:
    """"**From the comparable runs:** B_simple ≈ … · adam: B_crit ≈ …". Without an lr sweep the S(B) fit is
    only a scale at that lr, so it is not set here beside B_simple (Generalization shows it under its chart)."""
    fits = fit_study(runs, short=True)
    crit = [Markdown(f"{plain(f['optimizer'])}: {b_crit_text(f)}") for f in fits if kind_of(f) != "scale"]
    if not crit:
        crit = [t("fitx.no_crit") if fits else t("study.no_b_crit")]
    bs = b_simple.texts(runs) or [t("bsx.none", who=Markdown(""))]
    return t("study.derived", b_simple=Markdown(" · ".join(bs)), b_crit=Markdown(" · ".join(crit)))


def losses(d: dict) -> Markdown:
    """" At train loss 0.0039 vs 0.0098 (medians)", and when the two ends are not within the matched band,
    that they are at different fits."""
    if d.get("loss_matched") is None:
        return Markdown("")
    a, b = Markdown(f"{d['loss_small']:.2g}"), Markdown(f"{d['loss_large']:.2g}")
    return t("study.losses" if d["loss_matched"] else "study.losses_unmatched", a=a, b=b, band=loss_band_text())


def difference_note(runs: pd.DataFrame, measure: str) -> Markdown:
    """Per optimizer: whether the smallest → largest batch difference (a ratio for a positive, skewed measure)
    is outside the seed noise, and the train losses the two ends were taken at."""
    lines = []
    for d in conclusions.end_difference(runs, measure):
        fmt = (lambda v: f"×{v:.3g}") if d["ratio"] else (lambda v: f"{v:+.3g}")
        fields = {"opt": d["optimizer"], "small": d["small"], "large": d["large"], "diff": Markdown(fmt(d["diff"]))}
        if d["beyond_noise"] is None:
            line = t("study.ratio_none" if d["ratio"] else "study.diff_none", **fields)
        else:
            line = t("study.ratio" if d["ratio"] else "study.diff", low=Markdown(fmt(d["low"])),
                     high=Markdown(fmt(d["high"])),
                     verdict=t("study.diff_beyond" if d["beyond_noise"] else "study.diff_inside"), **fields)
        lines.append(Markdown(line + losses(d)))
    return Markdown(" ".join(lines))


def fixed_budget_line(runs: pd.DataFrame, check: FitCheck) -> Markdown | None:
    """For a study without a target (a fixed budget of epochs, updates or examples; ``check`` its matched-fit
    check): what its pages compare, every batch size at the same budget with means and 95 % t-intervals over
    seeds, and the runs whose final train loss lies above the band, drawn hollow and left out of the means (the
    same rule as any study). None for a study that trains to a target: its own warning applies."""
    if has_target(runs) or check.rule == "different rules" or runs.empty:
        return None
    if "budget" not in runs.columns and "epoch_budget" in runs.columns and runs.epoch_budget.nunique() > 1:
        return None   # studies of different epoch budgets side by side: Compare says what differs
    budgets = Markdown(" / ".join(dict.fromkeys(fixed_budget(g) for _, g in by_budget(runs))))
    line = t("fit.fixed_budget", budget=budgets)
    if not check.matched:
        line = Markdown(line + " " + t("fit.fixed_budget_band", k=check.n_missed, n=check.n_runs,
                                       band=loss_band_text()))
    return line
