"""Every page draws hostile names as text: a study name, a data set, a fit line, a job's name and message,
a store file's complaint and ?study= all carry a link, an image and a coloured directive, and no page turns
any of them into markup (the one escaping rule, i18n.plain, through t)."""
import json
import shutil
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from studies.i18n import Markdown, plain, t
from studies.storage.atomic import atomic_write_json, atomic_write_parquet
from studies.storage.store import open_store
from tests.test_pages import ALL_PAGES, APP

pytestmark = pytest.mark.usefixtures("restore_main")
EVIL = "[click](http://x.test/phish) ![img](http://x.test/i.png) :red[alarm] **bold**"
RAW = ("](http://x.test", ":red[", "**bold**")


def test_plain_escapes_every_markup_and_t_applies_it_to_every_value():
    assert plain(EVIL) == ("\\[click\\]\\(http\\://x\\.test/phish\\) \\!\\[img\\]\\(http\\://x\\.test/i\\.png\\) "
                           "\\:red\\[alarm\\] \\*\\*bold\\*\\*")
    assert plain("a\n\n# b") == "a \\# b"                                  # one line, no heading
    said = t("frame.study_missing", error=EVIL)
    assert isinstance(said, Markdown) and not any(r in said for r in RAW)
    assert t("jobs.runs_done", done=3, total=4, pct=75).startswith("3 / 4")   # numbers as they are
    assert t("frame.study_missing", error=t("jobs.none")).endswith(t("jobs.none"))   # t's own text kept


def drawn(at) -> list[str]:
    """The bodies of every element that Streamlit renders as markdown."""
    out = []
    for kind in ("markdown", "caption", "warning", "error", "info", "success", "title", "header", "subheader"):
        out += [str(e.value) for e in at.get(kind)]
    return out


@pytest.fixture
def hostile_store(fixture_store, tmp_path):
    root, spec = fixture_store
    dst = tmp_path / "store"
    shutil.copytree(root, dst)
    store = open_store(dst)
    d = store.study_dir(spec.study_id)
    info = json.loads((d / "study.json").read_text())
    atomic_write_json(d / "study.json", {**info, "name": EVIL, "dataset": EVIL, "fit": EVIL})
    runs = pd.read_parquet(d / "runs.parquet")
    atomic_write_parquet(d / "runs.parquet", runs.assign(dataset=EVIL))
    (dst / "jobs").mkdir(exist_ok=True)
    atomic_write_json(dst / "jobs" / "0123456789ab.json", {
        "job_id": "0123456789ab", "name": EVIL, "study_id": spec.study_id, "state": "failed", "slot": EVIL,
        "created": time.time(), "finished": time.time(), "pid": None, "message": EVIL, "n_runs": 4})
    (dst / "jobs" / "bbbbbbbbbbbb.json").write_text(json.dumps({"job_id": EVIL}))   # a bad file, said
    return dst, spec


@pytest.mark.parametrize("page", ALL_PAGES)
def test_no_page_turns_a_hostile_name_into_markup(page, hostile_store, monkeypatch):
    root, spec = hostile_store
    monkeypatch.setenv("BATCHSCOPE_STORE", str(root))
    at = AppTest.from_file(APP, default_timeout=90)
    if page:
        at.switch_page(page)
    at.query_params["study"] = spec.study_id
    at.run()
    assert not at.exception, at.exception
    bodies = drawn(at)
    if page in (None, "pages/2_Jobs.py"):   # Home's study line, Jobs' name, message and bad file: drawn
        assert any("click" in b for b in bodies), bodies
    leaks = [b for b in bodies if any(r in b for r in RAW)]
    assert not leaks, leaks


def test_a_hostile_study_link_is_echoed_as_text(fixture_store, monkeypatch):
    root, _ = fixture_store
    monkeypatch.setenv("BATCHSCOPE_STORE", str(root))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["study"] = EVIL
    at.run()
    warned = " ".join(str(w.value) for w in at.warning)
    assert "click" in warned and not any(r in warned for r in RAW)
