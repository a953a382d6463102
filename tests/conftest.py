import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BATCHSCOPE_CACHE", str(ROOT / ".pytest_cache" / "batchscope-data"))

# Thread count for torch's CPU kernels: BATCHSCOPE_TEST_THREADS=1 or =4 runs the suite at that count (float
# comparisons must hold at any); each test gets it back, so a test that sets threads (execute_run does) never
# changes the ones after it.
_THREADS: dict[str, int] = {}


def pytest_configure(config):
    if os.environ.get("BATCHSCOPE_TEST_THREADS"):
        import torch
        torch.set_num_threads(int(os.environ["BATCHSCOPE_TEST_THREADS"]))


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    torch = sys.modules.get("torch")
    if torch is not None:
        _THREADS.setdefault("n", torch.get_num_threads())
    yield
    torch = sys.modules.get("torch")
    if torch is not None and "n" in _THREADS and torch.get_num_threads() != _THREADS["n"]:
        torch.set_num_threads(_THREADS["n"])


@pytest.fixture
def one_thread():
    """Bit-for-bit comparisons of two float32 computations that reduce in different orders (a stack of runs
    vs each run alone): with several threads the order of a sum depends on the split, and RMSProp's division
    by √v turns a 1e-7 difference into a whole step. One thread inside the test makes the order fixed."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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


# ---- dashboard fixtures (pages, jobs, browser)

@pytest.fixture(scope="session")
def measured_store(tmp_path_factory):
    """Two small studies with every measurement on and a reachable target (Sharpness, Compare, steps-to-target).

    The second differs only in one batch size, so its other runs come from the run cache. Built by the CLI in
    a fresh process, as the dashboard's jobs do: a process pool started from a test process that has run
    AppTest would re-import the page script that AppTest left as __main__."""
    import subprocess
    import sys
    from studies import StudySpec
    root = tmp_path_factory.mktemp("measured")
    base = {"dataset": "digits", "hidden": [16], "optimizers": ["sgd"], "shuffle": [True, False],
            "seeds": [0], "epochs": 3, "target_train_acc": 0.5,
            "measure": {"sample": 128, "lbfgs_iters": 2, "random_directions": 2, "landscape_points": 5,
                        "critical": True, "sharpness_adaptive": True, "hessian_track": True, "landscape_2d": True,
                        "rescale_audit": True, "surface_points": 5}}
    specs = [StudySpec.from_dict({**base, "name": "measured-a", "batch_sizes": [32, 256]}),
             StudySpec.from_dict({**base, "name": "measured-b", "batch_sizes": [64, 256]})]
    for spec in specs:
        path = root / f"{spec.name}.toml"
        path.write_text(spec.to_toml())
        subprocess.run([sys.executable, "-m", "studies", "run", str(path), "--store", str(root), "--quiet"],
                       cwd=ROOT, check=True, capture_output=True)
    return root, specs


def synthetic_study(root, n_seeds: int = 10, epochs: int = 20):
    """A finished study written straight into a store: 10 batch sizes × 5 optimizers × 2 orders × n_seeds runs,
    with measurement columns, epochs and landscape rows, but no training (for render-time checks)."""
    import numpy as np
    import pandas as pd
    from studies import StudySpec
    from studies.storage.store import open_store
    spec = StudySpec.from_dict({"name": "synthetic-1000", "dataset": "synthetic",
                                "batch_sizes": [2 ** k for k in range(1, 11)],
                                "optimizers": ["sgd", "momentum", "nesterov", "adam", "adamw"],
                                "shuffle": [True, False], "seeds": list(range(n_seeds))})
    runs = spec.expand(n_train=3200)
    n, rng = len(runs), np.random.default_rng(0)
    b = np.array([r.batch_size for r in runs])
    log_b = np.log2(b)
    train_acc = np.clip(0.99 - 0.003 * log_b + rng.normal(0, 0.01, n), 0, 1)
    test_acc = train_acc - 0.05 - 0.01 * log_b + rng.normal(0, 0.01, n)
    epoch_time = 0.002 * 3200 / b + 0.0001 * b
    steps_per_epoch = np.ceil(3200 / b)
    df = pd.DataFrame({
        "run_id": [r.run_id for r in runs], "dataset": "synthetic", "model": "mlp",
        "optimizer": [r.optimizer for r in runs], "lr": [r.lr for r in runs], "batch_size": b,
        "shuffle": [r.shuffle for r in runs], "seed": [r.seed for r in runs], "epochs": epochs, "device": "cpu",
        "device_name": "cpu (2 threads), torch 2.x", "torch_version": "2.x", "warmup_epochs": 0, "error": "",
        "status": np.where(rng.random(n) < 0.01, "diverged", "done"), "reached_target": rng.random(n) < 0.7,
        "train_loss": 1 - train_acc, "train_acc": train_acc, "test_loss": 1.2 - test_acc, "test_acc": test_acc,
        "gap_acc": train_acc - test_acc, "gap_loss": 0.2 + 0.1 * log_b, "epoch_time_s": epoch_time,
        "timed_epochs": epochs - 1, "step_time_s": epoch_time / steps_per_epoch, "total_time_s": epoch_time * epochs,
        "steps": (steps_per_epoch * epochs).astype(int), "samples_per_epoch": 3200,
        "sharpness_eps": 5 + log_b + rng.normal(0, 1, n), "sharpness_rand": 0.01 * log_b,
        "hessian_top_eig": 3 * log_b, "hessian_trace": 40 * log_b, "noise_scale": 300 + rng.normal(0, 20, n)})
    e = np.tile(np.arange(epochs + 1), n)
    ep = pd.DataFrame({"run_id": np.repeat(df.run_id, epochs + 1), "epoch": e, "epoch_time_s": 0.1, "lr": 0.1,
                       "steps": e * 10, "train_loss": 1 / (1 + e), "train_acc": e / (epochs + 1),
                       "test_loss": 1.1 / (1 + e), "test_acc": e / (epochs + 2)})
    alpha = np.tile(np.linspace(-1, 1, 11), n)
    land = pd.DataFrame({"run_id": np.repeat(df.run_id, 11), "kind": "random", "alpha": alpha,
                         "train_loss": alpha ** 2, "test_loss": alpha ** 2 + 0.1, "train_acc": 0.9, "test_acc": 0.8})
    store = open_store(root)
    store.write_tables(spec.study_id, {"runs": [df], "epochs": [ep], "landscape": [land]})
    store.save_study(spec.to_toml(), {"study_id": spec.study_id, "name": spec.name, "dataset": "synthetic",
                                      "runs_total": n, "runs_done": n, "state": "done",
                                      "updated": "2026-01-01T00:00:00"})
    return spec


@pytest.fixture(scope="session")
def big_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    return root, synthetic_study(root)


@pytest.fixture
def restore_main():
    """AppTest leaves the page script installed as sys.modules["__main__"]; a process pool started later in
    this test process (forkserver/spawn) would then re-run that page in its workers. Put pytest's back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
