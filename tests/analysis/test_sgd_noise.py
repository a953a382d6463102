"""SGD's noise scale g = ηN/(B(1−m)) per run, the equal-g groups and the reading, against known answers."""
import math

import pandas as pd
import pytest

from studies import i18n
from studies.analysis import sgd_noise


def _runs(rows):
    """A runs table: (optimizer, lr, batch_size, seed, test_acc[, status, train_loss]) per row, N = 1,000."""
    out = []
    for i, r in enumerate(rows):
        opt, lr, b, seed, acc, *rest = r
        status, loss = (rest + ["done", 0.01])[:2] if rest else ("done", 0.01)
        out.append({"run_id": f"r{i}", "optimizer": opt, "lr": lr, "batch_size": b, "seed": seed, "n_train": 1000,
                    "status": status, "train_loss": loss, "test_acc": acc, "gap_acc": 1 - acc, "shuffle": True})
    return pd.DataFrame(out)


def test_g_is_eta_n_over_b_times_one_minus_m():
    assert sgd_noise.noise_scale_g(0.1, 1000, 50, 0.9) == pytest.approx(20.0)     # 0.1·1000/(50·0.1)
    assert sgd_noise.noise_scale_g(0.1, 1000, 50) == pytest.approx(2.0)
    assert sgd_noise.noise_scale_g(0.01, 4000, 8, 0.5) == pytest.approx(10.0)


def test_momentum_comes_from_the_optimizer_record_and_the_spec():
    assert sgd_noise.momentum_of("sgd") == 0.0
    assert sgd_noise.momentum_of("momentum") == 0.9 and sgd_noise.momentum_of("nesterov") == 0.9
    assert sgd_noise.momentum_of("momentum", {"momentum": 0.5}) == 0.5
    assert sgd_noise.momentum_of("nesterov", {"momentum": 0.99}) == 0.99
    for adaptive in ("adagrad", "rmsprop", "adam", "adamw"):
        assert sgd_noise.momentum_of(adaptive) is None


def test_optim_of_reads_the_stored_spec_and_survives_a_bad_one():
    assert sgd_noise.optim_of('dataset = "digits"\n[optim]\nmomentum = 0.5\n') == {"momentum": 0.5}
    assert sgd_noise.optim_of("not toml [") == {} and sgd_noise.optim_of(None) == {}


def test_g_table_drops_adaptive_runs_and_groups_equal_g():
    runs = _runs([("momentum", 0.01, 16, 0, 0.9), ("momentum", 0.04, 64, 0, 0.9), ("momentum", 0.0415, 64, 1, 0.9),
                  ("sgd", 0.1, 16, 0, 0.8), ("adam", 0.001, 16, 0, 0.7)])
    df = sgd_noise.g_table(runs, {})
    assert list(df.run_id) == ["r0", "r1", "r2", "r3"]                  # adam left out
    assert df.g.tolist() == pytest.approx([6.25, 6.25, 0.0415 * 1000 / 6.4, 6.25])
    assert df.g_group.nunique() == 1                                     # 6.48 is within 5 % of 6.25
    far = sgd_noise.g_table(_runs([("momentum", 0.01, 16, 0, 0.9), ("momentum", 0.05, 64, 0, 0.9)]))
    assert far.g_group.nunique() == 2                                    # 7.8 is 25 % above 6.25


def test_the_view_needs_sgd_family_runs_at_two_lrs_and_two_batch_sizes():
    assert sgd_noise.has_view(_runs([("adam", 0.001, 16, 0, 0.7), ("adam", 0.002, 64, 0, 0.7)])) == \
        "gscale.absent_adaptive"
    assert sgd_noise.has_view(_runs([("sgd", 0.1, 16, 0, 0.8), ("sgd", 0.2, 16, 0, 0.8)])) == "gscale.absent_one_b"
    assert sgd_noise.has_view(_runs([("sgd", 0.1, 16, 0, 0.8), ("sgd", 0.1, 64, 0, 0.8)])) == "gscale.absent_one_lr"
    assert sgd_noise.has_view(_runs([("sgd", 0.1, 16, 0, 0.8), ("sgd", 0.4, 64, 0, 0.8)])) == ""


def test_agreement_measures_spread_within_equal_g_groups_against_across_and_seeds():
    # g = 6.25 for (0.01, 16) and (0.04, 64); g = 25 for (0.04, 16); two seeds each
    runs = _runs([("sgd", 0.01, 16, 0, 0.90), ("sgd", 0.01, 16, 1, 0.92),
                  ("sgd", 0.04, 64, 0, 0.91), ("sgd", 0.04, 64, 1, 0.93),
                  ("sgd", 0.04, 16, 0, 0.80), ("sgd", 0.04, 16, 1, 0.80)])
    a = sgd_noise.agreement(sgd_noise.g_table(runs), "test_acc")
    assert a["n"] == 6 and a["groups"] == 1
    assert a["within"] == pytest.approx(0.01)          # config means 0.91 and 0.92
    assert a["across"] == pytest.approx(0.12)          # 0.92 − 0.80
    assert a["seeds"] == pytest.approx(0.02)           # median of 0.02, 0.02, 0.00
    assert a["agree"] is True and a["tau"] == pytest.approx(-8 / math.sqrt(112))   # τ-b: 8 discordant, ties 7 and 1 of 15
    # the same study with the equal-g pair far apart: no agreement
    runs.loc[runs.batch_size == 64, "test_acc"] = [0.80, 0.80]
    runs.loc[(runs.lr == 0.04) & (runs.batch_size == 16), "test_acc"] = [0.85, 0.85]
    a = sgd_noise.agreement(sgd_noise.g_table(runs), "test_acc")
    assert a["within"] == pytest.approx(0.11) and a["across"] == pytest.approx(0.11) and a["agree"] is False


def test_runs_that_missed_the_fit_or_did_not_train_make_no_reading():
    runs = _runs([("sgd", 0.01, 16, 0, 0.90), ("sgd", 0.04, 64, 0, 0.91),
                  ("sgd", 0.04, 16, 0, 0.20, "done", 0.9),            # far outside the loss band
                  ("sgd", 0.16, 64, 0, 0.10, "diverged", math.nan)])
    df = sgd_noise.g_table(runs)
    assert df.at_fit.tolist() == [True, True, False, False]
    a = sgd_noise.agreement(df, "test_acc")
    assert a["n"] == 2 and a["across"] == pytest.approx(0.01)
    cap = sgd_noise.caption(runs)
    assert "hollow: missed it (1 run(s)" in cap and "1 run(s) that did not train" in cap   # the diverged one


def test_reading_and_caption_in_both_languages():
    runs = _runs([("momentum", 0.01, 16, 0, 0.90), ("momentum", 0.04, 64, 0, 0.91), ("momentum", 0.04, 16, 0, 0.80),
                  ("adam", 0.001, 16, 0, 0.7)])
    lines = sgd_noise.reading(runs, {})
    assert len(lines) == 2 and "Kendall τ(g, ·)" in lines[1] and "fall together" in lines[1]
    cap = sgd_noise.caption(runs, {})
    assert "N = 1,000" in cap and "m = 0\\.9 for momentum" in cap and "adam left out (1 run(s))" in cap
    with i18n.language("zh"):
        assert "落在一起" in sgd_noise.reading(runs, {})[1] and "已排除 adam" in sgd_noise.caption(runs, {})


def test_an_equal_g_pair_that_missed_the_fit_is_named_not_denied():
    runs = _runs([("sgd", 0.01, 16, 0, 0.90), ("sgd", 0.04, 64, 0, 0.91, "done", 0.5),   # g 0.625 twice
                  ("sgd", 0.04, 16, 0, 0.80, "done", 0.5)])
    lines = sgd_noise.reading(runs)
    assert len(lines) == 1 and "No τ (1 run(s)" in lines[0] and "share a g (1 group(s)" in lines[0]
    runs = _runs([("sgd", 0.01, 16, 0, 0.90), ("sgd", 0.04, 16, 0, 0.80)])                 # g 0.625 and 2.5
    assert "No two configurations share g" in sgd_noise.reading(runs)[0]


def test_the_caption_says_where_a_growing_batch_is_placed():
    from studies.analysis import sgd_noise
    runs = pd.DataFrame([dict(run_id=f"r{b}", optimizer="sgd", lr=0.1, batch_size=b, n_train=1000, seed=0,
                              status="done", train_loss=0.1, test_acc=0.9, gap_acc=0.05, batch_schedule=sched,
                              batch_growth=4) for b, sched in ((8, "step"), (32, "constant"))])
    text = str(sgd_noise.caption(runs))
    assert "first phase's g" in text and "falls 4×" in text
    assert "first phase" not in str(sgd_noise.caption(runs.assign(batch_schedule="constant")))
