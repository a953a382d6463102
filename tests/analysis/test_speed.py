"""analysis.speed: time and examples to the target (known answers), their log-scale intervals, the fastest batch
size with the ones within the noise, the device's saturation, and McCandlish's trade-off curve."""
import math

import numpy as np
import pandas as pd
import pytest

from studies.analysis import speed


def runs_table(steps_by_b: dict, step_s: dict, seeds=(0, 1, 2), reached=True) -> pd.DataFrame:
    rows = []
    for b, steps in steps_by_b.items():
        for seed, s in zip(seeds, steps):
            rows.append({"run_id": f"{b:04x}{seed:012x}", "batch_size": b, "optimizer": "adam", "shuffle": True,
                         "seed": seed, "lr": 0.002, "status": "done", "reached_target": reached, "steps": s,
                         "epoch_time_s": step_s[b] * math.ceil(4000 / b), "step_time_s": step_s[b],
                         "samples_per_epoch": 4000, "target_train_loss": 0.05, "train_loss": 0.04,
                         "best_lr": True, "budget": "target", "timing_repeats": 9})
    return pd.DataFrame(rows)


def test_time_and_examples_to_the_target_are_steps_times_step_time_and_batch_size():
    runs = runs_table({16: [1000, 1200, 1100], 256: [200, 210, 190]}, {16: 2e-4, 256: 1e-3})
    runs.loc[runs.index[-1], ["reached_target"]] = False   # a run that missed has neither
    got = speed.with_to_target(runs)
    assert got.time_to_target_s.iloc[0] == pytest.approx(1000 * 2e-4)
    assert got.examples_to_target.tolist()[:5] == [16000, 19200, 17600, 256 * 200, 256 * 210]
    assert np.isnan(got.time_to_target_s.iloc[-1]) and np.isnan(got.examples_to_target.iloc[-1])


def test_summary_rows_are_geometric_means_with_a_log_scale_interval():
    runs = runs_table({16: [1000, 4000], 256: [100, 100]}, {16: 1e-4, 256: 1e-3}, seeds=(0, 1))
    rows = speed.to_target_rows(runs).set_index(["measure", "batch_size"])
    r = rows.loc[("time_to_target_s", 16)]
    assert r["mean"] == pytest.approx(math.sqrt(0.1 * 0.4)) and r.n == 2   # the geometric mean of 0.1 s and 0.4 s
    assert 0 < r.ci_low < r["mean"] < r.ci_high and r.ci_low * r.ci_high == pytest.approx(r["mean"] ** 2)
    same = rows.loc[("examples_to_target", 256)]
    assert same.ci_low == same["mean"] == same.ci_high == pytest.approx(25600)   # identical seeds: zero width


def test_the_fastest_batch_size_names_those_within_the_noise():
    # time to target (s): B=16 ~0.3, B=64 ~0.1 (wide), B=256 ~0.08, B=1024 ~0.4 (narrow): 64 overlaps 256
    runs = runs_table({16: [1500, 1520, 1480], 64: [200, 600, 350], 256: [80, 82, 78], 1024: [40, 41, 39]},
                      {16: 2e-4, 64: 3e-4, 256: 1e-3, 1024: 1e-2})
    rows = speed.speed_rows(runs)
    f = rows[rows.measure == "fastest_batch_size"].iloc[0]
    assert f["mean"] == 256 and (f.ci_low, f.ci_high) == (64, 256)
    assert f.note == "B = 256; 64–256 within the noise"
    assert speed.fastest_sentence(256, [256]) == "B = 256; no other batch size within the noise"
    one = speed.speed_rows(runs_table({16: [1000], 64: [300]}, {16: 1e-4, 64: 2e-4}, seeds=(0,)))
    assert one[one.measure == "fastest_batch_size"].note.iloc[0] == "B = 64; no interval (one seed)"


def test_saturation_is_where_step_time_starts_to_grow():
    runs = runs_table({16: [1], 64: [1], 256: [1], 1024: [1]}, {16: 1e-3, 64: 1.1e-3, 256: 1.2e-3, 1024: 4e-3},
                      seeds=(0,))
    s = speed.saturation(runs).iloc[0]
    assert s.saturation_b == 256 and s.saturated
    flat = speed.saturation(runs_table({16: [1], 64: [1]}, {16: 1e-3, 64: 1e-3}, seeds=(0,))).iloc[0]
    assert flat.saturation_b == 64 and not flat.saturated


def test_the_trade_off_curve_is_mccandlishs_hyperbola():
    c = speed.tradeoff_curve(s_min=500.0, b_crit=200.0, b_lo=8, b_hi=4096)
    s, e = c.steps_to_target / 500.0 - 1, c.examples_to_target / (500.0 * 200.0) - 1
    assert np.allclose(s * e, 1.0)
    assert np.allclose(c.examples_to_target, c.steps_to_target * c.batch_size)
