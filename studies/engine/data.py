"""Data sets by name → standardised tensors on a device, with a fixed, seeded train/test split.

Every set is loaded on the CPU once per process (an lru_cache keyed by the name and the DataSpec fields that
change the data) and then moved with ``.to(device)``: the training loop slices batches out of tensors that
already live on the device. Nothing here unpickles a file and nothing needs torchvision: MNIST, Fashion-MNIST
and CIFAR-10/100 are read from their official IDX and binary files (image_sets.py), fetched with the standard
library when ``download`` allows (fetch.py). ``[data] subset = N`` keeps the first N training examples in the
set's own order (not stratified; standardised with the whole training set's statistics; the test set whole).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import random
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..spec.config import DataSpec
from ..spec.dataset_facts import DATASETS, facts
from ..spec.limits import MAX_CSV_BYTES, LimitError, csv_shape_problem, read_regular_file

from .fetch import download
from .image_sets import DataError, folder_of, missing_files, read_idx, read_image_set  # noqa: F401 - re-exported

MIN_ROWS = 10  # a csv with fewer rows cannot be split into a meaningful train and test set


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors field by field is ambiguous
class Dataset:
    name: str
    x_train: torch.Tensor   # float32 [N, *input_shape], standardised with the training set's statistics
    y_train: torch.Tensor   # int64 [N]
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    input_shape: tuple[int, ...]   # (F,) tabular; (C, H, W) image; (C, L) sequence
    fingerprint: str               # sha256 (16 hex) of the raw arrays, or of the file's bytes for csv

    def to(self, device) -> "Dataset":
        """All four tensors on ``device`` (the same tensors when already there: treat them as read-only)."""
        return dataclasses.replace(self, x_train=self.x_train.to(device), y_train=self.y_train.to(device),
                                   x_test=self.x_test.to(device), y_test=self.y_test.to(device))

    @property
    def n_train(self) -> int:
        return int(self.y_train.shape[0])


# ---------------------------------------------------------------- helpers

def _fingerprint(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def _split(y: np.ndarray, data: DataSpec) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded split of row indices; unstratified when some class is too small to stratify."""
    from sklearn.model_selection import train_test_split
    idx = np.arange(len(y))
    try:
        return train_test_split(idx, test_size=data.test_fraction, random_state=data.split_seed, stratify=y)
    except ValueError:  # a class with < 2 rows, or fewer test rows than classes
        return train_test_split(idx, test_size=data.test_fraction, random_state=data.split_seed)


def _standardise(x_tr: np.ndarray, x_te: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Float32 tensors scaled with the TRAIN mean/std: per feature for tabular data (statistics in float64,
    columns may have large offsets), per channel for images and sequences (float32: 8-bit pixels need no
    more, and CIFAR in float64 would take over a gigabyte)."""
    if x_tr.ndim == 2:
        x_tr, x_te = np.asarray(x_tr, np.float64), np.asarray(x_te, np.float64)
        mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
        std[std == 0] = 1.0  # a constant feature becomes 0, not NaN
        return (torch.tensor((x_tr - mean) / std, dtype=torch.float32),
                torch.tensor((x_te - mean) / std, dtype=torch.float32))
    tr, te = torch.tensor(x_tr, dtype=torch.float32), torch.tensor(x_te, dtype=torch.float32)  # copies
    dims = tuple(d for d in range(tr.dim()) if d != 1)
    std, mean = torch.std_mean(tr, dim=dims, keepdim=True, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return tr.sub_(mean).div_(std), te.sub_(mean).div_(std)


def _build(name: str, x_tr, y_tr, x_te, y_te, fingerprint: str | None = None, n_classes: int = 0) -> Dataset:
    """``n_classes``: the set's own count (0: one more than the largest label)."""
    fingerprint = fingerprint or _fingerprint(x_tr, y_tr, x_te, y_te)
    xtr, xte = _standardise(x_tr, x_te)
    ytr, yte = (torch.tensor(np.asarray(y), dtype=torch.int64) for y in (y_tr, y_te))
    n_classes = n_classes or int(max(ytr.max().item(), yte.max().item())) + 1
    return Dataset(name, xtr, ytr, xte, yte, n_classes, tuple(xtr.shape[1:]), fingerprint)


def _split_and_build(name: str, x: np.ndarray, y: np.ndarray, data: DataSpec,
                     fingerprint: str | None = None) -> Dataset:
    tr, te = _split(y, data)
    return _build(name, x[tr], y[tr], x[te], y[te], fingerprint)


def cache_dir() -> Path:
    """Where generated arrays are kept between processes: $BATCHSCOPE_CACHE or ~/.cache/batchscope."""
    return Path(os.environ.get("BATCHSCOPE_CACHE") or Path.home() / ".cache" / "batchscope")


def _save_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- MNIST-1D

@lru_cache(maxsize=1)
def _mnist1d_arrays() -> dict[str, np.ndarray]:
    """MNIST-1D's default 4000/1000 split, generated offline (never its downloading get_dataset),
    cached in an .npz file; the generator reseeds the global RNGs, so their states are restored."""
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise DataError("mnist1d is not installed; pip install mnist1d, or use a data set such as digits") from None
    args = get_dataset_args(as_dict=True)
    args.pop("url", None)
    path = cache_dir() / f"mnist1d-{hashlib.sha256(repr(sorted(args.items())).encode()).hexdigest()[:12]}.npz"
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in ("x", "y", "x_test", "y_test")}
    except Exception:  # no cache yet, or a damaged one (BadZipFile, KeyError, ...): regenerate
        pass
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        d = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    out = {k: d[k].astype(np.float32 if k.startswith("x") else np.int64) for k in ("x", "y", "x_test", "y_test")}
    try:
        _save_npz_atomic(path, **out)
    except OSError:
        pass  # a read-only home only costs the ~2 s regeneration next time
    return out


# ---------------------------------------------------------------- the papers' image sets

def _load_image_set(name: str, data: DataSpec) -> Dataset:
    """MNIST, Fashion-MNIST, CIFAR-10 or CIFAR-100 from the data folder's official files, fetched first when
    some are missing and ``download`` allows."""
    root = Path(data.data_dir or "./data").expanduser().absolute()
    missing = missing_files(name, root)
    if missing and not data.download:
        raise DataError(f"{name}: {missing[0]} not found; set [data] download = true or copy the files into "
                        f"{folder_of(name, root)}")
    if missing:
        download(name, root)
    try:
        xtr, ytr, xte, yte = read_image_set(name, root)
    except OSError as e:
        raise DataError(f"{name}: cannot read the files in {folder_of(name, root)} ({e.__class__.__name__}); "
                        "check their permissions or copy them again") from None
    return _build(name, xtr, ytr, xte, yte, n_classes=facts(name).size[2])


# ---------------------------------------------------------------- csv

_csv_cache: OrderedDict = OrderedDict()  # (path, file hash, DataSpec) -> Dataset, the last few only


def _load_csv(name: str, data: DataSpec) -> Dataset:
    import pandas as pd
    path = Path(name[4:]).expanduser()
    try:   # type and size judged before a byte is read: /dev/zero never ends, a FIFO blocks
        raw = read_regular_file(path, MAX_CSV_BYTES, "CSV file")
    except FileNotFoundError:
        raise DataError(f"{path} not found; check the path after csv:") from None
    except LimitError as e:
        raise DataError(str(e)) from None
    except OSError as e:
        raise DataError(f"cannot read {path} ({e.__class__.__name__}); give a readable CSV file") from None
    problem = csv_shape_problem(raw)
    if problem:
        raise DataError(f"{path}: {problem}; give a smaller CSV file")
    fingerprint = hashlib.sha256(raw).hexdigest()[:16]
    key = (str(path.resolve()), fingerprint, data)
    if key in _csv_cache:
        _csv_cache.move_to_end(key)
        return _csv_cache[key]
    try:
        df = pd.read_csv(io.BytesIO(raw))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:  # EmptyDataError is a ValueError
        raise DataError(f"cannot parse {path} as CSV ({e.__class__.__name__}); save it as comma-separated text "
                        "with a header row") from None
    target = data.target or (df.columns[-1] if len(df.columns) else "")
    if target not in df.columns:
        raise DataError(f"target column {target!r} is not in {path}; set [data] target to one of "
                        f"{', '.join(map(str, df.columns))}")
    features = [c for c in df.columns if c != target]
    if not features:
        raise DataError(f"{path} has no feature columns besides the target {target!r}; add feature columns")
    for c in features:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise DataError(f"column {c!r} is not numeric; remove it or encode it")
    n_missing = int(df.isna().sum().sum())
    if n_missing:
        cols = [str(c) for c in df.columns if df[c].isna().any()]
        raise DataError(f"{path} has {n_missing} missing values (columns {', '.join(cols)}); fill or drop them")
    if len(df) < MIN_ROWS:
        raise DataError(f"{path} has {len(df)} rows; give at least {MIN_ROWS}")
    x = df[features].to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        raise DataError(f"{path} has infinite values; replace them with finite numbers")
    try:
        y, classes = pd.factorize(df[target], sort=True)
    except TypeError:  # labels of mixed types cannot be sorted: keep the order of appearance
        y, classes = pd.factorize(df[target], sort=False)
    if len(classes) < 2:
        raise DataError(f"target column {target!r} has {len(classes)} class; a classifier needs at least 2")
    ds = _csv_cache[key] = _split_and_build(name, x, y.astype(np.int64), data, fingerprint)
    while len(_csv_cache) > 4:
        _csv_cache.popitem(last=False)
    return ds


# ---------------------------------------------------------------- the registry

@lru_cache(maxsize=8)
def _load_cpu(name: str, data: DataSpec) -> Dataset:
    if name in ("digits", "wine", "breast_cancer", "moons", "synthetic"):
        return _build(name, *_sklearn_split(name, data))
    if name == "mnist1d":
        a = _mnist1d_arrays()
        return _build(name, a["x"][:, None], a["y"], a["x_test"][:, None], a["y_test"])
    return _load_image_set(name, data)


def _sklearn_split(name: str, data: DataSpec) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test) of a scikit-learn set, kept in cache_dir() after the first build:
    importing scikit-learn costs ~1 CPU s in every process (driver, workers), reading the arrays a few ms.
    The file is named by the set, its DataSpec fields and scikit-learn's version, so it never goes stale."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        sk = version("scikit-learn")
    except PackageNotFoundError:
        sk = "?"
    key = hashlib.sha256(f"1|{name}|{sorted(dataclasses.asdict(data).items())}|{sk}".encode()).hexdigest()[:16]
    path = cache_dir() / f"sklearn-{name}-{key}.npz"
    try:
        with np.load(path) as f:
            return f["x_tr"], f["y_tr"], f["x_te"], f["y_te"]
    except (OSError, KeyError, ValueError):
        pass
    arrays = _sklearn_arrays(name, data)
    try:
        _save_npz_atomic(path, **dict(zip(("x_tr", "y_tr", "x_te", "y_te"), arrays)))
    except OSError:
        pass   # a read-only cache: build it each time
    return arrays


def _sklearn_arrays(name: str, data: DataSpec) -> tuple[np.ndarray, ...]:
    from sklearn import datasets as skd
    if name in ("digits", "wine", "breast_cancer"):
        bunch = getattr(skd, f"load_{name}")()
        x, y = (bunch.data.reshape(-1, 1, 8, 8) if name == "digits" else bunch.data), bunch.target
    elif name == "moons":
        x, y = skd.make_moons(n_samples=data.n_samples, noise=data.noise, random_state=data.split_seed)
    else:
        try:  # n_redundant=0: the features beyond n_informative are pure noise
            x, y = skd.make_classification(
                n_samples=data.n_samples, n_features=data.n_features, n_informative=data.n_informative,
                n_redundant=0, n_classes=data.n_classes, class_sep=data.class_sep, flip_y=data.flip_y,
                random_state=data.split_seed)
        except ValueError as e:
            raise DataError(f"synthetic: {e}; change the [data] table") from None
    tr, te = _split(y, data)
    return x[tr], y[tr], x[te], y[te]


def _cache_key(name: str, data: DataSpec) -> DataSpec:
    """The DataSpec with the fields this set ignores reset, so e.g. digits loads once whatever n_samples is."""
    f = facts(name)
    keep = {k: getattr(data, k) for k in f.uses + (() if f.own_split else ("test_fraction", "split_seed"))}
    return DataSpec(**keep)


def _first(ds: Dataset, n: int) -> Dataset:
    """The set with only its first ``n`` training examples (0: all of them)."""
    if not n:
        return ds
    if n > ds.n_train:
        raise DataError(f"[data] subset = {n} is more than the {ds.n_train:,} training examples of {ds.name}; "
                        "lower it or remove it")
    return dataclasses.replace(ds, x_train=ds.x_train[:n], y_train=ds.y_train[:n])


def load_dataset(name: str, data: DataSpec | None = None, device="cpu") -> Dataset:
    """The named data set (a dataset_facts.DATASETS name or "csv:PATH") split, standardised, cut to
    ``data.subset`` training examples and on ``device``."""
    data = data or DataSpec()
    if name.startswith("csv:"):
        if len(name) <= 4:
            raise DataError("csv: needs a path, e.g. dataset = \"csv:data/my.csv\"")
        return _first(_load_csv(name, _cache_key(name, data)), data.subset).to(device)
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; use one of {', '.join(DATASETS)} or csv:PATH")
    return _first(_load_cpu(name, _cache_key(name, data)), data.subset).to(device)
