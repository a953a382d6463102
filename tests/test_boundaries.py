"""Import rules (ARCHITECTURE.md): studies/ never imports streamlit; the light modules (config, store, charts, the
form, estimate, jobs and the other page-side modules) never import torch; train never imports store; nothing
imports pages; the packages import only downwards (spec → engine → measures → analysis → storage → execution →
office, read from the files); no import circles.

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


# ---------------------------------------------------------------- the stack, circles and size, read from the files

# The packages form a stack, each importing only those below it (ARCHITECTURE.md's drawing); charts sit beside
# it above analysis, i18n below everything (everything reads it; it reads nothing of studies), the top of
# studies/ (the CLI, the public API, papers, the playground) above it all.
RANK = {"i18n": 0, "spec": 1, "engine": 2, "measures": 3, "analysis": 4, "charts": 5, "storage": 5,
        "execution": 6, "office": 7, "top": 8}
# The one arrow that runs against it, and why (ARCHITECTURE.md): the [measure] table's fields are the measure
# registry's switches and parameters, so the spec reads MeasureSpec from measures/spec, which reads only the
# registry (measures/__init__) and the spec's own checks: never an estimator, never torch.
ACCEPTED = {("studies.spec.config", "studies.measures.spec"), ("studies.measures.spec", "studies.measures")}


def import_graph() -> dict[str, set[str]]:
    """Module → the studies modules it imports (module level or inside functions), from the source alone."""
    import ast
    files = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
             for p in (ROOT / "studies").rglob("*.py")}
    graph = {m: set() for m in files}
    for m, path in files.items():
        base = m.split(".") if path.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = ".".join(base[:len(base) - node.level + 1] + [node.module or ""]).strip(".") \
                    if node.level else node.module or ""
                # `from .. import measures` imports the submodule; `from .x import name` imports x
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in files else module for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in files:
                    t = t.rpartition(".")[0]
                if t and t != m and t != "studies":
                    graph[m].add(t)
    return graph


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (ROOT / "studies" / parts[-1]).is_dir() and len(parts) == 2 else "top"


def test_the_packages_import_only_downwards():
    """Both directions at once: nothing imports a package above it (storage and measures never read analysis,
    the spec never reads the engine, ...), except the one arrow ACCEPTED names."""
    up = sorted(f"{m} → {n}" for m, targets in import_graph().items() for n in targets
                if RANK[layer(n)] > RANK[layer(m)] and (m, n) not in ACCEPTED)
    assert not up, f"imports against the stack: {up}"
    assert layer("studies.storage.store") == "storage" and layer("studies.cli") == "top" \
        and layer("studies.measures") == "measures"


def test_no_import_circles():
    """No two modules of studies/ import each other, directly or through others (Tarjan's components)."""
    graph, index, low, stack, circles = import_graph(), {}, {}, [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while not comp or comp[-1] != v:
                comp.append(stack.pop())
            if len(comp) > 1:
                circles.append(sorted(comp))
    for v in graph:
        if v not in index:
            visit(v)
    assert not circles, circles



def test_no_python_file_over_400_lines():
    """Small modules with one job: no .py file of the product (studies/, pages/, benchmarks/, the dashboard's
    shell) over 400 lines."""
    files = [p for d in ("studies", "pages", "benchmarks", "ui") for p in (ROOT / d).rglob("*.py")] + \
        [p for p in ROOT.glob("*.py")]
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > 400}
    assert len(files) > 100 and not long, long
