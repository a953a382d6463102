"""benchmarks.gpu: says it skipped where there is no CUDA device (exit 0, nothing written), and its timing code
runs (on the CPU at toy sizes) so the first GPU machine finds it working."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA machine runs the benchmark itself")
def test_without_cuda_it_says_it_skipped_and_exits_0():
    before = (ROOT / "BENCHMARKS.md").read_text()
    p = subprocess.run([sys.executable, "-m", "benchmarks.gpu", "--write"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0 and "no CUDA device here - skipped" in p.stdout
    assert (ROOT / "BENCHMARKS.md").read_text() == before


@pytest.mark.slow
def test_the_timing_code_runs_on_the_cpu_at_toy_sizes(capsys):
    from benchmarks import gpu
    assert gpu.main(["--cpu"]) == 0
    out = capsys.readouterr().out
    assert "| 8 | fp32 |" in out and "| 8 | bf16 |" in out and "made-up data in CIFAR-10 binary layout (40 + 8" in out
