"""The Hessian's spectral density (`spectrum`) is stored as rows of kind "spectrum" in the landscape table. A study
that measures the spectrum without the 1-D landscape writes a landscape table with no `alpha` column: it is read
back (never set aside as "not a landscape table", neither the study's copy nor the runs' own) and Curvature draws
it, in English and 中文; a table with neither `alpha` nor `kind` is still refused."""
import json

import pandas as pd
import pytest

from studies import StudySpec, run_study
from studies.storage.storefiles import check_columns
from studies.storage.store import open_store
from tests.conftest import NO_MEASURE
from tests.test_pages import charts, open_page, text

pytestmark = pytest.mark.usefixtures("restore_main")


@pytest.fixture(scope="module")
def spectrum_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("spectrum")
    spec = StudySpec.from_dict({"name": "spectrum-only", "dataset": "digits", "hidden": [8], "batch_sizes": [64],
                                "optimizers": ["sgd"], "shuffle": [True], "seeds": [0], "epochs": 1,
                                "measure": {**NO_MEASURE, "spectrum": True}})
    run_study(spec, root)
    return root, spec


def test_a_spectrum_without_the_landscape_is_read_back_not_set_aside(spectrum_store):
    root, spec = spectrum_store
    store = open_store(root)
    land = store.load_table(spec.study_id, "landscape")
    assert "alpha" not in land.columns and set(land.kind) == {"spectrum"}     # the case the check refused
    assert len(land) > 10 and (land.weight > 0).all() and land.weight.sum() == pytest.approx(1.0, rel=1e-3)
    (rid,) = store.load_table(spec.study_id).run_id
    run_land = store.collect_run(rid, store.study_info(spec.study_id)["measure_id"])
    assert run_land is not None and set(run_land[2].kind) == {"spectrum"}     # the run's own file too
    assert store.problems == [] and not list(root.rglob("*.corrupt"))


def test_curvature_draws_the_spectrum_from_those_rows_in_both_languages(spectrum_store, monkeypatch):
    root, spec = spectrum_store
    for lang, title in (("en", "Spectral density of one run"), ("zh", "单次运行的谱密度")):
        at = open_page("pages/8_Curvature.py", root, monkeypatch, {"study": spec.study_id, "lang": lang})
        assert not at.exception and not at.error, text(at.error)
        assert title in [h.value for h in at.subheader]
        drawn = [json.loads(c.proto.spec) for c in charts(at)]
        density = [c for c in drawn if '"density"' in json.dumps(c)]
        assert density, [c.get("title") for c in drawn]
        assert not list(root.rglob("*.corrupt"))


def test_a_landscape_table_needs_alpha_or_kind():
    check_columns(pd.DataFrame({"run_id": ["r"], "kind": ["spectrum"], "eigenvalue": [1.0], "weight": [1.0]}),
                  "landscape")
    check_columns(pd.DataFrame({"run_id": ["r"], "alpha": [0.5], "train_loss": [0.1]}), "landscape")
    with pytest.raises(ValueError, match="not a landscape table: no column alpha or kind"):
        check_columns(pd.DataFrame({"run_id": ["r"], "eigenvalue": [1.0]}), "landscape")
    with pytest.raises(ValueError, match="no column run_id"):
        check_columns(pd.DataFrame({"kind": ["spectrum"]}), "landscape")
