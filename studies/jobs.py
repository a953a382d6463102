"""The dashboard's job queue: studies wait on disk, one worker process per device trains them.

Layout under the store (every file written atomically, so a killed process never leaves half a file):

    jobs/<job_id>.json           the job: name, study_id, device, state, pid, times, message
    jobs/<job_id>.toml           the spec it runs
    jobs/<job_id>.progress.json  written by `python -m studies run … --progress-json` (runs done, epoch, loss)
    jobs/<job_id>.log            the worker's output

A job is queued → running → done | failed | cancelled, or interrupted when its worker vanished (a dashboard
restart, a reboot, a kill). ``resume`` queues it again; the runner skips the runs the store already has, so a
study killed half-way finishes where it stopped. The queue lives on disk, so a restart loses nothing.

``JobManager`` is held by the dashboard (st.cache_resource). It starts ``python -m studies run`` with
``subprocess.Popen`` in a session of its own (no fork of the server, no multiprocessing spawn), so a worker
survives a dashboard restart and is adopted by the next manager through its PID. One worker per device:
epoch times are measured with the device to itself. Several dashboards on one store agree through a lock
file: only the manager holding ``jobs/.manager.lock`` starts workers. No streamlit, no torch here.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from .clusters import ClusterError, cluster_address, runs_on_this_machine
from .config import SpecError, StudySpec
from .device import device_slot
from .estimate import estimate
from .eta import remaining_s
from .jobfile import QueueFull, clean_progress, is_worker, job_problem, max_queued, open_log, viewer_lines
from .limits import MAX_JSON_BYTES, LimitError, read_regular_file, regular_file_size
from .store import atomic_write_bytes, atomic_write_json, resolve_root

try:
    import fcntl
except ImportError:  # Windows: one dashboard per store, the in-process lock only
    fcntl = None

ACTIVE = ("queued", "running")
PROJECT_ROOT = Path(__file__).resolve().parents[1]   # where `python -m studies` imports from
KILL_AFTER_S = 10.0   # a worker that ignores SIGTERM this long after a cancel gets SIGKILL


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

    def submit(self, spec: StudySpec, executor: str = "pool", cluster: str = "") -> dict:
        """Queue ``spec``; if the same study is already queued or running, return that job instead.

        ``executor="ray"`` sends the runs to the Ray cluster the server's owner configured under the name
        ``cluster`` (studies.clusters; never an address from the caller). A remote cluster does not occupy
        this machine's device, so its job has a slot of its own; a local Ray shares the device's slot.
        """
        if executor not in ("pool", "ray"):
            raise ValueError(f"executor {executor!r}: choose pool or ray")
        if executor == "ray":
            cluster_address(cluster)            # refuses a name the server does not list
        with self.locked():
            jobs = self.jobs()
            for job in jobs:
                if job["study_id"] == spec.study_id and job["state"] in ACTIVE:
                    return job
            if sum(j["state"] == "queued" for j in jobs) >= max_queued():
                raise QueueFull(f"{max_queued()} studies are already waiting on this server; wait for one to "
                                "finish or cancel one on Jobs")
            job_id = uuid.uuid4().hex[:12]
            atomic_write_bytes(self.path(job_id, ".toml"), spec.to_toml().encode())
            job = {"job_id": job_id, "name": spec.name, "study_id": spec.study_id, "device": spec.device,
                   "executor": executor, "cluster": cluster if executor == "ray" else "",
                   "n_runs": spec.n_runs, "state": "queued",
                   "created": time.time(), "started": None, "finished": None, "pid": None,
                   "returncode": None, "message": "", "attempts": 0, "cancel_requested": False}
            job["slot"] = job_slot(job)
            try:   # the form's estimate: the Jobs page starts its time left from it
                job["estimate_s"] = float(estimate(spec, job["slot"] if not job["slot"].startswith("ray:") else "cpu").seconds)
            except (SpecError, KeyError, ValueError):
                job["estimate_s"] = None
            atomic_write_json(self.path(job_id, ".json"), job)
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
        """A queued job is cancelled at once; a running one is marked, and its manager stops the worker."""
        with self.locked():
            job = self.get(job_id) or {}
            if job.get("state") == "queued":
                return self.update(job_id, state="cancelled", finished=time.time(),
                                   message="cancelled before it started")
            if job.get("state") == "running":
                return self.update(job_id, cancel_requested=True)
            return job

    def resume(self, job_id: str) -> dict:
        """Queue an interrupted, cancelled or failed job again; its finished runs are kept and skipped."""
        with self.locked():
            job = self.get(job_id) or {}
            if job.get("state") in ("interrupted", "cancelled", "failed"):
                self.path(job_id, ".progress.json").unlink(missing_ok=True)
                return self.update(job_id, state="queued", pid=None, returncode=None, started=None,
                                   finished=None, cancel_requested=False, cancel_sent=None, done_at_start=None,
                                   message="resumed: finished runs are kept")
            return job


def progress_view(job: dict, progress: dict, now: float | None = None) -> dict:
    """What the page shows for a job: runs done / total, the phase, the current run and epoch, loss, elapsed
    and remaining, and one row per run of this attempt.

    The work of this attempt is its runs to do; a running run counts by its share of epochs (a run whose
    training is over and is being measured counts whole). Remaining time starts from the form's estimate and
    is refined by the measured pace (studies.eta); None with neither.
    """
    now = time.time() if now is None else now
    total = progress.get("total") or job.get("n_runs") or 0
    done = progress.get("done", 0)
    started = job.get("started") or progress.get("started")
    end = job.get("finished") or progress.get("finished") or now
    elapsed = max(0.0, end - started) if started else 0.0
    epochs, epoch = progress.get("epochs") or 0, progress.get("epoch") or 0
    runs = list((progress.get("runs") or {}).values())
    active = [r for r in runs if r.get("state") in ("training", "measuring")]
    if runs:
        current_share = sum(1.0 if r["state"] == "measuring" or not r.get("budget")
                            else min(1.0, (r.get("epochs") or 0) / r["budget"]) for r in active)
    else:
        current_share = epoch / epochs if progress.get("current") and epochs else 0.0
    at_start = job.get("done_at_start")
    at_start = (total - progress["todo"]) if at_start is None and "todo" in progress else at_start
    done_here = done - (done if at_start is None else at_start) + current_share
    todo = total - (done if at_start is None else at_start)
    remaining = None
    estimate_s = progress.get("estimate_s", job.get("estimate_s"))
    if job.get("state") == "running" and todo > 0:
        remaining = remaining_s(estimate_s, done_here / todo if done_here > 0 else 0.0, elapsed)
    elif job.get("state") == "queued":
        remaining = estimate_s
    fraction = min(1.0, (done + current_share) / total) if total else 0.0
    return {"done": done, "total": total, "fraction": fraction,
            "current": progress.get("current"), "epoch": epoch, "epochs": epochs, "loss": progress.get("loss"),
            "test_acc": progress.get("test_acc"), "failed": progress.get("failed", 0),
            "phase": progress.get("phase") if job.get("state") == "running" else None,
            "runs": [{"run": r.get("run", ""), "state": r.get("state", ""),
                      "epochs": f"{r.get('epochs') or 0}/{r['budget']}" if r.get("budget") else r.get("epochs"),
                      "reached_target": r.get("reached_target"),
                      "time_s": r.get("time_s") if r.get("time_s") is not None
                      else (now - r["started"] if r.get("started") else None)} for r in runs],
            "elapsed_s": elapsed, "remaining_s": remaining}


class JobManager:
    """Starts queued jobs (one worker per device), reaps finished ones, adopts or flags orphans, cancels.

    ``tick()`` does one round; ``start()`` runs it every ``poll_s`` seconds in a daemon thread that never
    touches streamlit. ``command`` is the worker's argv prefix (tests put a stand-in there).
    """

    def __init__(self, store_root: str | os.PathLike | None = None, *, poll_s: float = 1.0,
                 command: list[str] | None = None):
        self.queue = JobQueue(store_root)
        self.poll_s = poll_s
        self.command = command or [sys.executable, "-m", "studies", "run"]
        self._procs: dict[str, subprocess.Popen] = {}
        self._owner_file = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- ownership: one manager per store starts workers
    def owns_queue(self) -> bool:
        if self._owner_file is not None:
            return True
        self.queue.dir.mkdir(parents=True, exist_ok=True)
        f = open(self.queue.dir / ".manager.lock", "a")
        if fcntl is not None:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                return False
        self._owner_file = f
        return True

    # ---- one round
    def tick(self) -> None:
        if not self.owns_queue():
            return
        q = self.queue
        with q.locked():
            busy = set()
            for job in q.jobs():
                if job["state"] == "running":
                    job = self._watch(job)
                    if job["state"] == "running":
                        busy.add(job_slot(job))
            for job in q.jobs():
                slot = job_slot(job)
                if job["state"] == "queued" and slot not in busy:
                    self._launch(job)
                    busy.add(slot)

    def _watch(self, job: dict) -> dict:
        q, jid = self.queue, job["job_id"]
        if job.get("done_at_start") is None:
            prog = q.progress(jid)
            if prog.get("started") and not prog.get("last_status"):   # no run of this attempt ended yet
                job = q.update(jid, done_at_start=prog.get("done", 0))
        proc = self._procs.get(jid)
        if proc is not None:
            rc = proc.poll()
            if rc is None:
                if job.get("cancel_requested"):
                    self._signal(job, proc)
                return job
            del self._procs[jid]
            return self._finish(job, rc)
        try:
            argv = self.worker_argv(job)
        except ClusterError:             # its cluster is no longer configured: not a worker this server started
            argv = None
        if argv is not None and is_worker(job.get("pid"), argv):   # started by an earlier dashboard: adopt it
            if job.get("cancel_requested"):
                self._signal(job, None)
            return job
        prog = q.progress(jid)
        if prog.get("finished"):
            return self._finish(job, 0)
        if job.get("cancel_requested"):
            return q.update(jid, state="cancelled", finished=time.time(), pid=None,
                            message="cancelled; finished runs are kept")
        return q.update(jid, state="interrupted", finished=time.time(), pid=None,
                        message="the worker stopped (dashboard restart or killed); resume to finish — "
                                "finished runs are kept")

    def _finish(self, job: dict, rc: int) -> dict:
        q, jid = self.queue, job["job_id"]
        if job.get("cancel_requested"):
            state, msg = "cancelled", "cancelled; finished runs are kept, resume to finish"
        elif rc == 0 or self._all_stored(job):
            # a worker that stored every run and then died on its way out (a native thread pool torn down at
            # exit) finished its study: judged by the store, not by the exit signal
            failed = q.progress(jid).get("failed", 0)
            state, msg = "done", (f"{failed} runs failed; see the runs table" if failed else "")
            if rc != 0:
                msg = (msg + "; " if msg else "") + f"every run is stored (the worker then exited with code {rc})"
        else:
            state, msg = "failed", q.log_tail(jid) or f"the worker exited with code {rc}"
        return q.update(jid, state=state, returncode=rc, finished=time.time(), pid=None, message=msg)

    def _all_stored(self, job: dict) -> bool:
        """Every run of the job's study is in the store: trained (or failed, a stored row) and, when the study
        measures, measured — what ``run_study`` checks before it skips a run."""
        from .store import open_store
        store = open_store(self.queue.root)
        info = store.study_info(job.get("study_id", "")) if job.get("study_id") else None
        if not info or not info.get("run_ids"):
            return False
        mid = info.get("measure_id")
        for rid in info["run_ids"]:
            row = store.complete_run(rid)
            if row is None:
                return False
            if mid and row["status"].iloc[0] == "done" and not store.has_measure(rid, mid):
                return False
        return True

    def _launch(self, job: dict) -> None:
        q, jid = self.queue, job["job_id"]
        try:
            argv = self.worker_argv(job)
        except ClusterError as e:
            q.update(jid, state="failed", finished=time.time(), message=str(e))
            return
        path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}
        try:
            log = open_log(q.path(jid, ".log"))   # never through a link: the server must not append elsewhere
        except OSError as e:
            q.update(jid, state="failed", finished=time.time(),
                     message=f"could not open its log ({e.strerror or e.__class__.__name__}); remove jobs/{jid}.log")
            return
        try:
            proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        except OSError as e:
            q.update(jid, state="failed", finished=time.time(),
                     message=f"could not start the worker ({e.strerror or e.__class__.__name__})")
            return
        finally:
            os.close(log)
        self._procs[jid] = proc
        q.update(jid, state="running", pid=proc.pid, started=time.time(), finished=None,
                 attempts=job.get("attempts", 0) + 1)

    def worker_argv(self, job: dict) -> list[str]:
        """The worker's command line: ``python -m studies run`` on the queued spec, with its executor. A Ray
        job's address comes from the server's configuration by the job's cluster name (ClusterError if the
        name is not configured), never from the job file."""
        q, jid = self.queue, job["job_id"]
        argv = self.command + [str(q.path(jid, ".toml")), "--store", str(q.root),
                               "--progress-json", str(q.path(jid, ".progress.json")), "--quiet"]
        if job.get("executor", "pool") == "ray":
            address = cluster_address(job.get("cluster", ""))
            argv += ["--executor", "ray"] + (["--address", address] if address else [])
        return argv

    def _signal(self, job: dict, proc: subprocess.Popen | None) -> None:
        """SIGTERM to the worker's process group (its session), SIGKILL if it lingers."""
        pid = proc.pid if proc is not None else job.get("pid")
        first = job.get("cancel_sent")
        sig = signal.SIGKILL if first and time.time() - first > KILL_AFTER_S else signal.SIGTERM
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig) if hasattr(os, "killpg") else os.kill(pid, sig)
        if not first:
            self.queue.update(job["job_id"], cancel_sent=time.time())

    # ---- the page's actions (each followed by a round, so the page sees the result)
    def submit(self, spec: StudySpec, executor: str = "pool", cluster: str = "") -> dict:
        job = self.queue.submit(spec, executor, cluster)
        self.tick()
        return self.queue.get(job["job_id"]) or job

    def cancel(self, job_id: str) -> dict:
        self.queue.cancel(job_id)
        self.tick()
        return self.queue.get(job_id) or {}

    def resume(self, job_id: str) -> dict:
        self.queue.resume(job_id)
        self.tick()
        return self.queue.get(job_id) or {}

    # ---- background loop
    def start(self) -> "JobManager":
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="batchscope-jobs", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.tick()
            except Exception as e:  # noqa: BLE001 - the loop must outlive one bad file
                print(f"batchscope jobs: {e.__class__.__name__}: {e}", file=sys.stderr)

    def stop(self) -> None:
        """Stop the loop (workers keep running; the next manager adopts them) and release the queue."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._owner_file is not None:
            self._owner_file.close()
            self._owner_file = None
