"""AppTest: Generalization's noise-scale view (drawn for a study that varies lr and B, a note why not otherwise,
in English and 中文) and New study's "Reproduce a paper" (picking a template fills the form with all of it)."""
import json
from pathlib import Path

import pandas as pd
import pytest

from studies import StudySpec, papers
from studies.office import form
from studies.analysis.fairness import with_best_lr
from studies.storage.store import open_store
from tests.test_pages import charts, open_page, text

pytestmark = pytest.mark.usefixtures("restore_main")
GEN = "pages/4_Generalization.py"


def _study(store, name, optimizer="momentum", lrs=(0.01, 0.04)):
    """A written study: B 16/64 × the lrs × 2 seeds on digits (N = 1437); (0.01, 16) and (0.04, 64) share g."""
    spec = StudySpec.from_dict({"name": name, "dataset": "digits", "batch_sizes": [16, 64], "optimizers": [optimizer],
                                "shuffle": [True], "seeds": [0, 1], "epochs": 10, "lr": {optimizer: list(lrs)}})
    rows = []
    for r in spec.expand(n_train=1437):
        g = r.lr / r.batch_size
        rows.append(dict(run_id=r.run_id, dataset="digits", model="mlp", optimizer=r.optimizer, lr=r.lr,
                         batch_size=r.batch_size, shuffle=True, seed=r.seed, epochs=10, epoch_budget=10, device="cpu",
                         status="done", reached_target=False, target_train_acc=0.0, target_train_loss=0.0,
                         train_loss=0.01, train_acc=1.0, test_acc=0.9 + 100 * g + 0.001 * r.seed, test_loss=0.3,
                         gap_acc=0.1 - 100 * g, gap_loss=0.3, epoch_time_s=0.1, total_time_s=1.0, steps=100,
                         samples_per_epoch=1437, n_train=1437, error="", hessian_top_eig=1 + 1000 * g))
    return write_study(store, spec, rows, name)


def write_study(store, spec, rows, name):
    """``rows`` (run dicts) as the finished study ``spec`` in ``store``, each run with one epoch row."""
    df = with_best_lr(pd.DataFrame(rows))
    ep = pd.DataFrame({"run_id": df.run_id, "epoch": 1, "train_loss": 0.1, "train_acc": 0.9, "test_loss": 0.2,
                       "test_acc": 0.85, "epoch_time_s": 0.1, "lr": df.lr, "steps": 10})
    s = open_store(store)
    s.write_tables(spec.study_id, {"runs": [df], "epochs": [ep]})
    s.save_study(spec.to_toml(), {"study_id": spec.study_id, "name": name, "dataset": "digits",
                                  "runs_total": len(df), "runs_done": len(df), "state": "done",
                                  "updated": "2026-01-01T00:00:00"})
    return spec.study_id


def _g_chart(at):
    """The noise-scale charts on the page: those whose x axis is g."""
    return [c for c in charts(at) if "ηN/(B(1−m))" in json.dumps(json.loads(c.proto.spec), ensure_ascii=False)]


@pytest.mark.slow
def test_generalization_draws_the_noise_scale_view_with_its_reading(tmp_path, monkeypatch):
    sid = _study(tmp_path, "lr-by-b")
    at = open_page(GEN, tmp_path, monkeypatch, {"study": sid})
    assert not at.exception and not at.error, text(at.error)
    assert "Noise scale g = ηN/(B(1−m))" in [h.value for h in at.subheader]
    assert len(_g_chart(at)) == 1
    caption = text(at.caption)
    assert "N = 1,437 training examples" in caption and "m = 0.9 for momentum" in caption
    reading = text(at.markdown)
    assert "Kendall τ(g, ·) = +1.00 over 8 runs at the fit" in reading            # test accuracy rises with g
    assert "Equal-g configurations fall together" in reading
    at = open_page(GEN, tmp_path, monkeypatch, {"study": sid, "lang": "zh"})
    assert not at.exception and "噪声尺度 g = ηN/(B(1−m))" in [h.value for h in at.subheader]
    assert "落在一起" in text(at.markdown) and "个训练样本" in text(at.caption)


@pytest.mark.slow
def test_generalization_says_why_there_is_no_noise_scale_view(tmp_path, monkeypatch):
    at = open_page(GEN, tmp_path, monkeypatch, {"study": _study(tmp_path, "adam-only", "adam", (0.001, 0.002))})
    assert not at.exception and not _g_chart(at)
    assert "No noise-scale view" in text(at.info) and "adaptive" in text(at.info)
    at = open_page(GEN, tmp_path / "one", monkeypatch, {"study": _study(tmp_path / "one", "one-lr", lrs=(0.01,))})
    assert "two or more learning rates" in text(at.info)


def test_reproduce_a_paper_fills_the_form_with_the_whole_template(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    assert at.selectbox(key="paper_pick").options[0] == "— design your own —"
    at.selectbox(key="paper_pick").set_value("keskar").run()
    assert not at.exception and not at.error, text(at.error)
    assert "Keskar et al. 2017" in text(at.info) and "examples/keskar.toml" in text(at.info)
    assert at.text_input(key="f_name").value == "keskar" and at.selectbox(key="f_dataset").value == "mnist1d"
    assert at.text_input(key="f_batch_sizes").value == "32, 400" and [m.value for m in at.metric][0] == "6"
    # what Launch submits: the form's values on top of the template, which is the template itself
    values = {k[2:]: at.session_state[k] for k in at.session_state if isinstance(k, str) and k.startswith("f_")}
    launched = form.build_spec(values, at.session_state["_base"])
    assert launched.to_toml() == papers.load("keskar").to_toml()
    toml = (Path(__file__).resolve().parents[1] / "examples" / "quick.toml").read_bytes()
    at.file_uploader(key="toml_upload").upload("quick.toml", toml, "application/toml").run()
    assert at.text_input(key="f_name").value == "quick" and not text(at.info)    # the paper's note is gone
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch, {"paper_pick": "shallue", "lang": "zh"})   # the template key
    assert not at.exception and "每个批大小单独调学习率" in text(at.info)
    assert at.text_input(key="f_lr_momentum").value.startswith("0.0025, 0.005")   # the sweep came along


def test_a_template_with_an_lr_search_shows_auto_in_the_form_and_launches_it(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch, {"paper_pick": "zhang"})
    assert not at.exception and not at.error, text(at.error)
    assert "Zhang et al. 2019" in text(at.info)
    assert [at.text_input(key=f"f_lr_{o}").value for o in ("sgd", "momentum", "adam")] == ["auto"] * 3
    values = {k[2:]: at.session_state[k] for k in at.session_state if isinstance(k, str) and k.startswith("f_")}
    launched = form.build_spec(values, at.session_state["_base"])
    assert launched.to_toml() == papers.load("zhang").to_toml() and dict(launched.lr)["adam"] == "auto"
    toml = b'dataset = "digits"\noptimizers = ["sgd"]\n[lr]\nsgd = "auto:0.01"\n'     # an upload, the same way
    at.file_uploader(key="toml_upload").upload("auto.toml", toml, "application/toml").run()
    assert not at.exception and at.text_input(key="f_lr_sgd").value == "auto:0.01"
