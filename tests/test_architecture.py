"""ARCHITECTURE.md is the map of the code: every module of studies/ is named in it, and every module it names exists."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules():
    return sorted({p.stem for p in (ROOT / "studies").rglob("*.py") if p.stem not in ("__init__", "__main__")})


def test_architecture_names_every_module_of_studies():
    text = (ROOT / "ARCHITECTURE.md").read_text()
    missing = [m for m in modules() if not re.search(rf"`{re.escape(m)}`", text)]
    assert not missing, f"ARCHITECTURE.md does not name: {missing}"


def test_every_module_the_tables_name_exists():
    text = (ROOT / "ARCHITECTURE.md").read_text()
    named = set()
    for row in re.findall(r"^\| (`[^|]+`) \|", text, flags=re.M):
        named |= set(re.findall(r"`(\w+)`", row))
    assert named and not named - set(modules()), sorted(named - set(modules()))
