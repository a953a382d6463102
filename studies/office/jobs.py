"""The dashboard's job manager: starts each queued study as its own ``python -m studies run`` process, one per
device, reaps finished ones, adopts or flags orphans, cancels.

Held by the dashboard (st.cache_resource). It starts the job process with ``subprocess.Popen`` in a session of
its own (no fork of the server, no multiprocessing spawn), so a job process survives a dashboard restart and
is adopted by the next manager through its PID and command line. One job process per device: epoch times are
measured with the device to itself. Several dashboards on one store agree through a lock file: only the
manager holding ``jobs/.manager.lock`` starts job processes. No streamlit, no torch here.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .clusters import ClusterError, cluster_address
from ..spec.config import StudySpec
from .jobfile import is_job_process, open_log
from .job_queue import JobQueue, job_slot

try:
    import fcntl
except ImportError:  # Windows: one dashboard per store, the in-process lock only
    fcntl = None

PROJECT_ROOT = Path(__file__).resolve().parents[2]   # where `python -m studies` imports from
KILL_AFTER_S = 10.0   # a job process that ignores SIGTERM this long after a cancel gets SIGKILL


INTERRUPTED = "the job process stopped (dashboard restart or killed); resume to finish — finished runs are kept"
# exit codes of a job process stopped from outside (SIGKILL, SIGTERM, SIGINT, SIGHUP; 130: the CLI's own exit on
# a SIGTERM or Ctrl-C): interrupted, not failed; a crash (SIGSEGV, SIGABRT) or an error exit is a failure
STOPPED_FROM_OUTSIDE = {-signal.SIGKILL, -signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP, 130}

class JobManager:
    """Starts queued jobs (one job process per device), reaps finished ones, adopts or flags orphans, cancels.

    ``tick()`` does one round; ``start()`` runs it every ``poll_s`` seconds in a daemon thread that never
    touches streamlit. ``command`` is the job process's argv prefix (tests put a stand-in there).
    """

    def __init__(self, store_root: str | os.PathLike | None = None, *, poll_s: float = 1.0,
                 command: list[str] | None = None):
        self.queue = JobQueue(store_root)
        self.poll_s = poll_s
        self.command = command or [sys.executable, "-m", "studies", "run"]
        self.retime_command = (command or [sys.executable, "-m", "studies"])[:3] + ["retime"]
        self._procs: dict[str, subprocess.Popen] = {}
        self._owner_file = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- ownership: one manager per store starts job processes
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
            argv = self.job_argv(job)
        except ClusterError:             # its cluster is no longer configured: not a job process this server started
            argv = None
        if argv is not None and is_job_process(job.get("pid"), argv):   # started by an earlier dashboard: adopt it
            if job.get("cancel_requested"):
                self._signal(job, None)
            return job
        prog = q.progress(jid)
        if prog.get("finished"):
            return self._finish(job, 0)
        if job.get("cancel_requested"):
            return q.update(jid, state="cancelled", finished=time.time(), pid=None,
                            message="cancelled; finished runs are kept")
        return q.update(jid, state="interrupted", finished=time.time(), pid=None, message=INTERRUPTED)

    def _finish(self, job: dict, rc: int) -> dict:
        q, jid = self.queue, job["job_id"]
        if job.get("cancel_requested"):
            state, msg = "cancelled", "cancelled; finished runs are kept, resume to finish"
        elif rc == 0 or job.get("kind") != "retime" and self._all_stored(job):
            # a job process that stored every run and then died on its way out (a native thread pool torn down at
            # exit) finished its study: judged by the store, not by the exit signal
            failed = q.progress(jid).get("failed", 0)
            state, msg = "done", (f"{failed} runs failed; see the runs table" if failed else "")
            if rc != 0:
                msg = (msg + "; " if msg else "") + f"every run is stored (the job process then exited with code {rc})"
        elif rc in STOPPED_FROM_OUTSIDE:   # killed or stopped by someone, not failed: README's "interrupted"
            state, msg = "interrupted", INTERRUPTED
        else:
            state, msg = "failed", q.log_tail(jid) or f"the job process exited with code {rc}"
        return q.update(jid, state=state, returncode=rc, finished=time.time(), pid=None, message=msg)

    def _all_stored(self, job: dict) -> bool:
        """Every run of the job's study is in the store: trained (or failed, a stored row) and, when the study
        measures, measured — what ``run_study`` checks before it skips a run."""
        from ..storage.store import open_store
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
            argv = self.job_argv(job)
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
                     message=f"could not start the job process ({e.strerror or e.__class__.__name__})")
            return
        finally:
            os.close(log)
        self._procs[jid] = proc
        q.update(jid, state="running", pid=proc.pid, started=time.time(), finished=None,
                 attempts=job.get("attempts", 0) + 1)

    def job_argv(self, job: dict) -> list[str]:
        """The job process's command line: ``python -m studies run`` on the queued spec, with its executor. A Ray
        job's address comes from the server's configuration by the job's cluster name (ClusterError if the
        name is not configured), never from the job file."""
        q, jid = self.queue, job["job_id"]
        tail = ["--store", str(q.root), "--progress-json", str(q.path(jid, ".progress.json")), "--quiet"]
        if job.get("kind") == "retime":   # a stored study's timings re-measured: no spec, nothing trained
            return self.retime_command + [job["study_id"]] + tail
        argv = self.command + [str(q.path(jid, ".toml"))] + tail
        if job.get("executor", "pool") == "ray":
            address = cluster_address(job.get("cluster", ""))
            argv += ["--executor", "ray"] + (["--address", address] if address else [])
        return argv

    def _signal(self, job: dict, proc: subprocess.Popen | None) -> None:
        """SIGTERM to the job process's process group (its session), SIGKILL if it lingers."""
        pid = proc.pid if proc is not None else job.get("pid")
        first = job.get("cancel_sent")
        sig = signal.SIGKILL if first and time.time() - first > KILL_AFTER_S else signal.SIGTERM
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig) if hasattr(os, "killpg") else os.kill(pid, sig)
        if not first:
            self.queue.update(job["job_id"], cancel_sent=time.time())

    # ---- the page's actions (each followed by a round, so the page sees the result)
    def submit(self, spec: StudySpec, executor: str = "pool", cluster: str = "", confirmed: bool = False,
               pair: str = "") -> dict:
        job = self.queue.submit(spec, executor, cluster, confirmed, pair)
        self.tick()
        return self.queue.get(job["job_id"]) or job

    def retime(self, study_id: str, name: str, device: str = "auto") -> dict:
        job = self.queue.submit_retime(study_id, name, device)
        self.tick()
        return self.queue.get(job["job_id"]) or job

    def cancel(self, job_id: str) -> dict:
        self.queue.cancel(job_id)
        self.tick()
        return self.queue.get(job_id) or {}

    def resume(self, job_id: str, confirmed: bool = False) -> dict:
        self.queue.resume(job_id, confirmed)
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
        """Stop the loop (job processes keep running; the next manager adopts them) and release the queue."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._owner_file is not None:
            self._owner_file.close()
            self._owner_file = None
