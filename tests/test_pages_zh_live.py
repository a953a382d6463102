"""中文 while a job runs: every page rendered in 中文 with a study training in the background shows no English
phrase (three lowercase English words in a row, as the acceptance check reads a page) in its text, its tables
or its charts' text (titles, axes, legends, marks, and the values a legend or axis lists); no page shows
escaped markup (a backslash before a markup character), in either language. The Jobs page's live view is a
fragment that reruns alone in a browser: it must set the language itself."""
import ast
import json
import re
import signal
import time
from pathlib import Path

import pytest

from studies import StudySpec
from studies.office.job_queue import JobQueue
from tests.test_pages import ALL_PAGES, open_page
from tests.test_pages_fair import _study

pytestmark = pytest.mark.usefixtures("restore_main")
ROOT = Path(__file__).resolve().parents[1]
PHRASE = re.compile(r"\b[a-z]{2,}(?:[ \-][a-z]{2,}){2,}\b")   # dashboard4's reading of "an English phrase"
ESCAPED = re.compile(r"\\[+\-*_#]")


def chart_data(element) -> list[dict]:
    """The rows of a drawn chart: Streamlit sends a spec's datasets beside it, as Arrow tables."""
    import pyarrow as pa
    rows = []
    for d in element.proto.datasets:
        rows += pa.ipc.open_stream(d.data.data).read_all().to_pylist()
    return rows


def chart_texts(element) -> list[str]:
    """What a drawn Vega-Lite chart writes as text: titles, text marks and label expressions' literals, and
    the values of every nominal field (legend entries, category axes)."""
    spec = json.loads(element.proto.spec)
    out, nominal = [], set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("title", "text") and isinstance(v, (str, list)):
                    out.extend([v] if isinstance(v, str) else [x for x in v if isinstance(x, str)])
                elif k == "labelExpr" and isinstance(v, str):
                    out.extend(re.findall(r"'([^']*)'", v))
                elif k == "field" and node.get("type") in ("nominal", "ordinal") and isinstance(v, str):
                    nominal.add(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    rows = [r for data in (spec.get("datasets") or {}).values() for r in data] + chart_data(element)
    out += [str(r[f]) for r in rows for f in nominal if isinstance(r, dict) and r.get(f) is not None]
    return out


def shown_texts(at) -> list[str]:
    """Everything a page shows as text: its elements (markdown as drawn), table cells and headers, widget
    labels and options, and its charts' text."""
    shown = [e.value for kind in ("warning", "error", "info", "success", "caption", "markdown", "title",
                                  "subheader", "header") for e in getattr(at, kind)]
    for df in at.dataframe:
        shown += [str(c) for c in df.value.columns] + [str(v) for v in df.value.astype(str).to_numpy().ravel()]
    for kind in ("selectbox", "multiselect", "radio", "button", "toggle", "checkbox", "text_input", "number_input"):
        for w in getattr(at, kind):
            shown.append(str(w.label))
            shown += [str(o) for o in getattr(w, "options", [])]
    shown += [p.proto.text for p in at.get("progress")]
    for c in at.get("vega_lite_chart"):
        shown += chart_texts(c)
    return shown


def english_phrases(at) -> list[str]:
    out = []
    for s in shown_texts(at):
        s = re.sub(r"`[^`]*`", " ", s)    # code spans (spec keys, commands) are typed as they are
        out += [m.group(0) for m in PHRASE.finditer(s)]
    return out


@pytest.fixture
def running_job(tmp_path):
    """A store with a finished study and a job that trains (a long fixed budget) while the test reads pages."""
    sid = _study(tmp_path, "unmatched", missed=1, diverged=True)
    spec = StudySpec.from_dict({"name": "live", "dataset": "digits", "batch_sizes": [8], "optimizers": ["sgd"],
                                "shuffle": [True, False], "seeds": [0], "epochs": 2000,
                                "measure": {"sharpness_eps": []}})
    q = JobQueue(tmp_path)
    job = q.submit(spec)
    yield tmp_path, sid, q, job
    pid = (q.get(job["job_id"]) or {}).get("pid")
    q.cancel(job["job_id"])
    if isinstance(pid, int) and pid > 1:
        try:
            import os
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass


@pytest.mark.slow
def test_every_page_in_chinese_while_a_job_runs_shows_no_english_phrase(running_job, monkeypatch):
    root, sid, q, job = running_job
    at = open_page("pages/2_Jobs.py", root, monkeypatch, {"lang": "zh"})   # its manager starts the job
    deadline = time.monotonic() + 120
    while not (q.progress(job["job_id"]).get("epoch") or 0) and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert q.get(job["job_id"])["state"] == "running" and q.progress(job["job_id"]).get("epoch"), \
        q.log_tail(job["job_id"])
    bad = {}
    for page in ALL_PAGES:
        at = open_page(page, root, monkeypatch, {"study": sid, "lang": "zh"})
        assert not at.exception, (page, at.exception)
        if found := english_phrases(at):
            bad[page or "home"] = found[:4]
        if page == "pages/2_Jobs.py":   # the live view is there and in 中文
            assert any("运行" in p.proto.text for p in at.get("progress")), [p.proto.text for p in at.get("progress")]
    assert not bad, bad


def _ranked_study(store) -> str:
    """_study with a gap that grows with the batch size and every best-lr run at the fit, so Curvature ranks
    its measures (the predictors chart, whose labels once read "(expected \\+)")."""
    from studies.storage.store import open_store
    sid = _study(store, "ranked", missed=0)
    s = open_store(store)
    runs = s.load_table(sid, "runs")
    runs["gap_acc"] = 0.01 + runs["batch_size"] / 10_000 + runs["seed"] / 1000
    s.write_tables(sid, {"runs": [runs], "epochs": [s.load_table(sid, "epochs")]})
    return sid


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", [None] + [pytest.param(p, marks=pytest.mark.slow) for p in ALL_PAGES[1:]])
def test_no_page_shows_escaped_markup(tmp_path, monkeypatch, page, lang):
    sid = _ranked_study(tmp_path)
    at = open_page(page, tmp_path, monkeypatch, {"study": sid, "lang": lang})
    # markdown resolves its escapes; chart text and table cells are drawn as they are
    literal = [s for c in at.get("vega_lite_chart") for s in chart_texts(c)]
    literal += [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]
    assert not [s for s in literal if ESCAPED.search(s)], [s for s in literal if ESCAPED.search(s)][:3]
    doubled = [e.value for kind in ("caption", "markdown", "info", "warning") for e in getattr(at, kind)
               if re.search(r"\\\\[+\-*_#]", e.value)]   # an escaped backslash: drawn as one
    assert not doubled, doubled[:3]


def test_every_fragment_sets_the_language_first():
    """A fragment reruns alone (run_every) in a fresh context: its first statement is ui.keep_language()."""
    for path in [ROOT / "home.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any("fragment" in ast.unparse(d) for d in node.decorator_list):
                body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
                assert ast.unparse(body[0]).startswith("ui.keep_language()"), f"{path.name}: {node.name}"
