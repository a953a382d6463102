"""Every template ends in a result (issue 31, item 1): a paper whose comparison needs two studies (Smith:
smith.toml + smith-decay.toml) is launched as a pair from New study, each job names the other and Compare opens
on both; a fixed-budget study (no target) gets pages that say what they compare at that budget, never a
"not a matched fit … train to a target" dead end."""
import pandas as pd
import pytest

from studies import StudySpec, papers
from studies.analysis import fairness, statements
from studies.office.job_queue import JobQueue
from studies.office.jobfile import job_problem
from studies.office.jobs import JobManager
from tests.test_pages import open_page, text
from tests.test_pages_papers import write_study

pytestmark = pytest.mark.usefixtures("restore_main")
GEN, CMP = "pages/4_Generalization.py", "pages/6_Compare.py"


def _fixed(store, name, loss_large=0.1, target=0.0):
    """A written study at a fixed 10-epoch budget: B 16/64, one lr, 2 seeds; B=64 ends at ``loss_large`` (0.1 lies
    far above the band of the B=16 runs' 0.01); ``target`` > 0 makes it a to-target study whose B=64 missed."""
    spec = StudySpec.from_dict({"name": name, "dataset": "digits", "batch_sizes": [16, 64], "optimizers": ["momentum"],
                                "shuffle": [True], "seeds": [0, 1], "epochs": 10, "lr": {"momentum": 0.02}})
    rows = []
    for r in spec.expand(n_train=1437):
        big = r.batch_size == 64
        rows.append(dict(run_id=r.run_id, dataset="digits", model="mlp", optimizer=r.optimizer, lr=r.lr,
                         batch_size=r.batch_size, shuffle=True, seed=r.seed, epochs=10, epoch_budget=10, device="cpu",
                         status="done", reached_target=bool(target) and not big, target_train_acc=target,
                         target_train_loss=0.0, train_loss=loss_large if big else 0.01, train_acc=0.97 if big else 1.0,
                         test_acc=0.9 - 0.01 * big + 0.001 * r.seed, test_loss=0.3, gap_acc=0.07, gap_loss=0.2,
                         epoch_time_s=0.1, total_time_s=1.0, steps=100, samples_per_epoch=1437, n_train=1437,
                         error="", hessian_top_eig=1.0))
    return write_study(store, spec, rows, name)


def test_the_fixed_budget_line_says_what_is_compared_and_never_speaks_for_a_target():
    spec = StudySpec.from_dict({"name": "x", "dataset": "digits", "batch_sizes": [16, 64], "optimizers": ["sgd"],
                                "shuffle": [True], "seeds": [0], "epochs": 30, "lr": {"sgd": 0.1}})
    runs = pd.DataFrame([dict(run_id=r.run_id, optimizer="sgd", batch_size=r.batch_size, shuffle=True, lr=0.1,
                              seed=0, status="done", epoch_budget=30, train_loss=0.01 if r.batch_size == 16 else 0.5,
                              target_train_acc=0.0, target_train_loss=0.0, reached_target=False, best_lr=True)
                         for r in spec.expand(n_train=1437)])
    check = fairness.matched_fit(runs)
    line = statements.fixed_budget_line(runs, check)
    assert not check.matched and line is not None
    assert "the epoch budget (30 epochs, no target)" in line and "1 of 2 runs end with a train loss above" in line
    assert "train to a target" not in line
    matched = runs.assign(train_loss=0.01)
    assert "above the band" not in statements.fixed_budget_line(matched, fairness.matched_fit(matched))
    targeted = runs.assign(target_train_acc=0.99)
    assert statements.fixed_budget_line(targeted, fairness.matched_fit(targeted)) is None


@pytest.mark.slow
def test_a_fixed_budget_study_is_a_result_on_generalization_and_compare(tmp_path, monkeypatch):
    a = _fixed(tmp_path, "decay")
    b = _fixed(tmp_path, "grow", loss_large=0.2)
    at = open_page(GEN, tmp_path, monkeypatch, {"study": a})
    assert not at.exception and not at.error, text(at.error)
    warned = text(at.warning)
    assert "Not a matched fit" not in warned and "train to a target" not in warned
    assert "A fixed budget:" in text(at.info) and "the epoch budget (10 epochs, no target)" in text(at.info)
    assert "2 of 4 runs end with a train loss above the band" in text(at.info)
    assert "no steps to a target to count" in text(at.caption) and "No run reached a training target" not in text(at.info)
    at = open_page(GEN, tmp_path, monkeypatch, {"study": a, "lang": "zh"})
    assert not at.exception and "固定预算" in text(at.info) and "没有“达到目标所需步数”可数" in text(at.caption)
    at = open_page(CMP, tmp_path, monkeypatch, {"studies": f"{a},{b}"})
    assert not at.exception and not at.error, text(at.error)
    assert "not a matched fit" not in text(at.warning) and "train to a target" not in text(at.warning)
    assert "**decay · " in text(at.info) and "A fixed budget:" in text(at.info)


def test_a_study_of_one_lr_says_so_in_a_caption_not_a_warning_box(tmp_path, monkeypatch):
    """One lr per configuration (the default study's design) is the study's stated choice, not a sweep that
    stopped at its edge: the page says "one lr tried … not a tuned value" under the conclusions, with no
    warning box (a sweep at its edge keeps its box: the pair test below)."""
    a = _fixed(tmp_path, "single")
    at = open_page(GEN, tmp_path, monkeypatch, {"study": a})
    assert not at.exception and "one lr tried" not in text(at.warning)
    assert "one lr tried (0.02) at B = 16, 64, not a tuned value" in text(at.caption)


@pytest.mark.slow
def test_a_study_that_missed_its_target_still_says_so(tmp_path, monkeypatch):
    sid = _fixed(tmp_path, "aimed", target=0.99)
    at = open_page(GEN, tmp_path, monkeypatch, {"study": sid})
    assert not at.exception and "Not a matched fit" in text(at.warning) and "A fixed budget" not in text(at.info)


@pytest.mark.slow
def test_smith_launches_its_twin_and_links_compare_on_the_pair(tmp_path, monkeypatch):
    monkeypatch.setattr(JobManager, "start", lambda self: self)      # nothing runs: the queue stays as written
    monkeypatch.setattr(JobManager, "tick", lambda self: None)
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch, {"paper_pick": "smith"})
    assert not at.exception and not at.error, text(at.error)
    assert "examples/smith-decay.toml: **Launch** queues both" in text(at.info)
    assert at.checkbox(key="launch_twin").value is True
    at.button(key="launch").click().run()
    jobs = {j["name"]: j for j in JobQueue(tmp_path).jobs()}
    assert set(jobs) == {"smith", "smith-decay"}
    assert jobs["smith"]["pair"] == jobs["smith-decay"]["study_id"] == papers.twin("smith").study_id
    assert jobs["smith-decay"]["pair"] == jobs["smith"]["study_id"]
    links = [p.proto for p in at.get("page_link") if p.proto.page == "Compare"]
    assert links and links[0].query_string == f"studies={jobs['smith']['study_id']}%2C{jobs['smith-decay']['study_id']}"
    for j in jobs.values():   # the job files hold the pair and still read as job files
        assert job_problem(j, j["job_id"]) is None
    assert job_problem({**jobs["smith"], "pair": "../x"}, jobs["smith"]["job_id"]) == "pair is not a study id"


@pytest.mark.slow
def test_a_paper_launched_alone_when_its_twin_is_unticked(tmp_path, monkeypatch):
    monkeypatch.setattr(JobManager, "start", lambda self: self)
    monkeypatch.setattr(JobManager, "tick", lambda self: None)
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch, {"paper_pick": "smith"})
    at.checkbox(key="launch_twin").uncheck().run()
    at.button(key="launch").click().run()
    assert [j["name"] for j in JobQueue(tmp_path).jobs()] == ["smith"] and "pair" not in JobQueue(tmp_path).jobs()[0]
    assert papers.twin("keskar") is None


@pytest.mark.slow
def test_compare_says_an_lr_edge_warning_the_pair_shares_once_naming_both(tmp_path, monkeypatch):
    from tests.test_pages_papers import _study
    a, b = _study(tmp_path, "one"), _study(tmp_path, "two")   # the same grid: the same best lr at its edge
    at = open_page(CMP, tmp_path, monkeypatch, {"studies": f"{a},{b}"})
    edges = [w.value for w in at.warning if "the best lr is" in w.value]
    assert not at.exception and len(edges) == 1, edges
    assert edges[0].startswith("**one · ") and " · two · " in edges[0]
    at = open_page(GEN, tmp_path, monkeypatch, {"study": a})   # one study's page: its warning as before, unnamed
    assert [w.value for w in at.warning if "the best lr is" in w.value][0].startswith("warning:")
