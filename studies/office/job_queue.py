"""The dashboard's job queue on disk: studies wait as job files under the store, one running per device.

Layout under the store (every file written atomically, so a killed process never leaves half a file):

    jobs/<job_id>.json           the job: name, study_id, device, state, pid, times, message
    jobs/<job_id>.toml           the spec it runs
    jobs/<job_id>.progress.json  written by `python -m studies run … --progress-json` (runs done, epoch, loss)
    jobs/<job_id>.log            the job process's output

A job is queued → running → done | failed | cancelled, or interrupted when its job process vanished (a dashboard
restart, a reboot, a kill). ``resume`` queues it again; the runner skips the runs the store already has, so a
study killed half-way finishes where it stopped. The queue lives on disk, so a restart loses nothing.
jobs.JobManager starts the processes. No streamlit, no torch.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from pathlib import Path

from .clusters import ClusterError, cluster_address, runs_on_this_machine
from ..spec.config import SpecError, StudySpec
from ..engine.device import device_slot
from ..spec.runnable import check_runnable
from .jobfile import (NeedsConfirmation, QueueFull, clean_progress, job_problem, max_queued,
                      needs_confirmation, viewer_lines)
from ..spec.limits import MAX_JSON_BYTES, LimitError, read_regular_file, regular_file_size
from ..storage.atomic import atomic_write_bytes, atomic_write_json
from ..storage.store import resolve_root

try:
    import fcntl
except ImportError:  # Windows: one dashboard per store, the in-process lock only
    fcntl = None

ACTIVE = ("queued", "running")


def job_slot(job: dict) -> str:
    """The device a job occupies, worked out from what it runs (not a stored field): one running study per
    device, whatever the executor. A remote Ray cluster is its own slot; a local Ray is this machine's."""
    if job.get("executor") == "ray":
        name = str(job.get("cluster", ""))
        try:
            remote = not runs_on_this_machine(name)
        except ClusterError:
            remote = True                       # refused when it would start; it holds no device meanwhile
        if remote:
            return f"ray:{name}"
    device = job.get("device")
    return device_slot(device if device in ("auto", "cpu", "cuda", "mps") else "auto")


def _read_json(path: Path) -> dict:
    """A job file's object; {} when missing, a link, not a regular file, too big, or not a JSON object."""
    import json
    try:
        obj = json.loads(read_regular_file(path, MAX_JSON_BYTES, "job file", follow_symlinks=False))
    except (OSError, ValueError, RecursionError):   # LimitError is a ValueError
        return {}
    return obj if isinstance(obj, dict) else {}


def _tail(path: Path, n: int = 3) -> str:
    """The last ``n`` non-empty lines of a log that every viewer may see (no traceback frames), reading at
    most its last 64 KiB of a regular file (never through a link)."""
    try:
        regular_file_size(path, 1 << 40, "log", follow_symlinks=False)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 65536))
            text = f.read().decode(errors="replace")
    except (OSError, LimitError):
        return ""
    return " | ".join(viewer_lines(text.replace("\r", "\n").splitlines())[-n:])


class JobQueue:
    """The queue on disk: submit, read, change. Safe across threads and processes (a lock file)."""

    def __init__(self, store_root: str | os.PathLike | None = None):
        self.root = resolve_root(store_root)
        self.dir = self.root / "jobs"
        self._thread_lock = threading.RLock()
        self._depth = 0   # nesting of locked() in the thread that holds it
        self.problems: list[str] = []   # job files left out by the last jobs(), for the page to say

    def path(self, job_id: str, suffix: str) -> Path:
        if not (isinstance(job_id, str) and job_id.isalnum() and len(job_id) <= 32):
            raise ValueError(f"job id {job_id!r} is not valid")
        return self.dir / f"{job_id}{suffix}"

    @contextlib.contextmanager
    def locked(self):
        """Exclusive access to the queue: a thread lock, and a file lock for other processes (re-entrant)."""
        with self._thread_lock:
            self._depth += 1
            try:
                if self._depth > 1 or fcntl is None:
                    yield
                    return
                self.dir.mkdir(parents=True, exist_ok=True)
                with open(self.dir / ".lock", "a") as f:
                    fcntl.flock(f, fcntl.LOCK_EX)      # released when the file closes
                    yield
            finally:
                self._depth -= 1

    def _admit(self, jobs: list[dict], estimate_s: float | None, confirmed: bool) -> None:
        """The one gate into the queue, for submit and resume alike: the server's queue limit (QueueFull), then
        Launch's confirmation (NeedsConfirmation unless ``confirmed``)."""
        if sum(j["state"] == "queued" for j in jobs) >= max_queued():
            raise QueueFull(f"{max_queued()} studies are already waiting on this server; wait for one to "
                            "finish or cancel one on Jobs")
        why = needs_confirmation(jobs, estimate_s)
        if why is not None and not confirmed:
            raise why

    def submit(self, spec: StudySpec, executor: str = "pool", cluster: str = "", confirmed: bool = False,
               pair: str = "") -> dict:
        """Queue ``spec``; if the same study is already queued or running, return that job instead.

        ``pair``: the study id of the other half of a comparison queued with it (a paper's twin template), kept
        in the job so the Jobs page can open Compare on the two.

        Refused like the CLI refuses it (SpecError), when the queue is full (QueueFull), and when the queue's
        work plus this study's passes the server's confirmation limit unless ``confirmed`` (NeedsConfirmation).

        ``executor="ray"`` sends the runs to the Ray cluster the server's owner configured under the name
        ``cluster`` (studies.office.clusters; never an address from the caller). A remote cluster does not occupy
        this machine's device, so its job has a slot of its own; a local Ray shares the device's slot.
        """
        if executor not in ("pool", "ray"):
            raise ValueError(f"executor {executor!r}: choose pool or ray")
        if executor == "ray":
            cluster_address(cluster)            # refuses a name the server does not list
        slot = job_slot({"device": spec.device, "executor": executor, "cluster": cluster if executor == "ray" else ""})
        # what its job would refuse is refused here (the CLI's and the form's check), before the lock: the
        # estimate is O(grid), but never held against other visitors
        estimate_s = float(check_runnable(spec, slot if not slot.startswith("ray:") else "cpu").seconds)
        with self.locked():
            jobs = self.jobs()
            for job in jobs:
                if job["study_id"] == spec.study_id and job["state"] in ACTIVE:
                    return job
            self._admit(jobs, estimate_s, confirmed)
            job_id = uuid.uuid4().hex[:12]
            atomic_write_bytes(self.path(job_id, ".toml"), spec.to_toml().encode())
            job = {"job_id": job_id, "name": spec.name, "study_id": spec.study_id, "device": spec.device,
                   "executor": executor, "cluster": cluster if executor == "ray" else "",
                   "n_runs": spec.n_runs, "state": "queued",
                   "created": time.time(), "started": None, "finished": None, "pid": None,
                   "returncode": None, "message": "", "attempts": 0, "cancel_requested": False}
            if pair:
                job["pair"] = pair
            job["slot"] = slot
            job["estimate_s"] = estimate_s   # the Jobs page starts its time left from it
            atomic_write_json(self.path(job_id, ".json"), job)
            return job

    def submit_retime(self, study_id: str, name: str, device: str = "auto") -> dict:
        """Queue ``python -m studies retime`` for a stored study (kind "retime": trains nothing, re-measures its
        epoch and step times on ``device``, the one its runs trained on); an active job of the study is returned
        instead."""
        with self.locked():
            jobs = self.jobs()
            for job in jobs:
                if job["study_id"] == study_id and job["state"] in ACTIVE:
                    return job
            if sum(j["state"] == "queued" for j in jobs) >= max_queued():
                raise QueueFull(f"{max_queued()} studies are already waiting on this server; wait for one to "
                                "finish or cancel one on Jobs")
            job = {"job_id": uuid.uuid4().hex[:12], "kind": "retime", "name": name, "study_id": study_id,
                   "device": device, "executor": "pool", "cluster": "", "state": "queued", "created": time.time(),
                   "started": None, "finished": None, "pid": None, "returncode": None, "message": "",
                   "attempts": 0, "cancel_requested": False, "estimate_s": None}
            job["slot"] = job_slot(job)
            atomic_write_json(self.path(job["job_id"], ".json"), job)
            return job

    def get(self, job_id: str) -> dict | None:
        """The job, or None when its file is missing or not a job file (see jobfile.job_problem)."""
        job = _read_json(self.path(job_id, ".json"))
        return job if job and job_problem(job, job_id) is None else None

    def jobs(self) -> list[dict]:
        """Every job, oldest first. A file that is not a job (by schema) is left out and said in
        ``self.problems``: one bad file never stops the queue or the page."""
        if not self.dir.exists():
            return []
        found, self.problems = [], []
        for p in self.dir.glob("*.json"):
            if p.name.endswith(".progress.json"):
                continue
            job = _read_json(p)
            why = job_problem(job, p.stem) if job else "not a readable JSON object"
            if why:
                self.problems.append(f"jobs/{p.name} is not a job file ({why}); it is ignored")
            else:
                found.append(job)
        return sorted(found, key=lambda j: j["created"])

    def update(self, job_id: str, **fields) -> dict:
        with self.locked():
            job = self.get(job_id)
            if job is None:
                raise ValueError(f"no job {job_id!r} in {self.dir}")
            job.update(fields)
            atomic_write_json(self.path(job_id, ".json"), job)
            return job

    def progress(self, job_id: str) -> dict:
        return clean_progress(_read_json(self.path(job_id, ".progress.json")))

    def log_tail(self, job_id: str, n: int = 3) -> str:
        return _tail(self.path(job_id, ".log"), n)

    def cancel(self, job_id: str) -> dict:
        """A queued job is cancelled at once; a running one is marked, and its manager stops the job process."""
        with self.locked():
            job = self.get(job_id) or {}
            if job.get("state") == "queued":
                return self.update(job_id, state="cancelled", finished=time.time(),
                                   message="cancelled before it started")
            if job.get("state") == "running":
                return self.update(job_id, cancel_requested=True)
            return job

    def resume(self, job_id: str, confirmed: bool = False) -> dict:
        """Queue an interrupted, cancelled or failed job again; its finished runs are kept and skipped. The
        same gate as submit: the queue limit (QueueFull) and, from its stored estimate, the confirmation
        (NeedsConfirmation unless ``confirmed``)."""
        with self.locked():
            job = self.get(job_id) or {}
            if job.get("state") in ("interrupted", "cancelled", "failed"):
                self._admit(self.jobs(), job.get("estimate_s"), confirmed)
                self.path(job_id, ".progress.json").unlink(missing_ok=True)
                return self.update(job_id, state="queued", pid=None, returncode=None, started=None,
                                   finished=None, cancel_requested=False, cancel_sent=None, done_at_start=None,
                                   message="resumed: finished runs are kept")
            return job
