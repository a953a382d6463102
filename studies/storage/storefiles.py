"""Decoding the store's files safely: a parquet table's size is judged before it becomes a DataFrame, its
columns before a page draws it, and a safetensors header before anything trusts its numbers.

A store may be shared (NFS, a colleague's copy), so its files are input like any upload: a 1.3 MB parquet
of one long string repeated decoded to 5.5 GB, a table with the wrong columns broke every page, a weights
header of 100,000 nested brackets raised RecursionError. Every check here raises ValueError (LimitError
for sizes), which the store turns into "set aside and recomputed". No torch, no streamlit.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from ..spec.limits import LimitError

MAX_TABLE_CELLS = 50_000_000            # rows × columns of one table, from the file's metadata
MAX_TABLE_DECODED = 1024 ** 3           # bytes a table may take once decoded (strings expanded)
PY_STR_BYTES = 64                       # what one Python string costs in a DataFrame, beyond its text
MAX_SAFETENSORS_HEADER = 100_000_000

# The columns a page or the runner relies on, by file name (O: text, iuf: numbers); a table without them is
# not ours. TYPED columns are checked where present.
REQUIRED = {"runs": {"run_id": "O", "status": "O"},
            "study_runs": {"run_id": "O", "status": "O", "batch_size": "iuf", "optimizer": "O"},
            "epochs": {"run_id": "O", "epoch": "iuf"},
            "landscape": {"run_id": "O"}}
# ... and one of these: a landscape table's rows are 1-D profile points (alpha) or rows of a named kind — the
# spectral density's (eigenvalue, weight: `spectrum` without `landscape` writes no alpha), the audit's, the 2-D
# surface's, the interpolation's
ONE_OF = {"landscape": ("alpha", "kind")}
TYPED = {"batch_size": "iuf", "optimizer": "O", "kind": "O", "alpha": "iuf", "epoch": "iuf", "seed": "iuf",
         "lr": "iuf", "dataset": "O"}


def table_kind(path: Path) -> str | None:
    """Which schema a store file must have: study_runs, runs, epochs, landscape, or None (any columns)."""
    name = path.name
    if name == "runs.parquet":
        return "study_runs"
    if name == "run.parquet":
        return "runs"
    if name == "epochs.parquet":
        return "epochs"
    if name.startswith(("landscape", "interp-")):
        return "landscape"
    return None


def parquet_frame(raw: bytes, kind: str | None = None) -> pd.DataFrame:
    """A parquet file's bytes as a DataFrame (what ``pd.read_parquet`` gives), read on this thread alone,
    after its size and (with ``kind``) its columns are checked.

    Why not ``pd.read_parquet``: it reads through Arrow's dataset scanner with pre-buffering and converts
    with ``use_threads=True``, which starts Arrow's global CPU and I/O thread pools. Those C++ threads are
    never joined before the interpreter exits; under load ``std::terminate`` aborts a process that has
    finished its work (exit 134, apache/arrow#34314). Read this way, no Arrow pool thread is ever started.

    Sizes: rows × columns from the footer before any page is decoded; string columns are read
    dictionary-encoded (compact) and their expanded size summed from the dictionary before pandas turns
    each cell into a Python string."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(pa.BufferReader(raw), pre_buffer=False).metadata
    cells = meta.num_rows * max(meta.num_columns, 1)
    if cells > MAX_TABLE_CELLS:
        raise LimitError(f"the table has {meta.num_rows:,} rows × {meta.num_columns:,} columns, more than the "
                         f"{MAX_TABLE_CELLS:,} cells allowed")
    packed = sum(meta.row_group(g).column(c).total_uncompressed_size
                 for g in range(meta.num_row_groups) for c in range(meta.num_columns))
    if packed > MAX_TABLE_DECODED:
        raise LimitError(f"the table decodes to {packed:,} bytes, more than the {MAX_TABLE_DECODED:,} allowed")
    arrow_schema = meta.schema.to_arrow_schema()
    texts = [f.name for f in arrow_schema if pa.types.is_string(f.type) or pa.types.is_binary(f.type)
             or pa.types.is_large_string(f.type) or pa.types.is_large_binary(f.type)]
    table = pq.ParquetFile(pa.BufferReader(raw), pre_buffer=False, read_dictionary=texts).read(
        use_threads=False, use_pandas_metadata=True)
    decoded = 8 * cells + PY_STR_BYTES * meta.num_rows * len(texts) + sum(_expanded(table.column(n)) for n in texts)
    if decoded > MAX_TABLE_DECODED:
        raise LimitError(f"the table's text decodes to about {decoded:,} bytes, more than the "
                         f"{MAX_TABLE_DECODED:,} allowed")
    for name in texts:   # back to plain strings, as every reader of the store expects
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, table.column(name).cast(arrow_schema.field(name).type))
    df = table.to_pandas(use_threads=False)
    if kind is not None and len(df) == 0:   # a failed run's epochs: no rows, so nothing to mistype
        return pd.DataFrame({c: pd.Series(dtype=object if k == "O" else float) for c, k in REQUIRED[kind].items()})
    if kind is not None:
        check_columns(df, kind)
    return df


def _expanded(column) -> int:
    """Bytes of a dictionary-encoded text column once every cell holds its own copy of its value."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    total = 0
    for chunk in column.chunks:
        if not pa.types.is_dictionary(chunk.type):
            total += chunk.nbytes
            continue
        lengths = pc.binary_length(chunk.dictionary).fill_null(0).to_numpy(zero_copy_only=False)
        idx = chunk.indices.fill_null(0).to_numpy(zero_copy_only=False)
        total += int(np.take(lengths, idx).sum()) if len(idx) and len(lengths) else 0
    return total


def check_columns(df: pd.DataFrame, kind: str) -> None:
    """ValueError unless ``df`` has the columns a ``kind`` table needs (REQUIRED, and one of ONE_OF's), with
    usable types (O: text, iuf: numbers); an empty table passes (nothing to draw)."""
    if df.empty and not len(df.columns):
        return
    table = kind.removeprefix("study_")
    missing = [c for c in REQUIRED[kind] if c not in df.columns]
    if missing:
        raise ValueError(f"not a {table} table: no column {', '.join(missing)}")
    either = ONE_OF.get(kind, ())
    if either and not any(c in df.columns for c in either):
        raise ValueError(f"not a {table} table: no column {' or '.join(either)}")
    for col, kinds in {**{c: k for c, k in TYPED.items() if c in df.columns}, **REQUIRED[kind]}.items():
        dtype = df[col].dtype
        ok = dtype.kind in kinds or (kinds == "O" and (pd.api.types.is_string_dtype(dtype)
                                                       or isinstance(dtype, pd.CategoricalDtype)))
        if not ok:
            raise ValueError(f"not a {table} table: column {col} holds {dtype}")
        if kinds == "O" and pd.api.types.infer_dtype(df[col], skipna=True) not in ("string", "empty"):
            raise ValueError(f"not a {table} table: column {col} holds values that are not text")


def _depth_ok(text: bytes, limit: int = 8) -> bool:
    """True when brackets outside strings nest at most ``limit`` deep (a safetensors header needs 3)."""
    depth = 0
    for tok in re.finditer(rb'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        t = tok.group()
        if t in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return False
        elif t in (b"]", b"}"):
            depth -= 1
    return True


def check_safetensors(path: Path, size: int, read) -> None:
    """Whole-file check of a safetensors file from its header and length (not the bytes): ValueError if bad.

    ``read(n)`` reads the next n bytes of the open file. The header must be a JSON object of tensors, each
    with a dtype, a shape of whole numbers and two whole-number offsets in order, nested no deeper than a
    header needs (JSON's parser recurses: 100,000 brackets raised RecursionError)."""
    head = read(8)
    n = int.from_bytes(head, "little") if len(head) == 8 else -1
    if not 0 < n <= min(size - 8, MAX_SAFETENSORS_HEADER):
        raise ValueError("not a safetensors file (bad header length)")
    text = read(n)
    if not _depth_ok(text):
        raise ValueError("not a safetensors file (its header is nested too deep)")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"not a safetensors file ({e.__class__.__name__} in the header)") from None
    if not isinstance(header, dict):
        raise ValueError("not a safetensors file (the header is not an object)")
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_whole(v) for v in offsets)
                and offsets[0] <= offsets[1] and isinstance(shape, list) and all(_whole(v) for v in shape)
                and isinstance(entry.get("dtype"), str)):
            raise ValueError(f"not a safetensors file (tensor {str(name)[:40]!r} has no valid dtype, shape "
                             "and offsets)")
        end = max(end, offsets[1])
    if size != 8 + n + end:
        raise ValueError(f"truncated or padded safetensors file ({size} bytes, header says {8 + n + end})")


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


# ---------------------------------------------------------------- values, not only types

UNKNOWN = "unknown"   # the label of an optimizer this version does not know: "unknown: <name as stored>"


def check_values(df: pd.DataFrame, known_optimizers) -> tuple[pd.DataFrame, list[str]]:
    """A well-typed table whose values a page can use: rows whose ``batch_size`` is not a whole number ≥ 1 are
    left out (a page divides by it), and an ``optimizer`` not in ``known_optimizers`` is relabelled
    ``unknown: <name>`` (a page never looks up a name it does not know; the text keeps saying which). Returns
    the table and one line per change, for the store to say."""
    said = []
    if "batch_size" in df.columns and len(df):
        b = pd.to_numeric(df["batch_size"], errors="coerce")
        bad = ~(b.notna() & (b >= 1) & (b == b.round()) & (b < 2 ** 53))
        if bad.any():
            said.append(f"{int(bad.sum())} row(s) with a batch_size that is not a whole number ≥ 1 left out")
            df = df[~bad].reset_index(drop=True)
    if "optimizer" in df.columns and len(df):
        names = df["optimizer"].astype(object)
        odd = names.notna() & ~names.isin(list(known_optimizers)) & ~names.astype(str).str.startswith(UNKNOWN + ": ")
        if odd.any():
            said.append(f"{int(odd.sum())} row(s) name an optimizer this version does not know; shown as "
                        f"'{UNKNOWN}: …'")
            df = df.copy()
            df["optimizer"] = names.where(~odd, UNKNOWN + ": " + names.astype(str).str.slice(0, 80))
    return df, said
