"""BENCHMARKS.md is written by several scripts, each owning one marked section:

    <!-- NAME:start --> ... <!-- NAME:end -->

`write_section` replaces its own section (or appends it) and leaves every other section as it is, so no
writer deletes another's figures; each section names the command that made it.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

HEADER = "# Benchmarks\n"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(path: str | Path, name: str, text: str, *, first: bool = False) -> None:
    """Put ``text`` into ``path`` as section ``name`` (atomic write). ``first``: a new section goes right
    after the title instead of at the end."""
    path = Path(path)
    old = path.read_text() if path.exists() else HEADER
    start, end = markers(name)
    block = f"{start}\n{text.strip()}\n{end}"
    pattern = re.escape(start) + ".*?" + re.escape(end)
    if re.search(pattern, old, flags=re.S):
        new = re.sub(pattern, lambda _: block, old, flags=re.S)
    elif first:
        head, _, rest = old.partition("\n")
        new = f"{head}\n\n{block}\n" + (f"\n{rest.strip()}\n" if rest.strip() else "")
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(new)
    os.replace(tmp, path)


def sections(path: str | Path) -> list[str]:
    """The names of the marked sections in ``path``, in order."""
    text = Path(path).read_text() if Path(path).exists() else ""
    return re.findall(r"<!-- ([\w-]+):start -->", text)
