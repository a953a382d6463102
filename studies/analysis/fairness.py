"""Fair comparisons: the learning rate each batch size is compared at (``best_lr``).

A batch-size comparison at one learning rate for every batch size measures the learning rate as much as the
batch size (Shallue et al. 2018 tune it per batch size). With an lr sweep the study picks, per
(optimizer, batch_size, shuffle), one lr by a stated rule and marks every run (every seed) of it.
Pure pandas, no torch: the store and the pages call it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..config import PRUNED

GROUP = ["optimizer", "batch_size", "shuffle"]
BEST_LR_RULE = ("per optimizer, batch size and shuffle: the lr with most seeds reaching the target, then the "
                "fewest median steps to it; without a target (or when none reached it), the lowest median final "
                "train loss; stalled, diverged and failed runs never win")


def _has_target(runs: pd.DataFrame) -> bool:
    """Whether the study trains to a target: the spec's columns when stored, else any run that reached one."""
    cols = [c for c in ("target_train_acc", "target_train_loss") if c in runs.columns]
    if cols:
        return bool((runs[cols].fillna(0).astype(float) > 0).any().any())
    return "reached_target" in runs.columns and bool(runs.reached_target.fillna(False).astype(bool).any())


def best_lr(runs: pd.DataFrame) -> pd.Series:
    """Boolean Series aligned with ``runs``: True on every run of its group's chosen lr (BEST_LR_RULE).

    Exactly one lr per (optimizer, batch_size, shuffle) group is marked, unless no run of the group trained
    (all stalled, diverged or failed): then none is. With a single lr per group, its runs are marked when
    any of them trained. Vectorised: a 1,000-run study takes milliseconds (the runner writes it often)."""
    out = pd.Series(False, index=runs.index, dtype=bool)
    if runs.empty or "lr" not in runs.columns:
        return out
    keys = GROUP + ["lr"]
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
    order = (["neg_reached", "rsteps", "bad", "loss"] if _has_target(runs) else ["bad", "loss"]) + ["lr"]
    winners = g.sort_values(order, kind="mergesort").drop_duplicates(GROUP, keep="first")[keys]
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
    """The runs a batch-size comparison uses: the best-lr ones (all of them when there is no best_lr)."""
    if "best_lr" in runs.columns and len(runs):
        return runs[runs.best_lr.fillna(False).astype(bool)]
    return runs


def sweeps_lr(runs: pd.DataFrame) -> bool:
    """Whether some (optimizer, batch_size, shuffle) was trained at more than one lr."""
    return bool(len(runs)) and "lr" in runs and bool(runs.groupby(GROUP).lr.nunique().max() > 1)


def with_best_lr(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with the boolean ``best_lr`` column (recomputed: runs may have been added since)."""
    if runs.empty or not set(GROUP + ["lr", "status"]) <= set(runs.columns):
        return runs
    return runs.assign(best_lr=best_lr(runs))


# ---------------------------------------------------------------- matched fit

# Without a target, runs are at a matched fit when every final train loss is at most LOSS_RATIO × the best-fitted
# run's (plus LOSS_FLOOR nats, so two losses that are both ~0 count as matched): a wider spread compares solutions
# at different stages of training. Relative, because loss falls by orders of magnitude: 0.001 and 0.09 are far
# apart although both lie within 0.1 nats of each other.
LOSS_RATIO = 2.0
LOSS_FLOOR = 1e-3
LOSS_BAND_TEXT = f"at most {LOSS_RATIO:g}× the best run's + {LOSS_FLOOR:g}"


def loss_band(best: float) -> float:
    """The highest final train loss still at a matched fit with a best run of loss ``best``."""
    return LOSS_RATIO * best + LOSS_FLOOR
CONFOUND = "gap and sharpness are confounded with under-training"


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
        """"12 done · 2 missed target" for the Jobs page and the studies table."""
        done = self.n_runs - self.n_untrained
        parts = [f"{done} done"]
        if self.n_missed - self.n_untrained:
            parts.append(f"{self.n_missed - self.n_untrained} missed " +
                         ("target" if self.rule == "target" else "the loss band"))
        if self.n_untrained:
            parts.append(f"{self.n_untrained} not trained")
        return " · ".join(parts)


def _targets(runs: pd.DataFrame) -> set:
    cols = [c for c in ("target_train_acc", "target_train_loss") if c in runs.columns]
    if not cols:
        return {("?",)} if _has_target(runs) else set()
    return {tuple(r) for r in runs[cols].fillna(0).astype(float).itertuples(index=False) if any(v > 0 for v in r)}


def fitted(runs: pd.DataFrame) -> pd.Series:
    """Per run: True when it sits at the study's fit (reached its target; without a target, a final train loss
    within loss_band of the lowest). Stalled, diverged and failed runs never do."""
    if runs.empty:
        return pd.Series(True, index=runs.index, dtype=bool)
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
    status = runs.status if "status" in runs.columns else pd.Series("done", index=runs.index)
    untrained = status != "done"
    targets = _targets(runs)
    missed = ~fitted(runs)
    if targets:
        rule, why = "target", "missed the target"
    else:
        rule, why = "loss band", f"ended with a train loss above the band ({LOSS_BAND_TEXT})"
    k, u = int(missed.sum()), int(untrained.sum())
    if len(targets) > 1:
        return FitCheck(False, n, k, u, "different rules",
                        f"The runs were trained to different targets ({len(targets)}): {CONFOUND}.")
    if k == 0:
        return FitCheck(True, n, 0, 0, rule, "")
    extra = f" ({u} stalled, diverged or failed)" if u else ""
    return FitCheck(False, n, k, u, rule, f"{k} of {n} runs {why}{extra}: {CONFOUND}.")


def matched_pair(runs_a: pd.DataFrame, runs_b: pd.DataFrame) -> FitCheck:
    """Matched fit across two studies: each matched, and both trained by the same stopping rule."""
    a, b = matched_fit(runs_a), matched_fit(runs_b)
    both = matched_fit(pd.concat([runs_a, runs_b], ignore_index=True))
    ta, tb = _targets(runs_a), _targets(runs_b)
    n, k, u = a.n_runs + b.n_runs, a.n_missed + b.n_missed, a.n_untrained + b.n_untrained
    if ta != tb:
        rules = " vs ".join(_describe_targets(t) for t in (ta, tb))
        return FitCheck(False, n, k, u, "different rules",
                        f"The two studies stop by different rules ({rules}): {CONFOUND}.")
    if a.matched and b.matched and both.matched:
        return FitCheck(True, n, 0, 0, a.rule, "")
    if a.matched and b.matched:   # each within its own loss band, not across
        return both
    return FitCheck(False, n, k, u, a.rule, f"{k} of {n} runs across the two studies "
                    f"{'missed the target' if a.rule == 'target' else 'are outside the loss band'}: {CONFOUND}.")


def _describe_targets(targets: set) -> str:
    if not targets:
        return "a fixed epoch budget"
    acc, loss = next(iter(targets)) if len(next(iter(targets))) == 2 else (math.nan, math.nan)
    parts = ([f"train acc ≥ {acc:g}"] if acc > 0 else []) + ([f"train loss ≤ {loss:g}"] if loss > 0 else [])
    return " and ".join(parts) or "a target"


# ---------------------------------------------------------------- what a comparison holds equal

def held_equal(runs: pd.DataFrame) -> str:
    """One sentence for a study's ``runs`` (all of them: an lr sweep is told from them; the rest is said of
    the compared, best-lr runs): what is the same at every batch size (the target or epoch budget, the lr) and
    how lr/B, which a fixed lr cannot hold, changes with B. Empty when there is nothing to compare (fewer than
    two batch sizes, or runs trained to different targets)."""
    from ..i18n import Markdown, plain, t
    swept, runs = sweeps_lr(runs), compared_runs(runs)
    targets = _targets(runs)
    if len(targets) > 1 or "batch_size" not in runs or "lr" not in runs or runs.batch_size.nunique() < 2:
        return ""
    if targets:
        acc, loss = next(iter(targets)) if len(next(iter(targets))) == 2 else (0.0, 0.0)
        parts = ([t("held.acc", v=acc)] if acc > 0 else []) + ([t("held.loss", v=loss)] if loss > 0 else [])
        stop = t("held.target", what=Markdown(t("held.and").join(parts)) or "?")   # catalogue texts: safe
    else:
        budget = runs.epoch_budget.max() if "epoch_budget" in runs else runs.get("epochs", pd.Series([0])).max()
        stop = t("held.budget", epochs=int(budget))
    if swept:
        return t("held.tuned_lr", stop=stop)
    b0, b1 = int(runs.batch_size.min()), int(runs.batch_size.max())
    ends = runs[runs.batch_size.isin([b0, b1])].groupby(["optimizer", "batch_size"]).lr.first().unstack()
    opt = ends.index[0]
    lr0, lr1 = float(ends.loc[opt, b0]), float(ends.loc[opt, b1])
    k = (lr0 / b0) / (lr1 / b1)
    if lr0 == lr1:   # one lr for every batch size (per optimizer)
        lrs = Markdown(", ".join(f"{plain(o)} {lr:g}" for o, lr in runs.groupby("optimizer").lr.first().items()))
        return t("held.fixed_lr", stop=stop, lrs=lrs, k=k, b0=b0, b1=b1)
    lrs = Markdown(f"{plain(opt)} {lr0:g} (B={b0}) → {lr1:g} (B={b1})")   # numbers and an escaped name
    return t("held.same_ratio", stop=stop, lrs=lrs) if math.isclose(k, 1.0) else \
        t("held.scaled_lr", stop=stop, lrs=lrs, k=k, b0=b0, b1=b1)
