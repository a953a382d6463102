"""A page per run (/Run?run=ID), the runs table's links to it, and Curvature's one line for what a study did
not measure, with its one action (AppTest)."""
import pytest

from studies.office.job_queue import JobQueue
from studies.storage.store import open_store
from tests.test_pages import charts, open_page, text

pytestmark = pytest.mark.usefixtures("restore_main")


def test_a_run_link_opens_that_run_s_page_with_its_curves_measures_and_weights(fixture_store, monkeypatch):
    root, spec = fixture_store
    runs = open_store(root).load_table(spec.study_id)
    rid = runs.run_id.iloc[3]
    at = open_page("pages/9_Run.py", root, monkeypatch, {"run": rid[:8]})    # no study: the one that has it
    assert not at.exception and not at.error, text(at.error)
    assert at.query_params["run"] == rid and at.query_params["study"] == spec.study_id
    assert rid in text(at.markdown) and "Stopped" in text(at.markdown)
    assert len(charts(at)) >= 2                                              # loss and accuracy per epoch
    settings = [d.value for d in at.dataframe if "setting" in d.value.columns][0]
    assert rid in set(settings.value)
    assert any(b.label.startswith("Final weights") for b in at.get("download_button"))


def test_a_run_not_in_the_study_says_so_and_shows_the_first(fixture_store, monkeypatch):
    root, spec = fixture_store
    at = open_page("pages/9_Run.py", root, monkeypatch, {"run": "00000000", "study": spec.study_id})
    assert not at.exception and "not in this study" in text(at.warning)


@pytest.mark.slow
def test_the_runs_table_links_each_run_to_its_page(fixture_store, monkeypatch):
    root, spec = fixture_store
    at = open_page("pages/4_Generalization.py", root, monkeypatch, {"study": spec.study_id})
    table = at.dataframe(key="runs_table").value
    assert (table["page"] == "Run?run=" + table["run_id"] + "&study=" + spec.study_id).all()


@pytest.mark.slow   # the click queues a job, which the manager starts
def test_curvature_says_what_is_not_measured_in_one_line_and_queues_it_on_the_stored_runs(fixture_store, monkeypatch,
                                                                                         tmp_path):
    import shutil
    root = tmp_path / "store"
    shutil.copytree(fixture_store[0], root)
    spec = fixture_store[1]
    at = open_page("pages/8_Curvature.py", root, monkeypatch, {"study": spec.study_id})
    offers = [i.value for i in at.info if "Not measured in this study" in i.value]   # beside it: "A fixed budget"
    assert not at.exception and len(offers) == 1, [i.value for i in at.info]
    assert "\\" not in text(at.info)
    at.button(key="offer_measure").click().run()
    assert "Queued" in text(at.success)
    queued = JobQueue(root).jobs()
    assert len(queued) == 1
    for j in queued:   # the job manager may have started it: stop it, this test only reads the spec
        JobQueue(root).cancel(j["job_id"])
    import tomllib
    measure = tomllib.loads(JobQueue(root).path(queued[0]["job_id"], ".toml").read_text())["measure"]
    assert measure["critical"] and measure["spectrum"] and measure["rescale_audit"] and measure["hessian"]


@pytest.mark.slow
def test_curvature_s_verdict_table_links_each_run_to_its_page(measured_store, monkeypatch):
    root, specs = measured_store
    sid = specs[0].study_id
    at = open_page("pages/8_Curvature.py", root, monkeypatch, {"study": sid})
    assert not at.exception
    tables = [d.value for d in at.dataframe if "page" in d.value.columns]
    assert tables, "no verdict table with run links"
    stored = set(open_store(root).load_table(sid).run_id)
    ids = tables[0]["page"].str.extract(r"^Run\?run=([0-9a-f]+)&study=" + sid + "$")[0]
    assert ids.notna().all() and set(ids) <= stored and len(ids) == len(tables[0])
