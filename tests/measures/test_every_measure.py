"""One test over every registered measure (studies.measures), as optuna's runs over every sampler: it is finite
on a tiny model, its caption and its "How it is measured" line exist in English and 中文 and format with a
MeasureSpec's values, and RESULTS.md documents each of its columns. A measure added through the registry is
checked here without a line of its own."""
import math
import re
from pathlib import Path

import pytest

from studies import measures
from studies.i18n import CATALOGUE, language
from studies.spec.config import MeasureSpec

ROOT = Path(__file__).resolve().parents[2]
EVERY = [m.column for m in measures.measures()]


def only(switch: str, **params) -> MeasureSpec:
    """A MeasureSpec with every switch off but ``switch``."""
    off = {s.name: () if s.listed else False for s in measures.switches()}
    on = measures.switch(switch).default if measures.switch(switch).listed else True
    return MeasureSpec(**{**off, switch: on}, **params)


@pytest.fixture(scope="module")
def tiny():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3)).eval()
    init = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))   # "trained": other weights than at the start
    x, y = torch.randn(96, 5), torch.randint(0, 3, (96,))
    return model, x, y, torch.nn.functional.cross_entropy, init


@pytest.mark.parametrize("column", EVERY)
def test_it_is_finite_on_a_tiny_model(column, tiny):
    from studies.measures.measure_run import measure_run
    model, x, y, loss_fn, init = tiny
    m = measures.measure(column)
    out = measure_run(model, x, y, loss_fn, only(m.switches[0], sample=64, lbfgs_iters=3, random_directions=4,
                                                 sam_m=32), init_state=init, density_rows=[])
    missing = [c for c in m.columns if c not in out]
    assert not missing, f"{column}: no {missing} in {sorted(out)}"
    for c in m.columns:
        assert math.isfinite(float(out[c])), (c, out[c])
    assert f"{m.compute.partition(':')[2].removeprefix('measure_')}_time_s" in out


@pytest.mark.parametrize("column", EVERY)
def test_its_caption_and_how_it_is_measured_exist_in_both_languages(column):
    m = measures.measure(column)
    for key in (m.label, m.caption_key, m.how_key):
        assert key in CATALOGUE and all(CATALOGUE[key]), key
    for lang in ("en", "zh"):
        with language(lang):
            text = measures.caption(column, MeasureSpec())   # every field it names is a MeasureSpec value
            assert text and "{" not in text, (lang, text)
            line = measures.how([column])
            assert line.startswith("- ") and "**" in line and "\n" not in line, (lang, line)   # one bullet


@pytest.mark.parametrize("column", EVERY)
def test_its_columns_are_documented_in_results_md(column):
    documented = set(re.findall(r"`([a-z_0-9]+)`", (ROOT / "RESULTS.md").read_text()))
    missing = [c for c in measures.measure(column).columns if c not in documented]
    assert not missing, f"RESULTS.md does not list: {missing}"
