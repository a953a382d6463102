"""The Ray executor on a real local Ray (no mocks): same results as the pool executor, incremental storage,
failures as rows, the CLI path. About 40 s on 2 cores (two Ray start-ups)."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from studies import StudySpec, open_store, run_study
from tests.conftest import NO_MEASURE, ROOT
from tests.test_cli import write_spec

pytestmark = pytest.mark.slow   # a real local Ray

ray = pytest.importorskip("ray")

SPEC = {"name": "raytiny", "dataset": "digits", "hidden": [16], "batch_sizes": [64, 512],
        "optimizers": ["sgd", "adam"], "shuffle": [True], "seeds": [0], "epochs": 2, "measure": dict(NO_MEASURE)}


def ray_env(home) -> dict:
    """What a test Ray needs: no token auth (it writes ~/.ray/auth_token), a throw-away HOME."""
    return {**os.environ, "RAY_AUTH_MODE": "disabled", "HOME": str(home), "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    from studies.execution.ray_executor import job_runtime_env
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "HOME")}
    os.environ.update(RAY_AUTH_MODE="disabled", HOME=str(tmp_path_factory.mktemp("rayhome")))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env=job_runtime_env())
    yield ray
    ray.shutdown()
    for k, v in saved.items():
        os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


def _by_run(df):
    return df.sort_values(["run_id"] + (["epoch"] if "epoch" in df else []), ignore_index=True)


def test_ray_gives_the_local_results_and_a_second_run_trains_nothing(local_ray, tmp_path):
    spec = StudySpec.from_dict(SPEC)
    local_runs, local_epochs = run_study(spec, tmp_path / "local")
    events = []
    runs, epochs = run_study(spec, tmp_path / "ray", executor="ray", progress=events.append)
    runs, local_runs = _by_run(runs), _by_run(local_runs)
    assert list(runs.run_id) == list(local_runs.run_id) and list(runs.status) == list(local_runs.status)
    assert set(runs.timing) == {"shared-cpu"} and set(local_runs.timing) == {"timing-pass"}   # the pool times every run in its interleaved pass
    for col in ("train_loss", "test_loss", "train_acc", "test_acc"):
        np.testing.assert_allclose(runs[col], local_runs[col], rtol=1e-3, atol=2e-3, err_msg=col)
    e, le = _by_run(epochs), _by_run(local_epochs)
    assert list(zip(e.run_id, e.epoch)) == list(zip(le.run_id, le.epoch))
    np.testing.assert_allclose(e.train_loss, le.train_loss, rtol=1e-3, atol=2e-3)
    # streamed: each run_end came with the store already holding that run
    assert [ev["event"] for ev in events].count("run_end") == 4
    assert sum(ev["event"] == "epoch" for ev in events) == 4 * 2
    events.clear()
    again, _ = run_study(spec, tmp_path / "ray", executor="ray", progress=events.append)
    assert not any(ev["event"] in ("executor", "run_start", "epoch") for ev in events)
    pd.testing.assert_frame_equal(_by_run(again), runs)


def test_a_task_that_raises_or_a_worker_that_dies_is_a_failed_row_retried_next_time(local_ray, tmp_path):
    def flaky(run, measure, weights=None, train=True):   # pickled by value, runs on the Ray worker
        if run.batch_size == 64 and run.optimizer == "sgd":
            os._exit(3)                                    # the worker process dies
        if run.optimizer == "adam" and run.batch_size == 512:
            raise RuntimeError("boom on the worker")
        from studies.execution.worker import execute_run
        return execute_run(run, measure, weights=weights, train=train)

    spec = StudySpec.from_dict(SPEC)
    runs, _ = run_study(spec, tmp_path, executor="ray", run_fn=flaky)
    status = dict(zip(zip(runs.optimizer, runs.batch_size), runs.status))
    assert status == {("sgd", 64): "failed", ("sgd", 512): "done", ("adam", 64): "done", ("adam", 512): "failed"}
    errors = runs.set_index(["optimizer", "batch_size"]).error
    assert "boom on the worker" in errors[("adam", 512)] and "\n" not in errors[("adam", 512)]
    assert errors[("sgd", 64)].startswith("ray: ")           # e.g. WorkerCrashedError / ActorDiedError
    assert open_store(tmp_path).study_info(spec.study_id)["state"] == "done with failures"
    events = []
    runs, _ = run_study(spec, tmp_path, executor="ray", progress=events.append)
    assert set(runs.status) == {"done"}
    assert sorted(ev["label"] for ev in events if ev["event"] == "run_start") == \
        ["adam B=512 shuffle seed=0 lr=0.001", "sgd B=64 shuffle seed=0 lr=0.1"]


def test_executor_options_are_checked():
    from studies.execution.executors import ExecutorError, get_executor
    for bad in ({"gpus_per_run": 0}, {"gpus_per_run": 1.5}, {"cpus_per_run": 0}, {"runtime_env": "{x"},
                {"frobnicate": 1}):
        with pytest.raises(ExecutorError):
            get_executor("ray", **bad)
    from studies.execution.ray_executor import _reachable
    with pytest.raises(ExecutorError, match="cannot reach a Ray cluster"):
        _reachable("127.0.0.1:1")
    with pytest.raises(ExecutorError, match="is not HOST:PORT"):
        _reachable("nonsense")


def test_cli_executor_ray_starts_a_local_ray_and_refuses_a_dead_address(tmp_path):
    spec = write_spec(tmp_path / "s.toml", batch_sizes=[128, 512], name="clitest-ray")
    store, env = str(tmp_path / "store"), ray_env(tmp_path)
    cmd = [sys.executable, "-m", "studies", "run", str(spec), "--store", store, "--executor", "ray", "--quiet"]
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "2 done" in r.stdout
    runs = open_store(store).load_table(StudySpec.from_toml(spec).study_id)
    assert set(runs.timing) == {"shared-cpu"} and set(runs.executor) == {"ray"}
    bad = subprocess.run(cmd + ["--address", "127.0.0.1:1"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def test_resources_and_timing_labels_per_run():
    """One whole GPU per run (timings solo), a fraction only when asked (shared-gpu), CPUs otherwise."""
    from studies.execution.executors import get_executor
    run = StudySpec.from_dict(SPEC).expand(n_train=1437, device="cuda")[0]
    assert get_executor("ray")._options(run) == ({"num_cpus": 1, "num_gpus": 1}, "solo")
    assert get_executor("ray", gpus_per_run=0.25)._options(run) == ({"num_cpus": 1, "num_gpus": 0.25}, "shared-gpu")
    cpu_run = StudySpec.from_dict(SPEC).expand(n_train=1437, device="cpu")[0]
    assert get_executor("ray", cpus_per_run=2)._options(cpu_run) == ({"num_cpus": 2, "num_gpus": 0}, "shared-cpu")


def test_a_local_rays_token_is_made_private_and_a_link_is_left_alone(tmp_path):
    """Ray 2.60 writes ~/.ray/auth_token world-readable (0644); its token auth is what guards a local Ray's ports,
    which listen on every interface, so the executor makes the file the owner's only (a link is never followed)."""
    from studies.execution.ray_executor import private_token
    token = tmp_path / "auth_token"
    token.write_text("secret")
    token.chmod(0o644)
    assert private_token(token) and (token.stat().st_mode & 0o777) == 0o600
    target = tmp_path / "elsewhere"
    target.write_text("x")
    target.chmod(0o644)
    link = tmp_path / "link"
    link.symlink_to(target)
    assert not private_token(link) and (target.stat().st_mode & 0o777) == 0o644
    assert not private_token(tmp_path / "missing")
