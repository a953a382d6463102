import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BATCHSCOPE_CACHE", str(ROOT / ".pytest_cache" / "batchscope-data"))

# Measurements off: engine tests stay fast; the measurement tests turn them on where they test them.
NO_MEASURE = {"sharpness_eps": [], "sharpness_random": False, "sharpness_sam": False, "hessian": False,
              "landscape": False, "noise_scale": False}


@pytest.fixture
def tiny_spec_dict():
    return {"name": "tiny", "dataset": "digits", "hidden": [32], "batch_sizes": [64, 512],
            "optimizers": ["sgd", "adam"], "shuffle": [True], "seeds": [0], "epochs": 2,
            "measure": dict(NO_MEASURE)}


@pytest.fixture(scope="session")
def fixture_store(tmp_path_factory):
    """A small finished study (digits; 2 batch sizes × 2 optimizers × both shuffle modes × 2 seeds)."""
    from studies import StudySpec, run_study
    root = tmp_path_factory.mktemp("store")
    spec = StudySpec.from_dict({"name": "fixture", "dataset": "digits", "hidden": [32],
                                "batch_sizes": [32, 512], "optimizers": ["sgd", "adam"],
                                "shuffle": [True, False], "seeds": [0, 1], "epochs": 2,
                                "measure": dict(NO_MEASURE)})
    run_study(spec, root)
    return root, spec
