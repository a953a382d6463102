"""The Speed page leads with the answer (the fastest batch size and those within the noise), draws time to the target
and the trade-off, says how its times were taken with the retime command, queues a retime job, in English and 中文."""
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studies import StudySpec, run_study
from studies.office.job_queue import JobQueue
from tests.conftest import NO_MEASURE

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restore_main")]
SPEC = {"name": "speedy", "dataset": "digits", "hidden": [32], "batch_sizes": [16, 64, 256], "optimizers": ["sgd"],
        "shuffle": [True], "seeds": [0, 1], "epochs": 40, "target_train_acc": 0.6, "lr": {"sgd": 0.1},
        "measure": dict(NO_MEASURE)}


@pytest.fixture(scope="module")
def speed_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("speed")
    spec = StudySpec.from_dict(SPEC)
    run_study(spec, root)
    return root, spec


def open_speed(root, monkeypatch, **query):
    monkeypatch.setenv("BATCHSCOPE_STORE", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/3_Speed.py")
    at.query_params.update(query)
    return at.run()


def plain(elements):
    return re.sub(r"\\(.)", r"\1", " ".join(e.value for e in elements))


@pytest.mark.parametrize("lang,lead,how", [("en", "Fastest to the target on this machine: B =", "timeit"),
                                           ("zh", "本机上最快达到目标的批大小：B =", "timeit")])
def test_speed_leads_with_the_fastest_batch_size_and_draws_the_answer(speed_store, monkeypatch, lang, lead, how):
    root, spec = speed_store
    at = open_speed(root, monkeypatch, study=spec.study_id, lang=lang)
    assert not at.exception and not at.error, (at.exception, plain(at.error))
    assert lead in plain(at.markdown[:1])   # the first thing under the title
    assert len(at.get("vega_lite_chart")) >= 5   # time to target, trade-off, epoch, step, throughput
    assert "python -m studies retime speedy" in plain(at.caption)
    assert how in plain(at.markdown)   # "How it is measured" says why the minimum
    titles = " ".join(json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("vega_lite_chart"))
    assert ("time to the target" if lang == "en" else "达到目标的时间") in titles


def test_the_retime_button_queues_a_retime_job(speed_store, monkeypatch, tmp_path):
    root, spec = speed_store
    at = open_speed(root, monkeypatch, study=spec.study_id)
    at.button(key="speed_retime").click().run()
    assert not at.exception
    jobs = [j for j in JobQueue(root).jobs() if j.get("kind") == "retime"]
    assert [j["study_id"] for j in jobs] == [spec.study_id]
    for j in jobs:   # leave no retime running on the shared module store
        JobQueue(root).cancel(j["job_id"])
