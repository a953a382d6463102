"""benchmarks/training.py's parts run on tiny sizes, and its report (training_report.py) has a table for what the
run measured and nothing else (a smoke test, not a timing)."""
import os

import pytest
import torch

from benchmarks import training as bench
from benchmarks.training_report import markdown


def test_flops_count_no_input_gradient_for_the_first_layer():
    data = bench.synthetic_mnist(n=64, n_test=8, features=10, classes=3)
    # widths 10 → 4 → 3: layers 40 and 12 MACs; fwd 2·52, weight grads 2·52, input grad of layer 2 only: 2·12
    assert bench.mlp_flops_per_sample(data, hidden=(4,)) == 2 * 52 + 2 * 52 + 2 * 12


@pytest.mark.slow
def test_loops_train_the_same_run_and_race_reports_every_loop():
    data = bench.synthetic_mnist(n=256, n_test=32, features=16, classes=4)
    run = bench.run_for(data, 32, "adam", hidden=(8,))
    typical = bench.TypicalLoop(run, data)
    before = [p.detach().clone() for p in typical.model.parameters()]
    got = bench.race({"typical": (typical, 1)}, budget_s=0.001, repeats=1)
    assert set(got) == {"typical"} and got["typical"][0] > 0 and 1 <= got["typical"][1] <= len(typical.bounds)
    assert any(not torch.equal(a, b) for a, b in zip(before, typical.model.parameters()))   # it trained


@pytest.mark.slow
def test_tables_and_report_on_tiny_sizes(tmp_path):
    rate = bench.matmul_rate(1, shapes=((64, 64, 64),), seconds=0.01)
    peaks = {t: rate for t in range(1, (os.cpu_count() or 1) + 1)}
    data = bench.synthetic_mnist(n=512, n_test=64, features=32, classes=10)
    rows = bench.bench_single(data, peaks, batch_sizes=(8, 128, 4096), optimizers=("sgd",), hidden=(16,),
                              budget_s=0.002, repeats=1)
    assert [r["batch"] for r in rows] == [8, 128]   # larger than the set: left out
    assert all(r["speedup"] > 0 and 0 < r["peak_frac"] for r in rows)
    stacks = bench.bench_stacks(batch_sizes=(16,), optimizers=("sgd",), seeds=2, workers=2, budget_s=0.002,
                                repeats=1)
    assert stacks[0]["parallel_us"] > 0 and stacks[0]["k"] >= 1
    res = {"machine": bench.machine(), "date": "today", "minutes": 0.1, "load_after": (0.0, 0.0, 0.0),
           "peaks": peaks, "single": {data.name: rows}, "stacks": stacks, "repeats": 1, "batch_sizes": (8, 128, 4096),
           "study": {"runs": 2, "run_steps": 10, "previous_s": 2.0, "serial_s": 1.0, "pool_s": 0.5, "what": "x"},
           "quick": {"with_measure_s": 50.0, "no_measure_s": 20.0}}
    text = markdown(res, "python -m benchmarks.training")
    for heading in ("# Benchmarks", "## One run, epoch time", "## Eight seeds", "## A whole study",
                    "## examples/quick.toml", "## Goals"):
        assert heading in text
    assert "`python -m benchmarks.training`" in text and "| sgd | 8 |" in text and "1 repeat, medians" in text
    assert "4096 exceed the training set" in text


def test_the_report_writes_only_what_its_run_measured():
    """A run that skipped the stacks, the study and quick.toml gets no table, no goal and no prose about them,
    and no fixed notes with numbers some other run took."""
    row = dict(dataset="digits", optimizer="sgd", batch=64, steps=28, typical_s=0.02, typical_threads=2,
               typical_default_s=0.02, lean_s=0.01, engine_s=0.005, threads=1, speedup=4.0, vs_lean=2.0,
               typical_us_step=700.0, engine_us_step=180.0, samples_s=3.6e5, engine_gflops=12.0, peak_frac=0.3,
               typical_steps=28, lean_steps=28, engine_steps=28)
    res = {"machine": {"cpu": "x", "cores": 2, "capability": "AVX2", "platform": "linux", "python": "3",
                       "torch": "2"}, "date": "today", "minutes": 0.1, "load_after": (0.0, 0.0, 0.0),
           "peaks": {1: 40.0}, "single": {"digits": [row]}, "repeats": 3, "batch_sizes": (64,)}
    text = markdown({**res, "machine": {**res["machine"], "load": (0.0, 0.0, 0.0)}}, "python -m benchmarks.training")
    assert "## One run, epoch time: digits" in text and "3 repeats, medians" in text and "**4.00×**" in text
    for absent in ("## Eight seeds", "## A whole study", "quick.toml", "## Notes", "µs instead of", "GPU",
                   "8 seeds, batch 1"):
        assert absent not in text, absent


def test_each_writer_keeps_to_its_own_section_of_benchmarks_md(tmp_path):
    from benchmarks.sections import sections, write_section
    path = tmp_path / "BENCHMARKS.md"
    write_section(path, "measure", "## Measurement cost\n\n`python -m benchmarks.measurements --write`: 1 s")
    write_section(path, "engine", "Made by `python -m benchmarks.training`: 3×", first=True)
    write_section(path, "measure", "## Measurement cost\n\n`python -m benchmarks.measurements --write`: 0.5 s")
    write_section(path, "engine", "Made by `python -m benchmarks.training`: 4×", first=True)
    text = path.read_text()
    assert text.startswith("# Benchmarks\n") and sections(path) == ["engine", "measure"]
    assert "4×" in text and "3×" not in text and "0.5 s" in text and ": 1 s" not in text


@pytest.mark.slow
def test_the_norm_benchmark_times_every_engine_and_writes_its_table():
    from benchmarks import norm
    rows = norm.bench(batch_sizes=(8, 32), optimizers=("momentum",), budget_s=0.002, repeats=1)
    assert [r["batch"] for r in rows] == [8, 32]
    assert "ghost@1" not in rows[0] and rows[1]["ghost@1"] > 0   # B = 8 ≤ 16: ghost is batch norm, not timed
    assert all(r[k] > 0 for r in rows for k in ("none@1", "batch@1", "none@8", "batch@8", "plain batch"))
    text = norm.markdown(rows, "python -m benchmarks.norm", 0.1)
    assert "## Batch norm on vs off" in text and "| momentum | 8 |" in text and "`python -m benchmarks.norm`" in text
