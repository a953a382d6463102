"""AppTest for every page: no exception, charts drawn, the form's checks, launching a job, links, password.

`run_every` never fires in AppTest, so the Jobs test loops at.run(); torch imports make the default 3 s
timeout too short, hence default_timeout=60.
"""
import json
import re
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studies.office.job_queue import JobQueue
from studies.storage.store import open_store

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
pytestmark = pytest.mark.usefixtures("restore_main")
RESULT_PAGES = ["pages/3_Speed.py", "pages/4_Generalization.py", "pages/5_Sharpness.py", "pages/6_Compare.py",
                "pages/8_Curvature.py"]
ALL_PAGES = [None, "pages/1_New_study.py", "pages/2_Jobs.py"] + RESULT_PAGES
# the fast tier opens the home page; the full suite every page
EACH_PAGE = [ALL_PAGES[0]] + [pytest.param(p, marks=pytest.mark.slow) for p in ALL_PAGES[1:]]


def open_page(page, store, monkeypatch, query=None, secrets=None, run=True):
    monkeypatch.setenv("BATCHSCOPE_STORE", str(store))
    at = AppTest.from_file(APP, default_timeout=60)
    if page:
        at.switch_page(page)
    at.query_params.update(query or {})
    at.secrets.update(secrets or {})
    return at.run() if run else at


def charts(at):
    return at.get("vega_lite_chart")


def text(elements):
    """What a viewer reads: the elements' markdown with its backslash escapes resolved (i18n.plain)."""
    return re.sub(r"\\(.)", r"\1", " ".join(e.value for e in elements))


@pytest.mark.parametrize("page", EACH_PAGE)
def test_every_page_runs_on_the_fixture_store(page, fixture_store, monkeypatch):
    root, spec = fixture_store
    at = open_page(page, root, monkeypatch, {"study": spec.study_id})
    assert not at.exception, at.exception
    assert not at.error, text(at.error)


@pytest.mark.parametrize("page,least", [(None, 3), ("pages/3_Speed.py", 3), ("pages/4_Generalization.py", 5),
                                        ("pages/6_Compare.py", 2)])
def test_results_pages_draw_their_charts(page, least, fixture_store, monkeypatch):
    root, spec = fixture_store
    at = open_page(page, root, monkeypatch, {"study": spec.study_id})
    assert len(charts(at)) >= least
    assert at.query_params["study"] == spec.study_id


@pytest.mark.slow
def test_sharpness_page_draws_measurements_landscape_and_interpolation(measured_store, monkeypatch):
    root, specs = measured_store
    at = open_page("pages/5_Sharpness.py", root, monkeypatch, {"study": specs[0].study_id})
    assert not at.exception and not at.error
    assert len(charts(at)) >= 5 + 3, text(at.info)            # ε, adaptive, random, λ_max, trace, slices, surface,
    assert "critical batch size" in text(at.caption)           # interpolation
    assert "one scale for every panel" in text(at.caption) and "5×5 grid" in text(at.caption)
    specs = [json.loads(c.proto.spec) for c in charts(at)]
    surface = [c for c in specs if "hconcat" in c and "B = 32" in str(c) and "B = 256" in str(c)]
    assert surface and surface[0]["resolve"]["scale"]["color"] == "shared"


@pytest.mark.slow
def test_curvature_draws_the_critical_point_test_noise_over_training_and_predictors(measured_store, monkeypatch):
    root, specs = measured_store
    at = open_page("pages/8_Curvature.py", root, monkeypatch, {"study": specs[0].study_id})
    assert not at.exception and not at.error, text(at.error)
    # gradient norm, λ_min, λ_max, the noise scale over training, the predictors; spectrum is off here
    assert len(charts(at)) >= 5, text(at.info)
    assert "minimum ratio" in text(at.markdown) and "Kendall" in text(at.caption)
    assert "spectrum" in text(at.info)
    # a verdict per run, with ‖g‖ beside it and the saddle rule stated; nothing "proves a saddle"
    verdicts = at.dataframe[0].value
    assert "‖g‖" in verdicts.columns and len(verdicts) >= 1
    assert set(verdicts["verdict"]) <= {"negative curvature: not a minimum", "unresolved: |λ_min| within its error",
                                        "no negative curvature resolved (consistent with a minimum)",
                                        "saddle: negative curvature, gradient about zero"}
    assert "about zero" in text(at.caption) and "proves" not in text(at.caption) + text(at.markdown)
    # 4 runs: the predictors caption says why there is no interval
    assert "too few runs for an interval" in text(at.caption)
    # λ_max over training with SGD's threshold 2/η, and the audit table with the invariant measures named
    assert "2/η" in text(at.caption) and any('"field": "threshold"' in json.dumps(json.loads(c.proto.spec))
                                             for c in charts(at))
    audit = [d.value for d in at.dataframe if "ratio" in d.value.columns][0]
    assert set(audit["invariant"]) <= {"yes", "no"} and (audit["logits max diff"] <= 1e-4).all()
    assert "**Invariant**" in text(at.markdown) and "adaptive sharpness" in text(at.markdown)


def test_sharpness_without_measurements_says_how_to_get_them(fixture_store, monkeypatch):
    root, spec = fixture_store
    at = open_page("pages/5_Sharpness.py", root, monkeypatch, {"study": spec.study_id})
    assert "What to measure" in text(at.info) and not at.exception


@pytest.mark.slow
def test_generalization_draws_steps_to_target(measured_store, monkeypatch):
    root, specs = measured_store
    at = open_page("pages/4_Generalization.py", root, monkeypatch, {"study": specs[0].study_id})
    assert "reached the target" in text(at.caption) and "CBS₂₀" in text(at.caption)
    assert len(charts(at)) >= 7, (text(at.error), text(at.info), text(at.caption)[:3000])
    assert "the NQM needs" in text(at.info)          # a target accuracy, not a train loss: no prediction, said
    # a view's selections live in the URL (bind="query-params"): a link with them opens the same view
    at = open_page("pages/4_Generalization.py", root, monkeypatch,
                   {"study": specs[0].study_id, "gen_sizes": ["32"], "gen_metric": "train loss"})
    assert at.multiselect(key="gen_sizes").value == [32] and at.selectbox(key="gen_metric").value == "train_loss"


@pytest.mark.slow
def test_a_link_opens_the_study_it_names(measured_store, monkeypatch):
    root, specs = measured_store
    for key in (specs[1].study_id, "measured-b", specs[1].study_id[:6]):     # id, unique name, id prefix
        at = open_page("pages/3_Speed.py", root, monkeypatch, {"study": key})
        assert at.selectbox(key="study").value == specs[1].study_id, key
    at = open_page("pages/3_Speed.py", root, monkeypatch, {"study": "nonesuch"})
    assert "not here" in text(at.warning) and not at.exception


@pytest.mark.slow
def test_compare_overlays_two_studies(measured_store, monkeypatch):
    root, specs = measured_store
    ids = ",".join(s.study_id for s in specs)
    at = open_page("pages/6_Compare.py", root, monkeypatch, {"studies": ids})
    assert at.multiselect(key="compare_studies").value == [s.study_id for s in specs]
    spec = charts(at)[0].proto.spec
    assert "measured-a" in spec and "measured-b" in spec


def test_the_form_refuses_a_bad_spec_with_the_fields_message(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    assert not at.exception
    at.text_input(key="f_hidden").set_value("256, wide").run()
    assert "**Hidden widths**" in text(at.error) and "'wide'" in text(at.error)   # the form's label
    assert "launch" not in [b.key for b in at.button]                # nothing to launch until it is fixed
    at.text_input(key="f_hidden").set_value("64").run()
    at.text_input(key="f_batch_sizes").set_value("").run()
    assert "Batch sizes" in text(at.error) and "batch_sizes" not in text(at.error)


def test_the_form_shows_every_mistake_at_once(tmp_path, monkeypatch):
    """'abc' in hidden, a batch larger than the training set, seeds 'x' and a width of −4: all four named."""
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    at.text_input(key="f_batch_sizes").set_value("8, 5000").run()
    at.text_input(key="f_seeds").set_value("x").run()
    at.text_input(key="f_hidden").set_value("abc").run()
    errors = text(at.error)
    for needed in ("'abc'", "'x'", "Seeds", "5000 is larger than the training set (1437 examples)"):
        assert needed in errors, (needed, errors)
    at.text_input(key="f_hidden").set_value("-4").run()
    assert "Hidden widths" in text(at.error) and "Seeds" in text(at.error) and "5000" in text(at.error)
    assert "launch" not in [b.key for b in at.button]


def test_ghost_batch_norm_in_the_form_asks_for_its_size_and_goes_into_the_spec(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    assert at.radio(key="f_norm").value == "none" and "f_ghost_batch" not in [n.key for n in at.number_input]
    at.radio(key="f_norm").set_value("ghost").run()
    at.number_input(key="f_ghost_batch").set_value(16).run()
    assert not at.error and not at.exception
    at.text_input(key="f_batch_sizes").set_value("1, 64").run()
    assert "remove batch size 1" in text(at.error) and "launch" not in [b.key for b in at.button]
    at.text_input(key="f_batch_sizes").set_value("64").run()
    assert not at.error


def test_typed_batch_sizes_are_exact(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    at.text_input(key="f_batch_sizes").set_value("8").run()
    assert not at.error and [m.value for m in at.metric][0] == str(1 * 3 * 2)    # 8 only: × 3 optimizers × 2 orders
    at.text_input(key="f_batch_sizes").set_value("8, full").run()
    assert [m.value for m in at.metric][0] == str(2 * 3 * 2) and "full = 1437" in text(at.markdown)
    assert "1024; or full (= 1437" in text(at.caption)          # the hint stops at the training set


def test_a_rejected_toml_disables_launch_until_cleared(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    at.file_uploader(key="toml_upload").upload("bad.toml", b"dataset = 'digits'\nepochs = 'ten'\n").run()
    assert "epochs" in text(at.error)
    assert at.button(key="launch").disabled
    at.file_uploader(key="toml_upload").clear().run()
    assert not at.button(key="launch").disabled and not at.error


def test_a_toml_upload_fills_the_form(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    toml = (Path(__file__).resolve().parents[1] / "examples" / "quick.toml").read_bytes()
    at.file_uploader(key="toml_upload").upload("quick.toml", toml, "application/toml").run()
    assert at.text_input(key="f_name").value == "quick" and at.selectbox(key="f_dataset").value == "mnist1d"
    assert not at.error
    assert [m.value for m in at.metric][0] == "12"       # the grid size: 4 batch sizes × 3 seeds
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    at.file_uploader(key="toml_upload").upload("bad.toml", b"dataset = 'digits'\nepochs = 'ten'\n").run()
    assert "epochs" in text(at.error)
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)    # one line naming a file: text, not a path
    at.file_uploader(key="toml_upload").upload("x.toml", b"examples/quick.toml").run()
    assert "toml" in text(at.error) and at.text_input(key="f_name").value == "study"


def test_a_csv_upload_becomes_the_data_set(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    at.selectbox(key="f_dataset").set_value("csv (upload your own)").run()
    assert "Upload your CSV" in text(at.info) and not at.error
    csv = "a,b,label\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(40))
    at.file_uploader(key="csv_upload").upload("mine.csv", csv.encode(), "text/csv").run()
    assert "40 rows" in text(at.caption) and list((tmp_path / "uploads").glob("*.csv"))
    assert "32 examples" in text(at.error)           # 40 rows → 32 to train on: batch sizes 128 and 512 are refused
    at.text_input(key="f_batch_sizes").set_value("4, 16, full").run()
    assert [m.value for m in at.metric][0] == "18" and "launch" in [b.key for b in at.button]   # a valid spec
    at.file_uploader(key="csv_upload").upload("bad.csv", b"only,two\n1,2\n", "text/csv").run()
    assert "at least 10 rows" in text(at.error)


def fill_tiny_form(at):
    for key, value in [("f_name", "tiny"), ("f_hidden", "8"), ("f_seeds", "0"), ("f_sharpness_eps", "")]:
        at.text_input(key=key).set_value(value)
    at.text_input(key="f_batch_sizes").set_value("512")
    at.multiselect(key="f_optimizers").set_value(["sgd"])
    at.radio(key="f_shuffle").set_value("on")
    at.number_input(key="f_epochs").set_value(1)
    for key in ("f_sharpness_random", "f_sharpness_sam", "f_hessian", "f_landscape", "f_noise_scale"):
        at.checkbox(key=key).uncheck()
    return at.run()


def test_new_study_offers_no_cluster_address_and_no_ray_by_default(tmp_path, monkeypatch):
    """A visitor cannot name a cluster (Ray unpickles what it returns: a stranger's cluster runs code here)."""
    monkeypatch.delenv("BATCHSCOPE_RAY_CLUSTERS", raising=False)
    at = fill_tiny_form(open_page("pages/1_New_study.py", tmp_path, monkeypatch))
    assert not [w for w in at.text_input if "address" in (w.label or "").lower()]
    assert not [r for r in at.radio if r.key == "executor"]          # this machine only
    at.button(key="launch").click().run()
    job = JobQueue(tmp_path).jobs()[0]
    assert (job["executor"], job["cluster"], job["slot"]) == ("pool", "", "cpu")


def test_launch_on_a_configured_ray_cluster_queues_it_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCHSCOPE_RAY_CLUSTERS", "lab=127.0.0.1:1,here=local")
    at = fill_tiny_form(open_page("pages/1_New_study.py", tmp_path, monkeypatch))
    assert not [w for w in at.text_input if "address" in (w.label or "").lower()]
    at.radio(key="executor").set_value("ray").run()
    assert at.selectbox(key="ray_cluster").options == ["lab", "here"]
    at.selectbox(key="ray_cluster").set_value("lab").run()
    at.button(key="launch").click().run()
    job = JobQueue(tmp_path).jobs()[0]
    assert (job["executor"], job["cluster"], job["slot"]) == ("ray", "lab", "ray:lab")
    assert "address" not in job and "127.0.0.1" not in json.dumps(job)


@pytest.mark.slow
def test_launch_queues_a_job_that_the_jobs_page_watches_to_the_end(tmp_path, monkeypatch):
    at = fill_tiny_form(open_page("pages/1_New_study.py", tmp_path, monkeypatch))
    assert not at.error, text(at.error)
    at.button(key="launch").click().run()
    assert "Queued **tiny**" in text(at.success)
    jobs = JobQueue(tmp_path).jobs()
    assert len(jobs) == 1 and jobs[0]["state"] in ("queued", "running")

    at = open_page("pages/2_Jobs.py", tmp_path, monkeypatch)
    deadline = time.monotonic() + 120
    while JobQueue(tmp_path).jobs()[0]["state"] != "done" and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()                                   # what run_every="1s" does in a browser
    at.run()
    assert JobQueue(tmp_path).jobs()[0]["state"] == "done", JobQueue(tmp_path).log_tail(jobs[0]["job_id"])
    assert "1 done" in " ".join(p.proto.text for p in at.get("progress"))   # the fit summary once finished
    sid = jobs[0]["study_id"]
    table = at.dataframe[0].value   # the job's runs: done, each opens its page
    stored = set(open_store(tmp_path).load_table(sid).run_id)
    assert len(table) == 1 and table["page"].str.fullmatch(rf"Run\?run=[0-9a-f]+&study={sid}").all()
    assert {p.split("=")[1].split("&")[0] for p in table["page"]} <= stored
    at = open_page("pages/3_Speed.py", tmp_path, monkeypatch, {"study": jobs[0]["study_id"]})
    assert len(charts(at)) >= 3


@pytest.mark.slow
def test_jobs_page_resumes_an_interrupted_job_and_cancels_it(tmp_path, monkeypatch):
    from studies import StudySpec
    q = JobQueue(tmp_path)
    spec = StudySpec.from_dict({"name": "slow", "dataset": "digits", "batch_sizes": [1], "optimizers": ["sgd"],
                                "shuffle": [True], "epochs": 50, "measure": {"sharpness_eps": []}})
    job = q.submit(spec)
    q.update(job["job_id"], state="interrupted", message="the worker stopped")
    at = open_page("pages/2_Jobs.py", tmp_path, monkeypatch)
    assert "interrupted" in text(at.markdown)
    at.button(key=f"resume_{job['job_id']}").click().run()
    assert q.get(job["job_id"])["state"] == "running"
    at.button(key=f"cancel_{job['job_id']}").click().run()
    deadline = time.monotonic() + 30
    while q.get(job["job_id"])["state"] != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert q.get(job["job_id"])["state"] == "cancelled"


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def throttle(monkeypatch):
    """ui's server-wide password throttle on a fake clock (no test waits), and a client address to set."""
    from ui import gate
    from studies.office.throttle import Throttle
    clock, address = FakeClock(), {"ip": "10.0.0.1"}
    monkeypatch.setattr(gate, "THROTTLE", Throttle(clock=clock))
    monkeypatch.setattr(gate, "_client_address", lambda: address["ip"])
    return clock, address


def login(at, password):
    at.text_input(key="login_password").set_value(password)
    return at.button(key="login_submit").click().run()


@pytest.mark.parametrize("page", EACH_PAGE)
def test_a_shared_password_guards_every_page(page, fixture_store, monkeypatch, throttle):
    root, spec = fixture_store
    clock, _ = throttle
    at = open_page(page, root, monkeypatch, {"study": spec.study_id}, secrets={"password": "s3cret"})
    assert not charts(at) and at.text_input(key="login_password")
    login(at, "guess")
    assert "Wrong password" in text(at.error) and not charts(at)
    clock.t += 1.0                                   # the first lock-out is 1 s
    login(at, "s3cret")
    assert not at.exception and not [t for t in at.text_input if t.key == "login_password"]


def test_wrong_passwords_lock_out_the_address_not_the_session(fixture_store, monkeypatch, throttle):
    """Eight sessions guessing in parallel from one machine share one lock-out; another address does not."""
    root, spec = fixture_store
    clock, address = throttle
    sessions = [open_page(None, root, monkeypatch, secrets={"password": "s3cret"}) for _ in range(3)]
    login(sessions[0], "guess-1")
    for at in sessions[1:]:                          # a fresh session, same address: locked, not compared
        login(at, "s3cret")
        assert "try again in 1 s" in text(at.error) and at.text_input(key="login_password")
    clock.t += 1.0
    login(sessions[1], "guess-2")                     # the second failure doubles the lock-out
    clock.t += 1.5
    login(sessions[2], "s3cret")
    assert "try again in 1 s" in text(sessions[2].error)
    address["ip"] = "10.0.0.2"                        # someone else is not slowed by the guesser
    login(sessions[2], "s3cret")
    assert not [t for t in sessions[2].text_input if t.key == "login_password"]


def test_a_malformed_secrets_file_keeps_every_page_closed(fixture_store, monkeypatch, tmp_path):
    """`password = a long shared phrase` (unquoted) is not TOML: the pages must not open without a password."""
    import streamlit as st
    from streamlit import config
    root, spec = fixture_store
    bad = tmp_path / "secrets.toml"
    bad.write_text("password = a long shared phrase\n")
    before = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(bad)])
    st.secrets._reset()
    try:
        for page in ALL_PAGES:
            at = open_page(page, root, monkeypatch, {"study": spec.study_id})
            assert not at.exception and not charts(at) and not at.dataframe, page
            assert "closed" in text(at.error) and "line 1" in text(at.error) and "shared phrase" not in text(at.error)
    finally:
        config.set_option("secrets.files", before)
        st.secrets._reset()


def test_unreadable_files_are_shown_as_warnings(fixture_store, tmp_path, monkeypatch):
    root, spec = fixture_store
    copy = tmp_path / "store"
    shutil.copytree(root, copy)
    (copy / "studies" / ("ab" * 8)).mkdir()
    (copy / "studies" / ("ab" * 8) / "study.json").write_text("{not json")
    at = open_page(None, copy, monkeypatch)
    assert "could not be read" in text(at.warning) and not at.exception


@pytest.mark.slow
def test_a_1000_run_study_renders_in_under_2_s(big_store, monkeypatch, capsys):
    root, spec = big_store
    timings = {}
    for page in [None] + RESULT_PAGES:
        at = open_page(page, root, monkeypatch, {"study": spec.study_id}, run=False)
        t = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t
        t = time.perf_counter()
        at.run()
        timings[page or "home"] = (round(cold, 2), round(time.perf_counter() - t, 2))
        assert not at.exception and charts(at)
    with capsys.disabled():
        print(f"\n1,000-run study, seconds per page (first view, next view): {timings}")
    assert all(warm < 2.0 for _, warm in timings.values()), timings


def test_a_link_with_lang_zh_opens_in_chinese_and_keeps_it(fixture_store, monkeypatch):
    root, spec = fixture_store
    at = open_page("pages/3_Speed.py", root, monkeypatch, {"study": spec.study_id, "lang": "zh"})
    assert not at.exception and at.title[0].value.endswith("速度")
    assert at.query_params["lang"] == "zh" and "每轮" in text(at.caption)
    at.run()
    assert at.title[0].value.endswith("速度") and at.query_params["lang"] == "zh"
