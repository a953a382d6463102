"""Import rules (DESIGN.md): studies/ never imports streamlit; config, store, charts never import torch."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in out.stdout.split()}


@pytest.mark.parametrize("module", ["studies.config", "studies.store", "studies.charts", "studies",
                                    "studies.playground", "studies.charts_playground", "studies.schedule"])
def test_light_modules_do_not_import_torch(module):
    assert "torch" not in modules_after_import(module)


def test_studies_never_imports_streamlit():
    for path in sorted((ROOT / "studies").glob("*.py")):
        mods = modules_after_import(f"studies.{path.stem}") if path.stem != "__main__" else set()
        assert "streamlit" not in mods, path.name
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, path.name


def test_nothing_imports_pages():
    for path in list((ROOT / "studies").glob("*.py")) + [ROOT / "dashboard.py"]:
        assert "from pages" not in path.read_text() and "import pages" not in path.read_text()
