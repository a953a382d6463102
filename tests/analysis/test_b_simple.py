"""B_simple at one stage (the final weights), per optimizer × budget, with a bootstrap that resamples seeds:
known answers, and no probe of the epochs table counted (the epoch-0 probe is shared by a seed's batch sizes)."""
import math

import numpy as np
import pandas as pd
import pytest

from studies.analysis import b_simple
from studies.analysis.conclusions import summary_table
from studies.i18n import language


def _runs(values=None, optimizers=("adam",), seeds=(0, 1, 2)):
    """Every run of seed s ends with B_simple values[s] (so the seed, not the run, is the unit that varies)."""
    values = values or {0: 100.0, 1: 200.0, 2: 400.0}
    return pd.DataFrame([dict(run_id=f"{o}-{b}-{s}", optimizer=o, shuffle=True, batch_size=b, lr=0.01, seed=s,
                              status="done", reached_target=True, target_train_loss=0.01, train_loss=0.009, steps=100 + b,
                              noise_scale=values[s], noise_scale_init=7.0)
                         for o in optimizers for b in (16, 64, 256, 1024) for s in seeds])


def test_a_seed_bootstrap_of_three_seeds_spans_the_seeds_known_answer():
    """Seeds at 100, 200, 400: geometric mean 200; a resample is all three seeds' runs at once, so the 2.5 %
    and 97.5 % quantiles are the all-100 and all-400 resamples (each 1/27 > 2.5 % likely)."""
    [g] = b_simple.per_group(_runs())
    assert g["est"].value == pytest.approx(200.0) and g["est"].n == 12 and g["seeds"] == 3
    assert (g["est"].low, g["est"].high) == (pytest.approx(100.0), pytest.approx(400.0))
    # resampling the 12 runs as if independent would be far narrower: the seeds are the unit
    runs = b_simple.seed_bootstrap(_runs().noise_scale, range(len(_runs())))   # each run its own "seed"
    assert runs.high / runs.low < g["est"].high / g["est"].low


def test_final_weights_only_no_probe_counted_and_one_row_per_optimizer():
    runs = _runs(optimizers=("adam", "momentum"))
    runs.loc[runs.optimizer == "momentum", "noise_scale"] *= 10
    epochs = pd.DataFrame([dict(run_id=r, epoch=0, noise_scale=5.0) for r in runs.run_id])   # the shared probe
    s = summary_table(runs, epochs)
    rows = s[s.measure == "b_simple"].set_index("optimizer")
    assert rows.loc["adam", "mean"] == pytest.approx(200.0) and rows.loc["momentum", "mean"] == pytest.approx(2000.0)
    assert "final weights" in rows.loc["adam", "note"] and rows.loc["adam", "interval"] == b_simple.BOOTSTRAP
    assert b_simple.rule(runs) is None and b_simple.rule(runs[runs.optimizer == "adam"])[0] == pytest.approx(200.0)
    [adam, momentum] = b_simple.texts(runs)
    assert adam.startswith("B_simple (adam) ≈ 200 at the final weights (95 % bootstrap interval over seeds 100–400")
    with language("zh"):
        assert "最终权重" in b_simple.texts(runs)[0]


def test_fewer_than_three_seeds_give_no_interval_and_a_missed_run_is_left_out():
    runs = _runs(seeds=(0, 1))
    [g] = b_simple.per_group(runs)
    assert g["est"].value == pytest.approx(math.sqrt(100 * 200)) and not g["est"].has_interval
    runs = _runs()
    runs.loc[0, ["reached_target", "noise_scale"]] = [False, 1e6]
    [g] = b_simple.per_group(runs)
    assert g["left"] == 1 and g["est"].n == 11 and g["est"].value < 300
