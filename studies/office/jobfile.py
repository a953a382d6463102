"""What a job file must hold, how a job process is recognised, and how much a server may queue.

The queue lives in the store, which may be shared: a job file is input. One without a study id, with a
text PID or a text time stopped the queue or the Jobs page; one naming the dashboard's own PID with
``cancel_requested`` made the manager SIGTERM the dashboard (the guard looked for the job id, one letter,
anywhere in the command line). So a job file is read by schema (anything else is left out and said), a
PID counts as the job's job process only when its whole command line is the one the manager started, and logs
are opened without following links. No streamlit, no torch.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..storage.atomic import process_state
from ..spec.estimate import confirm_above_s, format_seconds

STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
_JOB_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")
_STUDY_ID = re.compile(r"^[0-9a-f]{8,64}$")
_NUMBER = (int, float)

# field -> (types allowed, required); None allowed where the types include type(None)
SCHEMA = {"job_id": ((str,), True), "name": ((str,), True), "study_id": ((str,), True),
          "state": ((str,), True), "created": (_NUMBER, True), "slot": ((str,), False),
          "device": ((str,), False), "executor": ((str,), False), "cluster": ((str,), False),
          "address": ((str,), False),   # jobs written before clusters were named: read, never used
          "n_runs": ((int,), False), "started": (_NUMBER + (type(None),), False),
          "finished": (_NUMBER + (type(None),), False), "pid": ((int, type(None)), False),
          "returncode": ((int, type(None)), False), "message": ((str,), False), "attempts": ((int,), False),
          "cancel_requested": ((bool,), False), "cancel_sent": (_NUMBER + (type(None),), False),
          "estimate_s": (_NUMBER + (type(None),), False), "done_at_start": ((int, float, type(None)), False),
          "kind": ((str,), False),   # "run" (the default) or "retime" (re-measure a stored study's timings)
          "pair": ((str,), False)}   # the study id of the other half of a comparison queued with it
KINDS = ("run", "retime")


def job_problem(job: dict, stem: str) -> str | None:
    """Why ``job`` (read from ``<stem>.json``) is not a job file, or None."""
    for name, (types, required) in SCHEMA.items():
        if name not in job:
            if required:
                return f"no {name}"
            continue
        value = job[name]
        if isinstance(value, bool) and bool not in types:   # True is an int to Python, not to a job file
            return f"{name} is not {types[0].__name__}"
        if not isinstance(value, types):
            return f"{name} is {type(value).__name__}, not {types[0].__name__}"
    if job["job_id"] != stem or not _JOB_ID.match(stem):
        return f"job_id {job['job_id']!r:.40} is not its file's name"
    if not _STUDY_ID.match(job["study_id"]):
        return "study_id is not a study id"
    if "pair" in job and not _STUDY_ID.match(job["pair"]):
        return "pair is not a study id"
    if job["state"] not in STATES:
        return f"state {job['state']!r:.40} is not one of {', '.join(STATES)}"
    if job.get("kind", "run") not in KINDS:
        return f"kind {job['kind']!r:.40} is not one of {', '.join(KINDS)}"
    if job.get("pid") is not None and not 0 < job["pid"] < 2 ** 31:
        return "pid is not a process id"
    return None


def command_line(pid: int) -> list[str] | None:
    """The process's argv from /proc (None where /proc does not tell: other systems, a process gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode(errors="replace").split("\0")[:-1] if raw else []


def is_job_process(pid: int | None, argv: list[str]) -> bool:
    """True when ``pid`` runs and is the job's job process: its whole command line is ``argv`` (guards PID reuse
    and a job file naming someone else's process). Without /proc: alive is all we can tell."""
    if process_state(pid) != "ours":   # gone, or another user's: never our job process
        return False
    if not Path("/proc/self/cmdline").exists():
        return True
    return command_line(pid) == argv


def open_log(path: Path) -> int:
    """A job's log opened for appending, never through a symbolic link (OSError ELOOP for a link)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, 0o600)


_FRAME = re.compile(r'^(Traceback \(most recent call last\)|File "|During handling of the above|The above '
                    r'exception was the direct cause|[~^ ]+$)')


def viewer_lines(lines: list[str]) -> list[str]:
    """Log lines fit for every viewer of the Jobs page: traceback frames (server paths, source lines) are
    dropped; the exception's own one-line message stays."""
    out, in_frames = [], False
    for line in lines:
        stripped = line.strip()
        if _FRAME.match(stripped):
            in_frames = stripped.startswith(("Traceback", "File"))
            continue
        if in_frames and line[:1].isspace():   # the source line under a frame
            continue
        in_frames = False
        out.append(stripped)
    return [ln for ln in out if ln]


def max_queued() -> int:
    """Jobs one server keeps waiting at most: $BATCHSCOPE_MAX_QUEUED (the owner sets it), default 10."""
    try:
        return max(1, int(os.environ.get("BATCHSCOPE_MAX_QUEUED") or 10))
    except ValueError:
        return 10


def queue_seconds(jobs: list[dict]) -> float:
    """The estimated seconds of the work already waiting or running (the form's estimates of each job)."""
    return sum(float(j.get("estimate_s") or 0.0) for j in jobs if j.get("state") in ("queued", "running"))


_PROGRESS_NUMBERS = ("total", "done", "todo", "epochs", "epoch", "failed", "started", "finished", "updated",
                     "estimate_s", "loss", "test_acc", "timing_pass_s")
_RUN_FIELDS = {"run": (str,), "state": (str,), "epochs": _NUMBER + (type(None),),
               "budget": _NUMBER + (type(None),), "reached_target": (bool, type(None)),
               "started": _NUMBER + (type(None),), "time_s": _NUMBER + (type(None),)}


def clean_progress(progress: dict) -> dict:
    """A progress file with only the fields and types the Jobs page reads (a planted one with text where a
    number belongs broke the page); anything else is dropped."""
    out = {k: v for k, v in progress.items() if k in _PROGRESS_NUMBERS and isinstance(v, _NUMBER)
           and not isinstance(v, bool)}
    out.update({k: progress[k] for k in ("current", "phase", "last_status", "study_id", "name", "device")
                if isinstance(progress.get(k), str)})
    runs = progress.get("runs")
    if isinstance(runs, dict):
        out["runs"] = {str(k): {f: r[f] for f, types in _RUN_FIELDS.items() if f in r and isinstance(r[f], types)}
                          | ({"curve": _clean_curve(r["curve"])} if isinstance(r.get("curve"), list) else {})
                       for k, r in runs.items() if isinstance(r, dict) and isinstance(r.get("state"), str)}
    return out


MAX_CURVE = 1000   # points of a run's live curve read from a progress file (the CLI writes at most 200)


def _clean_curve(curve: list) -> list[list]:
    """A run's live curve: [epoch, train loss, test accuracy] triples of numbers (loss or accuracy may be None),
    the first MAX_CURVE; anything else is dropped."""
    def number(v, none_ok=True):
        return (v is None and none_ok) or (isinstance(v, _NUMBER) and not isinstance(v, bool))
    return [list(p) for p in curve[:MAX_CURVE]
            if isinstance(p, list) and len(p) == 3 and number(p[0], False) and number(p[1]) and number(p[2])]


class QueueFull(ValueError):
    """The server's queue is full; the message says what to do."""


class NeedsConfirmation(ValueError):
    """The queue's work plus this study's passes the server's limit ($BATCHSCOPE_CONFIRM_HOURS) and nobody
    confirmed: ``estimate_s`` this study's, ``waiting_s`` the queue's, ``limit_s`` the limit, in seconds."""

    def __init__(self, estimate_s: float, waiting_s: float, limit_s: float):
        self.estimate_s, self.waiting_s, self.limit_s = estimate_s, waiting_s, limit_s
        super().__init__(f"this study (about {format_seconds(estimate_s)}) and the work queued before it (about "
                         f"{format_seconds(waiting_s)}) pass {format_seconds(limit_s)}; confirm to queue it")


def needs_confirmation(jobs: list[dict], estimate_s: float | None) -> NeedsConfirmation | None:
    """Launch's rule, for every way into the queue: the work already waiting or running plus this study's
    estimate above the server's limit needs an explicit confirmation (the error to raise), else None."""
    waiting, mine = queue_seconds(jobs), float(estimate_s or 0.0)
    return NeedsConfirmation(mine, waiting, confirm_above_s()) if waiting + mine > confirm_above_s() else None
