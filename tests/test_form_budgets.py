"""The New-study form's budgets and batch-size schedule: form ↔ spec, errors under their fields, the page."""
import pytest

from studies.office import form
from studies.spec.config import SpecError, StudySpec
from studies.spec.estimate import estimate
from tests.conftest import NO_MEASURE
from tests.test_pages import open_page, text


def test_the_form_writes_budgets_and_a_batch_schedule_only_when_chosen():
    v = form.form_defaults()
    assert (v["budgets"], v["batch_schedule"], v["batch_growth"]) == ("", "constant", 10)
    plain = form.build_spec(v)
    assert plain.budgets == () and plain.study_id == StudySpec.from_dict(
        {k: x for k, x in form.form_to_dict(v).items() if k != "batch_schedule"}).study_id
    v.update(budgets="epochs:30, steps:6000;target", batch_schedule="constant", batch_growth=4)
    spec = form.build_spec(v)
    assert spec.budgets == ("epochs:30", "steps:6000", "target") and spec.batch_growth == 10   # growth unused
    assert spec.n_runs == 3 * plain.n_runs
    assert form.spec_to_form(spec)["budgets"] == "epochs:30, steps:6000, target"
    v.update(budgets="epochs:30", batch_schedule="step")
    grown = form.build_spec(v)
    assert (grown.batch_schedule, grown.batch_growth) == ("step", 4)
    assert form.spec_to_form(grown)["batch_growth"] == 4


@pytest.mark.parametrize("change, field", [
    ({"budgets": "steps 400"}, "budgets"),
    ({"budgets": "target", "stopping": "budget"}, "budgets"),
    ({"budgets": "steps:400", "batch_schedule": "step"}, "batch_schedule"),
])
def test_budget_mistakes_name_their_field(change, field):
    v = {**form.form_defaults(), **change}
    with pytest.raises(SpecError) as e:
        form.build_spec(v)
    assert e.value.field == field


def test_the_estimate_counts_each_budget():
    one = StudySpec.from_dict({"dataset": "digits", "batch_sizes": [16], "optimizers": ["sgd"], "shuffle": [True],
                               "epochs": 4, "measure": NO_MEASURE})
    two = StudySpec.from_dict({**one.to_dict(), "budgets": ["epochs:4", "epochs:8"]})
    per_run = estimate(one).seconds - 5.0   # STARTUP_S once per study
    assert estimate(two).seconds - 5.0 == pytest.approx(3 * per_run, rel=0.02)   # 4 + 8 epochs = 3 × 4


@pytest.mark.slow
def test_the_page_takes_budgets_and_says_what_to_change(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    at.text_input(key="f_batch_sizes").set_value("8").run()
    at.text_input(key="f_budgets").set_value("epochs:4, steps:400").run()
    assert not at.error and [m.value for m in at.metric][0] == str(2 * 3 * 2)   # 2 budgets × 3 optimizers × 2
    assert "The budgets replace the stopping rule" in text(at.caption)
    at.selectbox(key="f_batch_schedule").set_value("step").run()
    assert "Batch-size schedule" in text(at.error) and "counts updates" in text(at.error)
    assert "launch" not in [b.key for b in at.button]
