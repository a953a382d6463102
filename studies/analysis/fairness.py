"""Fair comparisons: the learning rate each batch size is compared at (``best_lr``).

A batch-size comparison at one learning rate for every batch size measures the learning rate as much as the
batch size (Shallue et al. 2018 tune it per batch size). With an lr sweep the study picks, per
(optimizer, batch_size, shuffle), one lr by a stated rule and marks every run (every seed) of it.
Pure pandas, no torch: the store and the pages call it.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from ..spec import optimizers
from ..spec.budget import budget_label
from ..i18n import Markdown, plain, t
from ..spec.config import PRUNED
from .lr_edges import with_lr_edges

GROUP = ["optimizer", "batch_size", "shuffle"]
# the rule best_lr applies, in words: the catalogue's "fair.best_lr_rule" (the pages show it in both languages)


def group_of(runs: pd.DataFrame) -> list[str]:
    """What makes one configuration: GROUP, and the budget where the runs table has one (runs held to
    different budgets are never one configuration: budget.py)."""
    return GROUP + ["budget"] if "budget" in runs.columns else list(GROUP)


def by_budget(runs: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """``runs`` split by budget, in the order first seen: [(None, runs)] when they share one (or predate
    budgets), so callers judge each budget on its own."""
    if "budget" not in runs.columns or runs.budget.nunique(dropna=False) < 2:
        return [(None, runs)]
    return [(str(b), g) for b, g in runs.groupby("budget", sort=False, dropna=False)]


def budget_text(budget) -> Markdown:
    """A budget as markdown: as written when it is one budget.py writes (letters, a colon, digits: nothing
    markdown reads), else escaped."""
    return Markdown(budget) if re.fullmatch(r"target|[a-z]+:[0-9]+", str(budget)) else plain(budget)


def has_target(runs: pd.DataFrame) -> bool:
    """Whether the study trains to a target: the spec's columns when stored, else any run that reached one."""
    cols = [c for c in ("target_train_acc", "target_train_loss") if c in runs.columns]
    if cols:
        return bool((runs[cols].fillna(0).astype(float) > 0).any().any())
    return "reached_target" in runs.columns and bool(runs.reached_target.fillna(False).astype(bool).any())


def best_lr(runs: pd.DataFrame) -> pd.Series:
    """Boolean Series aligned with ``runs``: True on every run of its group's chosen lr (the rule "fair.best_lr_rule" states).

    Exactly one lr per (optimizer, batch_size, shuffle) group is marked, unless no run of the group trained
    (all stalled, diverged or failed): then none is. With a single lr per group, its runs are marked when
    any of them trained. Vectorised: a 1,000-run study takes milliseconds (the runner writes it often)."""
    out = pd.Series(False, index=runs.index, dtype=bool)
    if runs.empty or "lr" not in runs.columns:
        return out
    group = group_of(runs)
    keys = group + ["lr"]
    df = runs[keys].copy()
    done = (runs.status == "done").to_numpy()
    reached = done & (runs.reached_target.fillna(False).astype(bool).to_numpy() if "reached_target" in runs
                      else False)
    df["done"], df["bad"], df["reached"] = done.astype(int), (~done).astype(int), reached.astype(int)
    df["loss"] = runs.train_loss.astype(float).where(done) if "train_loss" in runs else math.nan
    df["rsteps"] = runs.steps.astype(float).where(reached) if "steps" in runs else math.nan
    g = df.groupby(keys, dropna=False).agg(done=("done", "sum"), bad=("bad", "sum"), reached=("reached", "sum"),
                                           loss=("loss", "median"), rsteps=("rsteps", "median")).reset_index()
    g = g[g.done > 0]                                   # an lr none of whose runs trained never wins
    g["loss"] = g.loss.fillna(math.inf)
    g["rsteps"] = g.rsteps.fillna(math.inf)
    g["neg_reached"] = -g.reached
    order = (["neg_reached", "rsteps", "bad", "loss"] if has_target(runs) else ["bad", "loss"]) + ["lr"]
    winners = g.sort_values(order, kind="mergesort").drop_duplicates(group, keep="first")[keys]
    pos = runs[keys].assign(_pos=range(len(runs))).merge(winners, on=keys, how="inner")["_pos"]
    out.iloc[pos.to_numpy()] = True
    return out


def censored_steps(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (optimizer, batch_size, lr) with pruned runs: the fewest steps at which one was stopped, S; the
    lr would have needed more than S steps to reach the target (shown "> S")."""
    if "status" not in runs or not (runs.status == PRUNED).any():
        return pd.DataFrame(columns=["optimizer", "batch_size", "lr", "censored"])
    return runs[runs.status == PRUNED].groupby(["optimizer", "batch_size", "lr"]).steps.min() \
        .rename("censored").reset_index()


def pruned_line(runs: pd.DataFrame) -> str:
    """"pruned (the lr could not win; steps to the target above S): momentum B=8 lr 0.1 > 6000, ..." or ""."""
    c = censored_steps(runs)
    if c.empty:
        return ""
    cells = [f"{r.optimizer} B={r.batch_size} lr {r.lr:g} > {r.censored:.0f}" for r in c.itertuples()]
    return "pruned (the lr could not win; steps to the target above S): " + ", ".join(cells)


def compared_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs a batch-size comparison uses: the best-lr ones (all of them when best_lr cannot be told)."""
    runs = ensure_best_lr(runs)
    if "best_lr" in runs.columns and len(runs):
        return runs[runs.best_lr.fillna(False).astype(bool)]
    return runs


def sweeps_lr(runs: pd.DataFrame) -> bool:
    """Whether some (optimizer, batch_size, shuffle) was trained at more than one lr."""
    return bool(len(runs)) and "lr" in runs and bool(runs.groupby(group_of(runs)).lr.nunique().max() > 1)


def with_budget(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` whose rows stored before the ``budget`` column (beside rows with one: a study re-run after it
    came) get the budget they held (budget.budget_label), so they are not taken for a budget of their own."""
    if "budget" not in runs.columns or not runs["budget"].isna().any():
        return runs
    cols = [c for c in ("target_train_acc", "target_train_loss") if c in runs.columns]
    targeted = (runs[cols].fillna(0).astype(float) > 0).any(axis=1) if cols else pd.Series(False, runs.index)
    epochs = pd.to_numeric(runs.get("epoch_budget", runs.get("epochs")), errors="coerce")
    derived = pd.Series([budget_label("", int(e) if e == e else 0, bool(tg)) for e, tg in zip(epochs, targeted)],
                        index=runs.index)
    return runs.assign(budget=runs["budget"].where(runs["budget"].notna(), derived))


def with_best_lr(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with the boolean ``best_lr`` column (recomputed: runs may have been added since), ``lr_at_edge``
    ("high" / "low" where the chosen lr is the largest / smallest of its grid: lr_edges) and every row's
    ``budget`` (with_budget)."""
    runs = with_budget(runs)
    if runs.empty or not set(GROUP + ["lr", "status"]) <= set(runs.columns):
        return runs
    return with_lr_edges(runs.assign(best_lr=best_lr(runs)))


def ensure_best_lr(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with its best_lr column as stored (the runner writes it), or computed (with_best_lr) for a table
    without one: a study written before best_lr, or assembled from its runs' own files by the store."""
    if "best_lr" not in runs.columns:
        return with_best_lr(runs)
    return runs if "lr_at_edge" in runs.columns else with_lr_edges(runs)   # the stored best_lr, as written


# ---------------------------------------------------------------- matched fit

# Without a target, runs are at a matched fit when every final train loss is at most LOSS_RATIO × the best-fitted
# run's (plus LOSS_FLOOR nats, so two losses that are both ~0 count as matched): a wider spread compares solutions
# at different stages of training. Relative, because loss falls by orders of magnitude: 0.001 and 0.09 are far
# apart although both lie within 0.1 nats of each other.
LOSS_RATIO = 2.0
LOSS_FLOOR = 1e-3


def loss_band_text() -> Markdown:
    """"at most 2× the best run's + 0.001", in the current language."""
    return t("fair.band", ratio=LOSS_RATIO, floor=LOSS_FLOOR)


def loss_band(best: float) -> float:
    """The highest final train loss still at a matched fit with a best run of loss ``best``."""
    return LOSS_RATIO * best + LOSS_FLOOR


@dataclass(frozen=True)
class FitCheck:
    """Whether compared runs sit at a matched fit, and a one-line message for the top of a page."""

    matched: bool
    n_runs: int           # runs compared
    n_missed: int         # runs that missed the target (or lie outside the loss band), untrained ones included
    n_untrained: int      # stalled, diverged or failed runs among them
    rule: str             # "target" | "loss band" | "different rules"
    message: str

    def summary(self) -> str:
        """"12 done · 2 missed target" for the Jobs page and the studies table, in the current language."""
        return summary_text(self.n_runs - self.n_untrained, self.n_missed - self.n_untrained, self.n_untrained,
                            self.rule == "target")


def summary_text(done: int, missed: int, untrained: int, target: bool = True) -> Markdown:
    """FitCheck.summary from its counts (the store keeps the English one: ``translate_summary`` reads it)."""
    parts = [t("fair.sum.done", n=done)]
    if missed:
        parts.append(t("fair.sum.missed_target" if target else "fair.sum.missed_band", n=missed))
    if untrained:
        parts.append(t("fair.sum.untrained", n=untrained))
    return Markdown(" · ".join(parts))


_SUMMARY = re.compile(r"(\d+) done(?: · (\d+) missed (target|the loss band))?(?: · (\d+) not trained)?")
_RUNS = re.compile(r"(\d+)/(\d+) runs")


def translate_summary(text: str) -> str:
    """A summary the store kept (English, written by the runner: "12 done · 2 missed target", or "3/12 runs"
    before a study finished) in the current language; any other text as it is (for a table cell: markdown
    callers pass it through ``plain``, which leaves the catalogue's texts alone)."""
    if m := _SUMMARY.fullmatch(text):
        return summary_text(int(m[1]), int(m[2] or 0), int(m[4] or 0), m[3] != "the loss band")
    if m := _RUNS.fullmatch(text):
        return t("fair.sum.runs", done=int(m[1]), total=int(m[2]))
    return text


def _targets(runs: pd.DataFrame) -> set:
    cols = [c for c in ("target_train_acc", "target_train_loss") if c in runs.columns]
    if not cols:
        return {("?",)} if has_target(runs) else set()
    return {tuple(r) for r in runs[cols].fillna(0).astype(float).itertuples(index=False) if any(v > 0 for v in r)}


def fitted(runs: pd.DataFrame) -> pd.Series:
    """Per run: True when it sits at the study's fit (reached its target; without a target, a final train loss
    within loss_band of the lowest of its budget). Stalled, diverged and failed runs never do."""
    if runs.empty:
        return pd.Series(True, index=runs.index, dtype=bool)
    parts = by_budget(runs)
    if len(parts) > 1:
        return pd.concat([fitted(g) for _, g in parts]).reindex(runs.index)
    status = runs.status if "status" in runs.columns else pd.Series("done", index=runs.index)
    done = status == "done"
    if _targets(runs):
        reached = runs.reached_target.fillna(False).astype(bool) if "reached_target" in runs.columns \
            else pd.Series(False, index=runs.index)
        return reached & done
    loss = runs.train_loss.astype(float).where(done)
    return done & (loss <= loss_band(loss.min()))


def matched_fit(runs: pd.DataFrame) -> FitCheck:
    """Matched fit of the compared ``runs`` (pass the runs a chart shows): with a target, every run reached
    it; without one, every final train loss lies within loss_band of the lowest. Stalled, diverged and failed
    runs never count as fitted."""
    n = len(runs)
    if n == 0:
        return FitCheck(True, 0, 0, 0, "target", "")
    parts = by_budget(runs)
    if len(parts) > 1:   # each budget at its own fit: "steps:400: 1 of 4 runs missed …"
        checks = [(b, matched_fit(g)) for b, g in parts]
        rules = {c.rule for _, c in checks}
        return FitCheck(all(c.matched for _, c in checks), n, sum(c.n_missed for _, c in checks),
                        sum(c.n_untrained for _, c in checks), rules.pop() if len(rules) == 1 else "per budget",
                        Markdown(" ".join(f"{budget_text(b)}: {c.message}" for b, c in checks if not c.matched)))
    status = runs.status if "status" in runs.columns else pd.Series("done", index=runs.index)
    untrained = status != "done"
    targets = _targets(runs)
    missed = ~fitted(runs)
    rule = "target" if targets else "loss band"
    k, u = int(missed.sum()), int(untrained.sum())
    confound = t("fair.confound")
    if len(targets) > 1:
        return FitCheck(False, n, k, u, "different rules",
                        t("fair.different_targets", n=len(targets), confound=confound))
    if k == 0:
        return FitCheck(True, n, 0, 0, rule, "")
    extra = t("fair.untrained", u=u) if u else Markdown("")
    if targets:
        return FitCheck(False, n, k, u, rule, t("fair.missed_target", k=k, n=n, extra=extra, confound=confound))
    return FitCheck(False, n, k, u, rule, t("fair.missed_band", k=k, n=n, band=loss_band_text(), extra=extra,
                                            confound=confound))


def matched_pair(runs_a: pd.DataFrame, runs_b: pd.DataFrame) -> FitCheck:
    """Matched fit across two studies: each matched, and both trained by the same stopping rule."""
    a, b = matched_fit(runs_a), matched_fit(runs_b)
    both = matched_fit(pd.concat([runs_a, runs_b], ignore_index=True))
    ta, tb = _targets(runs_a), _targets(runs_b)
    n, k, u = a.n_runs + b.n_runs, a.n_missed + b.n_missed, a.n_untrained + b.n_untrained
    if ta != tb:
        rules = Markdown(t("fair.vs").join(_describe_targets(x) for x in (ta, tb)))
        return FitCheck(False, n, k, u, "different rules", t("fair.pair_rules", rules=rules,
                                                             confound=t("fair.confound")))
    if a.matched and b.matched and both.matched:
        return FitCheck(True, n, 0, 0, a.rule, "")
    if a.matched and b.matched:   # each within its own loss band, not across
        return both
    return FitCheck(False, n, k, u, a.rule, t("fair.pair_missed_target" if a.rule == "target" else
                                              "fair.pair_missed_band", k=k, n=n, confound=t("fair.confound")))


def _describe_targets(targets: set) -> Markdown:
    if not targets:
        return t("fair.budget")
    acc, loss = next(iter(targets)) if len(next(iter(targets))) == 2 else (math.nan, math.nan)
    parts = ([t("fair.acc", v=acc)] if acc > 0 else []) + ([t("fair.loss", v=loss)] if loss > 0 else [])
    return Markdown(t("fair.and").join(parts)) or t("fair.a_target")


# ---------------------------------------------------------------- what a comparison holds equal

def held_equal(runs: pd.DataFrame) -> str:
    """One sentence for a study's ``runs`` (all of them: an lr sweep is told from them; the rest is said of
    the compared, best-lr runs): what is the same at every batch size (the target or epoch budget, the lr) and
    how lr/B, which a fixed lr cannot hold, changes with B. Empty when there is nothing to compare (fewer than
    two batch sizes, or runs trained to different targets)."""
    parts = by_budget(runs)
    if len(parts) > 1:   # one sentence per budget: across budgets nothing is one configuration
        said = [(b, held_equal(g)) for b, g in parts]
        return Markdown(" ".join(f"{budget_text(b)}: {text}" for b, text in said if text))
    swept, runs = sweeps_lr(runs), compared_runs(runs)
    targets = _targets(runs)
    if len(targets) > 1 or "batch_size" not in runs or "lr" not in runs or runs.batch_size.nunique() < 2:
        return ""
    if targets:
        acc, loss = next(iter(targets)) if len(next(iter(targets))) == 2 else (0.0, 0.0)
        parts = ([t("held.acc", v=acc)] if acc > 0 else []) + ([t("held.loss", v=loss)] if loss > 0 else [])
        stop = t("held.target", what=Markdown(t("held.and").join(parts)) or "?")   # catalogue texts: safe
    else:
        stop = fixed_budget(runs)
    if swept:
        return Markdown(t("held.tuned_lr", stop=stop) + adaptive_note(runs))
    b0, b1 = int(runs.batch_size.min()), int(runs.batch_size.max())
    ends = runs[runs.batch_size.isin([b0, b1])].groupby(["optimizer", "batch_size"]).lr.first().unstack()
    opt = ends.index[0]
    lr0, lr1 = float(ends.loc[opt, b0]), float(ends.loc[opt, b1])
    k = (lr0 / b0) / (lr1 / b1)
    if lr0 == lr1:   # one lr for every batch size (per optimizer)
        lrs = Markdown(", ".join(f"{plain(o)} {lr:g}" for o, lr in runs.groupby("optimizer").lr.first().items()))
        return Markdown(t("held.fixed_lr_only", stop=stop, lrs=lrs) + " " + varies(runs, k, b0, b1))
    lrs = Markdown(f"{plain(opt)} {lr0:g} (B={b0}) → {lr1:g} (B={b1})")   # numbers and an escaped name
    if math.isclose(k, 1.0):
        return Markdown(t("held.same_ratio", stop=stop, lrs=lrs) + adaptive_note(runs))
    return Markdown(t("held.scaled_lr", stop=stop, lrs=lrs, k=k, b0=b0, b1=b1) + adaptive_note(runs))


def _adaptive(runs: pd.DataFrame) -> list[str]:
    """The study's optimizers whose step divides by a running gradient size (Adam, RMSProp, Adagrad, …)."""
    names = sorted({str(o) for o in runs.optimizer.unique()}) if "optimizer" in runs else []
    return [o for o in names if o in optimizers.TABLE and optimizers.get(o).family != "sgd"]


def adaptive_note(runs: pd.DataFrame) -> Markdown:
    """" For adam, lr/B is not a noise scale: …" where the study has adaptive optimizers, else ""."""
    opts = _adaptive(runs)
    return t("held.adaptive_note", opts=", ".join(opts)) if opts else Markdown("")


def varies(runs: pd.DataFrame, k: float, b0: int, b1: int) -> Markdown:
    """What varies with B at one lr, per optimizer family: for SGD and momentum the noise temperature
    ηN/(B(1−m)), k× smaller at the largest batch; for adaptive optimizers the batch size itself (their step
    divides by a running gradient size, so ηN/B is not their noise scale: analysis/sgd_noise.py)."""
    opts = _adaptive(runs)
    sgd = [o for o in sorted({str(o) for o in runs.optimizer.unique()}) if o not in opts]
    parts = []
    if sgd:
        parts.append(t("held.varies_sgd", opts=", ".join(sgd), k=k, b0=b0, b1=b1))
    if opts:
        parts.append(t("held.varies_adaptive", opts=", ".join(opts), r=b1 / b0, b0=b0, b1=b1))
    return Markdown(" ".join(parts))


def fixed_budget(runs: pd.DataFrame) -> Markdown:
    """What a fixed budget holds equal: "the epoch budget (4 epochs, no target)", "400 updates (a step budget,
    no target)", "120000 examples (⌈120000/B⌉ updates, no target)"."""
    kind, _, n = str(runs.budget.iloc[0]).partition(":") if "budget" in runs and len(runs) else ("", "", "")
    if kind in ("steps", "examples") and n.isdigit():
        return t(f"held.{kind}", n=int(n))
    budget = runs.epoch_budget.max() if "epoch_budget" in runs else runs.get("epochs", pd.Series([0])).max()
    return t("held.budget", epochs=int(budget))
