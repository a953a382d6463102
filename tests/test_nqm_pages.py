"""The noisy quadratic model on the pages, from a study that measured what it needs (λ_max, the Hessian trace, the
gradient noise, a train-loss target) with an lr sweep: Generalization draws the predicted S(B) beside the measured
one with each optimizer's predicted and fitted B_crit, and the Playground's "from a stored run" opens on the run
that prediction is built from and draws the three updates' curves from it — in English and 中文."""
import json

import pytest

from studies import StudySpec, run_study
from studies.analysis import nqm_study
from studies.spec.config import run_label
from studies.storage.store import open_store
from tests.conftest import NO_MEASURE
from tests.test_pages import charts, open_page, text

pytestmark = pytest.mark.usefixtures("restore_main")


@pytest.fixture(scope="module")
def nqm_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("nqm")
    spec = StudySpec.from_dict({"name": "nqm-src", "dataset": "digits", "hidden": [8], "batch_sizes": [32, 128],
                                "optimizers": ["sgd"], "lr": {"sgd": [0.05, 0.2]}, "shuffle": [True], "seeds": [0],
                                "epochs": 3, "target_train_loss": 0.6,
                                "measure": {**NO_MEASURE, "hessian": True, "noise_scale": True, "sample": 256}})
    run_study(spec, root)
    runs = open_store(root).load_table(spec.study_id)
    assert runs.reached_target.astype(bool).any() and "noise_scale_trace" in runs
    return root, spec, runs


@pytest.mark.parametrize("lang, title, predicted", [("en", "Predicted by the noisy quadratic model", "predicted B_crit"),
                                                    ("zh", "带噪二次模型的预测", "预测的 B_crit")])
def test_generalization_draws_the_predicted_s_of_b_beside_the_measured_one(nqm_store, monkeypatch, lang, title,
                                                                           predicted):
    root, spec, runs = nqm_store
    at = open_page("pages/4_Generalization.py", root, monkeypatch, {"study": spec.study_id, "lang": lang})
    assert not at.exception and not at.error, text(at.error)
    assert title in text(at.markdown)
    drawn = [c.proto.spec for c in charts(at)]
    nqm = [s for s in drawn if '"steps_nqm"' in s]
    assert len(nqm) == 1 and '"b_crit"' in nqm[0]
    pred = nqm_study.predictions(runs, open_store(root).load_table(spec.study_id, "epochs"))
    bc = f"{pred.b_crit.iloc[0]:,.0f}"
    assert any(predicted in c.value and bc in c.value for c in at.caption), [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_playground_opens_on_the_predictions_run_and_draws_its_curves(nqm_store, monkeypatch, lang):
    root, spec, runs = nqm_store
    (src,) = nqm_study._source_runs(runs).itertuples()
    at = open_page("pages/7_Playground.py", root, monkeypatch, {"nqm_source": "run", "lang": lang})
    assert not at.exception and not at.error, text(at.error)
    assert at.selectbox(key="nqm_run").value == src.run_id
    assert f"lr={src.lr:g}" in run_label(src.optimizer, src.batch_size, src.shuffle, src.seed, src.lr)
    nqm = [json.loads(c.proto.spec) for c in charts(at) if '"b_crit"' in c.proto.spec and '"momentum"' in c.proto.spec]
    assert len(nqm) == 2
    crit = [c.value for c in at.caption if "B_crit" in c.value and "sgd" in c.value]
    assert crit and "momentum" in crit[0] and "adam" in crit[0]
