from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
pytestmark = pytest.mark.usefixtures("restore_main")   # AppTest leaves the page as __main__


def test_dashboard_lists_the_study_and_draws_its_charts(fixture_store, monkeypatch):
    root, spec = fixture_store
    monkeypatch.setenv("BATCHSCOPE_STORE", str(root))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="study").value == spec.study_id
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 3
    assert at.query_params["study"] == spec.study_id


def test_dashboard_with_an_empty_store_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCHSCOPE_STORE", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "python -m studies run examples/quick.toml" in at.info[0].value
