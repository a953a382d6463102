"""CBS₂₀ (Zhang et al. 2025): the batch size where the steps exceed perfect scaling from the smallest batch by
20 %. Known answers on S(B) = S_min(1 + B_crit/B): overhead (B + B_crit)/(B₀ + B_crit) = 1.2 at
B = 1.2·B₀ + 0.2·B_crit; a curve that never reaches the overhead is a lower bound; seeds give a ×/÷ interval."""
import math

import numpy as np
import pandas as pd
import pytest

from studies.analysis.cbs import cbs, study_cbs, summary_rows


def _curve(b, s_min, b_crit):
    return s_min * (1 + b_crit / np.asarray(b, dtype=float))


def test_cbs_of_the_mccandlish_curve_is_its_closed_form():
    b = 16 * 1.02 ** np.arange(400)                         # dense: log-log interpolation is exact to < 0.1 %
    value, bounded = cbs(b, _curve(b, 100.0, 1000.0))
    assert not bounded and value == pytest.approx(1.2 * 16 + 0.2 * 1000, rel=1e-3)


def test_cbs_on_a_coarse_grid_lies_between_its_neighbours_and_near_the_closed_form():
    b = np.array([16, 64, 256, 1024])
    value, bounded = cbs(b, _curve(b, 100.0, 1000.0))
    assert not bounded and 64 < value < 256 and value == pytest.approx(219.2, rel=0.15)


def test_an_overhead_under_20_percent_to_the_largest_batch_is_a_lower_bound():
    b = np.array([16, 64, 256, 1024])
    value, bounded = cbs(b, _curve(b, 100.0, 1e6))
    assert bounded and value == 1024
    assert math.isnan(cbs([16], [10.0])[0])


def _runs(b_crits: dict[int, float], batches=(16, 64, 256, 1024), opt="sgd") -> pd.DataFrame:
    rows = []
    for seed, bc in b_crits.items():
        for b in batches:
            for lr, extra in ((0.1, 1.0), (0.3, 1.5)):          # a losing lr the rule must ignore
                rows.append(dict(optimizer=opt, shuffle=True, batch_size=b, lr=lr, seed=seed, status="done",
                                 reached_target=True, steps=float(_curve(b, 50.0, bc) * extra), train_loss=0.1,
                                 target_train_loss=0.1, best_lr=lr == 0.1, run_id=f"{seed}-{b}-{lr}"))
    return pd.DataFrame(rows)


def test_the_study_value_is_the_geometric_mean_over_seeds_with_a_log_interval():
    got = study_cbs(_runs({0: 500.0, 1: 1000.0, 2: 2000.0}))
    assert len(got) == 1
    c = got[0]
    per = [cbs([16, 64, 256, 1024], _curve([16, 64, 256, 1024], 50.0, bc))[0] for bc in (500.0, 1000.0, 2000.0)]
    assert c["value"] == pytest.approx(math.exp(np.mean(np.log(per))))
    assert c["low"] < min(per) <= max(per) < c["high"] and c["n"] == 3 and not c["bounded"]


def test_summary_rows_are_positive_and_say_a_bound_is_a_bound():
    (row,) = summary_rows(_runs({0: 1000.0}))
    assert row["measure"] == "cbs20" and row["mean"] > 0 and row["n"] == 1
    (bound,) = summary_rows(_runs({0: 1e7}))
    assert math.isnan(bound["mean"]) and bound["ci_low"] == 1024 and "lower bound" == bound["interval"]


def test_the_summary_export_carries_a_cbs20_row_per_optimizer():
    from studies.analysis.conclusions import summary_table
    runs = pd.concat([_runs({0: 1000.0, 1: 800.0}), _runs({0: 100.0, 1: 150.0}, opt="adam")], ignore_index=True)
    s = summary_table(runs)
    rows = s[s.measure == "cbs20"].set_index("optimizer")
    assert set(rows.index) == {"sgd", "adam"} and (rows["mean"] > 0).all() and (rows.ci_low < rows["mean"]).all()


def test_describe_says_a_value_with_its_interval_or_a_bound():
    from studies.analysis.cbs import describe
    (c,) = study_cbs(_runs({0: 1000.0, 1: 800.0}))
    assert "CBS₂₀ ≈" in describe(c) and "95 % interval" in describe(c)
    (b,) = study_cbs(_runs({0: 1e7}))
    assert "CBS₂₀ > 1,024" in describe(b)


def test_without_an_lr_sweep_the_row_is_the_overhead_at_that_lr_not_a_critical_batch_size():
    """One lr for every batch size (quick.toml): perfect scaling needs the lr to grow with B, so the overhead at
    a fixed lr is no CBS. The row keeps the number but names the lr and says so, in the export and the text."""
    from studies.analysis.cbs import describe
    from studies.i18n import language
    runs = _runs({0: 1000.0})
    one = runs[runs.lr == 0.1].assign(best_lr=True)
    (c,) = study_cbs(one)
    assert not c["lr_tuned"] and c["lr"] == 0.1
    (row,) = summary_rows(one)
    assert row["measure"] == "cbs20" and row["lr"] == 0.1 and row["mean"] > 0
    assert row["note"].startswith("lr not tuned per batch size: the overhead at lr = 0.1, not a critical batch size")
    (tuned,) = summary_rows(runs)
    assert tuned["lr"] == "best" and "not tuned" not in tuned["note"]
    (ct,) = study_cbs(runs)
    assert ct["lr_tuned"]
    with language("en"):
        assert "not a critical batch size" in describe(c) and "lr = 0.1" in describe(c)
        assert "not tuned" not in describe(ct)
    with language("zh"):
        assert "不是临界批大小" in describe(c) and "学习率 = 0.1" in describe(c)
