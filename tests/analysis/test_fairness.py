"""best_lr: the rule on hand-made runs tables (known answers), and lr sweeps in the spec."""
import math

import pandas as pd
import pytest

from studies.spec.config import SpecError, StudySpec
from studies.analysis.fairness import best_lr, matched_fit, with_best_lr


def _runs(rows, target=1.0):
    cols = ["optimizer", "batch_size", "shuffle", "lr", "seed", "status", "reached_target", "steps", "train_loss"]
    df = pd.DataFrame(rows, columns=cols)
    return df.assign(target_train_acc=target, target_train_loss=0.0)


def _chosen(df):
    marked = df[best_lr(df)]
    return marked.groupby(["optimizer", "batch_size"]).lr.unique().map(list).to_dict()


def test_most_seeds_reaching_target_then_fewest_steps():
    df = _runs([
        # B=16: 0.3 collapses (stalled), 0.03 reaches in fewer steps than 0.003 (which misses on one seed)
        ("momentum", 16, True, 0.003, 0, "done", True, 5000, 0.01),
        ("momentum", 16, True, 0.003, 1, "done", False, 27000, 0.05),
        ("momentum", 16, True, 0.03, 0, "done", True, 900, 0.01),
        ("momentum", 16, True, 0.03, 1, "done", True, 810, 0.01),
        ("momentum", 16, True, 0.3, 0, "stalled", False, 27000, 2.3),
        ("momentum", 16, True, 0.3, 1, "stalled", False, 27000, 2.3),
        # B=512: 0.3 fastest; 0.03 slower; 0.003 never reaches
        ("momentum", 512, True, 0.003, 0, "done", False, 900, 0.4),
        ("momentum", 512, True, 0.003, 1, "done", False, 900, 0.4),
        ("momentum", 512, True, 0.03, 0, "done", True, 400, 0.01),
        ("momentum", 512, True, 0.03, 1, "done", True, 420, 0.01),
        ("momentum", 512, True, 0.3, 0, "done", True, 63, 0.01),
        ("momentum", 512, True, 0.3, 1, "done", True, 70, 0.01),
    ])
    assert _chosen(df) == {("momentum", 16): [0.03], ("momentum", 512): [0.3]}
    assert best_lr(df).sum() == 4   # every seed of the chosen lr, per batch size


def test_reaching_more_seeds_beats_being_faster_and_stalled_never_wins():
    df = _runs([
        ("adam", 64, True, 0.01, 0, "done", True, 100, 0.01),
        ("adam", 64, True, 0.01, 1, "done", False, 900, 0.2),     # fast but one seed missed
        ("adam", 64, True, 0.001, 0, "done", True, 500, 0.01),
        ("adam", 64, True, 0.001, 1, "done", True, 600, 0.01),
        ("adam", 128, True, 0.5, 0, "diverged", False, 10, math.nan),
        ("adam", 128, True, 0.5, 1, "stalled", False, 10, 0.0),   # a stalled run with a low loss still loses
        ("adam", 128, True, 0.001, 0, "done", False, 900, 0.3),
        ("adam", 128, True, 0.001, 1, "done", False, 900, 0.3),
    ])
    assert _chosen(df) == {("adam", 64): [0.001], ("adam", 128): [0.001]}


def test_without_target_lowest_median_final_loss_and_groups_by_shuffle():
    df = _runs([
        ("sgd", 32, True, 0.1, 0, "done", False, 100, 0.30),
        ("sgd", 32, True, 0.1, 1, "done", False, 100, 0.10),
        ("sgd", 32, True, 0.01, 0, "done", False, 100, 0.25),
        ("sgd", 32, True, 0.01, 1, "done", False, 100, 0.15),
        ("sgd", 32, False, 0.1, 0, "done", False, 100, 0.50),
        ("sgd", 32, False, 0.01, 0, "done", False, 100, 0.40),
    ], target=0.0)
    marked = df[best_lr(df)]
    # shuffle on: medians 0.20 vs 0.20 tie -> the smaller lr; shuffle off: 0.01 (0.40 < 0.50)
    assert set(marked[marked.shuffle].lr) == {0.01} and set(marked[~marked.shuffle].lr) == {0.01}
    df.loc[1, "train_loss"] = 0.05   # now lr 0.1 has median 0.175 < 0.20
    assert set(df[best_lr(df) & df.shuffle].lr) == {0.1}


def test_no_lr_wins_when_nothing_trained_and_single_lr_is_marked():
    df = _runs([
        ("sgd", 8, True, 1.0, 0, "diverged", False, 5, math.nan),
        ("sgd", 16, True, 0.1, 0, "done", False, 50, 0.2),
    ])
    assert best_lr(df).tolist() == [False, True]
    assert "best_lr" in with_best_lr(df) and with_best_lr(pd.DataFrame()).empty


def test_lr_list_is_a_sweep():
    s = StudySpec.from_dict({"dataset": "digits", "batch_sizes": [16, 512], "optimizers": ["momentum", "adam"],
                             "shuffle": [True], "seeds": [0, 1], "lr": {"momentum": [0.003, 0.03, 0.3]}})
    runs = s.expand(n_train=1000)
    assert len(runs) == s.n_runs == 2 * (3 + 1) * 2
    assert s.lrs_for("momentum") == (0.003, 0.03, 0.3) and s.lrs_for("adam") == (0.001,)
    assert sorted({r.lr for r in runs if r.optimizer == "momentum"}) == [0.003, 0.03, 0.3]
    assert len({r.run_id for r in runs}) == len(runs)            # the lr is part of the run id
    assert "lr=0.03" in next(r.label for r in runs if r.lr == 0.03)
    assert StudySpec.from_toml_text(s.to_toml()) == s             # round trip keeps the sweep
    one = StudySpec.from_dict({"dataset": "digits", "lr": {"sgd": 0.1}})
    assert one.lr == (("sgd", 0.1),) and one.study_id == StudySpec.from_dict(one.to_dict()).study_id
    lin = StudySpec.from_dict({"dataset": "digits", "batch_sizes": [64], "optimizers": ["sgd"], "shuffle": [True],
                               "lr_scaling": "linear", "lr": {"sgd": [0.1, 0.2]}})
    assert [r.lr for r in lin.expand(n_train=1000)] == pytest.approx([0.2, 0.4])


@pytest.mark.parametrize("lr, msg", [([], "empty"), ([0.1, 0.1], "twice"), ([0.1, -1], "above 0 and at most"),
                                     ([0.1, "x"], "not a number"), (list(range(1, 20)), "at most")])
def test_bad_lr_sweeps_say_what_to_change(lr, msg):
    with pytest.raises(SpecError, match=msg) as e:
        StudySpec.from_dict({"dataset": "digits", "lr": {"sgd": lr}})
    assert str(e.value).startswith("lr.sgd")


def test_the_store_stores_and_analysis_derives_best_lr(tmp_path):
    """The store writes the table it is handed (no derived column); a table without best_lr (a study written
    before it, or assembled from its runs) gets it from analysis when a comparison reads it."""
    from studies.analysis.fairness import compared_runs, ensure_best_lr
    from studies.storage.store import open_store
    store = open_store(tmp_path)
    df = _runs([("sgd", 8, True, 0.1, 0, "done", True, 50, 0.1), ("sgd", 8, True, 0.2, 0, "done", True, 40, 0.1)])
    store.write_tables("0123456789abcdef", {"runs": [df.assign(run_id=["a" * 16, "b" * 16])]})
    got = store.load_table("0123456789abcdef", "runs")
    assert "best_lr" not in got.columns
    assert ensure_best_lr(got).best_lr.tolist() == [False, True] and compared_runs(got).lr.tolist() == [0.2]
    stored = got.assign(best_lr=[True, False])   # as the runner wrote it: read, not recomputed
    assert ensure_best_lr(stored).best_lr.tolist() == [True, False]


# ---------------------------------------------------------------- matched fit

def _study(reached, status=None, target=0.99, losses=None):
    n = len(reached)
    return pd.DataFrame({"status": status or ["done"] * n, "reached_target": reached,
                         "train_loss": losses or [0.01] * n, "target_train_acc": target, "target_train_loss": 0.0})


def test_matched_fit_on_studies_that_do_and_do_not_match():
    from studies.analysis.fairness import matched_fit
    ok = matched_fit(_study([True] * 12))
    assert ok.matched and ok.message == "" and ok.summary() == "12 done"
    bad = matched_fit(_study([True] * 10 + [False] * 2))
    assert not bad.matched and bad.n_missed == 2 and bad.rule == "target"
    assert bad.message.startswith("2 of 12 runs missed the target") and "confounded with under-training" in bad.message
    assert bad.summary() == "12 done · 2 missed target"
    collapsed = matched_fit(_study([True, True, False], status=["done", "done", "stalled"]))
    assert not collapsed.matched and "1 stalled, diverged or failed" in collapsed.message
    assert collapsed.summary() == "2 done · 1 not trained"


def test_matched_fit_without_target_uses_a_relative_loss_band():
    from studies.analysis.fairness import loss_band, matched_fit
    assert loss_band(0.02) == pytest.approx(0.041) and loss_band(0.0) == 0.001
    close = _study([False] * 3, target=0.0, losses=[0.02, 0.03, 0.04])
    assert matched_fit(close).matched and matched_fit(close).rule == "loss band"
    far = _study([False] * 3, target=0.0, losses=[0.02, 0.035, 1.3])   # sgd at B=512 after 10 epochs
    check = matched_fit(far)
    assert not check.matched and check.n_missed == 1 and "above the band (at most 2× the best run's + 0.001)" in check.message
    # within 0.1 nats of each other, but one run has 90× the other's loss: not matched
    spread = matched_fit(_study([False] * 2, target=0.0, losses=[0.001, 0.09]))
    assert not spread.matched and spread.n_missed == 1
    assert matched_fit(_study([False] * 2, target=0.0, losses=[1e-6, 4e-4])).matched   # both fit (~0)


def test_matched_pair_needs_both_matched_and_the_same_rule():
    from studies.analysis.fairness import matched_pair
    a, b = _study([True] * 4), _study([True] * 3)
    assert matched_pair(a, b).matched
    assert not matched_pair(a, _study([True, False])).matched
    assert "1 of 6 runs" in matched_pair(a, _study([True, False])).message
    other = matched_pair(a, _study([True] * 3, target=0.9))
    assert not other.matched and "different rules" in other.message and "train acc ≥ 0.99" in other.message
    budget = matched_pair(a, _study([False] * 2, target=0.0))
    assert not budget.matched and "fixed epoch budget" in budget.message
    # each within its own loss band, but not together
    lo, hi = _study([False] * 2, target=0.0, losses=[0.01, 0.02]), _study([False] * 2, target=0.0, losses=[0.5, 0.55])
    assert matched_fit(lo).matched and matched_fit(hi).matched and not matched_pair(lo, hi).matched


def test_held_equal_says_what_the_comparison_holds_equal_and_how_lr_over_b_varies():
    from studies.analysis.fairness import held_equal
    from studies.i18n import language
    runs = pd.DataFrame({"batch_size": [16, 64, 1024] * 2, "optimizer": "adam", "lr": 0.003, "shuffle": True,
                         "status": "done", "reached_target": True, "target_train_acc": 0.0,
                         "target_train_loss": 0.01, "epoch_budget": 300})
    assert held_equal(runs) == ("Held equal across batch sizes: the target (train loss ≤ 0.01) and the learning "
                                "rate (adam 0.003). For adam, what varies is the batch size itself (64× from B=16 "
                                "to B=1024) and with it the gradient noise of each step; lr/B is not their noise "
                                "scale (the step divides by a running gradient size).")
    sgd = runs.assign(optimizer="momentum")   # SGD's family: lr/B is the noise temperature ηN/(B(1−m))
    assert held_equal(sgd).endswith("For momentum, what varies is the noise temperature ηN/(B(1−m)) (lr/B), 64× "
                                    "smaller at B=1024 than at B=16.")
    both = pd.concat([runs, sgd], ignore_index=True)
    assert "For momentum, what varies is the noise temperature" in held_equal(both) and \
        "For adam, what varies is the batch size itself" in held_equal(both)
    with language("zh"):
        assert "目标（训练损失 ≤ 0.01）" in held_equal(runs) and "为 64 倍" in held_equal(runs)
        assert "噪声温度" in held_equal(sgd) and "小 64 倍" in held_equal(sgd)
    budget = runs.assign(target_train_loss=0.0)
    assert held_equal(budget).startswith("Held equal across batch sizes: the epoch budget (300 epochs, no target)")
    linear = runs.assign(lr=runs.batch_size * 1e-4)                   # lr_scaling = linear
    assert "and lr/B (the learning rate grows in proportion to B: adam 0.0016 (B=16) → 0.1024 (B=1024))" \
        in held_equal(linear)
    sqrt = runs.assign(lr=(runs.batch_size ** 0.5) * 1e-3)             # lr_scaling = sqrt: lr/B falls 8×
    assert "so lr/B is 8× smaller at B=1024 than at B=16" in held_equal(sqrt)
    assert "For adam, lr/B is not a noise scale" in held_equal(sqrt)
    swept = pd.concat([runs, runs.assign(lr=0.03)], ignore_index=True)
    assert "tuned per batch size (best lr)" in held_equal(swept)
    assert held_equal(runs[runs.batch_size == 16]) == "" and held_equal(runs.iloc[:0]) == ""
    assert held_equal(pd.concat([runs, runs.assign(target_train_loss=0.1)], ignore_index=True)) == ""


def test_a_stored_summary_reads_back_in_either_language():
    from studies import i18n
    from studies.analysis.fairness import summary_text, translate_summary
    for done, missed, untrained, target in ((12, 0, 0, True), (12, 2, 0, True), (10, 1, 2, False), (4, 0, 3, True)):
        english = summary_text(done, missed, untrained, target)
        assert translate_summary(english) == english                       # the runner stores the English one
        with i18n.language("zh"):
            assert translate_summary(english) == summary_text(done, missed, untrained, target)
    with i18n.language("zh"):
        assert translate_summary("12 done · 2 missed target") == "12 个完成 · 2 个未达标"
        assert translate_summary("3/12 runs") == "3/12 次运行" and translate_summary("odd [text]") == "odd [text]"


def test_ago_reads_an_iso_time_as_minutes_hours_or_days():
    import datetime as dt
    from studies import i18n
    now = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.timezone.utc)
    assert i18n.ago("2026-01-02T11:59:30+00:00", now) == "just now"
    assert i18n.ago("2026-01-02T11:57:00+00:00", now) == "3 min ago"
    assert i18n.ago("2026-01-02T09:00:00+00:00", now) == "3 h ago"
    with i18n.language("zh"):
        assert i18n.ago("2025-12-30T12:00:00+00:00", now) == "3 天前"
    assert i18n.ago("2025-01-01T00:00:00+00:00", now) == "2025-01-01" and i18n.ago("?") == "?"


def test_pruned_lrs_are_listed_with_their_censored_steps():
    from studies.analysis.fairness import censored_steps, pruned_line
    df = _runs([
        ("momentum", 8, True, 0.01, 0, "done", True, 6000, 0.1),
        ("momentum", 8, True, 0.1, 0, "pruned", False, 6500, 2.3),
        ("momentum", 8, True, 0.1, 1, "pruned", False, 6000, 2.3),
    ])
    assert censored_steps(df).censored.tolist() == [6000]   # the fewest steps a seed of the lr was stopped at
    assert pruned_line(df).endswith("momentum B=8 lr 0.1 > 6000")
    assert pruned_line(df[df.status == "done"]) == ""
