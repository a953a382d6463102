"""The result pages on a study held to two budgets (epochs and steps) with a target budget beside them: every
page runs, the budget reaches the charts, and the learning-curve caption says what each budget held equal."""
import pytest

from tests.conftest import NO_MEASURE
from tests.test_pages import RESULT_PAGES, charts, open_page, text

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restore_main")]


@pytest.fixture(scope="module")
def budget_store(tmp_path_factory):
    """Built by the CLI in a fresh process, as measured_store is (a pool started from a test process that ran
    AppTest would re-import the page script)."""
    import subprocess
    import sys
    from studies import StudySpec
    root = tmp_path_factory.mktemp("budgets")
    spec = StudySpec.from_dict({"name": "budgets", "dataset": "digits", "hidden": [16], "batch_sizes": [32, 256],
                                "optimizers": ["momentum"], "shuffle": [True], "seeds": [0, 1],
                                "budgets": ["epochs:2", "steps:60", "target"], "target_train_acc": 0.8,
                                "epochs": 30, "lr": {"momentum": [0.05, 0.1]}, "measure": dict(NO_MEASURE)})
    path = root / "budgets.toml"
    path.write_text(spec.to_toml())
    subprocess.run([sys.executable, "-m", "studies", "run", str(path), "--store", str(root), "--quiet"], check=True,
                   capture_output=True)
    return root, spec


@pytest.mark.parametrize("page", RESULT_PAGES + [None])
def test_every_page_runs_on_a_study_with_budgets(page, budget_store, monkeypatch):
    root, spec = budget_store
    at = open_page(page, root, monkeypatch, {"study": spec.study_id})
    assert not at.exception, at.exception
    assert not at.error, text(at.error)


def test_generalization_tells_the_budgets_apart(budget_store, monkeypatch):
    root, spec = budget_store
    at = open_page("pages/4_Generalization.py", root, monkeypatch, {"study": spec.study_id})
    captions = text(at.caption)
    assert "steps:60: Held equal across batch sizes: 60 updates (a step budget, no target)" in captions
    assert "epochs:2: Held equal across batch sizes: the epoch budget (2 epochs, no target)" in captions
    assert "target: Held equal across batch sizes: the target (train accuracy ≥ 0.8)" in captions
    assert any('"field": "budget"' in c.proto.spec for c in charts(at))
    assert at.selectbox(key="gen_heat_budget").options == ["epochs:2", "steps:60", "target"]   # lr grid: one budget


def test_the_lr_grid_maps_steps_to_the_target_only_for_runs_that_train_to_one(budget_store, monkeypatch):
    root, spec = budget_store
    at = open_page("pages/4_Generalization.py", root, monkeypatch, {"study": spec.study_id})
    for budget, steps_map in (("epochs:2", False), ("target", True)):
        at.selectbox(key="gen_heat_budget").set_value(budget).run()
        captions = text(at.caption)
        assert ("median steps to the target" in captions) == steps_map, budget
        assert ("no steps to a target to map" in captions) == (not steps_map), budget
