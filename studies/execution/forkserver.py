"""The pool's process context, and starting its forkserver early. No torch here, on purpose.

Pool workers fork from a forkserver that has imported torch and the estimators once (~2 s). Started when
the pool first needs a worker, that import happened while the driver waited. The CLI starts it before the
driver imports torch, so the two imports run side by side on two cores. By the time the timing passes run,
the server is idle (they still have the machine to themselves), and workers then fork at once.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time

# torch and the estimators, imported once in the server; workers fork from it (lbfgsb loads scipy's L-BFGS-B
# kernel alone, without the 0.6 s scipy.optimize package)
PRELOAD = ["studies.execution.pool", "studies.measures.measure_run", "studies.measures.landscape",
           "studies.measures.lbfgsb"]


def context():
    """forkserver where the platform has it (never a fork of the driver), else spawn."""
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_early() -> bool:
    """Start the forkserver now (it imports in the background); True if one was started. Only worth it
    where the pool may run: several cores."""
    if (os.cpu_count() or 1) < 2 or context().get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver
    forkserver.ensure_running()
    return True


def wait_ready(timeout: float = 120.0) -> float:
    """Wait until a forkserver started early has finished its imports (it forks only after them); returns the
    seconds waited. Timing passes and solo runs measure epoch times: that import (~2 s of a core, more on a
    busy machine) must not share the cores with them, and on a slow start it outlasted the driver's own."""
    from multiprocessing import forkserver
    if getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None) is None:
        return 0.0
    t0 = time.perf_counter()
    probe = context().Process(target=os.getpid, daemon=True)   # a no-op child: forked once the server listens
    probe.start()
    probe.join(timeout)
    return time.perf_counter() - t0
