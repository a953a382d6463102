"""What a shared dashboard accepts from its users: spec files and CSV data, size-limited, parsed without
executing anything (TOML by tomllib, CSV by pandas), and never turned into paths the user chose.

    spec = parse_spec_upload(uploaded, store=store)          # StudySpec, or UploadError
    info = save_csv_upload(uploaded, store)                  # info["dataset"] = "csv:<store>/uploads/<sha>.csv"
    check_shared_spec(spec, store)                           # every spec the page builds (form.build_spec)

Every refusal is an ``UploadError`` (a ``SpecError``: ``.field`` and a one-line message saying what to do).
The byte limit is checked before anything is decoded, a TOML's key depth before tomllib (config), a CSV's
column and line counts before pandas (limits). On a shared dashboard a spec may read data only from the
store's ``uploads/`` folder, from the server's default image folder, or from folders the server's owner
lists in ``$BATCHSCOPE_DATA_DIRS`` (separated by ``os.pathsep``), and may never download: nobody reaches
the server's files or network through a spec. No torch import here.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import time
from pathlib import Path

from ..spec.config import SpecError, StudySpec
from ..spec.limits import MAX_CSV_BYTES, MAX_SPEC_BYTES, csv_shape_problem, read_regular_file
from ..storage.atomic import atomic_write_bytes
from ..storage.store import Store, open_store

MIN_CSV_ROWS = 10


class UploadError(SpecError):
    """An upload the user must fix; ``str(e)`` is one line for st.error."""


def _bytes(data, max_bytes: int, what: str) -> bytes:
    size = getattr(data, "size", None)  # a Streamlit UploadedFile knows its size: judged before copying
    if isinstance(size, int) and size > max_bytes:
        raise UploadError("upload", f"the {what} file is {size:,} bytes, more than the {max_bytes:,} allowed; "
                                    "upload a smaller file")
    if hasattr(data, "getvalue"):       # a Streamlit UploadedFile or a BytesIO
        data = data.getvalue()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UploadError("upload", f"expected the file's bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise UploadError("upload", f"the {what} file is empty; choose the file again")
    if len(data) > max_bytes:
        raise UploadError("upload", f"the {what} file is {len(data):,} bytes, more than the {max_bytes:,} "
                                    f"allowed; upload a smaller file")
    return data


def parse_spec_upload(data, max_bytes: int = MAX_SPEC_BYTES, *, store: str | os.PathLike | Store | None = None
                      ) -> StudySpec:
    """An uploaded TOML spec → a validated StudySpec. With ``store``, also ``check_shared_spec``."""
    raw = _bytes(data, max_bytes, "spec")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UploadError("upload", f"the spec is not UTF-8 text (byte {e.start}); save it as a UTF-8 "
                                    ".toml file") from None
    spec = StudySpec.from_toml_text(text)
    if store is not None:
        check_shared_spec(spec, store)
    return spec


def allowed_data_dirs() -> list[Path]:
    """Folders the server's owner lets dashboard users read data from: $BATCHSCOPE_DATA_DIRS."""
    given = os.environ.get("BATCHSCOPE_DATA_DIRS", "")
    return [Path(p).expanduser().resolve() for p in given.split(os.pathsep) if p.strip()]


def _inside(path: Path, folders: list[Path]) -> bool:
    path = path.expanduser().resolve()
    return any(path == f or f in path.parents for f in folders)


def check_shared_spec(spec: StudySpec, store: str | os.PathLike | Store | None,
                      allowed: list[Path] | None = None) -> StudySpec:
    """Refuse what lets a dashboard user reach the server's files or network: a csv: path outside the store's
    ``uploads/`` (and the allowed folders), a data_dir outside the allowed folders, ``download = true``."""
    allowed = allowed_data_dirs() if allowed is None else allowed
    uploads = (open_store(store).root / "uploads").resolve()
    if spec.dataset.startswith("csv:") and not _inside(Path(spec.dataset[4:]), [uploads, *allowed]):
        raise UploadError("dataset", "from the dashboard, a CSV must be uploaded on this page; upload the file "
                                     "instead of giving a path")
    if spec.data.download:
        raise UploadError("data.download", "a shared dashboard never downloads data; remove download = true "
                                           "(the server's owner puts data sets in place)")
    if spec.data.data_dir and not _inside(Path(spec.data.data_dir), allowed):
        raise UploadError("data.data_dir", "a shared dashboard reads image data only from the server's default "
                                           "folder; remove data_dir from the spec")
    return spec


def save_csv_upload(data, store: str | os.PathLike | Store | None, max_bytes: int = MAX_CSV_BYTES, *,
                    session_uploads: int = 0) -> dict:
    """Check an uploaded CSV and keep it as ``<store>/uploads/<content hash>.csv`` (the user's file name is
    never used). Size, columns and lines are counted in the bytes before pandas parses them (a 39 MiB CSV
    of 1.5 M columns took 6 GB and 102 s in pandas). Returns ``dataset`` ("csv:<absolute path>", the spec's
    value), ``rows``, ``columns`` (the last is the default target), ``classes``, ``features``."""
    import pandas as pd
    raw = _bytes(data, max_bytes, "CSV")
    check_upload_room(store, len(raw), session_uploads)   # the session's count, the server's quota
    problem = csv_shape_problem(raw)
    if problem:
        raise UploadError("upload", f"{problem}; upload a smaller CSV")
    try:
        df = pd.read_csv(io.BytesIO(raw))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise UploadError("upload", f"not a readable CSV ({e.__class__.__name__}); save it as comma-separated "
                                    "text with a header row") from None
    if df.shape[1] < 2 or len(df) < MIN_CSV_ROWS:
        raise UploadError("upload", f"the file has {len(df)} rows and {df.shape[1]} columns; give at least "
                                    f"{MIN_CSV_ROWS} rows, one or more numeric feature columns and a label column")
    text_cols = [str(c) for c in df.columns[:-1] if not pd.api.types.is_numeric_dtype(df[c])]
    if text_cols:   # training refuses them later: said here, at the upload
        raise UploadError("upload", f"feature columns must be numeric (text in: {', '.join(text_cols[:5])}); "
                                    "encode them as numbers or drop them")
    path = open_store(store).root / "uploads" / f"{hashlib.sha256(raw).hexdigest()[:16]}.csv"
    if not path.exists():
        atomic_write_bytes(path, raw)
    else:
        os.utime(path)   # uploaded again: its time to be launched starts again
    return {"dataset": f"csv:{path.resolve()}", "rows": len(df), "columns": [str(c) for c in df.columns],
            "classes": int(df.iloc[:, -1].nunique()), "features": df.shape[1] - 1, "text_columns": text_cols}


# ---------------------------------------------------------------- how much a server keeps

def upload_limits() -> dict:
    """The server's upload limits (its owner sets them): ``quota_bytes`` all kept CSV uploads together
    ($BATCHSCOPE_UPLOAD_QUOTA_MB, default 500 MiB), ``per_session`` files one browser session may upload
    ($BATCHSCOPE_UPLOADS_PER_SESSION, default 5), ``ttl_s`` how long an upload no job uses is kept
    ($BATCHSCOPE_UPLOAD_HOURS, default 1 h)."""
    return {"quota_bytes": int(_env_number("BATCHSCOPE_UPLOAD_QUOTA_MB", 500) * 2 ** 20),
            "per_session": int(_env_number("BATCHSCOPE_UPLOADS_PER_SESSION", 5)),
            "ttl_s": _env_number("BATCHSCOPE_UPLOAD_HOURS", 1.0) * 3600}


def _env_number(name: str, default: float) -> float:
    try:
        v = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return v if math.isfinite(v) and v > 0 else default


def _kept(folder: Path) -> list[os.DirEntry]:
    try:
        return [e for e in os.scandir(folder) if e.name.endswith(".csv") and e.is_file(follow_symlinks=False)]
    except OSError:
        return []


def _launched(root: Path) -> str:
    """The text of every spec a job or a study holds (jobs/*.toml, studies/*/spec.toml): an upload named
    there was launched and is kept."""
    texts = []
    for path in [*root.glob("jobs/*.toml"), *root.glob("studies/*/spec.toml")]:
        try:
            texts.append(read_regular_file(path, MAX_SPEC_BYTES, "spec", follow_symlinks=False).decode(errors="replace"))
        except (OSError, ValueError):
            continue
    return "\n".join(texts)


def sweep_uploads(store: str | os.PathLike | Store | None, now: float | None = None) -> list[str]:
    """Remove the CSV uploads older than the server's ``ttl_s`` that no job or study names (never launched);
    returns their names. Run before every upload, so stale files never count against the quota."""
    root = open_store(store).root
    now = time.time() if now is None else now
    old = [e for e in _kept(root / "uploads") if now - e.stat(follow_symlinks=False).st_mtime > upload_limits()["ttl_s"]]
    if not old:
        return []
    used = _launched(root)
    gone = []
    for e in old:
        if e.name not in used:
            with contextlib.suppress(OSError):
                os.unlink(e.path)
                gone.append(e.name)
    return gone


def check_upload_room(store: str | os.PathLike | Store | None, size: int, session_uploads: int = 0) -> None:
    """UploadError when this session has used its uploads or ``size`` more bytes would pass the server's quota
    (after the sweep)."""
    limits = upload_limits()
    if session_uploads >= limits["per_session"]:
        raise UploadError("upload", key="upload.session_count", n=limits["per_session"])
    sweep_uploads(store)
    used = sum(e.stat(follow_symlinks=False).st_size for e in _kept(open_store(store).root / "uploads"))
    if used + size > limits["quota_bytes"]:
        raise UploadError("upload", key="upload.quota", used=f"{used / 2 ** 20:,.0f}",
                          quota=f"{limits['quota_bytes'] / 2 ** 20:,.0f}", hours=f"{limits['ttl_s'] / 3600:g}")
