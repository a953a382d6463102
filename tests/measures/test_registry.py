"""The measure registry (studies.measures): stored ids unchanged, every fact documented and translated, and a
measure added through it alone reaching the form, the New-study page, the charts, the predictors table and
measure_run."""
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from studies import charts, measures
from studies.office import form
from studies.analysis.predictors import predictors_table
from studies.spec.config import MeasureSpec, SpecError, StudySpec, content_hash
from studies.i18n import CATALOGUE
from studies.execution.worker import measure_id_of

ROOT = Path(__file__).resolve().parents[2]
PARAMS = {"sample": 2048, "sample_seed": 0, "lbfgs_iters": 10, "subspace_dim": 0, "random_directions": 10,
          "random_sigma": 0.05, "sam_rho": 0.05, "sam_m": 128, "landscape_points": 21}
# MeasureSpec.identity() as it was when the switches were dataclass fields (it feeds every stored measure id)
DEFAULT_IDENTITY = {"sharpness_eps": (0.001,), "sharpness_random": True, "sharpness_sam": True, "hessian": True,
                    "critical": False, "landscape": True, "noise_scale": True, "spectrum": False, **PARAMS}
ALL_ON = dict(sharpness_eps=(1e-3, 5e-4), sharpness_random=True, sharpness_sam=True, hessian=True, critical=True,
              landscape=True, noise_scale=True, spectrum=True)


def test_identity_and_ids_are_those_stored_results_were_made_with():
    assert list(MeasureSpec().identity().items()) == list(DEFAULT_IDENTITY.items())
    assert list(MeasureSpec(**ALL_ON).identity().items()) == list({**ALL_ON, **PARAMS}.items())
    assert measure_id_of(MeasureSpec()) == content_hash({"schema": 1, "measure_version": _version(),
                                                         **DEFAULT_IDENTITY})
    assert measure_id_of(MeasureSpec(**{k: () if k == "sharpness_eps" else False for k in ALL_ON})) is None
    # study ids hash the [measure] table too; these two were computed before the registry
    assert StudySpec.from_dict({"dataset": "digits"}).study_id == "77e666747a4acac0"
    assert StudySpec.from_dict({"dataset": "digits", "measure": {"critical": True, "sharpness_eps": [0.01, 0.001]}}
                               ).study_id == "5f3d916306c46f76"


def _version():
    from studies.execution.worker import MEASURE_VERSION
    return MEASURE_VERSION


def test_switches_read_write_and_refuse_as_fields_did():
    m = MeasureSpec(hessian=False, sample=64)
    assert m.hessian is False and m.critical is False and m.sample == 64 and m.sharpness_eps == (1e-3,)
    assert MeasureSpec.from_dict({"hessian": False, "sample": 64}) == m and hash(MeasureSpec()) == hash(MeasureSpec())
    assert StudySpec.from_toml_text(StudySpec.from_dict({"dataset": "digits", "measure": {"spectrum": True}})
                                    .to_toml()).measure.spectrum is True
    with pytest.raises(SpecError, match=r"^measure\.hesian: unknown field; did you mean 'hessian'\?$"):
        MeasureSpec.from_dict({"hesian": True})
    with pytest.raises(SpecError, match=r"^measure\.hessian: 1 is not true or false"):
        MeasureSpec.from_dict({"hessian": 1})
    with pytest.raises(SpecError, match=r"^measure\.sharpness_eps: 2(\.0)? is out of range"):
        MeasureSpec.from_dict({"sharpness_eps": [2.0]})
    with pytest.raises(TypeError):
        MeasureSpec(hesian=True)
    with pytest.raises(AttributeError):
        MeasureSpec().hesian


def test_every_column_is_documented_in_results_md():
    documented = set(re.findall(r"`([a-z_0-9]+)`", (ROOT / "RESULTS.md").read_text()))
    missing = [c for m in measures.measures() for c in m.columns if c not in documented]
    assert not missing, f"RESULTS.md's runs table does not list: {missing}"


def test_every_label_and_form_key_is_in_the_catalogue_in_both_languages():
    keys = [m.label for m in measures.measures()] + [k for s in measures.switches() for k in (s.form, s.form + "_help")]
    for key in keys:
        assert key in CATALOGUE and all(CATALOGUE[key]), key


def test_every_estimator_resolves_and_names_its_time_column():
    for m in measures.measures():
        assert callable(measures.resolve(m.compute)), m.compute
    on = measures.estimators(lambda s: s == "hessian")
    assert [name for name, _ in on] == ["hessian"]
    legacy = ["sharpness_eps", "sharpness_adaptive", "sharpness_rand", "sharpness_sam", "hessian", "spectrum",
              "noise_scale", "noise_scale_init"]   # their order and <name>_time_s columns, as stored results have them
    assert [name for name, _ in measures.estimators(lambda s: True) if name in legacy] == legacy


def test_a_bad_record_is_refused_with_what_is_wrong():
    with pytest.raises(ValueError, match="unknown switch 'nope'"):
        with measures.registered(measures.Measure("x", (), ("nope",), "m:f", "label.x", "loss")):
            pass
    assert measures.measure("x") is None


# ---------------------------------------------------------------- a measure added through the registry alone

def dummy_estimator(ctx):
    """The dummy's estimator: the loss on the measurement sample, written into the row as an estimator does."""
    loss = ctx.loss_fn(ctx.model(ctx.x_train[ctx.idx]), ctx.y_train[ctx.idx])
    ctx.out.update(dummy_flatness=loss.item(), dummy_flatness_se=0.0)


DUMMY = (measures.Switch("dummy", False, "form.dummy", group=2),
         measures.Measure("dummy_flatness", ("_se",), ("dummy",), f"{__name__}:dummy_estimator",
                          "label.dummy_flatness", "loss", sign=1, predictor=True, charts=("sharpness",)))


@pytest.fixture
def dummy():
    with measures.registered(*DUMMY):
        yield
    assert measures.measure("dummy_flatness") is None and measures.switch("dummy") is None


def test_a_dummy_measure_is_a_switch_of_the_form_and_the_spec(dummy):
    values = form.form_defaults()
    assert values["dummy"] is False
    spec = form.build_spec({**values, "dummy": True})
    assert spec.measure.dummy is True and "dummy" in spec.measure.on()
    assert spec.measure.identity()["dummy"] is True and "dummy = true" in spec.to_toml()
    assert form.spec_to_form(spec)["dummy"] is True


def test_a_dummy_measure_is_drawn_and_ranked(dummy):
    assert measures.drawn("sharpness")[-1] == "dummy_flatness"
    assert charts.label("dummy_flatness") == "dummy flatness"   # no catalogue entry: the column's words
    runs = pd.DataFrame([{"batch_size": b, "optimizer": o, "shuffle": True, "seed": s, "lr": 0.1, "status": "done",
                          "reached_target": True, "target_train_acc": 1.0, "train_loss": 0.01, "test_acc": 0.9,
                          "train_acc": 1.0} for b in (16, 64, 256) for o in ("sgd", "adam") for s in (0, 1)])
    runs["gap_acc"] = 0.02 * np.log2(runs.batch_size) + 0.001 * runs.seed
    runs["dummy_flatness"] = runs["gap_acc"]
    row = predictors_table(runs, resamples=50).set_index("measure").loc["dummy_flatness"]
    assert row.expected_sign == 1 and row.tau == pytest.approx(1.0) and row.psi_batch_size == pytest.approx(1.0)
    chart = charts.batch_size_chart(runs, "dummy_flatness").to_dict()
    assert "dummy flatness" in str(chart)


def test_a_dummy_measure_is_computed_by_measure_run(dummy):
    torch = pytest.importorskip("torch")
    from studies.measures.measure_run import measure_run
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3)).eval()
    x, y = torch.randn(40, 4), torch.randint(0, 3, (40,))
    off = {s.name: () if s.listed else False for s in measures.switches()}
    out = measure_run(model, x, y, torch.nn.functional.cross_entropy, MeasureSpec(**{**off, "dummy": True}, sample=32))
    assert set(out) == {"measure_sample", "measure_sample_seed", "dummy_flatness", "dummy_flatness_se",
                        "dummy_estimator_time_s", "measure_time_s"}


@pytest.mark.usefixtures("restore_main")
def test_a_dummy_measure_is_a_checkbox_on_the_new_study_page(dummy, tmp_path, monkeypatch):
    from tests.test_pages import open_page
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    assert not at.exception
    box = at.checkbox(key="f_dummy")
    assert box.value is False
    box.check().run()
    assert not at.exception and at.session_state["f_dummy"] is True
