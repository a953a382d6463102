"""Safe sharing: names and ids never become paths outside the store, uploads are size-limited and parsed
without executing anything, weights never unpickle, specs from a shared page cannot reach the server's
files. About 10 s."""
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w

from studies import StudySpec, run_study
from studies.spec.config import SpecError
from studies.storage.atomic import atomic_write_json
from studies.storage.store import Store, StoreError
from studies.office.uploads import (MAX_SPEC_BYTES, UploadError, check_shared_spec, parse_spec_upload,
                             save_csv_upload)
from tests.conftest import NO_MEASURE, ROOT

HEX = re.compile(r"^[0-9a-f]{8,64}$")
GOOD = {"name": "shared", "dataset": "digits", "hidden": [8], "batch_sizes": [64], "optimizers": ["sgd"],
        "shuffle": [True], "epochs": 1, "measure": NO_MEASURE}


def one_line(err) -> str:
    msg = str(err)
    assert "\n" not in msg and len(msg) < 600
    return msg


# ---------------------------------------------------------------- spec uploads

def test_a_spec_upload_is_parsed_as_text_never_as_a_path(tmp_path):
    spec = parse_spec_upload(tomli_w.dumps(GOOD).encode())
    assert spec == StudySpec.from_dict(GOOD)
    assert parse_spec_upload(b"\xef\xbb\xbf" + tomli_w.dumps(GOOD).encode()) == spec     # a BOM is fine
    server_file = tmp_path / "secret.toml"               # a file on the server that is a valid spec
    server_file.write_text(tomli_w.dumps({**GOOD, "name": "secret"}))
    with pytest.raises(SpecError) as e:
        parse_spec_upload(str(server_file).encode())     # one line ending in .toml: StudySpec.from_toml reads it
    assert e.value.field == "toml" and "secret" not in one_line(e.value)
    for data, field in ((b"", "upload"), (b"x" * (MAX_SPEC_BYTES + 1), "upload"), (b"\xff\xfe\x00d", "upload"),
                        (b"dataset = [", "toml"), (b"dataset = 'nope'", "dataset"), (123, "upload")):
        with pytest.raises(SpecError) as e:
            parse_spec_upload(data)
        assert e.value.field == field, (data, e.value)
        one_line(e.value)
    with pytest.raises(UploadError):
        parse_spec_upload(b"x" * 2000, max_bytes=1000)


def test_a_shared_spec_cannot_reach_the_servers_files(tmp_path):
    store = Store(tmp_path / "store")
    for hostile in ({**GOOD, "dataset": "csv:/etc/passwd"},
                    {**GOOD, "dataset": f"csv:{store.root}/uploads/../../escape.csv"},
                    {**GOOD, "dataset": "csv:~/.ssh/id_rsa"},
                    {**GOOD, "dataset": "mnist", "data": {"data_dir": "/home"}}):
        with pytest.raises(UploadError) as e:
            parse_spec_upload(tomli_w.dumps(hostile).encode(), store=store)
        one_line(e.value)
    csv = b"a,b,label\n" + b"".join(f"{i},{i % 3},{i % 2}\n".encode() for i in range(40))
    info = save_csv_upload(csv, store)
    ok = {**GOOD, "dataset": info["dataset"]}
    assert check_shared_spec(StudySpec.from_dict(ok), store).dataset == info["dataset"]
    assert parse_spec_upload(tomli_w.dumps(ok).encode(), store=store).dataset == info["dataset"]


def test_a_shared_spec_never_downloads_and_reads_only_allowed_folders(tmp_path, monkeypatch):
    """The probe: dataset = "mnist", data_dir = "/some/folder", download = true was queued and trained on
    files planted outside the store. Only folders the server's owner lists are readable, downloads never."""
    store, planted = Store(tmp_path / "store"), tmp_path / "planted"
    (planted / "MNIST" / "raw").mkdir(parents=True)
    evil = {**GOOD, "dataset": "mnist", "data": {"data_dir": str(planted), "download": True}}
    for spec, field in ((evil, "data.download"), ({**evil, "data": {"data_dir": str(planted)}}, "data.data_dir"),
                        ({**GOOD, "dataset": "mnist", "data": {"download": True}}, "data.download")):
        with pytest.raises(UploadError) as e:
            parse_spec_upload(tomli_w.dumps(spec).encode(), store=store)
        assert e.value.field == field and "\n" not in str(e.value)
    monkeypatch.setenv("BATCHSCOPE_DATA_DIRS", f"/nonexistent{os.pathsep}{planted}")   # the owner allows it
    mine = {**GOOD, "dataset": "mnist", "data": {"data_dir": str(planted / "MNIST")}}
    assert check_shared_spec(StudySpec.from_dict(mine), store).data.data_dir == str(planted / "MNIST")
    (planted / "d.csv").write_text("a,label\n" + "".join(f"{i},{i % 2}\n" for i in range(20)))
    assert check_shared_spec(StudySpec.from_dict({**GOOD, "dataset": f"csv:{planted}/d.csv"}), store)
    for outside in (f"csv:{planted}/../x.csv", "csv:/etc/passwd"):
        with pytest.raises(UploadError):
            check_shared_spec(StudySpec.from_dict({**GOOD, "dataset": outside}), store)
    with pytest.raises(UploadError, match="never downloads"):
        check_shared_spec(StudySpec.from_dict(evil), store)


@pytest.mark.usefixtures("restore_main")
def test_the_new_study_page_refuses_the_evil_upload_and_queues_nothing(tmp_path, monkeypatch):
    """The upload goes through uploads.parse_spec_upload on the page: refused with one message; whatever is
    clicked afterwards, no spec naming a server folder or a download reaches the queue."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("BATCHSCOPE_STORE", str(tmp_path / "store"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).switch_page("pages/1_New_study.py").run()
    evil = (b'name = "evil"\ndataset = "mnist"\nbatch_sizes = [32]\noptimizers = ["sgd"]\nepochs = 1\n'
            b'[data]\ndata_dir = "/etc"\ndownload = true\n')
    at.file_uploader(key="toml_upload").upload("evil.toml", evil, "application/toml").run()
    refusal = " ".join(e.value for e in at.error)
    assert not at.exception and "cannot be used" in refusal and "download" in refusal
    assert at.session_state["f_dataset"] == "digits"      # refused at the upload: the form was not filled
    deep = b'dataset = "digits"\n' + b"a" + b".a" * 20000 + b" = 1\n"                 # 1.6 GB in tomllib
    at.file_uploader(key="toml_upload").upload("deep.toml", deep, "application/toml").run()
    assert not at.exception and "levels deep" in " ".join(e.value for e in at.error)
    for b in [b for b in at.button if b.key == "launch" and not b.disabled]:
        b.click().run()
    queued = [p.read_text() for p in (tmp_path / "store" / "jobs").glob("*.toml")] \
        if (tmp_path / "store" / "jobs").exists() else []
    assert not any("/etc" in q or "download = true" in q for q in queued)


# ---------------------------------------------------------------- csv uploads

@pytest.mark.slow
def test_a_csv_upload_is_checked_stored_under_its_hash_and_trains(tmp_path):
    store = Store(tmp_path / "store")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    df = pd.DataFrame(x, columns=["f1", "f2", "f3"]).assign(label=(x[:, 0] > 0).astype(int))
    raw = df.to_csv(index=False).encode()
    info = save_csv_upload(raw, store)
    path = Path(info["dataset"][4:])
    assert path.parent == (store.root / "uploads").resolve() and HEX.match(path.stem)
    assert path.read_bytes() == raw and info["rows"] == 60
    assert save_csv_upload(raw, store)["dataset"] == info["dataset"]          # same bytes, same file
    # 20 epochs: one epoch of 4 steps leaves the 60-row set at chance, a "stalled" run
    runs, _ = run_study(StudySpec.from_dict({**GOOD, "dataset": info["dataset"], "batch_sizes": [16], "epochs": 20}),
                        store)
    assert list(runs.status) == ["done"]
    bad = {"empty": b"", "too big": b"a,b\n" + b"1,2\n" * 400, "one column": b"a\n" + b"1\n" * 20,
           "three rows": b"a,b\n1,2\n3,4\n5,6\n", "binary": bytes(range(256)) * 4, "text only": b"a,b\nx,y\n" * 20}
    for what, data in bad.items():
        with pytest.raises(UploadError) as e:
            save_csv_upload(data, store, max_bytes=1000)
        one_line(e.value)
    assert sorted(p.name for p in (store.root / "uploads").iterdir()) == [path.name]   # nothing else written


# ---------------------------------------------------------------- weights never unpickle

class Bomb:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "executed"))


def test_pickles_and_torch_files_as_weights_are_rejected_not_executed(tmp_path):
    import torch
    store, rid, marker = Store(tmp_path), "0123456789abcdef", tmp_path / "pwned"
    weights = store.run_dir(rid) / "weights.safetensors"
    weights.parent.mkdir(parents=True)
    for payload in (pickle.dumps(Bomb(marker)), pickle.dumps(Bomb(marker), protocol=0)):
        weights.write_bytes(payload)
        assert store.load_weights(rid) is None and not marker.exists()
    torch.save({"w": torch.ones(2), "bomb": Bomb(marker)}, weights)    # torch's zip-of-pickles format
    assert store.load_weights(rid) is None and not marker.exists()
    assert len(store.problems) == 3 and len(list(weights.parent.glob("*.corrupt"))) >= 1


def test_no_module_unpickles_or_evaluates():
    """Static guard over the library and the pages: no pickle.load, torch.load without weights_only=True,
    np.load with allow_pickle=True, eval or exec."""
    files = [*ROOT.glob("studies/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("*.py")]
    bad = re.compile(r"pickle\.loads?\(|allow_pickle\s*=\s*True|(?<![\w.])(eval|exec)\(|torch\.load\((?![^)]*weights_only=True)")
    hits = [f"{f.relative_to(ROOT)}:{i}" for f in files for i, line in enumerate(f.read_text().splitlines(), 1)
            if bad.search(line) and not line.lstrip().startswith("#")]
    assert hits == []


# ---------------------------------------------------------------- names and ids never become paths

@pytest.mark.slow
def test_names_and_ids_never_become_paths(tmp_path, fixture_store):
    root, spec = fixture_store
    for d in ("runs", "studies"):
        assert all(HEX.match(p.name) for p in (root / d).iterdir()), d
    for name in ("../../etc/passwd", "..", "a/b", "C:\\x", "name with spaces", "ü" * 3, ".hidden", "x" * 65):
        with pytest.raises(SpecError):
            StudySpec.from_dict({**GOOD, "name": name})
    store = Store(root)
    for key in ("../../etc/passwd", "/etc", "..", "", "*", "fixture/../.."):   # study_dir: test_store
        with pytest.raises(StoreError):
            store.find_study(key)
    r = subprocess.run([sys.executable, "-m", "studies", "export", "../../etc/passwd", "--store", str(root)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    # a hand-edited study.json naming paths as run ids: nothing outside the store is read
    sid = "feed" * 4
    atomic_write_json(store.study_dir(sid) / "study.json", {"study_id": sid, "name": "evil",
                                                             "run_ids": ["../../../etc", "/etc/passwd"]})
    assert store.load_table(sid).empty
