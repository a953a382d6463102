"""Hardening round 4 (issue 29), one test per hole: what a hostile value in a new field could do to a shared
dashboard. Hole 1: a budget costed before anything is built per epoch; 5: no exported CSV cell starts a formula;
6: a table's values checked when read; 7: huge integers refused by their length; and the small ones (a killed
job, a closed pipe, a paper link). Hole 2 is in test_harden4_estimate.py; 3, 4 and 8 in test_harden4_gates.py."""
import threading
import tracemalloc

import pytest
from hypothesis import given, settings, strategies as st

from studies.spec.budget import MAX_EPOCHS, phase_batch_sizes, phase_counts
from studies.spec.config import SpecError, StudySpec
from studies.spec.estimate import estimate
from studies.office.job_queue import JobQueue
from tests.conftest import NO_MEASURE

N_DIGITS = 1437


def spec(**kw) -> StudySpec:
    d = {"name": "probe", "dataset": "digits", "hidden": [16], "batch_sizes": [1], "optimizers": ["sgd"],
         "shuffle": [True], "seeds": [0], "epochs": 2}
    d.update(kw)
    return StudySpec.from_dict(d)


# ---------------------------------------------------------------- hole 1: the estimate is O(grid)

@pytest.mark.parametrize("budget", ["examples:1000000000000", "examples:100000000000", "steps:100000000"])
def test_a_budget_of_too_many_epochs_is_refused_in_one_line_by_the_estimate_and_the_expansion(budget):
    s = spec(budgets=[budget], batch_sizes=[1, "full"])
    tracemalloc.start()
    try:
        with pytest.raises(SpecError) as e:
            estimate(s)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 20          # no tuple of epochs was built (10¹² examples at B=1: 7·10⁸ of them)
    text = str(e.value)
    assert text.startswith("budgets:") and "\n" not in text and f"{MAX_EPOCHS:,}" in text
    assert "smaller budget or a larger batch size" in text
    with pytest.raises(SpecError, match="epochs of 1437 examples"):
        s.expand(n_train=N_DIGITS)


def test_the_estimate_of_the_largest_allowed_budget_builds_nothing_per_epoch():
    tracemalloc.start()
    try:
        est = estimate(spec(budgets=[f"epochs:{MAX_EPOCHS}"], batch_sizes=[1, 2, 4]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 20 and est.seconds > 0


def test_the_closed_form_costs_a_growing_batch_as_its_phases():
    """8 epochs from B=16, ×4 at 50 % and 75 %: 4 epochs at 16, 2 at 64, 2 at 256."""
    quiet = dict(NO_MEASURE)
    grow = estimate(spec(budgets=["epochs:8"], batch_sizes=[16], batch_schedule="step", batch_growth=4,
                         measure=quiet))
    parts = [estimate(spec(budgets=[f"epochs:{e}"], batch_sizes=[b], measure=quiet)) for b, e in
             [(16, 4), (64, 2), (256, 2)]]
    startup = estimate(spec(budgets=["epochs:1"], batch_sizes=[16], measure=quiet)).seconds - \
        (estimate(spec(budgets=["epochs:2"], batch_sizes=[16], measure=quiet)).seconds
         - estimate(spec(budgets=["epochs:1"], batch_sizes=[16], measure=quiet)).seconds)
    assert grow.seconds == pytest.approx(sum(p.seconds for p in parts) - 2 * startup, rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(b=st.integers(1, 5000), epochs=st.integers(0, 400), growth=st.integers(2, 64),
       n=st.integers(1, 100_000), schedule=st.sampled_from(["constant", "step"]))
def test_phase_counts_in_closed_form_equal_the_per_epoch_rule(b, epochs, growth, n, schedule):
    per_epoch = tuple(min(n, b * growth ** (((e / epochs) >= 0.5) + ((e / epochs) >= 0.75)))
                      if schedule == "step" else b for e in range(epochs))
    assert phase_batch_sizes(b, epochs, schedule, growth, n) == per_epoch
    assert sum(k for _, k in phase_counts(b, epochs, schedule, growth, n)) == epochs


def test_submit_estimates_before_it_takes_the_queue_lock(tmp_path, monkeypatch):
    """Launch must not hold the lock that every visitor's submit waits on while it estimates."""
    import studies.spec.runnable as jq    # submit's check (the CLI's and the form's) estimates there
    q = JobQueue(tmp_path)
    seen = []
    real = jq.estimate

    def watching(s, slot="cpu", **kw):
        seen.append(q._depth)          # 0: no lock held by this queue object
        return real(s, slot, **kw)

    monkeypatch.setattr(jq, "estimate", watching)
    job = q.submit(spec(batch_sizes=[32]))
    assert seen == [0] and job["estimate_s"] > 0
    # and another visitor's submit is not blocked meanwhile: the lock is free while the estimate runs
    started, release, other_got_lock = threading.Event(), threading.Event(), threading.Event()

    def slow(s, slot="cpu", **kw):
        started.set()
        release.wait(30)
        return real(s, slot, **kw)

    def other_visitor():
        with JobQueue(tmp_path).locked():
            other_got_lock.set()

    monkeypatch.setattr(jq, "estimate", slow)
    t = threading.Thread(target=lambda: q.submit(spec(batch_sizes=[64])))
    t.start()
    try:
        assert started.wait(30)
        v = threading.Thread(target=other_visitor)
        v.start()
        got = other_got_lock.wait(30)     # released only after this wait: were the lock held, this is False
    finally:
        release.set()
        t.join(30)
    v.join(30)
    assert got and len(JobQueue(tmp_path).jobs()) == 2


@pytest.mark.slow
def test_the_page_refuses_a_budget_of_too_many_epochs_under_its_field_at_once(tmp_path, monkeypatch):
    from tests.test_pages import open_page, text
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    at.text_input(key="f_batch_sizes").set_value("1").run()
    at.text_input(key="f_budgets").set_value("examples:1000000000000").run()
    assert not at.exception
    assert "more than the 10,000 a run may train" in text(at.error)
    assert "launch" not in [b.key for b in at.button]


# ---------------------------------------------------------------- hole 5: no exported cell starts a formula

def test_csv_cells_that_would_start_a_formula_get_a_quote_and_numbers_stay_numbers():
    import pandas as pd
    from studies.storage.csvsafe import neutralise, to_csv
    df = pd.DataFrame({"optimizer": ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+HYPERLINK(\"x\")", "-x", "\tq", "\rq",
                                     "sgd", "-0.5", "+3", "-1e-05"],
                       "lr": [-0.5, 1.0, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]})
    out = neutralise(df)
    assert list(out.optimizer[:6]) == ["'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'+HYPERLINK(\"x\")", "'-x", "'\tq",
                                       "'\rq"]
    assert list(out.optimizer[6:]) == ["sgd", "-0.5", "+3", "-1e-05"] and out.lr.equals(df.lr)   # numbers stay
    assert df.optimizer[0].startswith("=")                                                        # input untouched
    assert neutralise(pd.DataFrame({"=evil": [1]})).columns[0] == "'=evil"
    assert to_csv(df).splitlines()[1].startswith("'=cmd")


def test_the_cli_export_of_a_planted_study_starts_no_cell_with_a_formula(fixture_store, tmp_path, capsys):
    import csv
    import io
    import shutil
    import pandas as pd
    from studies.cli import main
    root, s = fixture_store
    store = tmp_path / "s"
    shutil.copytree(root, store)
    path = store / "studies" / s.study_id / "runs.parquet"
    r = pd.read_parquet(path)
    r["error"] = r["error"].astype(object)
    r.loc[r.index[0], "error"] = '=HYPERLINK("http://x.example","e")'
    r.loc[r.index[1], "dataset"] = "@SUM(1+1)"
    r.to_parquet(path, index=False)
    for table in ("runs", "summary", "epochs"):
        assert main(["export", s.study_id, "--store", str(store), "--table", table]) == 0
        cells = [c for row in csv.reader(io.StringIO(capsys.readouterr().out)) for c in row]
        assert cells and not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                              or (c[:1] == "-" and c[1:2] not in tuple("0123456789.") + ("", "i"))], table


# ---------------------------------------------------------------- hole 6: values, not only types, when read

def planted_copy(fixture_store, folder):
    """A copy of the fixture study whose runs table holds batch_size 0 and an optimizer nobody knows; (store
    folder, spec, rows written)."""
    import shutil
    import pandas as pd
    root, s = fixture_store
    shutil.copytree(root, folder)
    path = folder / "studies" / s.study_id / "runs.parquet"
    r = pd.read_parquet(path)
    r.loc[r.index[0], "batch_size"] = 0
    r.loc[r.index[1], "optimizer"] = "nosuchopt"
    r.to_parquet(path, index=False)
    return folder, s, len(r)


def test_a_batch_size_below_one_is_left_out_and_an_unknown_optimizer_is_labelled_when_read(fixture_store, tmp_path):
    from studies.storage.store import open_store
    folder, s, n = planted_copy(fixture_store, tmp_path / "s")
    store = open_store(folder)
    runs = store.load_table(s.study_id, "runs")
    assert len(runs) == n - 1 and (runs.batch_size >= 1).all()
    assert "unknown: nosuchopt" in set(runs.optimizer)
    assert any("batch_size" in p for p in store.problems) and any("unknown" in p for p in store.problems)


@pytest.mark.slow
@pytest.mark.parametrize("page", ["pages/3_Speed.py", "pages/4_Generalization.py", "pages/5_Sharpness.py",
                                  "pages/6_Compare.py", "pages/8_Curvature.py", None])
def test_hostile_values_in_a_well_formed_runs_table_break_no_page(page, fixture_store, tmp_path, monkeypatch):
    from tests.test_pages import open_page
    folder, s, _ = planted_copy(fixture_store, tmp_path / "s")
    at = open_page(page, folder, monkeypatch, {"study": s.study_id, "studies": s.study_id})
    assert not at.exception, [e.value for e in at.exception][:1]


# ---------------------------------------------------------------- hole 7: integers bounded before conversion

def test_a_5000_digit_integer_is_one_line_and_exit_2_in_the_cli(tmp_path):
    import subprocess
    import sys
    from tests.conftest import ROOT
    p = tmp_path / "big.toml"
    p.write_text(f'name = "big"\ndataset = "digits"\nbatch_sizes = [16]\noptimizers = ["sgd"]\nepochs = {"9" * 5000}\n')
    out = subprocess.run([sys.executable, "-m", "studies", "run", str(p), "--store", str(tmp_path / "s")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1 and "Traceback" not in out.stderr
    assert "5,000 digits" in out.stderr


@pytest.mark.parametrize("read", [
    lambda: __import__("studies.office.form_fields", fromlist=["x"]).parse_batch_sizes_text("9" * 5000),
    lambda: __import__("studies.office.form", fromlist=["x"]).parse_numbers("seeds", "9" * 5000),
    lambda: StudySpec.from_dict({"dataset": "digits", "budgets": ["steps:" + "9" * 5000]}),
    lambda: StudySpec.from_dict({"dataset": "digits", "epochs": 10 ** 5000}),
    lambda: StudySpec.from_dict({"dataset": "digits", "seeds": [10 ** 400]}),
    lambda: __import__("studies.office.uploads", fromlist=["x"]).parse_spec_upload(
        f'dataset = "digits"\nbatch_sizes = [{"9" * 5000}]\n'.encode()),
])
def test_every_reader_refuses_a_huge_integer_by_its_length_in_one_line(read):
    with pytest.raises(SpecError) as e:
        read()
    assert "digits" in str(e.value) and "\n" not in str(e.value) and len(str(e.value)) < 300


@pytest.mark.slow
def test_the_form_says_a_huge_batch_size_in_its_own_error(tmp_path, monkeypatch):
    from tests.test_pages import open_page, text
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    at.text_input(key="f_batch_sizes").set_value("9" * 5000).run()
    assert not at.exception and "5,000 digits" in text(at.error)


# ---------------------------------------------------------------- the small ones

def test_a_sigkilled_job_is_interrupted_not_failed(tmp_path):
    from studies.office.jobs import JobManager
    m = JobManager(tmp_path)
    jid = m.queue.submit(spec())["job_id"]
    m.queue.update(jid, state="running", pid=None)
    assert m._finish(m.queue.get(jid), -9)["state"] == "interrupted"
    jid2 = m.queue.submit(spec(name="other", seeds=[1]))["job_id"]
    m.queue.update(jid2, state="running", pid=None)
    assert m._finish(m.queue.get(jid2), -11)["state"] == "failed"   # a crash is still a failure


def test_export_into_a_closed_pipe_blames_no_one(fixture_store):
    import subprocess
    import sys
    from tests.conftest import ROOT
    root, s = fixture_store
    cmd = f"{sys.executable} -m studies export {s.study_id} --store {root} --table epochs | head -n 1"
    out = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.stdout.startswith("study_id") and out.stderr == "" and out.returncode == 0


@pytest.mark.slow
def test_a_paper_link_names_its_template_key_and_survives_the_password(tmp_path, monkeypatch):
    from tests.test_pages import open_page
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch, {"paper_pick": "keskar"},
                   secrets={"password": "pw"})
    at.text_input(key="login_password").set_value("pw")
    [b for b in at.button if "login" in str(b.key)][0].click().run()
    assert not at.exception
    assert at.selectbox(key="paper_pick").value == "keskar" and at.query_params["paper_pick"] in ("keskar", ["keskar"])
    assert at.session_state["_filled_by"] == "keskar"   # the template filled the form
