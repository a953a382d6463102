"""A visitor or a colleague turning the dashboard, the CLI or a shared store against the server: each test
replays one kind of hostile input (a CSV whose quoted header hides its columns, a store whose files are
links, crafted weights and tables, malformed job files, signals at start-up) and checks that it is refused
or set aside, never followed, never a traceback."""
import os
import resource
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from studies import cli
from studies.engine.data import DataError, load_dataset
from studies.spec.limits import LimitError, csv_header_columns, csv_shape_problem, read_regular_file
from studies.storage.store import Store
from studies.storage.storefiles import MAX_TABLE_DECODED, parquet_frame
from tests.conftest import NO_MEASURE, ROOT

RID = "0123456789abcdef"


def quoted_header_csv(n_columns: int) -> bytes:
    cols = ['"a\nb"'] + [f"c{i}" for i in range(n_columns - 2)] + ["target"]
    rows = "\n".join(",".join(["1"] * (n_columns - 1) + [str(r % 2)]) for r in range(20))
    return (",".join(cols) + "\n" + rows + "\n").encode()


def test_a_quoted_header_across_a_line_break_counts_every_column(tmp_path):
    assert csv_header_columns(b'"a\nb",c,"d,e"\n1,2,3\n') == 3          # what pandas counts
    assert csv_header_columns(b"a,b\r\n1,2\r\n") == 2
    problem = csv_shape_problem(quoted_header_csv(12_000))
    assert problem == "the header has 12,000 columns, more than the 10,000 allowed"
    assert "never closes" in csv_shape_problem(b'"' + b"x" * 5_000_000)
    wide = tmp_path / "wide.csv"
    wide.write_bytes(quoted_header_csv(12_000))
    with pytest.raises(DataError, match="12,000 columns"):
        load_dataset(f"csv:{wide}")


def test_read_regular_file_allocates_by_the_files_size_not_the_limit(tmp_path):
    small = tmp_path / "small.bin"
    small.write_bytes(b"x" * 1000)
    code = ("import resource, sys; from studies.spec.limits import read_regular_file; "
            "resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, 3 * 1024 ** 3)); "
            f"print(len(read_regular_file({str(small)!r}, 4 * 1024 ** 3)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "1000", out.stderr[-300:]
    link = tmp_path / "link.bin"
    link.symlink_to(small)
    assert read_regular_file(link, 2000) == b"x" * 1000                  # a user's own path may be a link
    with pytest.raises(LimitError, match="symbolic link"):
        read_regular_file(link, 2000, follow_symlinks=False)             # a store file may not


def test_store_files_are_never_read_or_written_through_links(tmp_path):
    secret = tmp_path / "secrets.toml"
    secret.write_text('password = "SECRET-9f3a"\n')
    store = Store(tmp_path / "store")
    sid = "0123456789abcdef"
    d = store.study_dir(sid)
    d.mkdir(parents=True)
    (d / "spec.toml").symlink_to(secret)
    assert store.spec_text(sid) is None and "symbolic link" in store.problems[-1]
    assert secret.read_text() == 'password = "SECRET-9f3a"\n'             # the target is untouched
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "spec.toml").write_text('name = "x"\n')
    other = store.root / "studies" / "fedcba9876543210"
    other.symlink_to(outside, target_is_directory=True)                  # a study folder leading out
    assert store.spec_text("fedcba9876543210") is None and "outside the store" in store.problems[-1]


def write_weights(path, header: bytes, body: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(header)) + header + body)


@pytest.mark.parametrize("header", [b"[" * 100_000, b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": '
                                    b'["0", "4"]}}', b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": '
                                    b'[4, 0]}}', b'[1, 2]'])
def test_crafted_weights_headers_are_set_aside_never_a_crash(tmp_path, header):
    store = Store(tmp_path)
    store.save_run(RID, {"status": "done"}, pd.DataFrame({"epoch": [0, 1]}), {"w": np.ones(1, np.float32)}, {})
    write_weights(store.run_dir(RID) / "weights.safetensors", header, b"\0" * 4)
    assert not store.has_run(RID)
    assert "weights.safetensors could not be read" in store.problems[0]
    assert list(store.run_dir(RID).glob("weights.safetensors.*.corrupt"))


def parquet_bytes(df: pd.DataFrame) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(df), sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def test_tables_are_sized_before_decoding_and_checked_for_their_columns(tmp_path):
    blown = parquet_bytes(pd.DataFrame({"s": ["x" * 1_000_000] * 1200}))  # 1.2 GB once each cell is a string
    assert len(blown) < 200_000
    t0 = time.process_time()   # CPU time: the check's cost, not the machine's load
    with pytest.raises(LimitError, match="decodes to about"):
        parquet_frame(blown)
    assert time.process_time() - t0 < 5
    many = parquet_bytes(pd.DataFrame({"a": np.zeros(60_000_000, np.int8)}))   # 60 M cells
    with pytest.raises(LimitError, match="cells allowed"):
        parquet_frame(many)
    fine = pd.DataFrame({"run_id": ["a", "b"], "status": ["done", "failed"], "batch_size": [8, 16],
                         "optimizer": ["sgd", "adam"]})
    pd.testing.assert_frame_equal(parquet_frame(parquet_bytes(fine), "study_runs"), fine)
    for bad, why in ((pd.DataFrame({"x": [1, 2]}), "no column run_id"),
                     (fine.assign(batch_size=["8", "16"]), "column batch_size holds (object|str)"),
                     (fine.assign(status=[1, 2]), "column status holds int64")):
        with pytest.raises(ValueError, match=why):
            parquet_frame(parquet_bytes(bad), "study_runs")
    assert MAX_TABLE_DECODED < 1_200_000_000


def run_cli(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture(scope="module")
def one_run_store(tmp_path_factory):
    from studies import StudySpec, run_study
    root = tmp_path_factory.mktemp("attack")
    spec = StudySpec.from_dict({"name": "ok", "dataset": "digits", "hidden": [16], "batch_sizes": [32],
                                "optimizers": ["sgd"], "epochs": 1, "measure": dict(NO_MEASURE)})
    run_study(spec, root)
    return root, spec


def test_a_wrong_schema_study_table_is_set_aside_and_rebuilt_from_its_runs(one_run_store, capsys, tmp_path):
    root, spec = one_run_store
    table = root / "studies" / spec.study_id / "runs.parquet"
    table.write_bytes(parquet_bytes(pd.DataFrame({"x": [1, 2]})))
    code, out, err = run_cli(capsys, "export", "ok", "--store", root, "-o", tmp_path / "ok.csv")
    assert code == 0 and "no column run_id" in err and "set aside" not in out
    assert len(pd.read_csv(tmp_path / "ok.csv")) == spec.n_runs == 2      # rebuilt from the runs' own files


def test_export_into_a_missing_folder_names_the_folder_not_the_store(one_run_store, capsys, tmp_path):
    root, _ = one_run_store
    code, _, err = run_cli(capsys, "export", "ok", "--store", root, "-o", tmp_path / "no" / "dir" / "x.csv")
    assert code == 2 and f"the folder {tmp_path / 'no' / 'dir'} does not exist" in err and "store" not in err


def _wait_for_sigterm_handler(pid: int) -> None:
    """Until the process catches SIGTERM (bit 15 of SigCgt in /proc/<pid>/status): on a busy machine the
    interpreter may take seconds to reach ``studies/__init__.py``, and a signal before that is no test of ours."""
    deadline = time.monotonic() + 300   # bounds a process that never starts, not an expected time
    while time.monotonic() < deadline:
        try:
            caught = next(int(line.split()[1], 16) for line in open(f"/proc/{pid}/status") if line.startswith("SigCgt"))
        except (OSError, StopIteration):
            return
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.005)


def test_a_sigterm_at_any_moment_of_start_up_exits_130(one_run_store, tmp_path):
    """A cancel can land while Python imports the package, the CLI, torch: each gives 130 (the CLI's
    "stopped"), never -15 (killed before a handler) or -2 (a KeyboardInterrupt nobody caught). The delays
    count from the moment the package's handler exists, so a busy machine's slow interpreter start is no failure."""
    spec = tmp_path / "ok.toml"
    spec.write_text('name = "ok"\ndataset = "digits"\nhidden = [16]\nbatch_sizes = [32]\noptimizers = ["sgd"]\n'
                    'epochs = 1\n[measure]\nsharpness_eps = []\nsharpness_random = false\nsharpness_sam = false\n'
                    'hessian = false\nlandscape = false\nnoise_scale = false\n')
    codes = []
    for delay in (0.08, 0.3, 0.6, 1.2):
        proc = subprocess.Popen([sys.executable, "-m", "studies", "run", str(spec), "--store",
                                 str(tmp_path / f"s{delay}"), "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        _wait_for_sigterm_handler(proc.pid)   # from the package's first line on (before it, no handler can exist)
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=300)
        assert b"Traceback" not in err
        codes.append(proc.returncode)
    assert codes == [130] * 4, codes
