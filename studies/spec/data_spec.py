"""DataSpec, the [data] table: the options of the data set. Only what changes the data (or, for ``augment``,
what the training steps see) enters run ids, and a field at its default stays out of them, so earlier run ids
stay. No torch.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Mapping

from .spec_checks import SpecError, read_bool, read_choice, read_float, read_int, read_table, reject_unknown
from .spec_fields import AUGMENTS


def _read_text(key: str, v) -> str:
    if not isinstance(v, str):
        raise SpecError(key, key="spec.not_text", v=repr(v))
    return v


_READERS = {   # one reader per [data] key: (its "data.<key>" name, the value) → the value, or a SpecError
    "n_samples": lambda key, v: read_int(key, v, 20, 10_000_000),
    "n_features": lambda key, v: read_int(key, v, 1, 100_000),
    "n_informative": lambda key, v: read_int(key, v, 1, 100_000),
    "n_classes": lambda key, v: read_int(key, v, 2, 1000),
    "class_sep": lambda key, v: read_float(key, v, 0.0, 100.0),
    "flip_y": lambda key, v: read_float(key, v, 0.0, 1.0),
    "noise": lambda key, v: read_float(key, v, 0.0, 10.0),
    "target": _read_text,
    "test_fraction": lambda key, v: read_float(key, v, 0.05, 0.9),
    "split_seed": lambda key, v: read_int(key, v, 0, 2**31 - 1),
    "data_dir": _read_text,
    "download": read_bool,
    "subset": lambda key, v: read_int(key, v, 0, 100_000_000),
    "augment": lambda key, v: read_choice(key, v, AUGMENTS),
}


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
    data_dir: str = ""             # mnist / fashion_mnist / cifar10 / cifar100: local folder ("" = ./data)
    download: bool = False         # fetch the official files into data_dir (engine/fetch.py) when missing
    subset: int = 0                # train on the first N training examples (in the set's order; 0 = all)
    augment: str = "none"          # none | crop_flip (engine/augment.py): what the training steps see

    # Fields that never change the data's content.
    _NOT_IN_ID = ("data_dir", "download")
    # Fields left out of run ids at their default: every earlier run id stays.
    _QUIET_DEFAULTS = {"subset": 0, "augment": "none"}

    @classmethod
    def from_dict(cls, d: Mapping) -> "DataSpec":
        d = read_table("data", d)
        names = tuple(f.name for f in dataclasses.fields(cls))
        reject_unknown("data", d, names)
        out = {k: _READERS[k](f"data.{k}", v) for k, v in d.items()}
        spec = cls(**out)
        if spec.n_informative > spec.n_features:
            raise SpecError("data.n_informative", key="spec.informative", n=spec.n_informative,
                            features=spec.n_features)
        if spec.n_classes * 2 > 2 ** spec.n_informative:
            raise SpecError("data.n_classes", key="spec.classes_bits", n=spec.n_classes,
                            bits=math.ceil(math.log2(spec.n_classes * 2)))
        return spec

    def identity(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items()
                if k not in self._NOT_IN_ID and self._QUIET_DEFAULTS.get(k, object()) != v}
