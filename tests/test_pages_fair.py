"""The fair-comparison warnings on the pages (AppTest): at the top of home, Generalization, Sharpness and
Compare when the compared runs missed their target, absent on a study at a matched fit; the every-lr toggle."""
import pandas as pd
import re

import pytest

from studies import StudySpec
from studies.analysis.fairness import with_best_lr
from studies.storage.store import open_store
from tests.test_pages import charts, open_page

pytestmark = pytest.mark.usefixtures("restore_main")


def _study(store, name, missed: int, diverged: bool = False):
    """A written study: momentum, B 16/512, lr 0.03/0.3, 2 seeds; ``missed`` best-lr runs missed the target;
    the off-best runs at B=16 stalled (with ``diverged``, seed 1's diverged instead)."""
    spec = StudySpec.from_dict({"name": name, "dataset": "digits", "batch_sizes": [16, 512],
                                "optimizers": ["momentum"], "shuffle": [True], "seeds": [0, 1],
                                "target_train_acc": 1.0, "lr": {"momentum": [0.03, 0.3]}})
    runs = spec.expand(n_train=1437)
    rows = []
    for i, r in enumerate(runs):
        best = (r.batch_size == 16) == (r.lr == 0.03)
        stalled = r.batch_size == 16 and r.lr == 0.3
        reached = best and not (r.batch_size == 512 and r.seed < missed)
        rows.append(dict(run_id=r.run_id, dataset="digits", model="mlp", optimizer=r.optimizer, lr=r.lr,
                         batch_size=r.batch_size, shuffle=True, seed=r.seed, epochs=30, device="cpu",
                         status=("diverged" if diverged and r.seed == 1 else "stalled") if stalled else "done",
                         reached_target=reached,
                         target_train_acc=1.0, target_train_loss=0.0, train_loss=0.001 if reached else 0.3,
                         train_acc=1.0 if reached else 0.9, test_acc=0.95 - r.batch_size / 10000,
                         test_loss=0.2, gap_acc=0.05, gap_loss=0.2, epoch_time_s=0.1, total_time_s=3.0,
                         steps=900 if r.batch_size == 16 else 60, samples_per_epoch=1437, error="",
                         sharpness_eps=1.0 + r.batch_size / 100, hessian_top_eig=1.0 + r.batch_size / 50))
    df = with_best_lr(pd.DataFrame(rows))
    ep = pd.DataFrame({"run_id": df.run_id, "epoch": 1, "train_loss": 0.1, "train_acc": 0.9, "test_loss": 0.2,
                       "test_acc": 0.85, "epoch_time_s": 0.1, "lr": df.lr, "steps": 10})
    s = open_store(store)
    s.write_tables(spec.study_id, {"runs": [df], "epochs": [ep]})
    s.save_study(spec.to_toml(), {"study_id": spec.study_id, "name": name, "dataset": "digits", "runs_total": 8,
                                  "runs_done": 8, "state": "done", "updated": "2026-01-01T00:00:00"})
    return spec.study_id


def _warnings(at):
    """The fit warnings as a viewer reads them (markdown escapes resolved)."""
    return [re.sub(r"\\(.)", r"\1", w.value) for w in at.warning if "matched fit" in w.value]


@pytest.mark.parametrize("page", [None] + [pytest.param(p, marks=pytest.mark.slow)   # the fast tier: home only
                                          for p in ("pages/4_Generalization.py", "pages/5_Sharpness.py")])
def test_the_warning_shows_on_a_study_that_does_not_match_and_not_on_one_that_does(tmp_path, monkeypatch, page):
    bad, good = _study(tmp_path, "unmatched", missed=2), _study(tmp_path / "g", "matched", missed=0)
    at = open_page(page, tmp_path, monkeypatch, {"study": bad})
    assert not at.exception
    warned = _warnings(at)
    assert warned and "2 of 4 runs missed the target" in warned[0] and "under-training" in warned[0]
    at = open_page(page, tmp_path / "g", monkeypatch, {"study": good})
    assert not at.exception and not _warnings(at) and charts(at)
    assert any(c.value.startswith("Held equal across batch sizes: the target (train accuracy ≥ 1); the learning "
                                  "rate is tuned per batch size") for c in at.caption)
    assert at.toggle(key={None: "home_every_lr", "pages/4_Generalization.py": "gen_every_lr",
                          "pages/5_Sharpness.py": "sharp_every_lr"}[page]).value is False   # best lr by default


@pytest.mark.slow
def test_compare_warns_about_a_pair_that_does_not_match(tmp_path, monkeypatch):
    bad, good = _study(tmp_path, "unmatched", missed=1), _study(tmp_path, "matched", missed=0)
    at = open_page("pages/6_Compare.py", tmp_path, monkeypatch, {"studies": f"{bad},{good}"})
    assert not at.exception
    assert any("1 of 8 runs across the two studies" in w for w in _warnings(at))
