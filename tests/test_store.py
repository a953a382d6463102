import os

import numpy as np
import pandas as pd
import pytest

from studies.storage.atomic import atomic_write_bytes

from studies.storage.store import Store, StoreError, open_store, resolve_root

RID = "0123456789abcdef"


def test_store_root_rule(monkeypatch, tmp_path):
    monkeypatch.delenv("BATCHSCOPE_STORE", raising=False)
    assert resolve_root() == resolve_root(None) and str(resolve_root()) == "batchscope-results"
    monkeypatch.setenv("BATCHSCOPE_STORE", str(tmp_path / "env"))
    assert resolve_root() == tmp_path / "env"
    assert resolve_root(tmp_path / "arg") == tmp_path / "arg"


def test_atomic_write_replaces_whole_and_leaves_no_temp(tmp_path):
    p = tmp_path / "f.bin"
    atomic_write_bytes(p, b"one")
    atomic_write_bytes(p, b"two")
    assert p.read_bytes() == b"two" and [x.name for x in tmp_path.iterdir()] == ["f.bin"]


def test_a_temp_file_left_by_a_killed_writer_is_ignored(tmp_path):
    store = Store(tmp_path)
    d = store.run_dir(RID)
    d.mkdir(parents=True)
    (d / ".run.parquet.999.1.tmp").write_bytes(b"half a file")
    assert not store.has_run(RID)
    store.save_run(RID, {"status": "done"}, pd.DataFrame({"epoch": [0, 1]}), {"w": np.ones(3, np.float32)}, {})
    assert store.has_run(RID) and store.read_run(RID)["status"].iloc[0] == "done"


def test_weights_round_trip_without_pickle(tmp_path):
    store = Store(tmp_path)
    w = {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "0.bias": np.zeros(2, np.float32)}
    store.save_weights(RID, w)
    back = store.load_weights(RID)
    assert set(back) == set(w) and all(np.array_equal(back[k], w[k]) for k in w)
    assert (store.run_dir(RID) / "weights.safetensors").read_bytes()[:8] != b"\x80\x04\x95"   # not a pickle


def test_a_batch_norms_state_round_trips_with_its_shapes_and_loads_strictly(tmp_path):
    """num_batches_tracked is a 0-d int64 tensor: it comes back 0-d, and the whole state loads into the model."""
    import torch
    from studies.engine.models import build_model
    model = build_model("cnn", (8,), (1, 8, 8), 10, seed=0, norm="ghost", ghost_batch=4)
    model(torch.randn(10, 1, 8, 8))                     # train mode: running statistics move, counts rise
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    store = Store(tmp_path)
    store.save_weights(RID, state)
    back = store.load_weights(RID)
    assert {k: (v.shape, v.dtype) for k, v in back.items()} == {k: (v.shape, v.dtype) for k, v in state.items()}
    assert back["1.num_batches_tracked"].shape == () and int(back["1.num_batches_tracked"]) == 3
    twin = build_model("cnn", (8,), (1, 8, 8), 10, seed=1, norm="ghost", ghost_batch=4)
    twin.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in back.items()}, strict=True)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), twin.state_dict().values()))


def test_corrupt_files_are_set_aside_and_reported(tmp_path):
    store = Store(tmp_path)
    store.save_run(RID, {"status": "done"}, pd.DataFrame({"epoch": [0]}), {"w": np.ones(2, np.float32)}, {})
    path = store.run_dir(RID) / "run.parquet"
    path.write_bytes(path.read_bytes()[:20])          # truncated
    (store.run_dir(RID) / "weights.safetensors").write_bytes(b"garbage")
    assert not store.has_run(RID)
    assert store.load_weights(RID) is None
    assert len(store.problems) == 2 and "moved aside" in store.problems[0]
    assert any(p.name.endswith(".corrupt") for p in store.run_dir(RID).iterdir())


def test_ids_never_become_paths(tmp_path):
    store = Store(tmp_path)
    for bad in ("../x", "abc/../../etc", "", "ZZZZZZZZZZ", "..", "0123456789abcdef/.."):
        with pytest.raises(StoreError):
            store.study_dir(bad)
        with pytest.raises(StoreError):
            store.run_dir(bad)


def _study(store, sid, name, updated):
    store.save_study('dataset = "digits"\n', {"study_id": sid, "name": name, "state": "done", "runs_done": 1,
                                             "runs_total": 1, "updated": updated})


def test_find_study_by_id_prefix_and_unique_name(tmp_path):
    store = open_store(tmp_path)
    with pytest.raises(StoreError, match="no studies yet"):
        store.find_study("x")
    _study(store, "aaaa000011112222", "quick", "1")
    _study(store, "bbbb000011112222", "other", "2")
    _study(store, "cccc000011112222", "other", "3")
    assert store.find_study("quick") == "aaaa000011112222"
    assert store.find_study("bbbb") == "bbbb000011112222"
    assert store.find_study("cccc000011112222") == "cccc000011112222"
    with pytest.raises(StoreError, match="2 studies are named 'other'"):
        store.find_study("other")
    with pytest.raises(StoreError, match="no study named 'nope'"):
        store.find_study("nope")
    assert list(store.list_studies().study_id) == ["cccc000011112222", "bbbb000011112222", "aaaa000011112222"]


def test_store_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        open_store(f)


# In a fresh interpreter (Arrow's pools are per process): native threads before and after reading a table.
THREADS_PROBE = """
import io, os, sys
import pandas as pd
from studies.storage.store import parquet_frame
def threads():
    return len(os.listdir("/proc/self/task"))
df = pd.DataFrame({"run_id": ["a", "b", "c"] * 50, **{f"c{i}": range(150) for i in range(12)}})
buf = io.BytesIO()
df.to_parquet(buf, index=False)
start = threads()
got = parquet_frame(buf.getvalue())
pd.testing.assert_frame_equal(got, pd.read_parquet(io.BytesIO(buf.getvalue())) if sys.argv[1] == "pandas" else df)
print(start, threads())
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through /proc")
@pytest.mark.parametrize("then", ["ours", "pandas"])
def test_reading_a_table_starts_no_arrow_thread(then):
    """Arrow's pool threads abort the interpreter at exit under load; the store never starts them.
    The "pandas" case checks the probe sees them: pd.read_parquet (after our read) does start threads."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", THREADS_PROBE, then], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))).stdout.split()
    before, after = int(out[0]), int(out[1])
    if then == "ours":
        assert after == before
    else:
        assert after > before   # the pools exist now: pd.read_parquet ran in the probe's comparison


def test_a_failed_run_without_epochs_is_a_row_not_a_file_set_aside(tmp_path):
    """A run that failed before its first epoch stores an empty epochs table: the schema check must not set
    it aside (that dropped failed rows from the study, so they were never shown or retried)."""
    store = Store(tmp_path)
    rid = "0123456789abcdef"
    store.save_run(rid, {"optimizer": "adam", "batch_size": 512, "status": "failed", "error": "boom"},
                   pd.DataFrame(), None, {})
    row = store.complete_run(rid)
    assert row is not None and row.status.iloc[0] == "failed"
    assert store.corrupt_files() == [] and store.problems == []


def test_process_state_is_one_answer_for_every_caller():
    """The one "is this process alive" rule (atomic.process_state): the sweep keeps a temporary file unless its
    writer is gone, the job manager adopts only its own processes, a pool worker ends when its driver is gone."""
    import os
    import subprocess
    import sys
    from studies.storage.atomic import process_state
    assert process_state(os.getpid()) == "ours"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_state(child.pid) == "gone"   # reaped: no such process
    for bad in (0, -1, True, None, "123", 2**80):
        assert process_state(bad) == "gone", bad
    assert process_state(1) == ("ours" if os.geteuid() == 0 else "other")   # init: another user's unless root
