"""中文 all the way: every page rendered in 中文 on a study with missed, stalled and diverged runs shows no English
sentence (five English words in a row) outside proper names, units and symbols. The library's messages (the
matched-fit warning, the S(B) fit, B_simple, the studies table's summaries, the states) come from the
catalogue too."""
import re

import pytest

from tests.test_pages import EACH_PAGE, open_page, text
from tests.test_pages_fair import _study

pytestmark = pytest.mark.usefixtures("restore_main")

# names a 中文 page keeps in English: optimizers, data sets, symbols and units
NAMES = re.compile(r"\b(sgd|momentum|adam|adamw|rmsprop|digits|mnist1d|mlp|cnn|B_simple|B_crit|S\(B\)|lr|nats|"
                   r"CSV|PNG|SVG|TOML|Hessian|Lanczos|Keskar|SAM|Shallue|McCandlish|Ray|cpu|cuda|mps|N|B)\b")
SENTENCE = re.compile(r"[A-Za-z]+(?:[ ,:;]+[A-Za-z]+){4,}")


def english_sentences(at) -> list[str]:
    """Runs of 5+ English words in what the page shows (names taken out first)."""
    shown = [text([e]) for kind in ("warning", "error", "info", "success", "caption", "markdown", "title",
                                    "subheader", "header") for e in getattr(at, kind)]
    shown += [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]
    out = []
    for s in shown:
        s = re.sub(r"`[^`]*`|\*[^*]+\*", " ", NAMES.sub(" ", s.replace("**", "")))   # code spans (spec keys) and titles of works (*…*)
        out += [m.group(0) for m in SENTENCE.finditer(s)]
    return out


@pytest.mark.parametrize("page", EACH_PAGE)
def test_every_page_in_chinese_shows_no_english_sentence(tmp_path, monkeypatch, page):
    sid = _study(tmp_path, "unmatched", missed=1, diverged=True)
    at = open_page(page, tmp_path, monkeypatch, {"study": sid, "lang": "zh"})
    assert not at.exception, at.exception
    assert not english_sentences(at), english_sentences(at)[:5]


def test_the_studies_table_in_chinese_has_translated_states_summaries_and_readable_times(tmp_path, monkeypatch):
    from studies.storage.store import open_store
    sid = _study(tmp_path, "unmatched", missed=1)
    store = open_store(tmp_path)
    store.save_study("", {**store.study_info(sid), "fit": "7 done · 1 missed target", "updated": "2026-01-01T00:00:00"})
    at = open_page(None, tmp_path, monkeypatch, {"study": sid, "lang": "zh"})
    row = at.dataframe[0].value.iloc[0]                    # the studies table comes first
    assert (row.state, row.fit, row.updated) == ("已完成", "7 个完成 · 1 个未达标", "2026-01-01")


def test_form_errors_in_chinese_say_what_to_change_in_chinese(tmp_path, monkeypatch):
    """Spec errors are catalogue texts: bad batch sizes, seeds and a hidden width refused in 中文, each
    under its field and all of them in the list above Launch."""
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch, {"lang": "zh"}, run=False)
    # typed into session state before the first run: AppTest cannot re-send a radio whose labels a
    # format_func translates
    for key, typed in (("f_batch_sizes", "16, abc"), ("f_seeds", "0, x"), ("f_hidden", "64, 0")):
        at.session_state[key] = typed
    at.run()
    shown = text(at.error)
    assert "不是批大小" in shown and "不是整数" in shown and "超出范围" in shown, shown
    assert not english_sentences(at), english_sentences(at)[:5]


def test_a_spec_error_raised_with_a_key_reads_the_same_in_the_cli():
    from studies.spec.config import SpecError, StudySpec
    with pytest.raises(SpecError) as e:
        StudySpec.from_dict({"dataset": "digits", "batch_sizes": [16, 0]})
    assert str(e.value) == 'batch_sizes: 0 is not a batch size; use integers ≥ 1 (or "full")'
    assert e.value.key == "spec.batch_below_one"
