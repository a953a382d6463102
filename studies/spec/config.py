"""Study and run specifications: frozen, validated, content-hashed.

A StudySpec is what a user writes (TOML or the New-study page). ``expand`` turns it into RunSpecs, one per
point of the grid batch_sizes x optimizers x shuffle x seeds, each with a ``run_id`` that hashes every field
that changes the run's result and nothing else. This module never imports torch, so pages load fast.
"""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .budget import STOP_RULE, check_spec as check_budgets, resolve as resolve_budget, targeted
from .dataset_facts import facts
from .limits import MAX_SPEC_BYTES, LimitError, read_regular_file, toml_shape_problem
from ..measures.spec import MeasureSpec
from .lr_auto import is_auto, lrs_at, start_grid
from .optimizers import TABLE
from .spec_checks import ExecutorError, SpecError, one_line, read_bool, read_float, read_int, read_table, reject_unknown
from .data_spec import DataSpec
from .spec_fields import (DATASET_KINDS, DEFAULT_LR, DEVICES, LOSSES, LR_SCALINGS, MAX_BATCH_SIZE, MAX_RUNS,
                          MODELS, CONV_MODELS, NORM_DEFAULTS, NORMS, PRECISIONS, OPTIM_HYPER, OPTIMIZERS, READERS, SCHEDULES, check_norm)

# The top-level keys' readers: the fields' own, and the [measure] and [data] tables' specs.
_READERS = {**READERS, "measure": MeasureSpec.from_dict, "data": lambda v: DataSpec.from_dict(v)}

__all__ = ["ExecutorError", "SpecError", "one_line", "DataSpec", "MeasureSpec", "RunSpec", "StudySpec", "run_label",
           "content_hash", "scaled_lr", "dataset_kind", "SHUFFLE_LABELS", "SCHEMA_VERSION", "DATASET_KINDS",
           "DEFAULT_LR", "DEVICES", "LOSSES", "LR_SCALINGS", "MAX_BATCH_SIZE", "MAX_RUNS", "MODELS", "NORMS",
           "OPTIM_HYPER", "OPTIMIZERS", "PRECISIONS", "SCHEDULES"]

# Bump when a change to training or measuring changes results: every cached run is then recomputed.
SCHEMA_VERSION = 1

# ---------------------------------------------------------------- the spec tables

# ---------------------------------------------------------------- runs

@dataclass(frozen=True)
class RunSpec:
    """One training run: a point of the grid with everything resolved (lr after scaling, device kind)."""

    dataset: str
    data: DataSpec
    model: str
    hidden: tuple[int, ...]
    optimizer: str
    lr: float                 # peak learning rate after LR scaling
    weight_decay: float
    batch_size: int
    shuffle: bool
    seed: int
    epochs: int
    target_train_acc: float
    target_train_loss: float
    warmup_epochs: int
    schedule: str
    loss: str
    drop_last: bool
    device: str               # resolved kind: cpu | cuda | mps
    data_fingerprint: str = ""  # csv: hash of the file's bytes
    hyper: tuple[tuple[str, float | bool], ...] = ()   # the [optim] values set for this optimizer (sorted)
    norm: str = "none"        # none | batch | ghost (models.py)
    ghost_batch: int = 0      # examples per ghost batch (norm = "ghost"); 0 = unset
    budget: str = ""              # what is held equal (budget.py); "" = the spec has no budgets key
    batch_schedule: str = "constant"   # constant | step: B × batch_growth at 50 % and 75 % of the epochs
    batch_growth: int = 10
    precision: str = "fp32"   # fp32 | bf16: the training steps' forward pass (engine/precision.py)

    def identity(self) -> dict:
        d = dataclasses.asdict(self)
        d["data"] = self.data.identity()
        d["schema"] = SCHEMA_VERSION
        for k, default in NORM_DEFAULTS.items():   # no batch norm keeps every earlier run id
            if d[k] == default:
                del d[k]
        if not self.hyper:   # unset hyperparameters keep every earlier run id
            del d["hyper"]
        else:
            d["hyper"] = dict(self.hyper)
        if not self.budget:   # likewise a run without a budget, or with a constant batch size
            del d["budget"]
        if self.batch_schedule == "constant":
            del d["batch_schedule"], d["batch_growth"]
        if self.precision == "fp32":   # likewise full precision
            del d["precision"]
        if targeted(self):   # stopped at the target's crossing: not the result the older rule stored
            d["stop_rule"] = STOP_RULE
        return d

    @property
    def run_id(self) -> str:
        return content_hash(self.identity())

    @property
    def label(self) -> str:
        text = run_label(self.optimizer, self.batch_size, self.shuffle, self.seed, self.lr)
        return f"{text} {self.budget}" if self.budget else text


PRUNED = "pruned"   # status of an lr sweep's run stopped once its lr could no longer be the best (sweeps.py)
SHUFFLE_LABELS = {True: "shuffle", False: "fixed order"}   # how the two batch orders are named to people


def run_label(optimizer: str, batch_size: int, shuffle: bool, seed: int, lr: float | None = None) -> str:
    """How a run is named to people (progress bars, chart legends): the settings that vary in a study."""
    text = f"{optimizer} B={batch_size} {SHUFFLE_LABELS[bool(shuffle)]} seed={seed}"
    return text if lr is None or lr != lr else f"{text} lr={lr:g}"


def content_hash(obj: Any, length: int = 16) -> str:
    """A stable hash of JSON-able content (sorted keys), used for run and study ids."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def scaled_lr(base_lr: float, batch_size: int, base_batch_size: int, rule: str) -> float:
    """LR scaling from a base batch size: none η, linear η·B/B0 (Goyal et al.), sqrt η·√(B/B0)."""
    ratio = batch_size / base_batch_size
    return base_lr * {"none": 1.0, "linear": ratio, "sqrt": math.sqrt(ratio)}[rule]


# ---------------------------------------------------------------- the study


@dataclass(frozen=True)
class StudySpec:
    """A batch-size study: the grid batch_sizes × optimizers × shuffle × seeds and how to train each run."""

    dataset: str
    name: str = "study"
    model: str = "mlp"
    hidden: tuple[int, ...] = (256, 256)
    batch_sizes: tuple[int | str, ...] = (8, 32, 128, 512)   # "full" = the whole training set
    optimizers: tuple[str, ...] = ("sgd", "momentum", "adam")
    shuffle: tuple[bool, ...] = (True, False)
    seeds: tuple[int, ...] = (0,)
    epochs: int = 20
    target_train_acc: float = 0.0
    target_train_loss: float = 0.0
    lr_scaling: str = "none"
    base_batch_size: int = 32
    warmup_epochs: int = 0
    schedule: str = "constant"
    loss: str = "cross_entropy"
    device: str = "auto"
    drop_last: bool = False       # keep the last partial batch by default: dropping it loses up to B−1 samples
    prune: bool = True            # end runs that stalled, and lr-sweep runs that can no longer be best (sweeps.py)
    norm: str = "none"            # none | batch | ghost: batch norm after every hidden layer (models.py)
    ghost_batch: int = 0          # norm = "ghost": statistics over chunks of this many examples (≥ 2)
    # overrides of the table's lr, sorted pairs; a value that is a tuple is a sweep: every run at each lr
    lr: tuple[tuple[str, float | tuple[float, ...] | str], ...] = ()    # a str: "auto" or "auto:0.01" (lr_auto)
    lr_added: tuple[tuple[str, int, tuple[float, ...]], ...] = ()     # the auto search's lrs; not in the id
    weight_decay: tuple[tuple[str, float], ...] = ()  # overrides of the table's weight decay
    optim: tuple[tuple[str, float | bool], ...] = ()  # [optim]: OPTIM_HYPER values set (sorted pairs)
    measure: MeasureSpec = field(default_factory=MeasureSpec)
    data: DataSpec = field(default_factory=DataSpec)
    budgets: tuple[str, ...] = ()     # budget.py: "epochs:E", "steps:S", "examples:X", "target"; () = as before
    batch_schedule: str = "constant"  # constant | step (budget.phase_batch_sizes)
    batch_growth: int = 10
    precision: str = "fp32"           # fp32 | bf16 (engine/precision.py)

    # ---- construction
    @classmethod
    def from_dict(cls, d: Mapping) -> "StudySpec":
        if not isinstance(d, Mapping):
            raise SpecError("spec", "expected a table of fields")
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name != "lr_added")
        reject_unknown("", d, names)
        if "dataset" not in d:
            raise SpecError("dataset", "missing; add for example dataset = \"digits\"")
        out: dict[str, Any] = {}
        for k, v in d.items():
            out[k] = _READERS[k](v)
        if "batch_growth" in out and out.get("batch_schedule", "constant") == "constant":
            raise SpecError("batch_growth", "applies only to a growing batch; set batch_schedule = \"step\" "
                                            "or remove batch_growth")
        spec = cls(**out)
        spec._check_combinations()
        return spec

    @classmethod
    def from_toml(cls, text_or_path: str | Path) -> "StudySpec":
        """Parse TOML text, or read a .toml file; TOML syntax errors become SpecError("toml", ...)."""
        if isinstance(text_or_path, Path) or (isinstance(text_or_path, str) and "\n" not in text_or_path
                                              and text_or_path.endswith(".toml")):
            path = Path(text_or_path)
            try:
                text = read_regular_file(path, MAX_SPEC_BYTES, "spec file").decode("utf-8")
            except FileNotFoundError:
                raise SpecError("spec", f"file {str(path)!r} not found; check the path") from None
            except LimitError as e:
                raise SpecError("spec", str(e)) from None
            except (OSError, UnicodeDecodeError) as e:
                raise SpecError("spec", f"cannot read {str(path)!r} ({e.__class__.__name__}); "
                                        "give a UTF-8 TOML file") from None
        else:
            text = str(text_or_path)
        return cls.from_toml_text(text)

    @classmethod
    def from_toml_text(cls, text: str) -> "StudySpec":
        """Parse TOML text, never taken for a path: for text from a page or an upload. Its size and the
        depth of its keys and brackets are bounded first (limits.py): tomllib's memory grows with the
        square of a dotted key's depth."""
        problem = toml_shape_problem(text)
        if problem:
            raise SpecError("toml", f"{problem}; this is not a study spec")
        try:
            d = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise SpecError("toml", f"not valid TOML ({e}); fix the syntax at that line") from None
        except RecursionError:
            raise SpecError("toml", "arrays or tables nested too deeply; a spec needs at most two levels") from None
        except ValueError as e:   # a number tomllib cannot convert (the shape check refuses long ones first)
            raise SpecError("toml", f"a value tomllib cannot read ({one_line(str(e), 120)}); fix that value") from None
        return cls.from_dict(d)

    def _check_combinations(self) -> None:
        kind = dataset_kind(self.dataset)
        if self.model in CONV_MODELS and (kind == "tabular" or (self.model != "cnn" and kind != "image")):
            raise SpecError("model", key="spec.cnn_tabular" if self.model == "cnn" else "spec.needs_images",
                            model=self.model, dataset=repr(self.dataset))
        if self.data.augment != "none" and kind != "image":
            raise SpecError("data.augment", key="spec.augment_images", augment=self.data.augment,
                            dataset=repr(self.dataset))
        capped = not self.budgets or "target" in self.budgets   # runs that train by `epochs`
        if self.warmup_epochs >= self.epochs and self.warmup_epochs > 0 and capped:
            raise SpecError("warmup_epochs", key="spec.warmup_too_long", warmup=self.warmup_epochs,
                            epochs=self.epochs)
        for opt, v in self.lr:
            if opt not in TABLE:
                raise SpecError(f"lr.{opt}", key="spec.unknown_optimizer", choices=", ".join(TABLE))
            if is_auto(v) and self.lr_scaling != "none":
                raise SpecError("lr_scaling", key="spec.auto_scaling", opt=opt)
        check_norm(self.norm, self.ghost_batch, self.batch_sizes)
        check_budgets(self)
        n = self.n_runs
        if n > MAX_RUNS:
            raise SpecError("batch_sizes", key="spec.too_many_runs", n=n, most=MAX_RUNS)

    # ---- views
    def to_dict(self) -> dict:
        """Plain TOML-able dict; from_dict(to_dict()) == self."""
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["batch_sizes"] = list(self.batch_sizes)
        d["optimizers"] = list(self.optimizers)
        d["shuffle"] = list(self.shuffle)
        d["seeds"] = list(self.seeds)
        d["lr"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.lr}
        del d["lr_added"]
        d["weight_decay"] = dict(self.weight_decay)
        if self.optim:
            d["optim"] = dict(self.optim)
        else:   # an empty [optim] keeps every earlier study id
            del d["optim"]
        if self.prune:   # the default: every earlier study id stays; not part of any run's id
            del d["prune"]
        for k, default in NORM_DEFAULTS.items():   # no batch norm: every earlier study id stays
            if d[k] == default:
                del d[k]
        d["budgets"] = list(self.budgets)
        if not self.budgets:   # no budgets and a constant batch size: every earlier study id stays
            del d["budgets"]
        if self.batch_schedule == "constant":
            del d["batch_schedule"], d["batch_growth"]
        if self.precision == "fp32":   # full precision: every earlier study id stays
            del d["precision"]
        d["data"] = {k: v for k, v in d["data"].items() if DataSpec._QUIET_DEFAULTS.get(k, object()) != v}
        d["measure"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.measure.identity().items()}
        return d

    def to_toml(self) -> str:
        import tomli_w
        return tomli_w.dumps(self.to_dict())

    @property
    def study_id(self) -> str:
        """Content hash of the whole spec (name included): a renamed study is a new study whose runs
        are found in the run cache, so it costs nothing."""
        return content_hash({"schema": SCHEMA_VERSION, **self.to_dict()})

    @property
    def n_runs(self) -> int:
        n_lrs = sum(len(self.lrs_for(o)) for o in self.optimizers)
        return len(self.batch_sizes) * max(1, len(self.budgets)) * n_lrs * len(self.shuffle) * len(self.seeds)

    def lrs_for(self, optimizer: str) -> tuple[float, ...]:
        """The optimizer's base learning rates: one, or the values of a sweep (``momentum = [0.003, 0.03]``)."""
        v = dict(self.lr).get(optimizer, TABLE[optimizer].lr)
        return start_grid(v, TABLE[optimizer].lr) if is_auto(v) else v if isinstance(v, tuple) else (v,)

    def lr_for(self, optimizer: str) -> float:
        """The optimizer's base learning rate (the first of a sweep)."""
        return self.lrs_for(optimizer)[0]

    @property
    def sweeps_lr(self) -> bool:
        return any(len(self.lrs_for(o)) > 1 for o in self.optimizers)

    def hyper_for(self, optimizer: str) -> tuple[tuple[str, float | bool], ...]:
        """The [optim] values that apply to `optimizer` (empty: the optimizer table's defaults)."""
        names = {h.name for h in TABLE[optimizer].hypers}
        return tuple((k, v) for k, v in self.optim if k in names)

    def weight_decay_for(self, optimizer: str) -> float:
        return dict(self.weight_decay).get(optimizer, TABLE[optimizer].weight_decay)

    def resolve_batch_sizes(self, n_train: int) -> tuple[int, ...]:
        """Turn "full" into the training-set size and refuse sizes larger than it."""
        out = []
        for b in self.batch_sizes:
            b = n_train if b == "full" else b
            if b > n_train:
                raise SpecError("batch_sizes", key="spec.batch_too_large", b=b, n=n_train)
            out.append(b)
        if len(set(out)) != len(out):
            raise SpecError("batch_sizes", key="spec.full_twice", n=n_train)
        return tuple(sorted(out))

    def expand(self, *, n_train: int, device: str = "cpu", data_fingerprint: str = "") -> list[RunSpec]:
        """The grid in a stable order: batch size, budget (as listed), optimizer (as listed), lr (as listed),
        shuffle (on first), seed. An lr sweep gives one RunSpec per value; the lr is part of every run's
        identity (run_id), and so is the budget when the spec lists budgets."""
        runs = []
        shuffles = sorted(self.shuffle, reverse=True)
        grid = lambda b: [(opt, lr) for opt in self.optimizers for lr in lrs_at(self, opt, b)]  # noqa: E731
        for b, budget, (opt, base_lr), sh, seed in ((b, bu, g, sh, s) for b, bu in itertools.product(
                self.resolve_batch_sizes(n_train), self.budgets or ("",)) for g, sh, s in itertools.product(
                grid(b), shuffles, sorted(self.seeds))):
            held = resolve_budget(self, budget, b, n_train)
            runs.append(RunSpec(
                dataset=self.dataset, data=self.data, model=self.model, hidden=self.hidden, optimizer=opt,
                lr=scaled_lr(base_lr, b, self.base_batch_size, self.lr_scaling),
                weight_decay=self.weight_decay_for(opt), batch_size=b, shuffle=sh, seed=seed,
                warmup_epochs=self.warmup_epochs, schedule=self.schedule, loss=self.loss,
                drop_last=self.drop_last, device=device, data_fingerprint=data_fingerprint,
                hyper=self.hyper_for(opt), batch_schedule=self.batch_schedule, batch_growth=self.batch_growth,
                norm=self.norm, ghost_batch=self.ghost_batch, precision=self.precision, **held))
        return runs


def dataset_kind(dataset: str) -> str:
    return facts(dataset).kind

