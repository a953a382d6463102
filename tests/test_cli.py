import subprocess
import sys
from pathlib import Path

import pandas as pd
import tomli_w

from tests.conftest import NO_MEASURE

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
