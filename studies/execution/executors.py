"""Where runs execute, by name. An executor maps RunJobs to RunOutcomes; only the driver (the caller) writes
the store.

- pool: the whole machine (studies/execution/pool.py): stacked seeds, small batches side by side in worker processes,
  large batches alone with all threads, epoch times from a timing pass with the device to itself. The default.
- serial: this process, one run after another, so every run has the device to itself while it is timed.
- ray: one Ray task per run on a cluster (studies/execution/ray_executor.py), outcomes streamed back as they finish.

"local" is the old name of "pool" (stored job files and scripts still say it) and selects the same executor.
"""
from __future__ import annotations

import inspect
from typing import Iterator

from ..spec.config import ExecutorError
from .worker import RunJob, RunOutcome, execute_run

EXECUTORS = ("pool", "serial", "ray")
ALIASES = {"local": "pool"}


class SerialExecutor:
    """Runs in this process, in order: honest epoch timings, progress events per epoch."""

    def map(self, jobs: list[RunJob], emit) -> Iterator[tuple[object, RunOutcome]]:
        for i, job in enumerate(jobs):
            run = job.run
            emit({"event": "run_start", "index": i, "todo": len(jobs), "run_id": run.run_id,
                  "label": run.label, "epochs": run.epochs if job.train else 0, "train": job.train})

            def on_epoch(row, run=run):
                emit({"event": "epoch", "run_id": run.run_id, **row})

            if job.train:
                outcome = execute_run(run, job.measure, on_epoch=on_epoch, board=job.board)
            else:
                outcome = execute_run(run, job.measure, weights=job.weights, train=False)
            yield run, outcome


def executor_name(name: str) -> str:
    """The executor's name, with the old alias resolved; ExecutorError for an unknown one."""
    name = ALIASES.get(name, name)
    if name not in EXECUTORS:
        raise ExecutorError(f"executor: {name!r} is not one of {', '.join(EXECUTORS)}")
    return name


def get_executor(name: str, **options):
    name = executor_name(name)
    if name == "pool":
        from .pool import PoolExecutor
        return PoolExecutor(**options)
    if name == "serial":
        return SerialExecutor()
    from .ray_executor import RayExecutor
    unknown = set(options) - set(inspect.signature(RayExecutor).parameters)
    if unknown:
        raise ExecutorError(f"executor ray: unknown option(s) {', '.join(sorted(unknown))}")
    return RayExecutor(**options)
