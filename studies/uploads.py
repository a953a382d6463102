"""What a shared dashboard accepts from its users: spec files and CSV data, size-limited, parsed without
executing anything (TOML by tomllib, CSV by pandas), and never turned into paths the user chose.

    spec = parse_spec_upload(uploaded.getvalue(), store=store)       # StudySpec, or UploadError
    info = save_csv_upload(uploaded.getvalue(), store)     # info["dataset"] = "csv:<store>/uploads/<sha>.csv"
    check_shared_spec(spec, store)                                   # for specs built on the page

Every refusal is an ``UploadError`` (a ``SpecError``: ``.field`` and a one-line message saying what to do).
On a shared dashboard a spec may read CSV data only from the store's ``uploads/`` folder and image data only
from the server's default folder, so nobody reads the server's files through a spec. No torch import here.
"""
from __future__ import annotations

import os

from .config import SpecError, StudySpec
from .limits import MAX_CSV_BYTES
from .store import Store, open_store

MAX_SPEC_BYTES = 64 * 1024            # a spec is a few hundred bytes; anything near this is not a spec


class UploadError(SpecError):
    """An upload the user must fix; ``str(e)`` is one line for st.error."""


def _bytes(data, max_bytes: int, what: str) -> bytes:
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


def check_shared_spec(spec: StudySpec, store: str | os.PathLike | Store | None) -> StudySpec:
    """Refuse what lets a dashboard user reach the server's files: a csv: path outside the store's uploads
    (form.check_csv_path), an image-data folder other than the server's default."""
    from .form import check_csv_path
    try:
        check_csv_path(spec, open_store(store).root)
    except SpecError as e:
        raise UploadError(e.field, str(e).split(": ", 1)[-1]) from None
    if spec.data.data_dir:
        raise UploadError("data.data_dir", "a shared dashboard keeps image data in the server's default "
                                           "folder; remove data_dir from the spec")
    return spec


def save_csv_upload(data, store: str | os.PathLike | Store | None, max_bytes: int = MAX_CSV_BYTES) -> dict:
    """Check an uploaded CSV (pandas, nothing executed) and keep it as ``<store>/uploads/<content hash>.csv``
    (the user's file name is never used). Returns form.save_csv_upload's dict: ``dataset``
    ("csv:<absolute path>", the spec's value), ``rows``, ``columns``, ``classes``, ``features``."""
    from .form import save_csv_upload as save
    raw = _bytes(data, max_bytes, "CSV")
    try:
        return save(open_store(store).root, raw)
    except ValueError as e:
        raise UploadError("upload", str(e)) from None
