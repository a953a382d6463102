"""Build studies/charts/fonts/BatchscopeCJK-Regular.otf, the font PNG exports of 中文 charts are drawn with on a
server that has no CJK font of its own (studies/charts/common.to_image registers the folder with vl-convert).

It is a subset of Noto Sans CJK SC Regular (© 2014-2021 Adobe, SIL Open Font License 1.1: the folder's OFL.txt)
renamed "Batchscope CJK" (a Modified Version under the OFL must not take the original's name): every character
of the i18n catalogue in both languages, the 3,755 common hanzi of GB 2312 level 1 (study names people type),
ASCII, Latin-1, Greek, and the punctuation, arrows, sub- and superscripts and maths the charts use.
tests/charts/test_cjk_font.py fails when the catalogue gains a character the font lacks: run this again then.

    python scripts/make_cjk_font.py [/path/to/NotoSansCJK-Regular.ttc]   (Debian: apt-get install fonts-noto-cjk)
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "studies" / "charts" / "fonts" / "BatchscopeCJK-Regular.otf"
SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NAME = "Batchscope CJK"


def wanted() -> set[str]:
    from studies.i18n.common import CATALOGUE
    chars = {c for pair in CATALOGUE.values() for text in pair for c in text}
    gb1 = bytes(b for hi in range(0xB0, 0xD8) for lo in range(0xA1, 0xFF) for b in (hi, lo))
    chars |= set(gb1.decode("gb2312", errors="ignore"))
    for lo, hi in ((0x20, 0x7E), (0xA0, 0xFF), (0x370, 0x3FF), (0x2000, 0x206F), (0x2070, 0x209F),
                   (0x2190, 0x21FF), (0x2200, 0x22FF), (0x3000, 0x303F), (0xFF01, 0xFF5E)):
        chars |= {chr(c) for c in range(lo, hi + 1)}
    return chars


def main(source: str = SOURCE) -> None:
    fonts = TTCollection(source).fonts if source.endswith(".ttc") else [TTFont(source)]
    font = next(f for f in fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    options = subset.Options()
    options.name_IDs = ["*"]
    options.layout_features = ["*"]
    options.desubroutinize = False
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(wanted())))
    sub.subset(font)
    names = font["name"]
    for rec in list(names.names):   # the OFL: a Modified Version does not carry the original's name
        if rec.nameID in (1, 3, 4, 6, 16, 17, 21, 22):
            new = {1: NAME, 3: f"{NAME} Regular subset", 4: f"{NAME} Regular", 6: "BatchscopeCJK-Regular",
                   16: NAME, 17: "Regular", 21: NAME, 22: "Regular"}[rec.nameID]
            rec.string = new
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = ["BatchscopeCJK-Regular"]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = f"{NAME} Regular", NAME
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUT)
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size / 1024:.0f} KiB, {len(font.getBestCmap())} characters")


if __name__ == "__main__":
    main(*sys.argv[1:2])
