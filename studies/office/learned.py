"""New study's rough time, learned from this store: what its finished runs took, per data set, model, batch size
and device, in place of the built-in cost model (spec/estimate) wherever such runs exist.

A finished run's time is its ``total_time_s`` (the training loop: updates and each epoch's evaluation, not the
measures after it) over its share of a stack (the stacked engine trains ``stack_size`` runs as one model and each
reports the stack's time). A planned run is **like** a finished one when data set, training examples, model,
hidden widths, batch size, batch schedule and device are the same; the engine is not matched (the pool races stack
sizes at run time, so which runs stack is not known before), a stacked run counting its share.

Per batch size with such runs, the built-in's training-loop seconds (``TRAINING_PARTS``) give way to the like
runs' median seconds per epoch × the planned epochs × the planned runs; a run that trains to a target takes the
median seconds of the like runs that trained to the same target, where there are any (they stop there, not at
the epoch cap). The measures, the per-configuration views and the startup keep the built-in's price, and so does
every batch size without like runs. The sum is a sum over runs, like the built-in's. No streamlit, no torch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..spec.budget import check_epochs
from ..spec.config import SpecError, StudySpec
from ..spec.estimate import STARTUP_S, Estimate, data_shape, estimate
from ..storage.store import Store

KEY = ["dataset", "n_train", "model", "hidden", "batch_size", "batch_schedule", "device"]
TRAINING_PARTS = ("training", "evaluation", "hessian_track", "ghost_batch")   # spec/estimate's parts in total_time_s


@dataclass(frozen=True)
class Learned:
    """A study's rough seconds and where they came from: ``n_from_store`` finished runs like the planned ones
    (0: none, the built-in estimate throughout), ``sizes_from_store`` the batch sizes they covered."""
    seconds: float
    n_from_store: int
    sizes_from_store: tuple = ()
    sizes_total: int = 0
    capped: bool = False   # some runs counted to their epoch cap (a target without finished runs that reached it)

    @property
    def source(self) -> str:
        """"store" (every batch size from finished runs), "mixed" (some), or "builtin" (none)."""
        if not self.n_from_store:
            return "builtin"
        return "store" if len(self.sizes_from_store) == self.sizes_total else "mixed"


def _hidden(value) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(str(int(v)) for v in value)
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _target(acc, loss) -> str:
    """A run's target as a key: "acc 0.99 / loss 0" ("" for a fixed budget)."""
    acc, loss = (0.0 if pd.isna(v) else float(v) for v in (acc, loss))
    return f"acc {acc:g} / loss {loss:g}" if acc > 0 or loss > 0 else ""


def run_rates(runs: pd.DataFrame) -> pd.DataFrame:
    """Per finished run (``status`` done, a positive time and epoch count): the KEY columns and ``s_per_epoch``,
    its share of a stack's seconds per epoch trained. Empty (with those columns) when none qualify."""
    need = {"dataset", "model", "batch_size", "device", "total_time_s", "epochs", "status"}
    if runs.empty or not need <= set(runs.columns):
        return pd.DataFrame(columns=KEY + ["engine", "target", "run_s", "s_per_epoch"])
    done = runs[(runs.status == "done") & (pd.to_numeric(runs.total_time_s, errors="coerce") > 0)
                & (pd.to_numeric(runs.epochs, errors="coerce") > 0)]
    stack = pd.to_numeric(done.get("stack_size", pd.Series(1, index=done.index)), errors="coerce").fillna(1).clip(lower=1)
    out = pd.DataFrame({
        "dataset": done.dataset.astype(str), "n_train": pd.to_numeric(done.get("n_train", 0), errors="coerce"),
        "model": done.model.astype(str), "hidden": done.get("hidden", pd.Series("", index=done.index)).map(_hidden),
        "batch_size": done.batch_size.astype(int), "device": done.device.astype(str),
        "batch_schedule": done.get("batch_schedule", pd.Series("constant", index=done.index)).fillna("constant")
        .astype(str),
        "engine": (stack > 1).map({True: "stacked", False: "plain"}),   # kept to read, not matched
        "target": [_target(a, b) for a, b in zip(*(pd.to_numeric(done.get(c, pd.Series(0.0, index=done.index)),
                                                                  errors="coerce")
                                                    for c in ("target_train_acc", "target_train_loss")))],
        "run_s": done.total_time_s.astype(float) / stack,
        "s_per_epoch": done.total_time_s.astype(float) / stack / done.epochs.astype(float)})
    return out.reset_index(drop=True)


def store_rates(store: Store) -> pd.DataFrame:
    """run_rates over every study in ``store`` (a run two studies share is counted once)."""
    tables = [store.load_table(sid, "runs") for sid in store.list_studies().study_id]
    tables = [t for t in tables if len(t) and "run_id" in t]
    if not tables:
        return run_rates(pd.DataFrame())
    return run_rates(pd.concat(tables, ignore_index=True).drop_duplicates("run_id"))


def learned_estimate(spec: StudySpec, rates: pd.DataFrame, slot: str = "cpu",
                     csv_shape: tuple[int, int, int] | None = None, built: Estimate | None = None) -> Learned:
    """``spec``'s rough seconds from ``rates`` (store_rates) where finished runs like its own exist, per batch
    size; the built-in estimate (``built``, or spec/estimate's) for the batch sizes without. The device compared
    is ``slot`` (cpu | cuda | mps)."""
    built = built or estimate(spec, slot, csv_shape)
    n_train = data_shape(spec, csv_shape)[0]
    like = rates[(rates.dataset == spec.dataset) & (rates.n_train == n_train) & (rates.model == spec.model)
                 & (rates.hidden == _hidden(list(spec.hidden))) & (rates.device == slot)
                 & (rates.batch_schedule == spec.batch_schedule)] if len(rates) else rates
    members = sum(len(spec.lrs_for(o)) for o in spec.optimizers) * len(spec.shuffle) * len(spec.seeds)
    seconds, used, sizes, capped = built.seconds, 0, [], False
    target = _target(spec.target_train_acc, spec.target_train_loss)
    for b in dict.fromkeys(spec.batch_sizes):
        size = n_train if b == "full" else min(int(b), n_train)
        mine = like[like.batch_size == size] if len(like) else like
        if not len(mine):
            continue
        rate = float(mine.s_per_epoch.median())
        aimed = mine[mine.target == target] if target else mine.iloc[:0]   # runs that trained to this target
        seconds -= _built_training(spec, b, slot, csv_shape)
        for budget in spec.budgets or ("",):
            epochs = check_epochs(budget, size, n_train, spec.drop_last)
            if not epochs and len(aimed):   # to the target: as long as those runs took to reach it
                seconds += members * float(aimed.run_s.median())
            else:
                seconds += members * rate * (epochs or spec.epochs)
                capped = capped or (not epochs and bool(target))
        used, sizes = used + len(mine), sizes + [b]
    if not used:
        capped = built.capped
    return Learned(max(seconds, STARTUP_S), used, tuple(sizes), len(set(spec.batch_sizes)), capped)


def _built_training(spec: StudySpec, b, slot: str, csv_shape) -> float:
    """The built-in estimate's training-loop seconds (TRAINING_PARTS) of ``spec``'s runs at batch size ``b``."""
    try:
        one = StudySpec.from_dict({**spec.to_dict(), "batch_sizes": [b]})
    except SpecError:   # cannot happen for a batch size of a valid spec; its share of the whole then
        one, share = spec, 1 / max(1, len(spec.batch_sizes))
    else:
        share = 1.0
    return share * sum(v for k, v in estimate(one, slot, csv_shape).parts if k in TRAINING_PARTS)
