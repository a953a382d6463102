"""The image sets the papers used, read from their official files with numpy alone (no torchvision, no pickle).

Folder layout under the data folder (``[data] data_dir``, default ./data), as the official archives unpack
(and, for MNIST-style sets, as torchvision lays them out, so earlier downloads keep working):

- mnist: ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``; fashion_mnist: the same under
  ``FashionMNIST/raw``. IDX: two zero bytes, a type byte, the number of dimensions, big-endian uint32 sizes.
- cifar10: ``cifar-10-batches-bin/data_batch_1.bin … data_batch_5.bin`` and ``test_batch.bin``; every record
  is 1 label byte then 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, each row-major 32×32).
- cifar100: ``cifar-100-binary/train.bin`` and ``test.bin``; every record is a coarse label byte, a fine label
  byte (the class used here, 0–99) and the same 3,072 pixel bytes.

``read_image_set`` returns uint8 images (N, C, H, W) and int64 labels; a file of the wrong size or with labels
out of range is refused in one line that says to replace it.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

IDX_FOLDERS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}
IDX_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR_FOLDERS = {"cifar10": "cifar-10-batches-bin", "cifar100": "cifar-100-binary"}
CIFAR_FILES = {"cifar10": ([f"data_batch_{i}.bin" for i in range(1, 6)], ["test_batch.bin"]),
               "cifar100": (["train.bin"], ["test.bin"])}
CIFAR_CLASSES = {"cifar10": 10, "cifar100": 100}
CIFAR_LABEL_BYTES = {"cifar10": 1, "cifar100": 2}   # cifar100: coarse, then fine
CIFAR_SHAPE = (3, 32, 32)
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(ValueError):
    """A data set that cannot be loaded; the one-line message says what the user should do (data.py's)."""


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX file (the MNIST format, gzipped when its name ends in .gz) as a numpy array."""
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise DataError(f"{path} is not a complete gzip file ({e.__class__.__name__}); "
                              "replace it with the original download") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file; replace it with the original download")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path} is truncated or damaged; replace it with the original download")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    if len(raw) != offset + int(np.prod(dims)) * dtype.itemsize:
        raise DataError(f"{path} is truncated or damaged; replace it with the original download")
    return np.frombuffer(raw, dtype, offset=offset).reshape(dims).astype(dtype.newbyteorder("="))


def find_idx(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, whichever is a file (the plain one first)."""
    return next((p for p in (folder / stem, folder / f"{stem}.gz") if p.is_file()), None)


def read_cifar_bin(path: str | Path, label_bytes: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images [N, 3, 32, 32], int64 labels [N]) of one CIFAR binary file; the label is the last label
    byte of each record (CIFAR-100: the fine label)."""
    path = Path(path)
    raw = np.fromfile(path, dtype=np.uint8)
    record = label_bytes + int(np.prod(CIFAR_SHAPE))
    if raw.size == 0 or raw.size % record:
        raise DataError(f"{path} is not whole {record}-byte CIFAR records ({raw.size:,} bytes); "
                          "replace it with the original download")
    rows = raw.reshape(-1, record)
    y = rows[:, label_bytes - 1].astype(np.int64)
    if int(y.max()) >= n_classes:
        raise DataError(f"{path} has label {int(y.max())}, above {n_classes - 1}; it is not this data set's file")
    return rows[:, label_bytes:].reshape(-1, *CIFAR_SHAPE), y


def missing_files(name: str, root: Path) -> list[Path]:
    """The files of set ``name`` that are not under ``root`` (empty: it can be read)."""
    if name in IDX_FOLDERS:
        raw = root / IDX_FOLDERS[name] / "raw"
        return [raw / s for s in IDX_STEMS if find_idx(raw, s) is None]
    folder = root / CIFAR_FOLDERS[name]
    train, test = CIFAR_FILES[name]
    return [folder / f for f in (*train, *test) if not (folder / f).is_file()]


def folder_of(name: str, root: Path) -> Path:
    """Where set ``name`` lives under the data folder ``root``."""
    return root / IDX_FOLDERS[name] / "raw" if name in IDX_FOLDERS else root / CIFAR_FOLDERS[name]


def read_image_set(name: str, root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test) of set ``name`` from ``root``: uint8 images (N, C, H, W)."""
    if name in IDX_FOLDERS:
        xtr, ytr, xte, yte = (read_idx(find_idx(folder_of(name, root), s)) for s in IDX_STEMS)
        if xtr.ndim != 3 or xte.ndim != 3 or len(xtr) != len(ytr) or len(xte) != len(yte):
            raise DataError(f"{name}: images and labels in {folder_of(name, root)} do not match in number or "
                              "shape; replace the files")
        return xtr[:, None], ytr.astype(np.int64), xte[:, None], yte.astype(np.int64)
    folder, (train, test) = folder_of(name, root), CIFAR_FILES[name]
    lb, k = CIFAR_LABEL_BYTES[name], CIFAR_CLASSES[name]
    parts = [[read_cifar_bin(folder / f, lb, k) for f in files] for files in (train, test)]
    (xtr, ytr), (xte, yte) = ((np.concatenate([x for x, _ in p]), np.concatenate([y for _, y in p])) for p in parts)
    return xtr, ytr, xte, yte
