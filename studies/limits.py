"""Resource limits on what users hand us (spec files, CSV data, store files), checked *before* parsing.

A parser's cost can explode on hostile input: tomllib needs memory quadratic in the depth of a dotted key
(``a.a.a…`` 20,000 deep = 1.6 GB), pandas reads ``/dev/zero`` until memory runs out and blocks forever on a
FIFO, a 39 MiB CSV of 1.5 million columns costs 6 GB. So every reader here first looks at the file's type
and size (``os.stat``, never ``open`` on something that is not a regular file) and at cheap shape facts
(the longest dotted key, the bracket depth, the CSV header's column count, the number of lines), and refuses
with one line saying what to change. No imports from the rest of the package, no torch.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

MAX_SPEC_BYTES = 64 * 1024          # a spec is a few hundred bytes; anything near this is not a spec
MAX_KEY_DEPTH = 8                   # a spec needs 2 (measure.sample); tomllib is quadratic in this
MAX_NESTING = 16                    # [ and { nesting: a spec needs 2
MAX_CSV_BYTES = 50 * 1024 * 1024    # also server.maxUploadSize in .streamlit/config.toml
MAX_CSV_COLUMNS = 10_000
MAX_CSV_ROWS = 2_000_000
MAX_CSV_CELLS = 50_000_000          # rows × columns: 400 MB as float64
MAX_JSON_BYTES = 16 * 1024 * 1024   # study.json and job files: a few KB each
MAX_TABLE_BYTES = 2 * 1024 ** 3     # a parquet table of the store


class LimitError(ValueError):
    """Input over a limit, or not a regular file; the message is one line saying what to change."""


def regular_file_size(path: str | os.PathLike, max_bytes: int, what: str = "file") -> int:
    """The size of ``path`` if it is a regular file (symlinks followed) of at most ``max_bytes``.

    Judged by ``os.stat`` alone: a FIFO is never opened (that would block), a device such as /dev/zero
    never read (that would not end). FileNotFoundError passes through for the caller's own message."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
        raise LimitError(f"{path} is {kind}; give a regular {what}")
    if st.st_size > max_bytes:
        raise LimitError(f"{path} has {st.st_size:,} bytes, more than the {max_bytes:,} allowed for a {what}; "
                         "give a smaller file")
    return st.st_size


def read_regular_file(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (checked before reading, and while reading: a
    file that grows after the check is cut at the limit and refused)."""
    regular_file_size(path, max_bytes, what)
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise LimitError(f"{path} grew past the {max_bytes:,} bytes allowed for a {what}; give a smaller file")
    return data


# a dotted run: key . key . key … (bare keys, numbers and stripped strings alike); possessive, so linear
_DOTTED = re.compile(r"(?<![\w\-+:])[\w\-+:]++(?:[ \t]*+\.[ \t]*+[\w\-+:]++)++")


def _toml_skeleton(text: str) -> str:
    """``text`` with every string replaced by ``s`` and comments dropped (they may hold dots and brackets
    that are not structure). Linear: each search position only moves forward. Where it is unsure it ends a
    string early, so it never hides structure that tomllib would see."""
    out, i, n = [], 0, len(text)
    nxt = {c: -1 for c in "#\"'\n"}
    while i < n:
        for c in nxt:                                        # the next # " ' at or after i, found once each
            if nxt[c] < i and nxt[c] != n:
                k = text.find(c, i)
                nxt[c] = n if k < 0 else k
        j = min(nxt['#'], nxt['"'], nxt["'"])
        out.append(text[i:j])
        if j >= n:
            break
        c = text[j]
        if nxt["\n"] < j:
            nxt["\n"] = text.find("\n", j) % (n + 1)          # -1 → n
        line_end = nxt["\n"]
        if c == "#":
            i = line_end
            continue
        if text.startswith(c * 3, j):                        # multi-line string: up to the next triple quote
            k = text.find(c * 3, j + 3)
            i = n if k < 0 else k + 3
        else:                                                # one line: up to an unescaped quote or the line end
            k = j + 1
            while True:
                k = text.find(c, k, line_end)
                if k < 0 or c == "'":
                    break
                back = 0
                while text[k - 1 - back] == "\\":
                    back += 1
                if back % 2 == 0:
                    break
                k += 1
            i = line_end if k < 0 else k + 1
        out.append("s")
    return "".join(out)


def toml_shape_problem(text: str) -> str | None:
    """Why ``text`` is too big or too deep for a spec, or None. Linear in the text: run before tomllib."""
    if len(text) > MAX_SPEC_BYTES:
        return f"the spec has {len(text):,} characters, more than the {MAX_SPEC_BYTES:,} allowed; a spec is a " \
               "few hundred"
    skeleton = _toml_skeleton(text)
    deepest = max((m.group().count(".") for m in _DOTTED.finditer(skeleton)), default=0)
    if deepest + 1 > MAX_KEY_DEPTH:
        return f"a dotted key is {deepest + 1} levels deep; a spec needs at most {MAX_KEY_DEPTH}"
    depth = worst = 0
    for c in skeleton:
        if c in "[{":
            depth += 1
            worst = max(worst, depth)
        elif c in "]}":
            depth -= 1
    if worst > MAX_NESTING:
        return f"brackets are nested {worst} deep; a spec needs at most {MAX_NESTING}"
    return None


def csv_shape_problem(raw: bytes) -> str | None:
    """Why these CSV bytes are too wide or too long to parse here, or None: the header's column count and
    the number of lines, counted in the bytes before pandas sees them."""
    if len(raw) > MAX_CSV_BYTES:
        return f"the file has {len(raw):,} bytes, more than the {MAX_CSV_BYTES:,} allowed"
    end = raw.find(b"\n")
    header = raw if end < 0 else raw[:end]
    columns = header.count(b",") + 1
    if columns > MAX_CSV_COLUMNS:
        return f"the header has {columns:,} columns, more than the {MAX_CSV_COLUMNS:,} allowed"
    rows = raw.count(b"\n") + (not raw.endswith(b"\n"))
    if rows > MAX_CSV_ROWS:
        return f"the file has {rows:,} lines, more than the {MAX_CSV_ROWS:,} allowed"
    if rows * columns > MAX_CSV_CELLS:
        return f"the file has {rows:,} rows × {columns:,} columns, more than the {MAX_CSV_CELLS:,} cells allowed"
    return None


def is_regular(path: Path) -> bool:
    """True for a regular file (symlinks followed); False for a FIFO, a device, a folder or nothing."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
