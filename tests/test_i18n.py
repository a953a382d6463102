"""The English / 中文 catalogue: every key in both languages with the same placeholders, every key the code uses
is in the catalogue, and the language is per context (two sessions never share it)."""
import re
import threading
from pathlib import Path

import pytest

from studies import i18n
from studies.i18n.common import CATALOGUE
from studies.i18n import t

ROOT = Path(__file__).resolve().parents[1]
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_key_has_both_languages_with_the_same_placeholders(key):
    texts = CATALOGUE[key]
    assert len(texts) == len(i18n.LANGUAGES) == 2, key
    en, zh = texts
    assert en.strip() and zh.strip(), key
    assert i18n.fields(en) == i18n.fields(zh), key


def test_chinese_texts_are_chinese_where_english_has_words():
    """A 中文 text copied from English by mistake shows: any text with an English word of 4+ letters outside
    code spans and proper names needs a Han character in its Chinese version."""
    same = [k for k, (en, zh) in CATALOGUE.items() if en == zh and re.search(r"[a-z]{4,}", en)
            and k not in {"app.name", "frame.language"}]
    assert not same, same
    lacking = [k for k, (en, zh) in CATALOGUE.items() if re.search(r"\b[a-z]{4,}\b", en) and not HAN.search(zh)
               and k not in {"app.name", "frame.language"} and not k.startswith(("unit.", "sym."))]
    assert not lacking, lacking


def code_keys():
    """Every literal key passed to t("…") in the dashboard and the library."""
    files = [ROOT / "dashboard.py", ROOT / "home.py", *ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"),
             *ROOT.glob("studies/**/*.py")]
    keys = set()
    for f in files:
        keys |= {(f.name, k) for k in re.findall(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""", f.read_text())}
    return keys


def test_every_key_the_code_uses_is_in_the_catalogue():
    found = code_keys()
    assert len(found) > 30                      # the scan sees the pages' calls
    missing = sorted(f"{f}: {k}" for f, k in found if k not in CATALOGUE)
    assert not missing, missing


def test_t_formats_in_the_current_language_and_restores():
    assert t("frame.queue", running=1, names="a", queued=2) == "Queue: 1 running (a), 2 waiting"
    with i18n.language("zh"):
        assert t("frame.queue", running=1, names="a", queued=2) == "队列：1 个运行中（a），2 个等待"
        assert t("nav.home") == "首页"
    assert t("nav.home") == "Home"
    assert t("no.such_key") == "no.such_key"    # visible, never a crash
    assert i18n.set_language("xx") == "en"      # unknown code: English


def test_language_is_per_thread_context():
    seen = {}

    def worker():
        i18n.set_language("zh")
        seen["thread"] = t("nav.home")
    i18n.set_language("en")
    th = threading.Thread(target=worker)
    th.start()
    th.join()
    assert seen["thread"] == "首页" and t("nav.home") == "Home"


def test_a_path_in_a_code_span_shows_as_typed_and_cannot_end_the_span():
    from studies.i18n import code, t
    assert code("/tmp/papers-store_1") == "`/tmp/papers-store_1`"     # no backslashes inside the span
    assert code("a`b\nc") == "`a'b c`"
    assert t("frame.no_studies", root=code("/x/my-store")).startswith("No studies in `/x/my-store` yet")
