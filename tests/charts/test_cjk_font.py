"""中文 PNG exports draw Chinese glyphs on a server without a CJK system font: the shipped Batchscope CJK font
(studies/charts/fonts, a subset of Noto Sans CJK SC under the OFL) holds every character of the catalogue, and
charts.to_image hands it to vl-convert."""
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from studies.charts.common import FONTS
from studies.i18n.common import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
FONT = FONTS / "BatchscopeCJK-Regular.otf"


def test_the_font_holds_every_character_of_the_catalogue_and_its_licence():
    cmap = TTFont(FONT).getBestCmap()
    cjk = lambda c: 0x2E80 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF or 0xFF00 <= ord(c) <= 0xFFEF  # noqa: E731
    chinese = {c for _, zh in CATALOGUE.values() for c in zh if cjk(c)}   # Latin and maths: the system's fonts
    missing = sorted(c for c in chinese if ord(c) not in cmap)
    assert not missing, f"run scripts/make_cjk_font.py: the font lacks {''.join(missing[:40])}"
    assert all(ord(c) in cmap for c in "批大小训练准确率研究η λ≈×−（），。")
    assert TTFont(FONT)["name"].getDebugName(1) == "Batchscope CJK"   # a Modified Version: not the original's name
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "OFL.txt").read_text()


RENDER = """
import hashlib, sys
import vl_convert as vlc
sys.path.insert(0, {root!r})
from studies.charts.common import to_image
spec = {{"data": {{"values": [{{"x": 1}}]}}, "mark": "point", "title": "训练准确率随批大小变化",
        "encoding": {{"x": {{"field": "x", "type": "quantitative", "title": "批大小"}}}}, "width": 200,
        "background": "white"}}
bare = vlc.vegalite_to_png(spec, scale=1)          # before to_image registers the shipped font
ours = to_image(spec, "png")
print(hashlib.md5(bare).hexdigest(), len(bare), len(ours))
"""


def test_a_png_export_draws_chinese_without_a_system_cjk_font(tmp_path):
    """In a mount namespace where the system's CJK fonts are hidden: vl-convert alone draws empty boxes (a
    smaller PNG: a box is a few strokes), to_image draws the glyphs (many strokes each: a larger PNG)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    hide = " && ".join(f"mount --bind {empty} {d}" for d in ("/usr/share/fonts/opentype/noto",)
                       if Path(d).is_dir()) or "true"
    code = tmp_path / "render.py"
    code.write_text(RENDER.format(root=str(ROOT)))
    done = subprocess.run(["unshare", "-m", "sh", "-c", f"{hide} && {sys.executable} {code}"],
                          capture_output=True, text=True, timeout=300)
    if done.returncode and ("Operation not permitted" in done.stderr or "unshare" in done.stderr):
        pytest.skip(f"no mount namespace here: {done.stderr.strip()[:80]}")
    assert done.returncode == 0, done.stderr[-800:]
    _, bare, ours = done.stdout.split()
    assert int(ours) > int(bare) * 1.2, (bare, ours)   # glyphs, not boxes
