"""Batchscope's library: batch-size studies as data. ``from studies import StudySpec, run_study, open_store``.

Imports are lazy so that ``studies.config``/``store``/``charts`` load without torch (fast chart pages).
"""
from .config import RunSpec, SpecError, StudySpec
from .store import Store, open_store

__all__ = ["StudySpec", "RunSpec", "SpecError", "run_study", "open_store", "Store"]


def __getattr__(name):
    if name == "run_study":
        from .runner import run_study
        return run_study
    raise AttributeError(name)
