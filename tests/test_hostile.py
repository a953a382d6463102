"""An adversarial probe, one test each: hostile spec files, CSV paths and store files get one
line and exit 2 (or a warning and exit 0 for a file set aside) within seconds and under bounded memory;
a read-only or full store says so in one line, leaves honest state and never shrinks a table; leftover
temporary files are swept. In-process CLI calls (``cli.main``) keep these fast; the last test sends the
probes through the real ``python -m studies`` under a 2 GB address-space limit."""
import errno
import os
import resource
import subprocess
import sys
import time
import tracemalloc

import pandas as pd
import pytest
import tomli_w

from studies import cli
from studies.storage import atomic, store as store_mod
from studies.spec.config import SpecError, StudySpec
from studies.engine.data import DataError, load_dataset
from studies.spec.estimate import check_fits, estimate
from studies.spec.limits import MAX_CSV_COLUMNS, toml_shape_problem
from studies.storage.store import Store, open_store
from tests.conftest import NO_MEASURE, ROOT

BASE = {"name": "probe", "dataset": "digits", "hidden": [16], "batch_sizes": [32], "optimizers": ["sgd"],
        "shuffle": [True], "epochs": 1, "measure": NO_MEASURE}


def run_cli(capsys, *args):
    """``python -m studies ARGS`` in this process: (exit code, stdout, stderr lines)."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, [ln for ln in err.splitlines() if ln.strip() and "ep/s" not in ln and "ep]" not in ln]


def spec_file(tmp_path, name="s.toml", **kw):
    path = tmp_path / name
    path.write_text(tomli_w.dumps({**BASE, **kw}))
    return path


# ---------------------------------------------------------------- spec files

def test_a_deep_dotted_key_is_refused_before_tomllib_in_bounded_memory(tmp_path, capsys):
    deep = 'name = "d"\ndataset = "digits"\na' + ".a" * 20000 + " = 1\n"   # tomllib: 1.6 GB, 20 s
    tracemalloc.start()
    t0 = time.process_time()   # CPU time: what the parser costs, whatever else the machine runs
    with pytest.raises(SpecError, match="20001 levels deep") as e:
        StudySpec.from_toml_text(deep)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    took = time.process_time() - t0
    assert took < 2 and peak < 20e6 and e.value.field == "toml"
    (tmp_path / "deep.toml").write_text(deep)
    code, _, err = run_cli(capsys, "run", tmp_path / "deep.toml", "--store", tmp_path / "store")
    assert code == 2 and len(err) == 1 and "levels deep" in err[0]
    # bracket towers and oversized texts are refused the same way; quoted dots and comments are not structure
    assert "nested" in toml_shape_problem("a = " + "[" * 5000)
    assert "characters" in toml_shape_problem("#" * 70000)
    assert toml_shape_problem('name = "a.b.c.d.e.f.g.h.i.j"  # x.y.z.w.v.u.t.s.r.q\nlr.sgd = 0.1\n') is None
    for path in (ROOT / "examples").glob("**/*.toml"):
        assert toml_shape_problem(path.read_text()) is None, path
    print(f"FIGURE deep dotted key (20,001 levels, 40 KB): refused in {took * 1000:.0f} ms, peak "
          f"{peak / 1e6:.1f} MB of Python memory (tomllib alone: about 1.6 GB)")


def test_spec_paths_that_are_not_regular_files_are_refused_without_reading(tmp_path, capsys):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path, says in ((fifo, "FIFO"), ("/dev/zero", "device"), (tmp_path, "folder")):
        code, _, err = run_cli(capsys, "run", path, "--store", tmp_path / "store")
        assert code == 2 and len(err) == 1 and says in err[0], err


# ---------------------------------------------------------------- csv: data

def test_csv_paths_only_regular_files_with_capped_shape(tmp_path, capsys):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    wide = tmp_path / "wide.csv"                          # 1.5 million columns: 6 GB and 100 s in pandas
    wide.write_bytes(b",".join(b"c%d" % i for i in range(1_500_000)) + b"\n" + b"1," * 1_499_999 + b"1\n")
    for path, says in (("/dev/zero", "device"), ("/dev/urandom", "device"), (fifo, "FIFO"),
                       (wide, f"more than the {MAX_CSV_COLUMNS:,} allowed")):
        t0 = time.process_time()   # CPU time (a busy machine stretches wall time, not this)
        with pytest.raises(DataError, match=says):
            load_dataset(f"csv:{path}")
        assert time.process_time() - t0 < 5
    code, _, err = run_cli(capsys, "run", spec_file(tmp_path, dataset=f"csv:{fifo}"), "--store", tmp_path / "s")
    assert code == 2 and len(err) == 1 and "FIFO" in err[0], err


# ---------------------------------------------------------------- specs that validate but cannot run

def test_specs_too_big_to_run_are_refused_up_front_with_a_size_estimate(tmp_path, capsys):
    huge = StudySpec.from_dict({**BASE, "hidden": [65536] * 4})
    with pytest.raises(SpecError, match=r"12,890,013,706 weights.*GB") as e:
        check_fits(huge, limit=64 * 2 ** 30)
    assert e.value.field == "hidden"
    data = StudySpec.from_dict({**BASE, "dataset": "synthetic", "data": {"n_samples": 10 ** 7, "n_features": 10 ** 5}})
    with pytest.raises(SpecError, match=r"10,000,000 examples × 100,000 features") as e:
        check_fits(data, limit=64 * 2 ** 30)
    assert e.value.field == "data.n_samples"
    for d in (huge, data):
        code, _, err = run_cli(capsys, "run", spec_file(tmp_path, **d.to_dict()), "--store", tmp_path / "s")
        assert code == 2 and len(err) == 1 and "GB" in err[0], err
    from studies import papers
    gpu = {p.file for p in papers.templates() if p.gpu}   # as published (examples/gpu/): need a GPU's memory
    assert gpu and all((ROOT / "examples" / g).exists() and g.startswith("gpu/") for g in gpu)
    for path in (ROOT / "examples").glob("*.toml"):   # the shipped CPU examples (top level) fit a small laptop
        check_fits(StudySpec.from_toml(path), limit=2 * 2 ** 30)


def test_the_cli_prints_the_estimate_before_training(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", spec_file(tmp_path), "--store", tmp_path / "s")
    assert code == 0 and "would take about" in err[0] and "1 done" in out
    big = StudySpec.from_dict({**BASE, "batch_sizes": list(range(1, 101)), "optimizers": ["sgd", "adam"],
                               "shuffle": [True, False], "seeds": list(range(25)), "epochs": 20})
    assert big.n_runs == 10_000 and estimate(big).seconds > 3600   # the page asks before launching this


# ---------------------------------------------------------------- store files

@pytest.fixture
def done_store(tmp_path, capsys):
    """A store with one finished 4-run study (digits, 1 epoch)."""
    spec = StudySpec.from_dict({**BASE, "batch_sizes": [32, 64], "shuffle": [True, False]})
    path = tmp_path / "four.toml"
    path.write_text(spec.to_toml())
    code, _, _ = run_cli(capsys, "run", path, "--store", tmp_path / "store", "--quiet")
    assert code == 0
    return tmp_path / "store", spec, path


def test_hostile_study_files_are_set_aside_and_reported(done_store, capsys):
    root, spec, _ = done_store
    info = root / "studies" / spec.study_id / "study.json"
    info.write_text("[1, 2, 3]")                                  # valid JSON, not an object
    code, out, err = run_cli(capsys, "list", "--store", root)
    assert code == 0 and "no studies" in out and len(err) == 1 and "study.json could not be read" in err[0]
    assert "not an object" in err[0] and list(info.parent.glob("study.json.*.corrupt"))
    code, _, err = run_cli(capsys, "list", "--store", root)       # said again later, as a note
    assert code == 0 and "set aside earlier" in err[0]
    code, _, err = run_cli(capsys, "export", spec.study_id, "--store", root)
    assert code == 2 and "no stud" in err[0]
    os.mkfifo(info)                                               # a FIFO would block every reader
    code, _, err = run_cli(capsys, "list", "--store", root)
    assert code == 0 and any("FIFO" in line for line in err)   # after the note on the earlier one, if any
    table = root / "studies" / spec.study_id / "runs.parquet"
    table.unlink()
    table.symlink_to("/dev/zero")                                 # would read forever: never followed
    store = open_store(root)
    assert store.load_table(spec.study_id).empty and "symbolic link" in store.problems[0]


def test_a_read_only_store_says_so_in_one_line_and_rewrites_nothing(done_store, capsys, monkeypatch):
    root, spec, path = done_store
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}

    def read_only(p, data):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(p))
    monkeypatch.setattr(atomic, "atomic_write_bytes", read_only)
    monkeypatch.setattr(store_mod, "atomic_write_bytes", read_only)
    code, out, err = run_cli(capsys, "run", path, "--store", root, "--quiet")     # nothing to do: fine
    assert code == 0 and "4 done" in out and any("not writable" in e for e in err)
    other = spec_file(root.parent, "other.toml", batch_sizes=[128])               # something to do: refused
    code, _, err = run_cli(capsys, "run", other, "--store", root, "--quiet")
    assert code == 2 and len(err) == 1 and "Read-only file system" in err[0] and "--store" in err[0]
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()} == before


def test_a_full_disk_mid_study_gives_one_line_and_never_shrinks_the_table(done_store, capsys, monkeypatch):
    root, spec, path = done_store
    store = Store(root)
    assert len(store.load_table(spec.study_id)) == 4
    victim = store.load_table(spec.study_id).run_id.iloc[0]
    (store.run_dir(victim) / "run.parquet").unlink()              # this run must be trained again
    real, calls = atomic.atomic_write_bytes, []

    def full(p, data):
        calls.append(p)
        if len(calls) > 2:                                        # the study.json at the start still fits
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(p))
        real(p, data)
    monkeypatch.setattr(atomic, "atomic_write_bytes", full)
    monkeypatch.setattr(store_mod, "atomic_write_bytes", full)
    code, _, err = run_cli(capsys, "run", path, "--store", root, "--quiet")
    assert code == 2 and "No space left on device" in err[0] and "free some space" in err[0]
    assert len(err) <= 2 and all(e.startswith(("error:", "warning:")) for e in err)
    monkeypatch.setattr(atomic, "atomic_write_bytes", real)
    monkeypatch.setattr(store_mod, "atomic_write_bytes", real)
    assert len(Store(root).load_table(spec.study_id)) == 4        # the table kept the row it could not rebuild
    code, out, _ = run_cli(capsys, "run", path, "--store", root, "--quiet")   # space again: it finishes
    assert code == 0 and "4 done" in out


def test_a_stopped_rerun_keeps_the_rows_it_could_not_read_back(done_store, capsys, monkeypatch):
    """A run whose files vanished is retrained; if the study stops first, the rewritten tables keep the run's
    last rows (the probe saw a 4-row table rewritten with 3)."""
    from studies.execution import runner
    root, spec, path = done_store
    store = Store(root)
    victim = store.load_table(spec.study_id).run_id.iloc[0]
    (store.run_dir(victim) / "run.parquet").unlink()

    def stop(*a, **k):   # Ctrl-C while the first run trains
        raise KeyboardInterrupt
        yield
    monkeypatch.setattr(runner, "claimed_map", stop)
    code, _, err = run_cli(capsys, "run", path, "--store", root, "--quiet")
    assert code == 130 and "stopped" in err[0]
    assert set(Store(root).load_table(spec.study_id).run_id) == set(store.load_table(spec.study_id).run_id)
    assert len(Store(root).load_table(spec.study_id)) == 4
    assert len(Store(root).load_table(spec.study_id, "epochs")) == 4 * 2       # epochs 0 and 1
    assert Store(root).study_info(spec.study_id)["state"] == "stopped"


def test_leftover_temporary_files_are_swept_on_the_next_run(done_store, capsys):
    root, spec, path = done_store
    d = root / "studies" / spec.study_id
    dead = d / ".runs.parquet.999999999.123.tmp"                  # a writer killed mid-write (no such pid)
    live = d / f".runs.parquet.{os.getpid()}.456.tmp"             # a live writer's, just made: kept
    old = root / "runs" / ".x.tmp"                                 # no pid in the name, an hour old
    for p in (dead, live, old):
        p.write_bytes(b"partial")
    os.utime(old, (time.time() - 3600,) * 2)
    code, _, _ = run_cli(capsys, "run", path, "--store", root, "--quiet")
    assert code == 0 and not dead.exists() and not old.exists() and live.exists()


# ---------------------------------------------------------------- the real CLI, memory-limited

def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2 ** 30, 2 * 2 ** 30))


@pytest.mark.slow
def test_the_probes_through_the_real_cli_under_2_gb(tmp_path):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    probes = {"deep": 'name = "d"\ndataset = "digits"\na' + ".a" * 20000 + " = 1\n",
              "zero": tomli_w.dumps({**BASE, "dataset": "csv:/dev/zero"}),
              "fifo": tomli_w.dumps({**BASE, "dataset": f"csv:{fifo}"}),
              "huge": tomli_w.dumps({**BASE, "hidden": [65536] * 4}),
              "data": tomli_w.dumps({**BASE, "dataset": "synthetic",
                                     "data": {"n_samples": 10 ** 7, "n_features": 10 ** 5}})}
    took = {}
    for name, text in probes.items():
        (tmp_path / f"{name}.toml").write_text(text)
        t0 = _children_cpu()   # the process's CPU time: a busy machine stretches only its wall time
        r = subprocess.run([sys.executable, "-m", "studies", "run", str(tmp_path / f"{name}.toml"), "--store",
                            str(tmp_path / "store")], cwd=ROOT, capture_output=True, text=True, timeout=600,
                           preexec_fn=_limit_memory)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), (name, r.stderr[-800:])
        took[name] = _children_cpu() - t0
        assert took[name] < 30, name
    print("FIGURE real CLI under a 2 GB address-space limit, exit 2 with one line each: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in took.items()) + " CPU (whole process, start-up included)")


def _children_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------- a 10,000-run grid on the page

@pytest.mark.usefixtures("restore_main")
def test_a_grid_above_an_hour_needs_an_explicit_confirmation_on_the_page(tmp_path, monkeypatch):
    """The probe: a 10,000-run grid showed "3200.7 h" next to a live Launch button."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("BATCHSCOPE_STORE", str(tmp_path / "store"))
    big = {**BASE, "name": "huge-grid", "batch_sizes": list(range(1, 101)), "optimizers": ["sgd", "adam"],
           "shuffle": [True, False], "seeds": list(range(25)), "epochs": 20}
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).switch_page("pages/1_New_study.py").run()
    at.file_uploader(key="toml_upload").upload("big.toml", tomli_w.dumps(big).encode(), "application/toml").run()
    launch = lambda: [b for b in at.button if b.key == "launch"][0]   # noqa: E731
    assert not at.exception and "10,000 runs" in " ".join(w.value for w in at.warning)
    assert launch().disabled
    at.checkbox(key="confirm_long").check().run()
    assert not launch().disabled
    monkeypatch.setenv("BATCHSCOPE_CONFIRM_HOURS", "1e9")             # the owner's threshold is configurable
    at.run()
    assert not at.warning and not launch().disabled
