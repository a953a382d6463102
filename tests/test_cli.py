import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from tests.conftest import NO_MEASURE

pytestmark = pytest.mark.slow   # the real CLI training in subprocesses

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "studies", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


def write_spec(path, **kw):
    d = {"name": "clitest", "dataset": "digits", "hidden": [16], "batch_sizes": [128, 512],
         "optimizers": ["sgd"], "shuffle": [True], "epochs": 2, "measure": NO_MEASURE}
    d.update(kw)
    path.write_text(tomli_w.dumps(d))
    return path


def test_export_audit_surface_and_tracked_lambda_max(tmp_path):
    """The names the landscape check reads: export --table audit, surface rows whose centre is the run's train
    loss (the measurement sample is the whole training set here), λ_max in the epochs table."""
    import io
    measure = {**NO_MEASURE, "hessian": True, "sharpness_adaptive": True, "landscape_2d": True,
               "rescale_audit": True, "hessian_track": True, "surface_points": 3, "lbfgs_iters": 3}
    spec = write_spec(tmp_path / "s.toml", batch_sizes=["full"], epochs=5, measure=measure)
    store = str(tmp_path / "store")
    assert cli("run", str(spec), "--store", store, "--quiet").returncode == 0
    audit = cli("export", "clitest", "--store", store, "--table", "audit")
    assert audit.returncode == 0, audit.stderr
    a = pd.read_csv(io.StringIO(audit.stdout))
    assert {"run_id", "measure", "original", "rescaled", "ratio", "logits_max_diff"} <= set(a.columns)
    assert (a.logits_max_diff <= 1e-4).all() and set(a.measure) >= {"sharpness_adaptive", "hessian_top_eig"}
    assert abs(a.set_index("measure").ratio["sharpness_adaptive"] - 1) <= 0.05
    assert a.set_index("measure").ratio["hessian_top_eig"] >= 10
    runs = pd.read_csv(io.StringIO(cli("export", "clitest", "--store", store).stdout))
    land = pd.read_csv(io.StringIO(cli("export", "clitest", "--store", store, "--table", "landscape").stdout))
    surface = land[land.kind == "surface"]
    assert len(surface) == 9 and "sharpness_adaptive" in runs
    centre = surface[(surface.alpha == 0) & (surface.beta == 0)].train_loss.iloc[0]
    assert centre == pytest.approx(runs.train_loss.iloc[0], rel=1e-5)
    ep = pd.read_csv(io.StringIO(cli("export", "clitest", "--store", store, "--table", "epochs").stdout))
    assert ep.dropna(subset=["hessian_top_eig"]).epoch.tolist() == [0, 1, 4, 5]


def test_run_list_export_and_cached_rerun(tmp_path):
    spec = write_spec(tmp_path / "s.toml")
    store = str(tmp_path / "store")
    r = cli("run", str(spec), "--store", store)
    assert r.returncode == 0, r.stderr
    assert "clitest" in r.stdout and "2 done" in r.stdout
    assert "sgd B=128" in r.stderr          # a progress bar per run
    r2 = cli("run", str(spec), "--store", store, "--quiet")
    assert r2.returncode == 0 and "2 done" in r2.stdout
    ls = cli("list", "--store", store)
    assert ls.returncode == 0 and "clitest" in ls.stdout and "done" in ls.stdout
    out = tmp_path / "runs.csv"
    ex = cli("export", "clitest", "--store", store, "--table", "runs", "-o", str(out))
    assert ex.returncode == 0, ex.stderr
    df = pd.read_csv(out)
    assert len(df) == 2 and set(df.batch_size) == {128, 512}
    pq = tmp_path / "epochs.parquet"
    assert cli("export", "clitest", "--store", store, "--table", "epochs", "--format", "parquet",
               "-o", str(pq)).returncode == 0
    assert len(pd.read_parquet(pq)) == 2 * 3
    stdout_csv = cli("export", "clitest", "--store", store)
    assert stdout_csv.stdout.startswith("study_id,")
    pred = cli("export", "clitest", "--store", store, "--table", "predictors")
    assert pred.returncode == 0, pred.stderr
    assert pred.stdout.startswith("measure,label,tau,ci_low,ci_high,p_value,n,gap") and "batch_size" in pred.stdout
    import io
    p = pd.read_csv(io.StringIO(pred.stdout))
    assert {"psi", "expected_sign", "agreement", "n_left_out", "note"} <= set(p.columns)
    assert (p.n < 10).all() and p.ci_low.isna().all() and p.ci_high.isna().all()     # 2 runs: no interval
    assert p.note.str.startswith("too few runs for an interval").all()


def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path):
    bad_spec = write_spec(tmp_path / "bad.toml", batch_sizes=[0])
    cases = [
        ("run", str(bad_spec)),
        ("run", str(tmp_path / "missing.toml")),
        ("run", str(write_spec(tmp_path / "big.toml", batch_sizes=[100000]))),
        ("export", "nothing", "--store", str(tmp_path / "empty")),
        ("export", "x", "--format", "parquet", "--store", str(tmp_path)),
        ("run",),
        ("frobnicate",),
        ("run", str(bad_spec), "--executor", "spark"),
    ]
    for args in cases:
        r = cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr, args
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    r = cli("run", str(bad_spec))
    assert "batch_sizes: 0 is not a batch size" in r.stderr


def test_export_epochs_carries_the_grid_columns(fixture_store, tmp_path):
    """A tidy epochs table: no join with the runs table needed before plotting."""
    import pandas as pd
    from studies.cli import main
    root, spec = fixture_store
    out = tmp_path / "ep.csv"
    assert main(["export", spec.study_id, "--store", str(root), "--table", "epochs", "-o", str(out)]) == 0
    ep = pd.read_csv(out)
    for col in ("batch_size", "optimizer", "shuffle", "seed", "lr"):
        assert col in ep and ep[col].notna().all(), col
    assert set(ep.batch_size) == {32, 512} and set(ep.optimizer) == {"sgd", "adam"}


def test_progress_file_tracks_phase_runs_and_the_estimate(tmp_path):
    import json
    from studies.cli import _Progress
    path = tmp_path / "p.json"
    p = _Progress(True, str(path), "2 min", 120.0)
    p({"event": "study_start", "study_id": "s", "name": "n", "total": 4, "todo": 2, "device": "cpu"})
    p({"event": "run_start", "run_id": "a", "label": "sgd B=8", "epochs": 2})
    p({"event": "epoch", "run_id": "a", "epoch": 1, "train_loss": 1.0, "test_acc": 0.5})
    assert p.state["phase"] == "training" and p.runs["a"]["epochs"] == 1
    p({"event": "epoch", "run_id": "a", "epoch": 2, "train_loss": 0.5, "test_acc": 0.6})
    assert p.state["phase"] == "measuring" and p.runs["a"]["state"] == "measuring"
    p({"event": "run_end", "run_id": "a", "label": "sgd B=8", "status": "done", "done": 3, "total": 4,
       "epochs": 2, "reached_target": True, "time_s": 3.5})
    p({"event": "interpolate", "pairs": 1})
    state = json.loads(path.read_text())
    assert state["estimate_s"] == 60.0 and state["phase"] == "landscape"    # 2 of 4 runs to do: half the estimate
    assert state["runs"]["a"] == {**state["runs"]["a"], "state": "done", "epochs": 2, "reached_target": True,
                                  "time_s": 3.5}


def test_ghost_batch_norm_with_n_equal_to_b_is_batch_norm_through_the_cli(tmp_path):
    """The acceptance check's known answer: digits, MLP 64-64, momentum lr 0.01, B = 32, 3 epochs; norm = "ghost"
    with ghost_batch = 32 against norm = "batch": the same train loss and test accuracy (to 1e-6; in fact equal).
    A bad norm setting exits 2 with its one line."""
    import io
    store, rows = str(tmp_path / "store"), {}
    for norm, extra in (("batch", {}), ("ghost", {"ghost_batch": 32})):
        spec = write_spec(tmp_path / f"{norm}.toml", name=f"bn-{norm}", hidden=[64, 64], batch_sizes=[32],
                          optimizers=["momentum"], lr={"momentum": 0.01}, seeds=[0], epochs=3, norm=norm, **extra)
        assert cli("run", str(spec), "--store", store, "--quiet").returncode == 0
        out = cli("export", f"bn-{norm}", "--store", store, "--format", "csv")
        rows[norm] = pd.read_csv(io.StringIO(out.stdout)).iloc[0]
    g, b = rows["ghost"], rows["batch"]
    assert g.run_id != b.run_id and (g.norm, g.ghost_batch, b.norm) == ("ghost", 32, "batch")
    assert abs(g.train_loss - b.train_loss) <= 1e-6 and abs(g.test_acc - b.test_acc) <= 1e-6
    bad = cli("run", str(write_spec(tmp_path / "bad.toml", norm="ghost")), "--store", store)
    assert bad.returncode == 2 and "ghost_batch" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
