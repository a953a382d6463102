"""The Ray executor: one Ray task per run, outcomes streamed back as they finish; only the driver writes.

Each task runs ``execute_run`` (pure: no store access) on a worker and returns its RunOutcome; the driver
(``run_study``) stores each one as it arrives, so progress and storage are incremental and a study stopped
half-way keeps what finished. Resources: a run on a GPU takes one whole GPU, so its epoch timings are its
own (``timing = "solo"``); ``gpus_per_run`` below 1 packs several runs on a GPU — Ray's fractional GPUs are
admission control, not isolation — and marks their timings ``"shared-gpu"``. Runs on CPU take
``cpus_per_run`` cores each and share the node with other runs (``"shared-cpu"``).

A task that raises, a worker that dies and a node that is lost all come back as a failed row (retried on
the next run), never as a lost study. The driver's copy of ``studies`` is shipped to the workers
(``py_modules``), so workers run the same code as the driver whatever their working directory.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import socket
import stat
from pathlib import Path
from typing import Callable, Iterator

from ..spec.config import ExecutorError
from .worker import RunJob, RunOutcome, failed_outcome

STUDIES_DIR = str(Path(__file__).resolve().parents[1])   # the studies package, shipped whole
MAX_IN_FLIGHT = 1000   # tasks submitted ahead of the results; more wait in the driver (bounded memory)


def _task(job: RunJob, timing: str, cpus: int, run_fn: Callable | None):
    """Runs on a worker: one run, timed on the resources Ray gave it."""
    import os
    os.environ["BATCHSCOPE_THREADS"] = str(cpus)        # torch threads = the CPUs this task holds
    from ..engine.data import load_dataset
    from .worker import execute_run
    run = job.run
    if run.dataset.startswith("csv:") and run.data_fingerprint:
        found = load_dataset(run.dataset, run.data, "cpu").fingerprint
        if found != run.data_fingerprint:
            raise ValueError(f"{run.dataset[4:]} on this worker differs from the driver's file "
                             f"({found} != {run.data_fingerprint}); put the same file at the same path on "
                             "every node, or ship it with runtime_env working_dir")
    fn = run_fn or execute_run
    outcome = fn(run, job.measure, weights=job.weights, train=job.train)
    if outcome.row is not None and not outcome.failed:
        outcome.row["timing"] = timing
        outcome.row["executor"] = "ray"
    return outcome


def job_runtime_env(extra: dict | None = None) -> dict:
    """A runtime_env that ships this ``studies`` package to the workers (for callers of ``ray.init``)."""
    env = dict(extra or {})
    env["py_modules"] = [*env.get("py_modules", []), STUDIES_DIR]
    return env


def private_token(path: Path | None = None) -> bool:
    """Make the token a local Ray writes (``~/.ray/auth_token``, 0644 as Ray 2.60 leaves it) readable by its
    owner only: Ray's token auth is what guards its ports, which listen on every interface whatever
    ``_node_ip_address`` says (RELIABILITY.md). True when the file is now private."""
    path = path or Path.home() / ".ray" / "auth_token"
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            return False
        os.chmod(path, 0o600)
        return True
    except (OSError, AttributeError):
        return False


def _reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on an address nothing listens on (ray.init itself retries for minutes)."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"--address {address!r} is not HOST:PORT (or ray://HOST:PORT, or auto)")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as e:
        raise ExecutorError(f"cannot reach a Ray cluster at {address} ({e.__class__.__name__}); start one with "
                           "`ray start --head` on that machine, or check the address and port") from None


def _error_text(err: Exception) -> str:
    """One line for the runs table's error column."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, Exception):
        err = cause
    first = (str(err).strip().splitlines() or [""])[0]
    return f"ray: {err.__class__.__name__}: {first}"[:500]


class RayExecutor:
    """``get_executor("ray", address=..., gpus_per_run=..., cpus_per_run=..., runtime_env=...)``.

    address: None starts a local Ray (or joins the one $RAY_ADDRESS names); "auto" joins the local
    cluster ``ray start`` made; "HOST:6379" or "ray://HOST:10001" a remote one. gpus_per_run: None = one
    whole GPU per run when the cluster has GPUs; a fraction in (0, 1) shares them. runtime_env: the job's
    (e.g. ``{"working_dir": ".", "pip": [...]}``), with the driver's ``studies`` added to ``py_modules``
    unless ``ship_code=False``; Ray takes it only in ``ray.init``, so a caller that starts Ray itself passes
    ``runtime_env=job_runtime_env()`` there. run_fn replaces ``execute_run`` (tests inject failures).
    """

    def __init__(self, address: str | None = None, gpus_per_run: float | None = None, cpus_per_run: int = 1,
                 runtime_env: dict | str | None = None, ship_code: bool = True, max_retries: int = 0,
                 num_cpus: int | None = None, run_fn: Callable | None = None):
        if gpus_per_run is not None and not (isinstance(gpus_per_run, (int, float)) and 0 < gpus_per_run <= 1):
            raise ExecutorError(f"gpus_per_run: {gpus_per_run!r} is not in (0, 1]; a run uses at most one GPU")
        if not (isinstance(cpus_per_run, int) and cpus_per_run >= 1):
            raise ExecutorError(f"cpus_per_run: {cpus_per_run!r} is not a whole number ≥ 1")
        if isinstance(runtime_env, str):
            try:
                runtime_env = json.loads(runtime_env)
            except ValueError as e:
                raise ExecutorError(f"runtime_env is not JSON ({e})") from None
        if runtime_env is not None and not isinstance(runtime_env, dict):
            raise ExecutorError("runtime_env must be a JSON object, e.g. {\"working_dir\": \".\"}")
        self.address, self.gpus_per_run, self.cpus_per_run = address, gpus_per_run, cpus_per_run
        self.runtime_env = job_runtime_env(runtime_env) if ship_code else dict(runtime_env or {})
        self.max_retries, self.num_cpus, self.run_fn = max_retries, num_cpus, run_fn

    # ---- the cluster
    def _ray(self):
        try:
            import ray
        except ImportError:
            raise ExecutorError("the ray executor needs Ray: pip install \"ray>=2.9\"") from None
        if not ray.is_initialized():
            if self.address and self.address not in ("auto", "local"):
                _reachable(self.address)
            local = {"num_cpus": self.num_cpus} if not self.address else {}
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING, runtime_env=self.runtime_env, **local)
            except Exception as e:  # noqa: BLE001 - any start-up failure is one line for the user
                raise ExecutorError(f"could not start or join Ray ({_error_text(e)})") from None
            if not self.address:
                private_token()
        return ray

    def resolve_device(self, requested: str):
        """auto → cuda when the cluster has GPUs (the driver may have none), else cpu."""
        import torch
        gpus = self._ray().cluster_resources().get("GPU", 0)
        if requested in ("auto", "cuda") and gpus > 0:
            return torch.device("cuda")
        if requested == "cuda":
            raise ExecutorError("device: cuda was asked for but the Ray cluster has no GPUs; use auto or cpu")
        if requested == "mps":
            raise ExecutorError("device: mps cannot be scheduled through Ray; use auto or cpu")
        return torch.device("cpu")

    def _options(self, run) -> tuple[dict, str]:
        if run.device == "cuda":
            g = self.gpus_per_run or 1
            return {"num_cpus": self.cpus_per_run, "num_gpus": g}, "solo" if g >= 1 else "shared-gpu"
        return {"num_cpus": self.cpus_per_run, "num_gpus": 0}, "shared-cpu"

    # ---- the runs
    def map(self, jobs: list[RunJob], emit) -> Iterator[tuple[object, RunOutcome]]:
        # tasks see only their own run, so a sweep's board would prune nothing: it stays here
        jobs = [dataclasses.replace(job, board=None) for job in jobs]
        if not jobs:
            return
        ray = self._ray()
        remote = ray.remote(_task)
        emit({"event": "executor", "executor": "ray", "tasks": len(jobs),
              "cluster": {k: v for k, v in ray.cluster_resources().items() if k in ("CPU", "GPU")}})
        queue, refs, done = list(enumerate(jobs)), {}, 0
        try:
            while queue or refs:
                while queue and len(refs) < MAX_IN_FLIGHT:
                    i, job = queue.pop(0)
                    run, train = job.run, job.train
                    opts, timing = self._options(run)
                    ref = remote.options(**opts, max_retries=self.max_retries, name=f"batchscope {run.label}").remote(
                        job, timing, max(1, math.floor(opts["num_cpus"])), self.run_fn)
                    refs[ref] = (i, run, train)
                ready, _ = ray.wait(list(refs), num_returns=1)
                for ref in ready:
                    i, run, train = refs.pop(ref)
                    try:
                        outcome = ray.get(ref)
                    except ray.exceptions.RayError as e:   # task raised, worker died, node lost
                        outcome = failed_outcome(run, _error_text(e))
                    done += 1
                    emit({"event": "run_start", "index": i, "todo": len(jobs), "run_id": run.run_id,
                          "label": run.label, "epochs": run.epochs if train else 0, "train": train,
                          "finished": done})
                    if outcome.epochs is not None and "epoch" in outcome.epochs:   # replayed for progress views
                        for row in outcome.epochs[outcome.epochs.epoch >= 1].to_dict("records"):
                            emit({"event": "epoch", "run_id": run.run_id, "replayed": True, **row})
                    yield run, outcome
        finally:
            for ref in refs:   # stopped early (Ctrl-C, an error in the driver): do not leave work running
                ray.cancel(ref, force=True)
