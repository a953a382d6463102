"""Every write of the store and the job queue, atomic: a temporary file in the same folder, fsynced, renamed into
place, so a killed writer never leaves half a file; and the sweep of the temporary files such a writer left.
No torch.
"""
from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path

import pandas as pd


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_parquet(path: Path, df: pd.DataFrame) -> None:
    import io
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    atomic_write_bytes(path, buf.getvalue())


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=1, sort_keys=True, default=str).encode())


def process_state(pid) -> str:
    """Whether process ``pid`` runs, the one answer every caller reads: "ours" (it runs and this user may signal
    it), "other" (it runs as another user: a signal is refused), "gone" (no such process, or not a process id).
    A writer's temporary file is kept while its process is not "gone"; a job process must be "ours"; a pool
    worker ends when its driver is "gone"."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return "gone"
    try:
        os.kill(pid, 0)
    except PermissionError:
        return "other"
    except (ProcessLookupError, OverflowError, ValueError):
        return "gone"
    return "ours"


def sweep_tmp(root: Path, older_than_s: float = 60.0) -> int:
    """Delete the temporary files (``.*.tmp``) that a killed writer left behind; returns how many.

    A writer names its temporary file after its PID: a file whose process is gone is swept at once, one
    whose PID is alive (on this machine) only when older than ``older_than_s`` (a reused PID)."""
    n = 0
    if not root.is_dir():
        return 0
    now = time.time()
    for path in root.glob("**/.*.tmp"):
        m = re.match(r"^\..+\.(\d+)\.\d+\.tmp$", path.name)
        try:
            st = path.lstat()
            if not stat.S_ISREG(st.st_mode):
                continue
            if m and process_state(int(m.group(1))) != "gone" and now - st.st_mtime < older_than_s:
                continue
            if not m and now - st.st_mtime < older_than_s:
                continue
            path.unlink()
            n += 1
        except OSError:
            continue
    return n
