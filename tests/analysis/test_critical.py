"""Compare's B_simple and B_crit across studies: one row per study and quantity, with the intervals the pages
print, drawn as points with interval bars on a log₂ axis."""
import json

import pandas as pd
import pytest

from studies.analysis import b_simple, scaling
from studies.analysis.critical import critical_sizes
from studies.charts import to_vega_lite
from studies.charts.fit import critical_sizes_chart
from studies.storage.store import open_store
from tests.test_pages_fair import _study


def test_each_study_gives_its_b_simple_and_b_crit_with_the_intervals_its_pages_print(tmp_path):
    sid = _study(tmp_path, "a", missed=0)
    s = open_store(tmp_path)
    runs, epochs = s.load_table(sid), s.load_table(sid, "epochs")
    runs = runs.assign(noise_scale=[100.0 * (i + 1) for i in range(len(runs))])   # a B_simple per run
    table = critical_sizes({"a": (runs, epochs), "empty": (runs.iloc[:0], epochs.iloc[:0])})
    groups = b_simple.per_group(runs)                                       # per optimizer, final weights
    assert groups and len(table[table.quantity.str.startswith("B_simple")]) == len(groups)
    est = groups[0]["est"]
    mine = table[table.quantity == f"B_simple · {groups[0]['optimizer']}"].iloc[0]
    assert mine.study == "a"
    assert [mine.value, mine.low, mine.high] == pytest.approx([est.value, est.low, est.high], nan_ok=True)
    fits = [f for f in scaling.fit_study(runs) if not f["beyond"] and scaling.kind_of(f) == "b_crit"]
    assert len(table[table.quantity.str.startswith("B_crit")]) == len(fits)
    assert set(table.study) == {"a"}                                        # a study without runs: no row
    spec = json.dumps(to_vega_lite(critical_sizes_chart(table)))
    assert '"type": "rule"' in spec and '"x2": {"field": "high"' in spec and '"type": "log"' in spec


def test_a_quantity_without_an_interval_is_a_point_without_a_bar():
    table = pd.DataFrame({"study": ["s"], "quantity": ["B_simple"], "value": [64.0], "low": [float("nan")],
                          "high": [float("nan")]})
    rows = [r for d in to_vega_lite(critical_sizes_chart(table))["datasets"].values() for r in d]
    assert rows[0]["low"] == rows[0]["high"] == 64.0
