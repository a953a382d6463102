"""Who trains which run: a lock per run, so two drivers of one study (two dashboards, a dashboard and the
CLI) never train the same run twice, and a driver that dies never blocks the others.

A run's lock is a POSIX byte-range lock (``fcntl.lockf``) on one byte of ``<store>/locks/runs.lock``, at an
offset taken from the run id. The kernel drops it when its process ends, however it ends (SIGKILL
included), so there are no stale locks to clean up: a live holder is waited for and its results are read
from the store; a dead holder's runs are claimed and trained here. One file with byte ranges rather than
a file per run, so a study of 10,000 runs holds one descriptor, not 10,000.

POSIX locks belong to a process, and closing any descriptor of the file drops all of them: this module keeps
one descriptor per lock file for the life of the process, and a per-process table so that two threads
(two ``run_study`` calls in one process) do not both claim a run. Where ``fcntl`` is missing (Windows) runs
are only guarded within the process; a run may then be trained twice, but it is never stored in half.
On NFS, lockf works where the server supports NLM/NFSv4 locks (most do).
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

_GUARD = threading.Lock()
_FDS: dict[str, int] = {}              # lock file -> the one descriptor this process keeps open
_HELD: dict[tuple[str, str], int] = {}  # (lock file, run id) -> id() of the RunLocks that holds it


def _offset(run_id: str) -> int:
    return int(run_id[:15], 16)         # 60 bits of the hash: collisions are negligible, offsets fit off_t


class RunLocks:
    """Non-blocking claims on runs of one store; ``release`` after the run's files are written."""

    def __init__(self, root: str | os.PathLike):
        self.path = str(Path(root) / "locks" / "runs.lock")

    def _fd(self) -> int | None:
        if fcntl is None:
            return None
        with _GUARD:
            if self.path not in _FDS:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                _FDS[self.path] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            return _FDS[self.path]

    def try_claim(self, run_id: str) -> bool:
        """True if this object now holds the run (or already did); False if another holder has it."""
        fd, key = self._fd(), (self.path, run_id)
        with _GUARD:
            owner = _HELD.get(key)
            if owner is not None:
                return owner == id(self)
            if fd is not None:
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _offset(run_id), os.SEEK_SET)
                except OSError:       # EAGAIN / EACCES: another live process holds it
                    return False
            _HELD[key] = id(self)
            return True

    def release(self, run_id: str) -> None:
        fd, key = self._fd(), (self.path, run_id)
        with _GUARD:
            if _HELD.get(key) != id(self):
                return
            del _HELD[key]
            if fd is not None:
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, _offset(run_id), os.SEEK_SET)

    def release_all(self) -> None:
        for (path, rid), owner in list(_HELD.items()):
            if path == self.path and owner == id(self):
                self.release(rid)


def claimed_map(locks: RunLocks, jobs: Iterable[tuple], run_jobs: Callable, emit: Callable,
                finished: Callable, poll_s: float = 0.5) -> Iterator[tuple[object, object]]:
    """Run ``jobs`` (worker.RunJob: anything with a ``.run``) through ``run_jobs(jobs, emit)`` — an executor's
    ``map`` — holding each run's lock while it runs.

    Yields ``(run, outcome)`` for each job run here (the lock is released when the caller asks for the next
    item, i.e. after it has stored the outcome), and ``(run, None)`` for each job that another process held
    and ``finished(run)`` says is now in the store: the caller reads it from there. A job whose holder died
    without finishing it is claimed and run here. Jobs held by a live process are waited for (polling)."""
    pending, told = list(jobs), set()
    try:
        while pending:
            mine, theirs, done = [], [], []
            for job in pending:
                if not locks.try_claim(job.run.run_id):
                    theirs.append(job)
                elif finished(job.run):          # someone finished it since the caller looked
                    done.append(job)
                else:
                    mine.append(job)
            for job in done:
                locks.release(job.run.run_id)
                yield job.run, None
            if mine:
                for run, outcome in run_jobs(mine, emit):
                    yield run, outcome
                    locks.release(run.run_id)
            for job in theirs:
                if job.run.run_id not in told:
                    told.add(job.run.run_id)
                    emit({"event": "waiting", "run_id": job.run.run_id, "label": job.run.label,
                          "reason": "another process is training this run; its result will be used"})
            if theirs and not mine and not done:
                time.sleep(poll_s)
            pending = theirs
    finally:
        locks.release_all()
