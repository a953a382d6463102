"""Study and run specifications: frozen, validated, content-hashed.

A StudySpec is what a user writes (TOML or the New-study page). ``expand`` turns it into RunSpecs, one per
point of the grid batch_sizes x optimizers x shuffle x seeds, each with a ``run_id`` that hashes every field
that changes the run's result and nothing else. This module never imports torch, so pages load fast.
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from . import measures
from .dataset_facts import DATASETS, facts
from .limits import MAX_SPEC_BYTES, LimitError, read_regular_file, toml_shape_problem
from .optimizers import HYPERS, TABLE, applies_to

# Bump when a change to training or measuring changes results: every cached run is then recomputed.
SCHEMA_VERSION = 1

# Data set name → the shape of one example ("tabular", "image", "sequence"): a view of dataset_facts.DATASETS.
DATASET_KINDS = {name: f.kind for name, f in DATASETS.items()}
MODELS = ("mlp", "cnn")
# Views of the optimizer table (studies/optimizers.py) for listing; validation reads TABLE itself.
OPTIMIZERS = tuple(TABLE)
DEFAULT_LR = {n: o.lr for n, o in TABLE.items()}
# The [optim] table: name -> (default, the optimizers it applies to). A value enters a run's id only when the
# spec sets it.
OPTIM_HYPER = {h.name: (h.default, applies_to(h)) for h in HYPERS}
LR_SCALINGS = ("none", "linear", "sqrt")
SCHEDULES = ("constant", "cosine", "step")
LOSSES = ("cross_entropy", "focal")
DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_BATCH_SIZE = 1 << 24
MAX_RUNS = 10_000  # a grid larger than this is almost certainly a typo
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class BackendError(ValueError):
    """An executor (backends.py) that cannot start; the message says what to change."""


class SpecError(ValueError):
    """A spec the user must fix; the message names the field and says what to change."""

    def __init__(self, field_name: str, message: str):
        self.field = one_line(field_name, 80)
        super().__init__(f"{self.field}: {one_line(message, 500)}")


def one_line(text: str, limit: int = 200) -> str:
    """User input echoed in a message stays on one line and short: control characters escaped, the middle
    of a long text cut (its start names the value, its end says what to change)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else f"{text[:limit // 2 - 2]} … {text[-(limit // 2 - 2):]}"


# ---------------------------------------------------------------- small typed readers

def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(name: str, v: Any, lo: int, hi: int) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not _is_int(v):
        raise SpecError(name, f"{v!r} is not a whole number; use an integer from {lo} to {hi}")
    if not lo <= v <= hi:
        raise SpecError(name, f"{v} is out of range; use an integer from {lo} to {hi}")
    return v


def _float(name: str, v: Any, lo: float, hi: float, lo_open: bool = False) -> float:
    if isinstance(v, int) and not isinstance(v, bool) and not -1e300 < v < 1e300:
        raise SpecError(name, f"{v} is out of range; use a number from {lo:g} to {hi:g}")   # float(v) overflows
    if not (isinstance(v, (int, float)) and not isinstance(v, bool)) or not math.isfinite(v):
        raise SpecError(name, f"{v!r} is not a number; use a number from {lo:g} to {hi:g}")
    v = float(v)
    if v < lo or v > hi or (lo_open and v == lo):
        side = f"above {lo:g} and at most {hi:g}" if lo_open else f"from {lo:g} to {hi:g}"
        raise SpecError(name, f"{v:g} is out of range; use a number {side}")
    return v


def _bool(name: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise SpecError(name, f"{v!r} is not true or false; write true or false")
    return v


def _choice(name: str, v: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        hint = difflib.get_close_matches(str(v), choices, n=1)
        maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise SpecError(name, f"{v!r} is not one of {', '.join(choices)}{maybe}")
    return v


def _list(name: str, v: Any, *, allow_scalar: bool = True) -> list:
    if isinstance(v, (list, tuple)):
        if not v:
            raise SpecError(name, "the list is empty; give at least one value")
        return list(v)
    if allow_scalar:
        return [v]
    raise SpecError(name, f"{v!r} is not a list; write it as [a, b, ...]")


def _unique(name: str, values: list) -> tuple:
    seen = set()
    for x in values:
        if x in seen:
            raise SpecError(name, f"{x!r} is listed twice; list each value once")
        seen.add(x)
    return tuple(values)


def _table(name: str, v: Any) -> dict:
    if not isinstance(v, Mapping):
        raise SpecError(name, f"expected a table like [{name}], got {v!r}")
    return dict(v)


def _reject_unknown(table: str, given: Mapping, known: tuple[str, ...]) -> None:
    for key in given:
        if key not in known:
            hint = difflib.get_close_matches(str(key), known, n=1)
            maybe = f"; did you mean {hint[0]!r}?" if hint else f"; known fields: {', '.join(known)}"
            prefix = f"{table}." if table else ""
            raise SpecError(f"{prefix}{key}", f"unknown field{maybe}")


# ---------------------------------------------------------------- the spec tables

@dataclass(frozen=True)
class DataSpec:
    """Options of the data set: the [data] table. Only what changes the data enters run ids."""

    n_samples: int = 4000          # synthetic: rows before the train/test split
    n_features: int = 40
    n_informative: int = 10
    n_classes: int = 4
    class_sep: float = 0.8         # synthetic: smaller = harder
    flip_y: float = 0.1            # synthetic: label noise; without it the set is separable in one epoch
    noise: float = 0.25            # moons: Gaussian noise of the two half circles
    target: str = ""               # csv: the label column ("" = the last column)
    test_fraction: float = 0.2     # built-in split for sets without one (mnist1d, mnist, cifar10 have theirs)
    split_seed: int = 0            # fixed split across the study's seeds
    data_dir: str = ""             # mnist / fashion_mnist / cifar10: local folder ("" = ./data)
    download: bool = False         # allow torchvision to download into data_dir

    # Fields that never change the data's content.
    _NOT_IN_ID = ("data_dir", "download")

    @classmethod
    def from_dict(cls, d: Mapping) -> "DataSpec":
        d = _table("data", d)
        names = tuple(f.name for f in dataclasses.fields(cls))
        _reject_unknown("data", d, names)
        out = {}
        for k, v in d.items():
            key = f"data.{k}"
            if k == "n_samples":
                out[k] = _int(key, v, 20, 10_000_000)
            elif k in ("n_features", "n_informative"):
                out[k] = _int(key, v, 1, 100_000)
            elif k == "n_classes":
                out[k] = _int(key, v, 2, 1000)
            elif k == "class_sep":
                out[k] = _float(key, v, 0.0, 100.0)
            elif k in ("flip_y", "noise"):
                out[k] = _float(key, v, 0.0, 1.0 if k == "flip_y" else 10.0)
            elif k == "test_fraction":
                out[k] = _float(key, v, 0.05, 0.9)
            elif k == "split_seed":
                out[k] = _int(key, v, 0, 2**31 - 1)
            elif k in ("target", "data_dir"):
                if not isinstance(v, str):
                    raise SpecError(key, f"{v!r} is not text; write it in quotes")
                out[k] = v
            elif k == "download":
                out[k] = _bool(key, v)
        spec = cls(**out)
        if spec.n_informative > spec.n_features:
            raise SpecError("data.n_informative", f"{spec.n_informative} is more than n_features = "
                            f"{spec.n_features}; use at most n_features")
        if spec.n_classes * 2 > 2 ** spec.n_informative:
            raise SpecError("data.n_classes", f"{spec.n_classes} classes need n_informative ≥ "
                            f"{math.ceil(math.log2(spec.n_classes * 2))}; raise n_informative or lower n_classes")
        return spec

    def identity(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in self._NOT_IN_ID}


@dataclass(frozen=True, init=False)
class MeasureSpec:
    """What to measure after training: the [measure] table. Measurements never retrain a run. Its switches
    (sharpness_eps, hessian, …: which estimators run, with their defaults) are the registry's
    (studies.measures), read as attributes (``spec.hessian``); the fields below tune the estimators."""

    switches: tuple = ()                         # (name, value) of every registered switch, in its order
    sample: int = 2048                           # training examples the measurements use (fixed, seeded)
    sample_seed: int = 0
    lbfgs_iters: int = 10                        # Keskar's budget for the max over the ε-box
    subspace_dim: int = 0                        # Keskar's random subspace y = A z (0 = full space; paper: 100)
    random_directions: int = 10                  # M for random sharpness
    random_sigma: float = 0.05                   # relative size of the filter-normalised perturbation
    sam_rho: float = 0.05
    sam_m: int = 128                             # m-sharpness chunk size
    landscape_points: int = 21

    def __init__(self, switches=(), **given):
        values = dict(switches)
        values.update({k: given.pop(k) for k in list(given) if measures.switch(k)})
        object.__setattr__(self, "switches", tuple(
            (s.name, tuple(values[s.name]) if s.listed and s.name in values else values.get(s.name, s.default))
            for s in measures.switches()))
        for f in _parameters(type(self)):
            object.__setattr__(self, f.name, given.pop(f.name, f.default))
        if given:
            raise TypeError(f"MeasureSpec has no field {', '.join(given)}")

    def __getattr__(self, name: str):
        """A switch's value: ``spec.hessian``; a switch registered after this spec was made has its default."""
        if not name.startswith("_"):
            for k, v in self.__dict__.get("switches", ()):
                if k == name:
                    return v
            if measures.switch(name):
                return measures.switch(name).default
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def on(self) -> tuple[str, ...]:
        """The switches that are on (a list switch with at least one value)."""
        return tuple(s.name for s in measures.switches() if getattr(self, s.name))

    @classmethod
    def from_dict(cls, d: Mapping) -> "MeasureSpec":
        d = _table("measure", d)
        _reject_unknown("measure", d, tuple(s.name for s in measures.switches())
                        + tuple(f.name for f in _parameters(cls)))
        out: dict[str, Any] = {}
        for k, v in d.items():
            key = f"measure.{k}"
            sw = measures.switch(k)
            if sw and sw.listed:
                given = v if isinstance(v, (list, tuple)) and not v else _list(key, v)   # [] turns it off
                vals = [_float(key, e, sw.bounds[0], sw.bounds[1], lo_open=True) for e in given]
                out[k] = _unique(key, vals)
            elif sw:
                out[k] = _bool(key, v)
            elif k == "sample":
                out[k] = _int(key, v, 16, 1_000_000)
            elif k == "sample_seed":
                out[k] = _int(key, v, 0, 2**31 - 1)
            elif k == "lbfgs_iters":
                out[k] = _int(key, v, 1, 1000)
            elif k == "subspace_dim":
                out[k] = _int(key, v, 0, 100_000)
            elif k == "random_directions":
                out[k] = _int(key, v, 1, 1000)
            elif k in ("random_sigma", "sam_rho"):
                out[k] = _float(key, v, 0.0, 10.0, lo_open=True)
            elif k == "sam_m":
                out[k] = _int(key, v, 1, 1_000_000)
            elif k == "landscape_points":
                out[k] = _int(key, v, 3, 1001)
        return cls(**out)

    def identity(self) -> dict:
        """Every switch, then every parameter: the dict measure ids hash and the [measure] table written."""
        return {**{s.name: getattr(self, s.name) for s in measures.switches()},
                **{f.name: getattr(self, f.name) for f in _parameters(type(self))}}


def _parameters(cls) -> tuple:
    """MeasureSpec's parameter fields (all but `switches`)."""
    return tuple(f for f in dataclasses.fields(cls) if f.name != "switches")


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

    def identity(self) -> dict:
        d = dataclasses.asdict(self)
        d["data"] = self.data.identity()
        d["schema"] = SCHEMA_VERSION
        if not self.hyper:   # unset hyperparameters keep every earlier run id
            del d["hyper"]
        else:
            d["hyper"] = dict(self.hyper)
        return d

    @property
    def run_id(self) -> str:
        return content_hash(self.identity())

    @property
    def label(self) -> str:
        return run_label(self.optimizer, self.batch_size, self.shuffle, self.seed, self.lr)


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
    # overrides of the table's lr, sorted pairs; a value that is a tuple is a sweep: every run at each lr
    lr: tuple[tuple[str, float | tuple[float, ...]], ...] = ()
    weight_decay: tuple[tuple[str, float], ...] = ()  # overrides of the table's weight decay
    optim: tuple[tuple[str, float | bool], ...] = ()  # [optim]: OPTIM_HYPER values set (sorted pairs)
    measure: MeasureSpec = field(default_factory=MeasureSpec)
    data: DataSpec = field(default_factory=DataSpec)

    # ---- construction
    @classmethod
    def from_dict(cls, d: Mapping) -> "StudySpec":
        if not isinstance(d, Mapping):
            raise SpecError("spec", "expected a table of fields")
        names = tuple(f.name for f in dataclasses.fields(cls))
        _reject_unknown("", d, names)
        if "dataset" not in d:
            raise SpecError("dataset", "missing; add for example dataset = \"digits\"")
        out: dict[str, Any] = {}
        for k, v in d.items():
            out[k] = _READERS[k](v)
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
        return cls.from_dict(d)

    def _check_combinations(self) -> None:
        kind = dataset_kind(self.dataset)
        if self.model == "cnn" and kind == "tabular":
            raise SpecError("model", f"cnn needs image or sequence data and {self.dataset!r} is tabular; "
                                     "use model = \"mlp\"")
        if self.warmup_epochs >= self.epochs and self.warmup_epochs > 0:
            raise SpecError("warmup_epochs", f"{self.warmup_epochs} warm-up epochs leave no training in "
                                             f"{self.epochs} epochs; use fewer than epochs")
        for opt, _ in self.lr:
            if opt not in TABLE:
                raise SpecError(f"lr.{opt}", f"unknown optimizer; use one of {', '.join(TABLE)}")
        n = self.n_runs
        if n > MAX_RUNS:
            raise SpecError("batch_sizes", f"the grid has {n} runs (more than {MAX_RUNS}); "
                                           "use fewer batch sizes, optimizers or seeds")

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
        d["weight_decay"] = dict(self.weight_decay)
        if self.optim:
            d["optim"] = dict(self.optim)
        else:   # an empty [optim] keeps every earlier study id
            del d["optim"]
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
        return len(self.batch_sizes) * n_lrs * len(self.shuffle) * len(self.seeds)

    def lrs_for(self, optimizer: str) -> tuple[float, ...]:
        """The optimizer's base learning rates: one, or the values of a sweep (``momentum = [0.003, 0.03]``)."""
        v = dict(self.lr).get(optimizer, TABLE[optimizer].lr)
        return v if isinstance(v, tuple) else (v,)

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
                raise SpecError("batch_sizes", f"{b} is larger than the training set ({n_train} examples); "
                                               f"use at most {n_train}, or \"full\"")
            out.append(b)
        if len(set(out)) != len(out):
            raise SpecError("batch_sizes", f"\"full\" equals another batch size ({n_train}); list it once")
        return tuple(sorted(out))

    def expand(self, *, n_train: int, device: str = "cpu", data_fingerprint: str = "") -> list[RunSpec]:
        """The grid in a stable order: batch size, optimizer (as listed), lr (as listed), shuffle (on first),
        seed. An lr sweep gives one RunSpec per value; the lr is part of every run's identity (run_id)."""
        runs = []
        shuffles = sorted(self.shuffle, reverse=True)
        grid = [(opt, lr) for opt in self.optimizers for lr in self.lrs_for(opt)]
        for b, (opt, base_lr), sh, seed in itertools.product(self.resolve_batch_sizes(n_train), grid,
                                                             shuffles, sorted(self.seeds)):
            runs.append(RunSpec(
                dataset=self.dataset, data=self.data, model=self.model, hidden=self.hidden, optimizer=opt,
                lr=scaled_lr(base_lr, b, self.base_batch_size, self.lr_scaling),
                weight_decay=self.weight_decay_for(opt), batch_size=b, shuffle=sh, seed=seed,
                epochs=self.epochs, target_train_acc=self.target_train_acc,
                target_train_loss=self.target_train_loss, warmup_epochs=self.warmup_epochs,
                schedule=self.schedule, loss=self.loss, drop_last=self.drop_last, device=device,
                data_fingerprint=data_fingerprint, hyper=self.hyper_for(opt)))
        return runs


def dataset_kind(dataset: str) -> str:
    return facts(dataset).kind


def _read_dataset(v: Any) -> str:
    if isinstance(v, str) and v.startswith("csv:"):
        if len(v) <= 4:
            raise SpecError("dataset", "csv: needs a path, e.g. \"csv:data/my.csv\"")
        if not v.isprintable():
            raise SpecError("dataset", f"{v!r} has control characters in its path; give a plain file path")
        return v
    return _choice("dataset", v, tuple(DATASET_KINDS))


def _read_name(v: Any) -> str:
    if not isinstance(v, str) or not _NAME_RE.match(v):
        raise SpecError("name", f"{v!r} is not a usable name; use 1–64 letters, digits, '.', '_' or '-', "
                                "starting with a letter or digit")
    return v


def _read_batch_sizes(v: Any) -> tuple:
    vals = []
    for b in _list("batch_sizes", v):
        if b == "full":
            vals.append(b)
            continue
        if _is_int(b) and b < 1:
            raise SpecError("batch_sizes", f"{b} is not a batch size; use integers ≥ 1 (or \"full\")")
        vals.append(_int("batch_sizes", b, 1, MAX_BATCH_SIZE))
    return _unique("batch_sizes", vals)


def _read_hidden(v: Any) -> tuple:
    if isinstance(v, (list, tuple)) and len(v) == 0:
        return ()
    vals = [_int("hidden", h, 1, 65536) for h in _list("hidden", v)]
    if len(vals) > 16:
        raise SpecError("hidden", f"{len(vals)} layers; use at most 16")
    return tuple(vals)


def _read_pairs(table: str, v: Any, lo_open: bool) -> tuple:
    d = _table(table, v)
    _reject_unknown(table, d, tuple(TABLE))
    return tuple(sorted((k, _float(f"{table}.{k}", x, 0.0, 10.0, lo_open=lo_open))
                        for k, x in d.items()))


MAX_LRS = 16   # values in one optimizer's lr sweep


def _read_lr(v: Any) -> tuple:
    """[lr]: a number per optimizer, or a list of numbers (a sweep, each value trained)."""
    d = _table("lr", v)
    _reject_unknown("lr", d, tuple(TABLE))
    out = []
    for k, x in d.items():
        key = f"lr.{k}"
        if isinstance(x, (list, tuple)):
            vals = _unique(key, [_float(key, e, 0.0, 1e3, lo_open=True) for e in _list(key, x)])
            if len(vals) > MAX_LRS:
                raise SpecError(key, f"{len(vals)} learning rates; sweep at most {MAX_LRS}")
            out.append((k, vals))
        else:
            out.append((k, _float(key, x, 0.0, 1e3, lo_open=True)))
    return tuple(sorted(out))


def _read_optim(v: Any) -> tuple:
    """[optim]: momentum, nesterov, beta1, beta2, eps, alpha (optimizers.HYPERS), each optional."""
    d = _table("optim", v)
    hypers = {h.name: h for h in HYPERS}
    _reject_unknown("optim", d, tuple(hypers))
    out = []
    for k, x in d.items():
        key, h = f"optim.{k}", hypers[k]
        if isinstance(h.default, bool):
            out.append((k, _bool(key, x)))
            continue
        val = _float(key, x, h.lo, h.hi, lo_open=h.lo_open)
        if h.hi_open and val >= h.hi:   # the decays and momentum
            raise SpecError(key, f"{val:g} would never forget a gradient; use a value below {h.hi:g}, "
                                 f"e.g. {h.default:g}")
        out.append((k, val))
    return tuple(sorted(out))


_READERS = {
    "name": _read_name,
    "dataset": _read_dataset,
    "model": lambda v: _choice("model", v, MODELS),
    "hidden": _read_hidden,
    "batch_sizes": _read_batch_sizes,
    "optimizers": lambda v: _unique("optimizers", [_choice("optimizers", o, tuple(TABLE))
                                                   for o in _list("optimizers", v)]),
    "shuffle": lambda v: _unique("shuffle", [_bool("shuffle", s) for s in _list("shuffle", v)]),
    "seeds": lambda v: _unique("seeds", [_int("seeds", s, 0, 2**31 - 1) for s in _list("seeds", v)]),
    "epochs": lambda v: _int("epochs", v, 1, 10_000),
    "target_train_acc": lambda v: _float("target_train_acc", v, 0.0, 1.0),
    "target_train_loss": lambda v: _float("target_train_loss", v, 0.0, 1e6),
    "lr_scaling": lambda v: _choice("lr_scaling", v, LR_SCALINGS),
    "base_batch_size": lambda v: _int("base_batch_size", v, 1, MAX_BATCH_SIZE),
    "warmup_epochs": lambda v: _int("warmup_epochs", v, 0, 10_000),
    "schedule": lambda v: _choice("schedule", v, SCHEDULES),
    "loss": lambda v: _choice("loss", v, LOSSES),
    "device": lambda v: _choice("device", v, DEVICES),
    "drop_last": lambda v: _bool("drop_last", v),
    "lr": _read_lr,
    "weight_decay": lambda v: _read_pairs("weight_decay", v, lo_open=False),
    "optim": _read_optim,
    "measure": MeasureSpec.from_dict,
    "data": DataSpec.from_dict,
}
