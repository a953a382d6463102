"""The driver of an lr search that extends itself (``[lr] sgd = "auto"`` / ``"auto:0.01"``): rounds of
runner.run_study until analysis.lr_search adds nothing, then the runs table marks which lrs were added and why.

Round one trains the start grid (lr_search.start_grid around the optimizer's default or the given lr) at every
batch size; each later round trains, per (optimizer, batch size), the lr a factor beyond a best lr that sat at
an edge. Pruning (sweeps.py) ends a run once another lr of its batch size is sure to beat it, so an added lr
that loses costs little. The study id is the spec's (``"auto:0.01"``, not the lrs found), so a re-run walks the
same rounds over stored runs and trains nothing.
"""
from __future__ import annotations

import pandas as pd

from ..analysis import lr_search
from ..spec.lr_auto import auto_optimizers, with_added
from ..storage.store import Store, open_store
from .runner import run_study


def run_auto(spec, store: str | Store | None = None, **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """run_study, with the auto lr search for the optimizers whose lr is "auto" (plain run_study otherwise);
    returns the study's runs and epochs tables."""
    auto = auto_optimizers(spec)
    if not auto:
        return run_study(spec, store, **kwargs)
    store = open_store(store)
    added: dict = {}
    progress = kwargs.get("progress") or (lambda event: None)
    for round_ in range(lr_search.MAX_ROUNDS):
        runs, _ = run_study(with_added(spec, added), store, largest_lr_first=True, **kwargs)
        new = lr_search.to_add(runs, auto, added)
        if not new:
            break
        for key, lrs in new.items():
            added.setdefault(key, {}).update(lrs)
        progress({"event": "lr_search", "round": round_ + 2,
                  "added": sum(len(v) for v in new.values())})
    sid = spec.study_id
    table = store.load_table(sid, "runs")
    store.write_tables(sid, {"runs": [lr_search.annotate(table.drop(columns=["study_id"], errors="ignore"),
                                                          added)]})
    return store.load_study(sid)
