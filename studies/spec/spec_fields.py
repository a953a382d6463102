"""StudySpec's fields: the allowed values (data sets, models, optimizers' views, schedules, devices, limits) and
one reader per top-level key, each refusing bad input with a SpecError that names the field. No torch.
"""
from __future__ import annotations

import re
from typing import Any

from .budget import BATCH_SCHEDULES, read_budgets
from .dataset_facts import DATASETS
from .lr_auto import read_auto
from .optimizers import HYPERS, TABLE, applies_to
from .spec_checks import (SpecError, is_int, read_bool, read_choice, read_float, read_int, read_list, read_table,
                          reject_unknown, unique)

# Data set name → the shape of one example ("tabular", "image", "sequence"): a view of dataset_facts.DATASETS.
DATASET_KINDS = {name: f.kind for name, f in DATASETS.items()}
MODELS = ("mlp", "cnn", "resnet20", "keskar_c1")   # the last two: the papers' conv nets (engine/paper_models.py)
CONV_MODELS = ("cnn", "resnet20", "keskar_c1")   # need image or sequence data; the last two images only
PRECISIONS = ("fp32", "bf16")   # the training steps' forward pass (engine/precision.py)
AUGMENTS = ("none", "crop_flip")   # [data] augment (engine/augment.py), images only
# Views of the optimizer table (studies/spec/optimizers.py) for listing; validation reads TABLE itself.
OPTIMIZERS = tuple(TABLE)
DEFAULT_LR = {n: o.lr for n, o in TABLE.items()}
# The [optim] table: name -> (default, the optimizers it applies to). A value enters a run's id only when the
# spec sets it.
OPTIM_HYPER = {h.name: (h.default, applies_to(h)) for h in HYPERS}
LR_SCALINGS = ("none", "linear", "sqrt")
SCHEDULES = ("constant", "cosine", "step")
LOSSES = ("cross_entropy", "focal")
DEVICES = ("auto", "cpu", "cuda", "mps")
NORMS = ("none", "batch", "ghost")   # batch norm after every hidden layer; ghost: over chunks of ghost_batch examples
NORM_DEFAULTS = {"norm": "none", "ghost_batch": 0}   # left out of run and study ids: earlier ids stay
MAX_BATCH_SIZE = 1 << 24
MAX_RUNS = 10_000  # a grid larger than this is almost certainly a typo
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _read_dataset(v: Any) -> str:
    if isinstance(v, str) and v.startswith("csv:"):
        if len(v) <= 4:
            raise SpecError("dataset", key="spec.csv_no_path")
        if not v.isprintable():
            raise SpecError("dataset", key="spec.csv_control", v=repr(v))
        return v
    return read_choice("dataset", v, tuple(DATASET_KINDS))


def _read_name(v: Any) -> str:
    if not isinstance(v, str) or not _NAME_RE.match(v):
        raise SpecError("name", key="spec.bad_name", v=repr(v))
    return v


def _read_batch_sizes(v: Any) -> tuple:
    vals = []
    for b in read_list("batch_sizes", v):
        if b == "full":
            vals.append(b)
            continue
        if is_int(b) and b < 1:
            raise SpecError("batch_sizes", key="spec.batch_below_one", v=str(b))
        vals.append(read_int("batch_sizes", b, 1, MAX_BATCH_SIZE))
    return unique("batch_sizes", vals)


def _read_hidden(v: Any) -> tuple:
    if isinstance(v, (list, tuple)) and len(v) == 0:
        return ()
    vals = [read_int("hidden", h, 1, 65536) for h in read_list("hidden", v)]
    if len(vals) > 16:
        raise SpecError("hidden", key="spec.too_many_layers", n=len(vals))
    return tuple(vals)


def _read_pairs(table: str, v: Any, lo_open: bool) -> tuple:
    d = read_table(table, v)
    reject_unknown(table, d, tuple(TABLE))
    return tuple(sorted((k, read_float(f"{table}.{k}", x, 0.0, 10.0, lo_open=lo_open))
                        for k, x in d.items()))


MAX_LRS = 16   # values in one optimizer's lr sweep


def _read_lr(v: Any) -> tuple:
    """[lr]: a number per optimizer, a list of numbers (a sweep, each value trained), or "auto" / "auto:<lr>"
    (a search that extends itself: lr_auto)."""
    d = read_table("lr", v)
    reject_unknown("lr", d, tuple(TABLE))
    out = []
    for k, x in d.items():
        key = f"lr.{k}"
        if isinstance(x, (list, tuple)):
            vals = unique(key, [read_float(key, e, 0.0, 1e3, lo_open=True) for e in read_list(key, x)])
            if len(vals) > MAX_LRS:
                raise SpecError(key, key="spec.too_many_lrs", n=len(vals), most=MAX_LRS)
            out.append((k, vals))
        elif isinstance(x, str):
            out.append((k, read_auto(key, x)))
        else:
            out.append((k, read_float(key, x, 0.0, 1e3, lo_open=True)))
    return tuple(sorted(out))


def _read_optim(v: Any) -> tuple:
    """[optim]: momentum, nesterov, beta1, beta2, eps, alpha (optimizers.HYPERS), each optional."""
    d = read_table("optim", v)
    hypers = {h.name: h for h in HYPERS}
    reject_unknown("optim", d, tuple(hypers))
    out = []
    for k, x in d.items():
        key, h = f"optim.{k}", hypers[k]
        if isinstance(h.default, bool):
            out.append((k, read_bool(key, x)))
            continue
        val = read_float(key, x, h.lo, h.hi, lo_open=h.lo_open)
        if h.hi_open and val >= h.hi:   # the decays and momentum
            raise SpecError(key, key="spec.never_forgets", v=val, hi=h.hi, default=h.default)
        out.append((k, val))
    return tuple(sorted(out))


def check_norm(norm: str, ghost_batch: int, batch_sizes) -> None:
    """norm and ghost_batch together: ghost needs its size, the size needs ghost, and a batch of one example
    cannot be normalised by its own statistics."""
    if norm == "ghost" and not ghost_batch:
        raise SpecError("ghost_batch", key="spec.ghost_needs_size")
    if ghost_batch and norm != "ghost":
        raise SpecError("ghost_batch", key="spec.ghost_batch_alone", norm=repr(norm))
    if norm != "none" and 1 in batch_sizes:
        raise SpecError("batch_sizes", key="spec.norm_batch_one")


READERS = {   # the top-level keys but [measure] and [data], which their own specs read
    "name": _read_name,
    "dataset": _read_dataset,
    "model": lambda v: read_choice("model", v, MODELS),
    "hidden": _read_hidden,
    "batch_sizes": _read_batch_sizes,
    "optimizers": lambda v: unique("optimizers", [read_choice("optimizers", o, tuple(TABLE))
                                                   for o in read_list("optimizers", v)]),
    "shuffle": lambda v: unique("shuffle", [read_bool("shuffle", s) for s in read_list("shuffle", v)]),
    "seeds": lambda v: unique("seeds", [read_int("seeds", s, 0, 2**31 - 1) for s in read_list("seeds", v)]),
    "epochs": lambda v: read_int("epochs", v, 1, 10_000),
    "target_train_acc": lambda v: read_float("target_train_acc", v, 0.0, 1.0),
    "target_train_loss": lambda v: read_float("target_train_loss", v, 0.0, 1e6),
    "lr_scaling": lambda v: read_choice("lr_scaling", v, LR_SCALINGS),
    "base_batch_size": lambda v: read_int("base_batch_size", v, 1, MAX_BATCH_SIZE),
    "warmup_epochs": lambda v: read_int("warmup_epochs", v, 0, 10_000),
    "schedule": lambda v: read_choice("schedule", v, SCHEDULES),
    "loss": lambda v: read_choice("loss", v, LOSSES),
    "device": lambda v: read_choice("device", v, DEVICES),
    "drop_last": lambda v: read_bool("drop_last", v),
    "prune": lambda v: read_bool("prune", v),
    "norm": lambda v: read_choice("norm", v, NORMS),
    "ghost_batch": lambda v: read_int("ghost_batch", v, 2, MAX_BATCH_SIZE),
    "precision": lambda v: read_choice("precision", v, PRECISIONS),
    "lr": _read_lr,
    "weight_decay": lambda v: _read_pairs("weight_decay", v, lo_open=False),
    "optim": _read_optim,
    # what each run holds equal, and the batch-size schedule (budget.py)
    "budgets": read_budgets,
    "batch_schedule": lambda v: read_choice("batch_schedule", v, BATCH_SCHEDULES),
    "batch_growth": lambda v: read_int("batch_growth", v, 2, 1024),
}
