"""benchmarks/crossing.py on a tiny targeted study: both rules run as whole CLI processes and the table has a
row per repeat with wall and CPU ratios and the final loss / target under each rule (a smoke test, no timing)."""
import re

import pytest

from benchmarks import crossing
from tests.test_papers_bench import TINY


@pytest.mark.slow
def test_the_crossing_benchmark_runs_both_rules_and_reports_their_ratio(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    text = crossing.main(["--reps", "1", "--spec", str(spec)])
    [row] = [line for line in text.splitlines() if line.startswith("| 1 |")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert len(cells) == 9 and cells[3].endswith("×") and cells[6].endswith("×")
    crossing_span = cells[8]            # the crossing rule ends every reached run within [0.8, 1.0] × the target
    lo, hi = (float(x) for x in re.findall(r"[\d.]+", crossing_span)[:2])
    assert 0.8 <= lo <= hi <= 1.0
    assert "Median wall ratio" in text and "CPU" in text
