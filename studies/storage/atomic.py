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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


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
            if m and _pid_alive(int(m.group(1))) and now - st.st_mtime < older_than_s:
                continue
            if not m and now - st.st_mtime < older_than_s:
                continue
            path.unlink()
            n += 1
        except OSError:
            continue
    return n
