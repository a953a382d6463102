"""download = true without torchvision: the official archives over HTTP(S) with urllib, checked against their
published MD5 before anything is unpacked, only the expected member names read. Served from 127.0.0.1 here;
no test reaches the internet."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import tarfile
import threading

import numpy as np
import pytest

from studies.engine import fetch
from studies.engine.data import DataError, load_dataset
from studies.spec.config import DataSpec

from .test_image_sets import cifar_records, idx_bytes

MEMBERS = tuple(f"cifar-10-batches-bin/{f}" for f in
                (*(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin"))


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www; yields (folder, base url)."""
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(www), **kw)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def cifar_archive(extra: dict[str, bytes] | None = None) -> bytes:
    """A cifar-10-binary.tar.gz in the official layout (small batches), plus ``extra`` members."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        files = {m: cifar_records(5 if "test" in m else 6, start=i * 6) for i, m in enumerate(MEMBERS)}
        for name, data in {**files, "cifar-10-batches-bin/readme.html": b"<html>", **(extra or {})}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


def serve_cifar(monkeypatch, www, url, body: bytes, published: bytes | None = None):
    (www / "cifar-10-binary.tar.gz").write_bytes(body)
    src = fetch.Source(url + "cifar-10-binary.tar.gz", md5(published if published is not None else body), MEMBERS)
    monkeypatch.setitem(fetch.SOURCES, "cifar10", (src,))


def left_in(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_the_published_checksums_are_md5s_of_the_official_https_files():
    for name, sources in fetch.SOURCES.items():
        for s in sources:
            assert s.url.startswith("https://") and len(s.md5) == 32 and int(s.md5, 16) >= 0
    assert fetch.SOURCES["cifar10"][0].md5 == "c32a1d4ab5d03f1284b67883e8d87530"   # the CIFAR page's binary version


def test_download_unpacks_only_the_expected_members(tmp_path, server, monkeypatch):
    www, url = server
    body = cifar_archive({"../escaped.bin": b"x", "cifar-10-batches-bin/extra.bin": b"y"})
    serve_cifar(monkeypatch, www, url, body)
    root = tmp_path / "data"
    ds = load_dataset("cifar10", DataSpec(data_dir=str(root), download=True))
    assert ds.n_train == 30 and len(ds.y_test) == 5
    assert left_in(root) == ["cifar-10-batches-bin", *sorted(MEMBERS)]   # no archive, no readme, no extras
    assert not (tmp_path / "escaped.bin").exists()


@pytest.mark.parametrize("damage", ["truncated", "tampered"])
def test_a_download_that_fails_its_checksum_is_refused_in_one_line_and_leaves_nothing(tmp_path, server,
                                                                                      monkeypatch, damage):
    www, url = server
    good = cifar_archive()
    bad = good[:len(good) // 2] if damage == "truncated" else good[:100] + bytes([good[100] ^ 1]) + good[101:]
    serve_cifar(monkeypatch, www, url, bad, published=good)
    root = tmp_path / "data"
    with pytest.raises(DataError, match=f"not the published {md5(good)}") as e:
        load_dataset("cifar10", DataSpec(data_dir=str(root), download=True))
    assert "\n" not in str(e.value)
    assert left_in(root) == []


def test_an_archive_without_a_member_is_refused_and_leaves_nothing(tmp_path, server, monkeypatch):
    www, url = server
    serve_cifar(monkeypatch, www, url, cifar_archive())
    src = fetch.SOURCES["cifar10"][0]
    monkeypatch.setitem(fetch.SOURCES, "cifar10", (fetch.Source(src.url, src.md5, src.members + ("x/y.bin",)),))
    root = tmp_path / "data"
    with pytest.raises(DataError, match="lacks x/y.bin"):
        load_dataset("cifar10", DataSpec(data_dir=str(root), download=True))
    assert left_in(root) == []


def test_a_server_that_is_not_there_is_one_line(tmp_path, monkeypatch):
    src = fetch.Source("http://127.0.0.1:9/cifar-10-binary.tar.gz", "0" * 32, MEMBERS)   # port 9: nothing listens
    monkeypatch.setitem(fetch.SOURCES, "cifar10", (src,))
    with pytest.raises(DataError, match="could not download .* check the internet connection") as e:
        load_dataset("cifar10", DataSpec(data_dir=str(tmp_path), download=True))
    assert "\n" not in str(e.value) and left_in(tmp_path) == []


def test_plain_http_leaves_this_machine_only_never():
    fetch.check_url("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")
    fetch.check_url("http://127.0.0.1:8000/a.gz")
    for bad in ("http://www.cs.toronto.edu/x.tar.gz", "ftp://example.org/x", "file:///etc/passwd"):
        with pytest.raises(DataError, match="only https"):
            fetch.check_url(bad)


def test_mnist_files_download_gzipped_and_load(tmp_path, server, monkeypatch):
    www, url = server
    rng = np.random.default_rng(0)
    sources = []
    for stem, arr in (("train-images-idx3-ubyte", rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)),
                      ("train-labels-idx1-ubyte", (np.arange(12) % 10).astype(np.uint8)),
                      ("t10k-images-idx3-ubyte", rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)),
                      ("t10k-labels-idx1-ubyte", (np.arange(4) % 10).astype(np.uint8))):
        body = gzip.compress(idx_bytes(arr))
        (www / f"{stem}.gz").write_bytes(body)
        sources.append(fetch.Source(f"{url}{stem}.gz", md5(body)))
    monkeypatch.setitem(fetch.SOURCES, "mnist", tuple(sources))
    ds = load_dataset("mnist", DataSpec(data_dir=str(tmp_path), download=True))
    assert ds.n_train == 12 and ds.input_shape == (1, 28, 28)
    assert sorted(p.name for p in (tmp_path / "MNIST" / "raw").iterdir()) == sorted(
        f"{s}.gz" for s in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                            "t10k-labels-idx1-ubyte"))
