"""The Jobs page's live view: the time left shown from a smoothed reading, the live curves the CLI writes into
the progress file, and what a planted progress file may put in them."""
import json

import pytest

from studies.office.jobfile import MAX_CURVE, clean_progress
from studies.office.progress import HALF_LIFE_S, live_curves, smoothed_remaining


def test_the_shown_time_left_counts_down_and_moves_halfway_to_a_new_reading_in_one_half_life():
    assert smoothed_remaining(None, 100.0, now=0.0) == 100.0            # the first reading is shown as it is
    assert smoothed_remaining((100.0, 0.0), None, now=5.0) is None      # no reading: nothing to show
    # 100 s shown at t=0; at t=10 the clock says 90, the reading says 30: halfway, 60
    assert smoothed_remaining((100.0, 0.0), 30.0, now=HALF_LIFE_S) == pytest.approx(60.0)
    # a steady pace: the reading is the countdown itself, and the shown value stays on it
    assert smoothed_remaining((100.0, 0.0), 97.0, now=3.0) == pytest.approx(97.0)
    # a swing 24 s → 120 s for one second moves the shown value by a few seconds, not to 2 min
    assert smoothed_remaining((24.0, 0.0), 120.0, now=1.0) < 32.0


def test_the_cli_writes_each_run_s_curve_and_the_page_reads_it(tmp_path):
    from studies.cli import CURVE_POINTS, _Progress
    path = tmp_path / "p.json"
    prog = _Progress(quiet=True, json_path=str(path))
    prog({"event": "study_start", "study_id": "s", "name": "n", "total": 1, "todo": 1, "device": "cpu"})
    prog({"event": "run_start", "run_id": "r1", "label": "sgd B=8 fixed order seed=0", "epochs": 1000})
    for e in range(1, 501):
        prog({"event": "epoch", "run_id": "r1", "epoch": e, "train_loss": 1.0 / e, "test_acc": float("nan")})
    prog({"event": "run_end", "run_id": "r1", "done": 1, "status": "done", "epochs": 500})
    rows = live_curves(clean_progress(json.loads(path.read_text())))
    assert CURVE_POINTS // 2 <= len(rows) <= CURVE_POINTS + 1
    assert rows[0]["epoch"] == 1 and rows[-1]["epoch"] == 500              # first and last kept when thinned
    assert [r["epoch"] for r in rows] == sorted(r["epoch"] for r in rows)
    assert rows[-1]["train_loss"] == pytest.approx(1 / 500) and rows[-1]["test_acc"] is None   # NaN as None
    assert {r["run"] for r in rows} == {"sgd B=8 fixed order seed=0"}


def test_a_planted_curve_keeps_only_numeric_triples_and_at_most_max_curve_points():
    planted = {"runs": {"r": {"state": "training", "curve": [[1, 0.5, 0.9], ["x", 1, 1], [2, "a", 1], [3, None, None],
                                                            [True, 1, 1], [4, 1], 7] + [[5, 1, 1]] * (MAX_CURVE + 10)}}}
    curve = clean_progress(planted)["runs"]["r"]["curve"]
    assert curve[:2] == [[1, 0.5, 0.9], [3, None, None]] and len(curve) <= MAX_CURVE
    assert "curve" not in clean_progress({"runs": {"r": {"state": "training", "curve": "lots"}}})["runs"]["r"]


def test_the_live_curve_chart_names_runs_in_the_page_s_language():
    import pandas as pd
    from studies import i18n
    from studies.charts import to_vega_lite
    from studies.charts.runs import live_curve
    rows = pd.DataFrame(live_curves({"runs": {"r": {"run": "sgd B=8 fixed order seed=0", "state": "training",
                                                   "curve": [[1, 0.5, 0.9], [2, 0.25, 0.95]]}}}))
    with i18n.language("zh"):
        spec = json.dumps(to_vega_lite(live_curve(rows, "train_loss")), ensure_ascii=False)
    assert "固定顺序" in spec and "种子=0" in spec and "fixed order" not in spec
