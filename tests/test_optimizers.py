"""The optimizer table (studies/spec/optimizers.py) is the one place an optimizer is written: an entry added to it is
validated, trained and offered by the playground; its defaults are written nowhere else and are torch's."""
import ast
import inspect
import io
import re
import tokenize
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from studies.spec import config
from studies.spec.config import SpecError, StudySpec
from studies.engine.optim import Update, make_optimizer
from studies.spec.optimizers import BETA1, BETA2, EPS, HYPERS, MOMENTUM, TABLE, WEIGHT_DECAY
from studies.playground import OptimizerSpec, Setup, slider_key
from studies.surfaces import SURFACES
from tests.test_playground import simulate

ROOT = Path(__file__).resolve().parents[1]


def spec(**kw):
    return StudySpec.from_dict({"dataset": "digits", "batch_sizes": [32], **kw})


@pytest.fixture
def dummy(monkeypatch):
    """A new optimizer: one entry, of the heavy-ball family."""
    monkeypatch.setitem(TABLE, "dummy", replace(TABLE["momentum"], name="dummy", lr=0.05, color="#123456"))
    return TABLE["dummy"]


def test_a_dummy_optimizer_is_refused_until_it_is_in_the_table():
    for fields, where in [({"optimizers": ["dummy"]}, "optimizers"), ({"lr": {"dummy": 0.1}}, "lr.dummy")]:
        with pytest.raises(SpecError, match=re.escape(where)):
            spec(**fields)


def test_a_dummy_optimizer_in_the_table_is_validated_and_trained(dummy):
    s = spec(optimizers=["dummy", "sgd"], optim={"momentum": 0.5}, weight_decay={"dummy": 0.001})
    runs = {r.optimizer: r for r in s.expand(n_train=1000)}
    assert (runs["dummy"].lr, runs["dummy"].hyper, runs["dummy"].weight_decay) == (0.05, (("momentum", 0.5),), 0.001)
    assert runs["sgd"].hyper == () and spec(lr={"dummy": [0.2, 0.4]}).lrs_for("dummy") == (0.2, 0.4)
    w = [torch.nn.Parameter(torch.zeros(2))]
    opt = make_optimizer("dummy", w, 0.1, hyper=dict(runs["dummy"].hyper))
    assert isinstance(opt, torch.optim.SGD) and opt.defaults["momentum"] == 0.5
    assert Update("dummy", w, 0.1).hyper["momentum"] == MOMENTUM.default


def test_a_dummy_optimizer_in_the_table_is_in_the_playground(dummy):
    assert OptimizerSpec("dummy", 0.1).label() == "dummy (lr=0.1, β=0.9)"
    assert slider_key("dummy", MOMENTUM.slider) == "pg_beta_dummy"
    s = SURFACES["bumpy"]
    paths = [simulate(s, OptimizerSpec(n, s.lr, beta=0.8), (3.8, -3.8), Setup(steps=50)).theta
             for n in ("dummy", "momentum")]
    np.testing.assert_array_equal(*paths)    # the momentum family's rule


def test_a_dummy_optimizer_in_the_table_is_offered_by_the_playground_page(dummy, tmp_path, monkeypatch,
                                                                          restore_main):
    monkeypatch.setenv("BATCHSCOPE_STORE", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.switch_page("pages/7_Playground.py")
    at.query_params.update({"pg_optimizers": ["dummy"], "pg_beta_dummy": "0.7"})
    at.run()
    assert not at.exception and not at.error
    assert "dummy" in at.multiselect(key="pg_optimizers").options
    assert at.multiselect(key="pg_optimizers").value == ["dummy"] and at.slider(key="pg_beta_dummy").value == 0.7
    assert {label.split(", ")[-1] for label in at.dataframe[0].value.label} == {"β=0.7)"}


def test_the_readers_take_their_defaults_from_the_table(monkeypatch):
    assert config.OPTIM_HYPER["momentum"] == (MOMENTUM.default, ("momentum", "nesterov"))
    assert config.OPTIM_HYPER["beta2"] == (BETA2.default, ("adam", "adamw"))
    assert spec().lr_for("sgd") == TABLE["sgd"].lr and spec().weight_decay_for("adamw") == 0.01
    # a changed default reaches torch.optim and the fused update
    slow = replace(MOMENTUM, default=0.7)
    monkeypatch.setitem(TABLE, "nesterov", replace(TABLE["nesterov"], hypers=(slow,)))
    w = [torch.nn.Parameter(torch.zeros(2))]
    assert make_optimizer("nesterov", w, 0.1).defaults["momentum"] == 0.7
    assert Update("nesterov", w, 0.1).hyper["momentum"] == 0.7
    assert OptimizerSpec("nesterov", 0.1).beta == MOMENTUM.default      # the playground's field default


def test_the_defaults_written_in_the_table_are_torchs():
    """All but momentum (torch's SGD has none; 0.9 is the usual β), which the table states as its own."""
    for o in TABLE.values():
        cls = getattr(torch.optim, o.torch_class)
        torch_default = {k: p.default for k, p in inspect.signature(cls).parameters.items()}
        for k, v in o.fixed:
            if (o.name, k) != ("nesterov", "nesterov"):   # nesterov = SGD with nesterov=True
                assert torch_default[k] == v, (o.name, k)
        for h in o.hypers:
            theirs = torch_default[h.torch_key] if h.slot is None else torch_default[h.torch_key][h.slot]
            assert theirs == h.default or h is MOMENTUM, (o.name, h.name)
    assert inspect.signature(torch.optim.AdamW).parameters["weight_decay"].default == TABLE["adamw"].weight_decay


def test_playground_slider_keys_keep_the_links():
    keys = {(n, s.field): slider_key(n, s) for n, o in TABLE.items() for s, _ in o.sliders()}
    assert keys == {("momentum", "beta"): "pg_beta_momentum", ("nesterov", "beta"): "pg_beta_nesterov",
                    ("rmsprop", "alpha"): "pg_alpha", ("adam", "beta1"): "pg_beta1", ("adam", "beta2"): "pg_beta2",
                    ("adamw", "beta1"): "pg_beta1_adamw", ("adamw", "beta2"): "pg_beta2_adamw",
                    ("adamw", "weight_decay"): "pg_wd_adamw"}
    assert dict(TABLE["adamw"].sliders())[WEIGHT_DECAY] == 0.01


# ---------------------------------------------------------------- each default written once

def defaults_written(text: str) -> list[tuple[int, str]]:
    """(line, hyper-parameter) for each statement that writes a hyper-parameter's name (as a word, any case)
    beside a number equal to its default: ``MOMENTUM = 0.9``, ``beta: float = 0.9``, ``"eps": 1e-8``."""
    names: dict[str, set] = {}
    for h in HYPERS:
        if not isinstance(h.default, bool):
            for word in {h.name, h.slider.field if h.slider else h.name}:
                names.setdefault(word, set()).add(float(h.default))
    hits, words, numbers, first = [], set(), set(), None
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            first = first or tok.start[0]
        if tok.type in (tokenize.NAME, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)):
            words |= {w.lower() for w in re.findall(r"[A-Za-z_]\w*", tok.string)}
        elif tok.type == tokenize.NUMBER:
            numbers.add(ast.literal_eval(tok.string))
        elif tok.type == tokenize.NEWLINE:
            hits += [(first, w) for w in sorted(words & names.keys()) if names[w] & numbers]
            words, numbers, first = set(), set(), None
    return hits


def test_the_scan_finds_a_default_written_beside_its_name():
    assert defaults_written('MOMENTUM = 0.9\nOPTIM_HYPER = {\n    "beta2": (0.999, ("adam",)),\n}\n') == \
        [(1, "momentum"), (2, "beta2")]      # the line a statement starts on
    assert defaults_written("class A:\n    beta: float = 0.9\n    alpha: float = 0.5\n") == [(2, "beta")]
    assert defaults_written('x = f"e.g. {0.9}"  # momentum 0.9\nlr = 0.9\n') == []


def test_each_default_hyper_parameter_is_written_once_in_the_table():
    table = ROOT / "studies" / "spec" / "optimizers.py"
    found = {w for _, w in defaults_written(table.read_text())}
    assert {h.name for h in HYPERS if not isinstance(h.default, bool)} <= found
    files = sorted(set(ROOT.glob("studies/**/*.py")) | set(ROOT.glob("pages/*.py")) | set(ROOT.glob("*.py")))
    elsewhere = [f"{p.relative_to(ROOT)}:{line}: {w}" for p in files if p != table
                 for line, w in defaults_written(p.read_text())]
    assert elsewhere == []
    assert TABLE["adam"].hypers == TABLE["adamw"].hypers == (BETA1, BETA2, EPS)   # shared, not copied
