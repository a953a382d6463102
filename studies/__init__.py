"""Batchscope's library: batch-size studies as data. ``from studies import StudySpec, run_study, open_store``.

Imports are lazy so that ``studies.spec.config``/``store``/``charts`` load without torch (fast chart pages).
"""
import sys

if sys.argv[:1] == ["-m"]:   # `python -m studies` is starting: a SIGTERM before the CLI's own handler exits 130
    import os
    import signal
    signal.signal(signal.SIGTERM, lambda *_: os._exit(130))

from .spec.config import RunSpec, SpecError, StudySpec  # noqa: E402
from .storage.store import Store, open_store  # noqa: E402

__all__ = ["StudySpec", "RunSpec", "SpecError", "run_study", "open_store", "Store"]


def __getattr__(name):
    if name == "run_study":
        from .execution.runner import run_study
        return run_study
    raise AttributeError(name)
