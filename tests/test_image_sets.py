"""The papers' image sets from their official files, without torchvision and without unpickling: known-answer
tests of the IDX and CIFAR binary layouts, and of [data] subset."""
from __future__ import annotations

import gzip
import importlib.util
import struct

import numpy as np
import pytest
import torch

from studies.engine.data import DataError, load_dataset
from studies.engine.image_sets import read_cifar_bin, read_idx
from studies.spec.config import DataSpec, SpecError, StudySpec


def idx_bytes(arr: np.ndarray) -> bytes:
    big = arr.astype(arr.dtype.newbyteorder(">"))
    return bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + big.tobytes()


def pixel(i: int, c: int, h: int, w: int) -> int:
    """The known value of example i's pixel (c, h, w) in the files these tests write."""
    return (i * 31 + c * 7 + h * 3 + w) % 256


def cifar_records(n: int, start: int = 0, label_bytes: int = 1) -> bytes:
    """n records in CIFAR's binary layout: label byte(s), then 1,024 red, 1,024 green, 1,024 blue bytes, rows first."""
    out = bytearray()
    for i in range(start, start + n):
        labels = [i % 20, i % 100] if label_bytes == 2 else [i % 10]
        out += bytes(labels)
        out += bytes(pixel(i, c, h, w) for c in range(3) for h in range(32) for w in range(32))
    return bytes(out)


def write_cifar10(root, per_batch: int = 6, n_test: int = 4):
    d = root / "cifar-10-batches-bin"
    d.mkdir(parents=True)
    for b in range(5):
        (d / f"data_batch_{b + 1}.bin").write_bytes(cifar_records(per_batch, start=b * per_batch))
    (d / "test_batch.bin").write_bytes(cifar_records(n_test, start=1000))
    return d


def test_torchvision_is_not_installed():
    assert importlib.util.find_spec("torchvision") is None


def test_cifar10_binary_record_is_label_then_channel_major_pixels(tmp_path):
    d = write_cifar10(tmp_path)
    x, y = read_cifar_bin(d / "data_batch_2.bin", 1, 10)
    assert x.shape == (6, 3, 32, 32) and x.dtype == np.uint8
    assert y.tolist() == [i % 10 for i in range(6, 12)]
    for i, c, h, w in ((0, 0, 0, 1), (3, 1, 5, 7), (5, 2, 31, 30)):
        assert x[i, c, h, w] == pixel(6 + i, c, h, w)   # red plane first, each row-major


def test_cifar100_uses_the_fine_label(tmp_path):
    p = tmp_path / "train.bin"
    p.write_bytes(cifar_records(130, label_bytes=2))
    x, y = read_cifar_bin(p, 2, 100)
    assert y.tolist() == [i % 100 for i in range(130)] and x[129, 2, 4, 4] == pixel(129, 2, 4, 4)


def test_cifar_files_of_the_wrong_size_or_labels_are_refused(tmp_path):
    p = tmp_path / "b.bin"
    p.write_bytes(cifar_records(2)[:-1])
    with pytest.raises(DataError, match="not whole 3073-byte CIFAR records"):
        read_cifar_bin(p, 1, 10)
    p.write_bytes(cifar_records(3, label_bytes=2)[:3074 * 3 - 2])   # a CIFAR-100 file read as CIFAR-10
    with pytest.raises(DataError):
        read_cifar_bin(p, 1, 10)


def test_read_idx_known_answer_plain_and_gzip(tmp_path):
    img = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(img))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(img)))
    assert np.array_equal(read_idx(tmp_path / "a"), img) and np.array_equal(read_idx(tmp_path / "a.gz"), img)
    (tmp_path / "b.gz").write_bytes(gzip.compress(idx_bytes(img))[:-5])
    with pytest.raises(DataError, match="not a complete gzip file"):
        read_idx(tmp_path / "b.gz")


def test_cifar10_loads_without_torchvision_standardised_per_channel(tmp_path):
    write_cifar10(tmp_path)
    ds = load_dataset("cifar10", DataSpec(data_dir=str(tmp_path)))
    assert ds.input_shape == (3, 32, 32) and ds.n_train == 30 and len(ds.y_test) == 4 and ds.n_classes == 10
    assert ds.y_train.tolist() == [i % 10 for i in range(30)]   # the files' order: batch 1 first
    assert torch.allclose(ds.x_train.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4)


def test_cifar100_loads_from_its_binary_archive_layout(tmp_path):
    d = tmp_path / "cifar-100-binary"
    d.mkdir()
    (d / "train.bin").write_bytes(cifar_records(40, label_bytes=2))
    (d / "test.bin").write_bytes(cifar_records(10, start=40, label_bytes=2))
    ds = load_dataset("cifar100", DataSpec(data_dir=str(tmp_path)))
    assert ds.n_classes == 100 and ds.n_train == 40 and ds.y_test.tolist() == list(range(40, 50))


def test_missing_files_without_download_name_the_folder(tmp_path):
    with pytest.raises(DataError, match="download = true") as e:
        load_dataset("cifar10", DataSpec(data_dir=str(tmp_path)))
    assert "cifar-10-batches-bin" in str(e.value) and "\n" not in str(e.value)


def test_subset_is_the_first_n_training_examples_and_leaves_the_test_set(tmp_path):
    write_cifar10(tmp_path)
    full = load_dataset("cifar10", DataSpec(data_dir=str(tmp_path)))
    part = load_dataset("cifar10", DataSpec(data_dir=str(tmp_path), subset=8))
    assert part.n_train == 8 and torch.equal(part.x_train, full.x_train[:8])
    assert torch.equal(part.y_train, full.y_train[:8]) and torch.equal(part.x_test, full.x_test)
    with pytest.raises(DataError, match="subset = 31 is more than the 30 training examples"):
        load_dataset("cifar10", DataSpec(data_dir=str(tmp_path), subset=31))


def test_subset_and_augment_enter_run_ids_only_when_set():
    base = {"dataset": "digits", "batch_sizes": [32], "optimizers": ["sgd"], "shuffle": [True]}
    plain = StudySpec.from_dict(base)
    same = StudySpec.from_dict({**base, "data": {"subset": 0, "augment": "none"}, "precision": "fp32"})
    assert plain.study_id == same.study_id
    assert plain.expand(n_train=1437)[0].run_id == same.expand(n_train=1437)[0].run_id
    ids = {StudySpec.from_dict({**base, **extra}).expand(n_train=1437)[0].run_id
           for extra in ({}, {"data": {"subset": 500}}, {"data": {"augment": "crop_flip"}}, {"precision": "bf16"})}
    assert len(ids) == 4


@pytest.mark.parametrize("extra, field", [({"dataset": "wine", "data": {"augment": "crop_flip"}}, "data.augment"),
                                         ({"dataset": "mnist1d", "model": "resnet20"}, "model"),
                                         ({"dataset": "digits", "data": {"augment": "rotate"}}, "data.augment"),
                                         ({"dataset": "digits", "precision": "fp16"}, "precision"),
                                         ({"dataset": "digits", "data": {"subset": -1}}, "data.subset")])
def test_bad_combinations_are_refused_naming_the_field(extra, field):
    with pytest.raises(SpecError) as e:
        StudySpec.from_dict(extra)
    assert e.value.field == field and "\n" not in str(e.value)
