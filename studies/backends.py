"""Where runs execute. A backend maps jobs to RunOutcomes; only the driver (the caller) writes the store.

- local: the whole machine (studies/pool.py): stacked seeds, small batches side by side in worker processes,
  large batches alone with all threads, epoch times from a timing pass with the device to itself.
- serial: this process, one run after another, so every run has the device to itself while it is timed.
- ray: one Ray task per run on a cluster (studies/ray_backend.py), outcomes streamed back as they finish.
"""
from __future__ import annotations

from typing import Iterator

from .runner import RunOutcome, execute_run


class BackendError(ValueError):
    """A backend that cannot start; the message says what to change."""


class LocalBackend:
    """Runs in this process, in order: honest epoch timings, progress events per epoch."""

    def map(self, jobs, emit) -> Iterator[tuple[object, RunOutcome]]:
        for i, (run, measure, weights, train) in enumerate(jobs):
            emit({"event": "run_start", "index": i, "todo": len(jobs), "run_id": run.run_id,
                  "label": run.label, "epochs": run.epochs if train else 0, "train": train})

            def on_epoch(row, run=run):
                emit({"event": "epoch", "run_id": run.run_id, **row})

            if train:
                outcome = execute_run(run, measure, on_epoch=on_epoch)
            else:
                outcome = execute_run(run, measure, weights=weights, train=False)
            yield run, outcome


def get_backend(name: str, **options):
    if name == "local":
        from .pool import PoolBackend
        return PoolBackend(**options)
    if name == "serial":
        return LocalBackend()
    if name == "ray":
        from .ray_backend import RayBackend
        import inspect
        unknown = set(options) - set(inspect.signature(RayBackend).parameters)
        if unknown:
            raise BackendError(f"executor ray: unknown option(s) {', '.join(sorted(unknown))}")
        return RayBackend(**options)
    raise BackendError(f"executor: {name!r} is not one of local, serial, ray")
