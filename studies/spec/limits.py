"""Resource limits on what users hand us (spec files, CSV data, store files), checked *before* parsing.

A parser's cost can explode on hostile input: tomllib needs memory quadratic in the depth of a dotted key
(``a.a.a…`` 20,000 deep = 1.6 GB), pandas reads ``/dev/zero`` until memory runs out and blocks forever on a
FIFO, a 39 MiB CSV of 1.5 million columns costs 6 GB. So every reader here first looks at the file's type
and size (``os.stat``, never ``open`` on something that is not a regular file) and at cheap shape facts
(the longest dotted key, the bracket depth, the CSV header's column count, the number of lines), and refuses
with one line saying what to change. No imports from the rest of the package, no torch.
"""
from __future__ import annotations

import csv
import errno
import io
import os
import re
import stat
from pathlib import Path

MAX_SPEC_BYTES = 64 * 1024          # a spec is a few hundred bytes; anything near this is not a spec
MAX_KEY_DEPTH = 8                   # a spec needs 2 (measure.sample); tomllib is quadratic in this
MAX_NESTING = 16                    # [ and { nesting: a spec needs 2
MAX_NUMBER_DIGITS = 100             # a number's digits in a spec (Python refuses int text over 4,300 digits)
MAX_CSV_BYTES = 50 * 1024 * 1024    # also server.maxUploadSize in .streamlit/config.toml
MAX_CSV_COLUMNS = 10_000
MAX_CSV_ROWS = 2_000_000
MAX_CSV_CELLS = 50_000_000          # rows × columns: 400 MB as float64
MAX_JSON_BYTES = 16 * 1024 * 1024   # study.json and job files: a few KB each
MAX_TABLE_BYTES = 2 * 1024 ** 3     # a parquet table of the store


class LimitError(ValueError):
    """Input over a limit, or not a regular file; the message is one line saying what to change."""


def _kind(mode: int) -> str:
    return ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a symbolic link" if stat.S_ISLNK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")


def _judge(path, st: os.stat_result, max_bytes: int, what: str) -> int:
    if not stat.S_ISREG(st.st_mode):
        raise LimitError(f"{path} is {_kind(st.st_mode)}; give a regular {what}")
    if st.st_size > max_bytes:
        raise LimitError(f"{path} has {st.st_size:,} bytes, more than the {max_bytes:,} allowed for a {what}; "
                         "give a smaller file")
    return st.st_size


def regular_file_size(path: str | os.PathLike, max_bytes: int, what: str = "file", *,
                      follow_symlinks: bool = True) -> int:
    """The size of ``path`` if it is a regular file of at most ``max_bytes``.

    Judged by ``os.stat`` alone: a FIFO is never opened (that would block), a device such as /dev/zero
    never read (that would not end). With ``follow_symlinks=False`` a symbolic link is refused, not
    followed (a store file linked to the server's secrets). FileNotFoundError passes through."""
    return _judge(path, os.stat(path, follow_symlinks=follow_symlinks), max_bytes, what)


def read_regular_file(path: str | os.PathLike, max_bytes: int, what: str = "file", *,
                      follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, read in one open.

    Judged before opening (``regular_file_size``) and again on the open descriptor (``O_NOFOLLOW`` when
    not following links, ``O_NONBLOCK`` so a FIFO swapped in meanwhile never blocks). Memory follows the
    file's size, not the limit (a 2 GiB buffer for a 1 KB file fails under an address-space limit); a file
    that grows past the limit while being read is refused."""
    regular_file_size(path, max_bytes, what, follow_symlinks=follow_symlinks)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if e.errno == errno.ELOOP:   # replaced by a link between the check and the open
            raise LimitError(f"{path} is a symbolic link; give a regular {what}") from None
        raise
    with os.fdopen(fd, "rb", buffering=0) as f:
        size = _judge(path, os.fstat(fd), max_bytes, what)
        chunks, total = [], 0
        want = size + 1                      # one byte more than the size: a file that grew is noticed
        while want > 0:
            chunk = f.read(want)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise LimitError(f"{path} grew past the {max_bytes:,} bytes allowed for a {what}; "
                                 "give a smaller file")
            want = min(1 << 20, max_bytes + 1 - total) if total > size else size + 1 - total
    return b"".join(chunks)


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
    longest = max((len(m.group().replace("_", "")) for m in _DIGITS.finditer(skeleton)), default=0)
    if longest > MAX_NUMBER_DIGITS:   # before tomllib turns it into an int (past 4,300 digits: a ValueError)
        return f"a number has {longest:,} digits; numbers in a spec have at most {MAX_NUMBER_DIGITS}"
    return None


_DIGITS = re.compile(r"[0-9][0-9_]*")


MAX_CSV_HEADER_CHARS = 4 * 1024 * 1024   # the header record, quoted line breaks included


def csv_header_columns(raw: bytes) -> int:
    """The number of columns of the CSV's header record, read with a real CSV tokenizer: a quoted cell may
    hold commas and line breaks, and counts as pandas will count it. Only the first MAX_CSV_HEADER_CHARS
    characters are tokenized; a header longer than that is refused (LimitError), saying it is too wide
    when its part that was read already has too many columns."""
    head = raw[:MAX_CSV_HEADER_CHARS * 4].decode("utf-8", errors="replace")
    cut = len(head) > MAX_CSV_HEADER_CHARS
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CSV_HEADER_CHARS))
    try:
        reader = csv.reader(io.StringIO(head[:MAX_CSV_HEADER_CHARS], newline=""))
        header = next(reader, [])
        ended = not cut or next(reader, None) is not None    # a record after it: the header ended in the cut
    except csv.Error as e:
        raise LimitError(f"the header row is not readable as CSV ({e})") from None
    if not ended:
        if len(header) > MAX_CSV_COLUMNS:
            raise LimitError(f"the header has at least {len(header):,} columns, more than the "
                             f"{MAX_CSV_COLUMNS:,} allowed")
        raise LimitError(f"the header row is longer than {MAX_CSV_HEADER_CHARS:,} characters (a quote that "
                         "never closes?)")
    return len(header)


def csv_shape_problem(raw: bytes) -> str | None:
    """Why these CSV bytes are too wide or too long to parse here, or None: the header's columns (by a CSV
    tokenizer, so quoted line breaks and commas count as pandas will count them) and the number of lines
    (an upper bound on the records), counted before pandas sees the bytes."""
    if len(raw) > MAX_CSV_BYTES:
        return f"the file has {len(raw):,} bytes, more than the {MAX_CSV_BYTES:,} allowed"
    try:
        columns = csv_header_columns(raw)
    except LimitError as e:
        return str(e)
    if columns > MAX_CSV_COLUMNS:
        return f"the header has {columns:,} columns, more than the {MAX_CSV_COLUMNS:,} allowed"
    columns = max(columns, 1)
    rows = raw.count(b"\n") + (not raw.endswith(b"\n"))
    if rows > MAX_CSV_ROWS:
        return f"the file has {rows:,} lines, more than the {MAX_CSV_ROWS:,} allowed"
    if rows * columns > MAX_CSV_CELLS:
        return f"the file has {rows:,} rows × {columns:,} columns, more than the {MAX_CSV_CELLS:,} cells allowed"
    return None
