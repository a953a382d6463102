"""Import rules (ARCHITECTURE.md): studies/ never imports streamlit; the light modules (config, store, charts, the
form, estimate, jobs and the other page-side modules) never import torch; train never imports store; nothing
imports pages.

All module-level imports are checked in ONE fresh interpreter (it used to start 29): torch and streamlit cannot
be unloaded, so the light modules are imported first, one at a time, and torch must still be absent after
each; then every other module, and streamlit must still be absent; "A never imports B" within studies/ is
checked after unloading studies.* (pure Python, safe to import again), with the package's __init__ (which
loads the store for ``from studies import open_store``) left out."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIGHT = ["studies", "studies.spec.config", "studies.storage.store", "studies.charts", "studies.spec.estimate",
         "studies.office.jobs", "studies.office.uploads", "studies.spec.limits", "studies.office.throttle",
         "studies.office.form", "studies.analysis.fairness", "studies.analysis.scaling", "studies.spec.schedule",
         "studies.playground", "studies.charts.playground", "studies.i18n", "studies.analysis.summary",
         "studies.analysis.conclusions", "studies.analysis.predictors", "studies.analysis.verdict",
         "studies.office.clusters", "studies.spec.optimizers", "studies.spec.runnable", "studies.storage.csvsafe"]
NEVER = {"studies.engine.train": ["studies.storage.store"]}   # module → studies modules it must not pull in

PROBE = r"""
import importlib, json, sys, types
from pathlib import Path
light, never = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def exists(m):
    path = Path(*m.split("."))
    return m == "studies" or path.with_suffix(".py").exists() or (path / "__init__.py").exists()
out = {"torch": {}, "streamlit": {}, "never": {}}
for m in [m for m in light if exists(m)]:
    importlib.import_module(m)
    out["torch"][m] = "torch" in sys.modules
modules = sorted(".".join(p.with_suffix("").parts).removesuffix(".__init__") for p in Path("studies").rglob("*.py")
                 if p.stem != "__main__")
for m in modules:
    importlib.import_module(m)
    out["streamlit"][m] = "streamlit" in sys.modules
for m, banned in never.items():
    for k in [k for k in sys.modules if k == "studies" or k.startswith("studies.")]:
        del sys.modules[k]
    pkg = types.ModuleType("studies")      # the package without its __init__ (which loads store for users)
    pkg.__path__ = [str(Path("studies").resolve())]
    sys.modules["studies"] = pkg
    importlib.import_module(m)
    out["never"][m] = [b for b in banned if b in sys.modules]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def imports():
    r = subprocess.run([sys.executable, "-c", PROBE, json.dumps(LIGHT), json.dumps(NEVER)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_light_modules_do_not_import_torch(imports):
    assert imports["torch"] and [m for m, loaded in imports["torch"].items() if loaded] == []
    assert {"studies.spec.config", "studies.storage.store", "studies.charts", "studies.spec.estimate",
            "studies.office.jobs", "studies.office.form"} <= set(imports["torch"])


def test_studies_never_imports_streamlit(imports):
    assert len(imports["streamlit"]) > 20 and [m for m, loaded in imports["streamlit"].items() if loaded] == []
    for path in sorted((ROOT / "studies").rglob("*.py")):
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, path.name


def test_train_never_imports_the_store(imports):
    assert imports["never"] == {m: [] for m in NEVER}


def test_nothing_imports_pages():
    for path in list((ROOT / "studies").rglob("*.py")) + [ROOT / "dashboard.py"]:
        assert "from pages" not in path.read_text() and "import pages" not in path.read_text()
