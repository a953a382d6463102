"""studies.engine.data: built-in sets, the split, standardisation, caches, csv, the IDX reader, error messages."""
from __future__ import annotations

import gzip
import random
import struct

import numpy as np
import pytest
import torch

from studies.engine import data as D
from studies.spec.config import DataSpec
from studies.engine.data import DataError, Dataset, load_dataset, read_idx


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Generated arrays go to a temporary folder, never the user's ~/.cache."""
    monkeypatch.setenv("BATCHSCOPE_CACHE", str(tmp_path_factory.getbasetemp() / "batchscope-cache"))


def _check(ds: Dataset, shape, n_total, n_classes):
    assert ds.input_shape == shape
    assert ds.x_train.shape[1:] == shape and ds.x_test.shape[1:] == shape
    assert ds.x_train.dtype == torch.float32 and ds.x_test.dtype == torch.float32
    assert ds.y_train.dtype == torch.int64 and ds.y_test.dtype == torch.int64
    assert ds.n_train + len(ds.y_test) == n_total
    assert ds.n_classes == n_classes
    assert set(ds.y_train.tolist()) == set(range(n_classes))
    assert len(ds.fingerprint) == 16 and int(ds.fingerprint, 16) >= 0


@pytest.mark.parametrize("name, shape, n_total, n_classes", [
    ("digits", (1, 8, 8), 1797, 10),
    ("wine", (13,), 178, 3),
    ("breast_cancer", (30,), 569, 2),
    ("moons", (2,), 4000, 2),
    ("synthetic", (40,), 4000, 4),
])
def test_builtin_shapes(name, shape, n_total, n_classes):
    ds = load_dataset(name)
    _check(ds, shape, n_total, n_classes)
    assert len(ds.y_test) == pytest.approx(0.2 * n_total, abs=1)
    assert ds.name == name


def test_mnist1d_shapes_and_own_split():
    ds = load_dataset("mnist1d")
    _check(ds, (1, 40), 5000, 10)
    assert ds.n_train == 4000 and len(ds.y_test) == 1000


def test_split_is_stratified_fixed_and_seeded():
    a, b = load_dataset("wine"), load_dataset("wine")
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    # stratified: each class's share of the test set matches its share of all rows (±1 row)
    y_all = torch.cat([a.y_train, a.y_test])
    for k in range(3):
        expected = (y_all == k).sum().item() * len(a.y_test) / len(y_all)
        assert abs((a.y_test == k).sum().item() - expected) <= 1
    c = load_dataset("wine", DataSpec(split_seed=1))
    assert not torch.equal(a.y_train, c.y_train)
    d = load_dataset("wine", DataSpec(test_fraction=0.5))
    assert len(d.y_test) == 89


def test_fields_a_set_ignores_share_the_cache():
    assert load_dataset("digits", DataSpec(n_samples=100)).x_train is load_dataset("digits").x_train


@pytest.mark.parametrize("name", ["wine", "breast_cancer", "synthetic"])
def test_tabular_features_standardised_with_train_statistics(name):
    ds = load_dataset(name)
    assert torch.allclose(ds.x_train.mean(0), torch.zeros(ds.input_shape), atol=1e-4)
    assert torch.allclose(ds.x_train.std(0, correction=0), torch.ones(ds.input_shape), atol=1e-3)
    assert ds.x_test.mean(0).abs().max() > 1e-3  # test set uses the train statistics, not its own


@pytest.mark.parametrize("name", ["digits", "mnist1d"])
def test_image_and_sequence_standardised_per_channel(name):
    x = load_dataset(name).x_train
    assert abs(x.mean().item()) < 1e-4 and abs(x.std(correction=0).item() - 1) < 1e-3


@pytest.mark.slow
def test_mnist1d_keeps_global_rng_and_uses_its_caches(monkeypatch, tmp_path):
    monkeypatch.setenv("BATCHSCOPE_CACHE", str(tmp_path))
    D._mnist1d_arrays.cache_clear()
    D._load_cpu.cache_clear()
    np.random.seed(123)
    random.seed(123)
    np_before, py_before = np.random.get_state(), random.getstate()
    first = load_dataset("mnist1d")
    np_after = np.random.get_state()
    assert np_before[0] == np_after[0] and np.array_equal(np_before[1], np_after[1])
    assert np_before[2:] == np_after[2:]
    assert random.getstate() == py_before
    assert list(tmp_path.glob("mnist1d-*.npz")) and not list(tmp_path.glob("*.tmp"))
    hits = D._load_cpu.cache_info().hits
    assert load_dataset("mnist1d").x_train is first.x_train  # in-process cache
    assert D._load_cpu.cache_info().hits == hits + 1
    # a new process would read the .npz instead of regenerating
    D._mnist1d_arrays.cache_clear()
    D._load_cpu.cache_clear()
    import mnist1d.data
    monkeypatch.setattr(mnist1d.data, "make_dataset", lambda *a, **k: pytest.fail("regenerated"))
    again = load_dataset("mnist1d")
    assert torch.equal(again.x_train, first.x_train) and again.fingerprint == first.fingerprint


@pytest.mark.slow
def test_mnist1d_damaged_cache_file_is_regenerated(monkeypatch, tmp_path):
    monkeypatch.setenv("BATCHSCOPE_CACHE", str(tmp_path))
    D._mnist1d_arrays.cache_clear()
    D._load_cpu.cache_clear()
    load_dataset("mnist1d")
    (npz,) = tmp_path.glob("mnist1d-*.npz")
    npz.write_bytes(b"not a zip")
    D._mnist1d_arrays.cache_clear()
    D._load_cpu.cache_clear()
    assert load_dataset("mnist1d").n_train == 4000


def test_synthetic_honours_spec_and_has_label_noise():
    from sklearn.linear_model import LogisticRegression
    kw = dict(n_samples=600, n_features=12, n_informative=5, n_classes=3, class_sep=4.0)
    noisy = load_dataset("synthetic", DataSpec(flip_y=0.3, **kw))
    _check(noisy, (12,), 600, 3)
    clean = load_dataset("synthetic", DataSpec(flip_y=0.0, **kw))

    def fit(ds):
        x, y = ds.x_train.numpy(), ds.y_train.numpy()
        return LogisticRegression(max_iter=2000).fit(x, y).score(x, y)

    assert fit(clean) > 0.97
    assert fit(noisy) < 0.9  # flipped labels: no model of the features fits them all
    assert DataSpec().flip_y > 0  # label noise is on by default


def test_moons_uses_n_samples_and_noise():
    a = load_dataset("moons", DataSpec(n_samples=200, noise=0.0))
    b = load_dataset("moons", DataSpec(n_samples=200, noise=0.5))
    assert a.n_train + len(a.y_test) == 200
    assert not torch.equal(a.x_train, b.x_train)


def test_unknown_dataset_is_a_data_error():
    with pytest.raises(DataError, match="use one of"):
        load_dataset("imagenet")


def test_to_keeps_dtypes_and_moves_all_tensors():
    ds = load_dataset("wine").to("cpu")
    assert ds.x_train.dtype == torch.float32 and ds.y_test.dtype == torch.int64
    moved = ds.to(torch.device("cpu"))
    assert all(t.device.type == "cpu" for t in (moved.x_train, moved.y_train, moved.x_test, moved.y_test))
    assert moved.fingerprint == ds.fingerprint and moved.input_shape == ds.input_shape


# ---------------------------------------------------------------- csv

def _write_csv(path, n=40, label=lambda i: i % 2, extra=""):
    rows = ["a,b,label" + extra] + [f"{i},{(i * 7) % 11},{label(i)}" for i in range(n)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_default_target_is_last_column(tmp_path):
    p = _write_csv(tmp_path / "d.csv")
    ds = load_dataset(f"csv:{p}")
    _check(ds, (2,), 40, 2)
    assert ds.name == f"csv:{p}"


def test_csv_target_by_name_and_string_labels(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("kind,x,y\n" + "".join(f"{['cat', 'dog', 'eel'][i % 3]},{i},{i % 5}\n" for i in range(30)))
    ds = load_dataset(f"csv:{p}", DataSpec(target="kind"))
    _check(ds, (2,), 30, 3)


def test_csv_non_numeric_column_is_named(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,colour,label\n" + "".join(f"{i},{'red' if i % 2 else 'blue'},{i % 2}\n" for i in range(20)))
    with pytest.raises(DataError, match="column 'colour' is not numeric"):
        load_dataset(f"csv:{p}")


def test_csv_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_dataset(f"csv:{tmp_path / 'missing.csv'}")
    with pytest.raises(DataError, match="is a folder; give a regular CSV file"):
        load_dataset(f"csv:{tmp_path}")  # a folder
    gap = tmp_path / "gap.csv"
    gap.write_text("a,label\n" + "".join(f"{'' if i in (3, 5) else i},{i % 2}\n" for i in range(20)))
    with pytest.raises(DataError, match="2 missing values"):
        load_dataset(f"csv:{gap}")
    with pytest.raises(DataError, match="at least 2"):
        load_dataset(f"csv:{_write_csv(tmp_path / 'one.csv', label=lambda i: 1)}")
    with pytest.raises(DataError, match="at least 10"):
        load_dataset(f"csv:{_write_csv(tmp_path / 'few.csv', n=5)}")
    with pytest.raises(DataError, match="target column 'nope'"):
        load_dataset(f"csv:{_write_csv(tmp_path / 'ok.csv')}", DataSpec(target="nope"))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="cannot parse"):
        load_dataset(f"csv:{empty}")
    with pytest.raises(DataError):
        load_dataset("csv:")


def test_csv_fingerprint_follows_the_file(tmp_path):
    p = _write_csv(tmp_path / "d.csv")
    first = load_dataset(f"csv:{p}")
    import hashlib
    assert first.fingerprint == hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    assert load_dataset(f"csv:{p}").fingerprint == first.fingerprint
    _write_csv(p, n=41)
    second = load_dataset(f"csv:{p}")
    assert second.fingerprint != first.fingerprint and second.n_train + len(second.y_test) == 41


def test_csv_tiny_class_falls_back_to_unstratified_split(tmp_path):
    p = _write_csv(tmp_path / "d.csv", n=30, label=lambda i: 2 if i == 0 else i % 2)
    ds = load_dataset(f"csv:{p}")
    assert ds.n_classes == 3 and ds.n_train + len(ds.y_test) == 30


# ---------------------------------------------------------------- IDX files (CIFAR: test_image_sets.py)

def _idx_bytes(arr: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}[arr.dtype]
    big = arr.astype(arr.dtype.newbyteorder(">"))
    return bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + big.tobytes()


def test_read_idx_plain_gzip_and_damaged(tmp_path):
    img = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "img").write_bytes(_idx_bytes(img))
    (tmp_path / "img.gz").write_bytes(gzip.compress(_idx_bytes(img)))
    ints = np.array([1, -2, 300], dtype=np.int32)
    (tmp_path / "ints").write_bytes(_idx_bytes(ints))
    assert np.array_equal(read_idx(tmp_path / "img"), img)
    assert np.array_equal(read_idx(tmp_path / "img.gz"), img)
    assert np.array_equal(read_idx(tmp_path / "ints"), ints)
    (tmp_path / "short").write_bytes(_idx_bytes(img)[:-1])
    with pytest.raises(DataError, match="truncated"):
        read_idx(tmp_path / "short")
    (tmp_path / "junk").write_bytes(b"\x89PNG....")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(tmp_path / "junk")


@pytest.mark.parametrize("name, folder, gz", [("mnist", "MNIST", False), ("fashion_mnist", "FashionMNIST", True)])
def test_mnist_from_raw_idx_files(tmp_path, name, folder, gz):
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 30), ("t10k", 10)):
        for stem, arr in ((f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)),
                          (f"{prefix}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8))):
            b = _idx_bytes(arr)
            (raw / (stem + (".gz" if gz else ""))).write_bytes(gzip.compress(b) if gz else b)
    ds = load_dataset(name, DataSpec(data_dir=str(tmp_path)))
    _check(ds, (1, 28, 28), 40, 10)
    assert ds.n_train == 30  # the files' own split
    assert abs(ds.x_train.mean().item()) < 1e-4


def test_mnist_without_files_or_download_names_the_folder(tmp_path):
    with pytest.raises(DataError, match="download = true") as e:
        load_dataset("mnist", DataSpec(data_dir=str(tmp_path)))
    assert str(tmp_path) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("name", ["digits", "moons"])
def test_scikit_learn_sets_come_back_from_the_cache_unchanged(monkeypatch, tmp_path, name):
    """The first load builds with scikit-learn and keeps the split arrays; later loads (other processes)
    read them without scikit-learn and give the same tensors and fingerprint."""
    import studies.engine.data as data_mod
    monkeypatch.setenv("BATCHSCOPE_CACHE", str(tmp_path))
    spec = data_mod._cache_key(name, data_mod.DataSpec())
    fresh = data_mod._load_cpu.__wrapped__(name, spec)
    assert len(list(tmp_path.glob(f"sklearn-{name}-*.npz"))) == 1
    monkeypatch.setattr(data_mod, "_sklearn_arrays", lambda *a: pytest.fail("rebuilt with scikit-learn"))
    cached = data_mod._load_cpu.__wrapped__(name, spec)
    assert cached.fingerprint == fresh.fingerprint and cached.input_shape == fresh.input_shape
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(cached, field), getattr(fresh, field)), field
    other = data_mod._cache_key(name, data_mod.DataSpec(split_seed=7))   # other fields: another file
    monkeypatch.undo()
    monkeypatch.setenv("BATCHSCOPE_CACHE", str(tmp_path))
    data_mod._load_cpu.__wrapped__(name, other)
    assert len(list(tmp_path.glob(f"sklearn-{name}-*.npz"))) == 2
