"""W&B habits on the pages (AppTest): the smoothing of every page that draws curves over training restored from
the link (by its number, ?run_smooth=3, or its label in either language: ui.links), and the runs table filtered on
any column, its columns picked, spanning the studies on Compare. The column pick is a bound widget: its link holds
the columns as the widget shows them (Streamlit's query-params binding), "test accuracy"."""
import json

import pytest

from studies.storage.store import open_store
from tests.test_pages import charts, open_page, text
from tests.test_pages_zh_live import running_job  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("restore_main")


def _layers(spec: dict) -> int:
    return len(spec.get("layer", [])) or 1


def test_the_run_page_restores_its_smoothing_from_the_link_and_draws_it(fixture_store, monkeypatch):
    root, spec = fixture_store
    rid = open_store(root).load_table(spec.study_id).run_id.iloc[0]
    plain = open_page("pages/9_Run.py", root, monkeypatch, {"run": rid, "study": spec.study_id})
    at = open_page("pages/9_Run.py", root, monkeypatch, {"run": rid, "study": spec.study_id, "run_smooth": "3 epochs"})
    assert not at.exception and not at.error, text(at.error)
    assert at.select_slider(key="run_smooth").value == 3 and at.query_params["run_smooth"] == "3"   # its number
    for lang, said in (("zh", "3"), ("zh", "3 epochs"), ("en", "3 轮")):   # a link made in either language
        other = open_page("pages/9_Run.py", root, monkeypatch, {"run": rid, "study": spec.study_id, "lang": lang,
                                                                "run_smooth": said})
        assert other.select_slider(key="run_smooth").value == 3, (lang, said)
    smoothed, raw = json.loads(charts(at)[0].proto.spec), json.loads(charts(plain)[0].proto.spec)
    assert _layers(smoothed) == 2 and _layers(raw) == 1          # the moving average bold, the measured line faint
    assert '"bind": "scales"' in charts(at)[0].proto.spec       # and it zooms


@pytest.mark.slow
def test_generalization_and_curvature_restore_their_smoothing_from_the_link(measured_store, monkeypatch):
    root, specs = measured_store
    sid = specs[0].study_id
    at = open_page("pages/4_Generalization.py", root, monkeypatch, {"study": sid, "gen_smooth": "5 epochs"})
    assert not at.exception and at.select_slider(key="gen_smooth").value == 5
    at = open_page("pages/8_Curvature.py", root, monkeypatch, {"study": sid, "curv_noise_smooth": "3 points"})
    assert not at.exception and not at.error, text(at.error)
    assert at.select_slider(key="curv_noise_smooth").value == 3


def test_the_runs_table_keeps_the_rows_its_filter_names_and_the_columns_picked(fixture_store, monkeypatch):
    root, spec = fixture_store
    runs = open_store(root).load_table(spec.study_id)
    at = open_page("pages/4_Generalization.py", root, monkeypatch,
                   {"study": spec.study_id, "runs_filter": "batch_size >= 100; optimizer = adam",
                    "runs_cols": ["test accuracy", "seed"]})
    assert not at.exception and not at.error, text(at.error)
    table = at.dataframe(key="runs_table").value
    wanted = runs[(runs.batch_size >= 100) & (runs.optimizer == "adam")]
    assert sorted(table.run_id) == sorted(wanted.run_id) and len(table) == 4
    assert list(table.columns) == ["seed", "test_acc", "run_id", "page"]
    assert at.text_input(key="runs_filter").value == "batch_size >= 100; optimizer = adam"


def test_the_runs_table_shows_its_values_in_chinese_and_filters_on_a_chinese_header(fixture_store, monkeypatch):
    root, spec = fixture_store
    at = open_page("pages/4_Generalization.py", root, monkeypatch,
                   {"study": spec.study_id, "lang": "zh", "runs_filter": "批大小 = 512; 状态 = 已完成"})
    assert not at.exception and not at.error, text(at.error)
    table = at.dataframe(key="runs_table").value
    assert len(table) and set(table.batch_size) == {512}
    assert set(table.status) == {"已完成"} and all(b.startswith("轮数") for b in table.budget)   # not done, epochs:2


def test_a_filter_that_cannot_be_read_is_one_error_line_and_the_table_stays_whole(fixture_store, monkeypatch):
    root, spec = fixture_store
    at = open_page("pages/4_Generalization.py", root, monkeypatch, {"study": spec.study_id, "runs_filter": "lr > fast"})
    assert not at.exception and len(at.error) == 1 and "number" in text(at.error)
    assert len(at.dataframe(key="runs_table").value) == len(open_store(root).load_table(spec.study_id))


@pytest.mark.slow
def test_compare_lists_the_runs_of_every_chosen_study_in_one_table(measured_store, monkeypatch):
    root, specs = measured_store
    ids = ",".join(s.study_id for s in specs)
    at = open_page("pages/6_Compare.py", root, monkeypatch, {"studies": ids})
    assert not at.exception, at.exception
    table = at.dataframe(key="cmp_runs_table").value
    stored = sum(len(open_store(root).load_table(s.study_id)) for s in specs)
    assert table.columns[0] == "study" and table["study"].nunique() == 2 and len(table) == stored
    assert all(f"&study={s.study_id}" in " ".join(table.page) for s in specs)
    assert at.multiselect(key="compare_runs").proto.wrap   # long run labels: every chip whole, on more lines
    at = open_page("pages/6_Compare.py", root, monkeypatch, {"studies": ids, "cmp_runs_filter": "batch_size = 256",
                                                             "compare_smooth": "3 epochs"})
    assert not at.exception and not at.error, text(at.error)
    kept = at.dataframe(key="cmp_runs_table").value
    assert len(kept) and set(kept.batch_size) == {256} and kept["study"].nunique() == 2
    assert at.select_slider(key="compare_smooth").value == 3
    curves = [json.loads(c.proto.spec) for c in charts(at) if '"measured"' in c.proto.spec]
    assert len(curves) == 1 and _layers(curves[0]) == 2      # the run curves: moving average over the measured line


@pytest.mark.slow
def test_the_jobs_live_curves_smooth_as_the_link_says_while_a_job_runs(running_job, monkeypatch):
    import time
    root, _, q, job = running_job
    at = open_page("pages/2_Jobs.py", root, monkeypatch, {"jobs_smooth": "3 epochs"})   # its manager starts the job
    deadline = time.monotonic() + 120
    while not [c for c in charts(at) if "live" in str(c.proto.id) or '"bind": "scales"' in c.proto.spec] \
            and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert not at.exception, at.exception
    live = [json.loads(c.proto.spec) for c in charts(at)]
    assert live, q.log_tail(job["job_id"])
    assert at.select_slider(key="jobs_smooth").value == 3
    assert all(_layers(s) == 2 and '"bind": "scales"' in json.dumps(s) for s in live)
    at.toggle(key="jobs_pause").set_value(True).run()   # paused: no redraw every second, so a zoom holds
    assert not at.exception and len([c for c in charts(at) if '"bind": "scales"' in c.proto.spec]) == len(live)


def test_the_uploaders_own_text_is_drawn_from_the_catalogue_in_chinese_only():
    """Streamlit's uploader takes no text for its button: a stylesheet draws 上传 / the drop hint in its place
    (the browser test checks what a reader sees); English keeps Streamlit's words; the limit line, whose MB
    round up the page's own limits, is hidden in both."""
    from ui.uploader import BUTTON, HINT, LIMIT, stylesheet
    zh = stylesheet("zh")
    assert f'{BUTTON}::after {{content: "上传";' in zh and '"把文件拖到这里"' in zh and f"{HINT} {{font-size: 0" in zh
    en = stylesheet("en")
    assert "::after" not in en and f"{LIMIT} {{display: none" in en and f"{LIMIT} {{display: none" in zh
