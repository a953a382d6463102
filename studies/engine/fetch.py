"""Downloading the papers' data sets with the standard library: fetch, check the published checksum, unpack.

``download(name, root)`` fetches each official file of set ``name`` over HTTPS (urllib; plain http only to
this machine, 127.0.0.1 or localhost, which is what the tests serve from) into a temporary file beside its
destination, computes its MD5 while writing (the checksums the data sets' pages publish), and only when it
matches moves it into place. A tar.gz archive is then unpacked member by member: only the expected member
names are read (each must be a regular file), into a temporary folder that is moved into place when every
one is there. Whatever fails — no network, a truncated or tampered download, a missing member — raises
DownloadError with one line, and nothing half-written is left in the data folder.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .image_sets import CIFAR_FILES, CIFAR_FOLDERS, IDX_STEMS, DataError, folder_of

MAX_BYTES = 512 * 2 ** 20   # the largest official file is ~170 MB; a longer answer is not it
TIMEOUT_S = 60
_MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION = "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
_CIFAR = "https://www.cs.toronto.edu/~kriz/"


class DownloadError(DataError):
    """A download that did not give the published file; the one-line message says what to do."""


@dataclass(frozen=True)
class Source:
    url: str
    md5: str                        # as the data set's page (or torchvision's table) publishes it
    members: tuple[str, ...] = ()   # a tar.gz: the member paths to unpack under the data folder; (): a plain file


def _idx(base: str, md5s: tuple[str, ...]) -> tuple[Source, ...]:
    return tuple(Source(f"{base}{stem}.gz", m) for stem, m in zip(IDX_STEMS, md5s))


def _cifar(name: str, archive: str, md5: str) -> tuple[Source, ...]:
    train, test = CIFAR_FILES[name]
    return (Source(f"{_CIFAR}{archive}", md5, tuple(f"{CIFAR_FOLDERS[name]}/{f}" for f in (*train, *test))),)


SOURCES: dict[str, tuple[Source, ...]] = {
    "mnist": _idx(_MNIST, ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                           "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c")),
    "fashion_mnist": _idx(_FASHION, ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                                     "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310")),
    "cifar10": _cifar("cifar10", "cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530"),
    "cifar100": _cifar("cifar100", "cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8"),
}


def check_url(url: str) -> None:
    """Only HTTPS leaves this machine; plain http is allowed to the loopback address alone."""
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https" or (u.scheme == "http" and u.hostname in ("127.0.0.1", "localhost")):
        return
    raise DownloadError(f"refusing to download {url}: only https:// sources are used")


def _fetch(name: str, src: Source, into: Path) -> Path:
    """The file at ``src.url`` in a temporary file in ``into`` whose MD5 is ``src.md5``; else DownloadError."""
    check_url(src.url)
    into.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=into, prefix=".download-", suffix=".part")
    md5, size = hashlib.md5(usedforsecurity=False), 0
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(src.url, headers={"User-Agent": "batchscope"})
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                while block := response.read(1 << 20):
                    size += len(block)
                    if size > MAX_BYTES:
                        raise DownloadError(f"{name}: {src.url} sent more than {MAX_BYTES >> 20} MB, more than the "
                                            "published file; copy the files into the data folder instead")
                    md5.update(block)
                    out.write(block)
        if md5.hexdigest() != src.md5:
            raise DownloadError(f"{name}: {src.url} gave {size:,} bytes with MD5 {md5.hexdigest()}, not the published "
                                f"{src.md5} (truncated or altered); nothing was kept - try again or copy the files "
                                f"into {into}")
        return Path(tmp)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, (urllib.error.URLError, OSError, EOFError, http.client.HTTPException)) and not isinstance(e, DownloadError):
            why = getattr(e, "reason", None) or e.__class__.__name__
            raise DownloadError(f"{name}: could not download {src.url} ({why}); check the internet connection "
                                f"or copy the files into {into}") from None
        raise


def _unpack(name: str, archive: Path, members: tuple[str, ...], root: Path) -> None:
    """Move the expected ``members`` of a tar.gz into ``root`` (each a regular file; nothing else is read)."""
    stage = Path(tempfile.mkdtemp(dir=root, prefix=".unpack-"))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                for member in members:
                    try:
                        info = tar.getmember(member)
                    except KeyError:
                        raise DownloadError(f"{name}: the archive lacks {member}; it is not the published "
                                            "archive") from None
                    if not info.isreg():
                        raise DownloadError(f"{name}: {member} in the archive is not a regular file; refusing it")
                    dest = stage / member
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(info) as f, open(dest, "wb") as out:
                        shutil.copyfileobj(f, out)
        except (tarfile.TarError, OSError, EOFError) as e:
            raise DownloadError(f"{name}: the archive cannot be unpacked ({e.__class__.__name__}); try again") from None
        for member in members:
            dest = root / member
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / member, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def download(name: str, root: str | Path) -> None:
    """Fetch, check and unpack set ``name`` (a SOURCES key) into the data folder ``root``."""
    root = Path(root)
    for src in SOURCES[name]:
        into = root if src.members else folder_of(name, root)
        part = _fetch(name, src, into)
        try:
            if src.members:
                _unpack(name, part, src.members, root)
            else:
                os.replace(part, into / Path(urllib.parse.urlsplit(src.url).path).name)
        finally:
            part.unlink(missing_ok=True)
