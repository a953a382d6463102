"""The facts about each built-in data set, in one table: what one example looks like, its size, which
``[data]`` fields it reads and whether it brings its own test split.

No torch, no imports from the package: the spec checks (config.py), the time estimate (estimate.py) and the
loader (data.py) all read this table, so adding a data set is one row here plus its loader in data.py.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetFacts:
    kind: str                                  # one example: "tabular" (features), "image" (C, H, W), "sequence" (C, L)
    size: tuple[int, int, int] | None = None   # (training examples, input features, classes); None: from [data]
    uses: tuple[str, ...] = ()                 # the DataSpec fields it reads (the rest do not change it)
    own_split: bool = False                    # ships its own test split: test_fraction and split_seed unused
    shape: tuple[int, ...] = ()                # one example's shape where it is fixed: (C, H, W) for images


_DOWNLOADED = ("data_dir", "download")
DATASETS: dict[str, DatasetFacts] = {
    "digits": DatasetFacts("image", (1437, 64, 10), shape=(1, 8, 8)),
    "wine": DatasetFacts("tabular", (142, 13, 3)),
    "breast_cancer": DatasetFacts("tabular", (455, 30, 2)),
    "moons": DatasetFacts("tabular", uses=("n_samples", "noise")),
    "synthetic": DatasetFacts("tabular", uses=("n_samples", "n_features", "n_informative", "n_classes",
                                               "class_sep", "flip_y")),
    "mnist1d": DatasetFacts("sequence", (4000, 40, 10), own_split=True),
    "mnist": DatasetFacts("image", (60000, 784, 10), _DOWNLOADED, own_split=True, shape=(1, 28, 28)),
    "fashion_mnist": DatasetFacts("image", (60000, 784, 10), _DOWNLOADED, own_split=True, shape=(1, 28, 28)),
    "cifar10": DatasetFacts("image", (50000, 3072, 10), _DOWNLOADED, own_split=True, shape=(3, 32, 32)),
    "cifar100": DatasetFacts("image", (50000, 3072, 100), _DOWNLOADED, own_split=True, shape=(3, 32, 32)),
}
CSV = DatasetFacts("tabular", uses=("target",))   # dataset = "csv:PATH": the user's file


def facts(dataset: str) -> DatasetFacts:
    """The facts of a data set name as specs write it (a DATASETS name or "csv:PATH"); KeyError if unknown."""
    return CSV if dataset.startswith("csv:") else DATASETS[dataset]
