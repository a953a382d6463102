"""Every ratio with the fit it was taken at: the CLI's and the pages' smallest → largest batch comparisons name
the train losses of the runs they compare and say when those are not within the matched band; a positive,
skewed measure is compared as a ratio on the log scale."""
import pandas as pd
import pytest

from studies.analysis import conclusions, statements
from studies.analysis.summary import difference_line
from studies.i18n import language


def _runs(loss_small=(0.0039, 0.0043, 0.0039)):
    rows = []
    for b, losses, sharp in ((16, loss_small, (0.9, 1.0, 1.1)), (1024, (0.0098, 0.0097, 0.0099), (5.4, 5.5, 5.6))):
        for seed in range(3):
            rows.append(dict(run_id=f"{b}-{seed}", optimizer="adam", shuffle=True, batch_size=b, lr=0.002, seed=seed,
                             status="done", reached_target=True, target_train_loss=0.01, train_loss=losses[seed],
                             hessian_top_eig=sharp[seed], gap_acc=0.3 + b / 10000 + seed / 100))
    return pd.DataFrame(rows)


def test_a_cli_ratio_names_the_train_losses_and_the_mismatch():
    [line] = difference_line(_runs(), "hessian_top_eig")
    d = conclusions.end_difference(_runs(), "hessian_top_eig")[0]
    assert d["ratio"] and d["diff"] == pytest.approx((5.4 * 5.5 * 5.6 / (0.9 * 1.0 * 1.1)) ** (1 / 3), rel=1e-9)
    assert line.startswith("hessian_top_eig, adam: B 16 → 1024 ×5.52 (95 % Welch interval on the log scale ×")
    assert "outside the seed noise; at train loss 0.0039 vs 0.0098 (medians), NOT within the matched band" in line
    [matched] = difference_line(_runs(loss_small=(0.0091, 0.0095, 0.0093)), "hessian_top_eig")
    assert matched.endswith("at train loss 0.0093 vs 0.0098 (medians)")
    [gap] = difference_line(_runs(), "gap_acc")     # a difference, not a ratio, and its losses too
    assert " +0.101 (95 % Welch interval +" in gap and "train loss 0.0039 vs 0.0098" in gap


def test_the_pages_say_the_same_in_either_language():
    note = statements.difference_note(_runs(), "hessian_top_eig")
    assert "multiplies the geometric mean by ×5.52" in note and "train loss 0.0039 vs 0.0098" in note
    assert "**not within the matched band**" in note
    with language("zh"):
        note = statements.difference_note(_runs(), "hessian_top_eig")
        assert "训练损失为 0.0039 对 0.0098" in note and "不在匹配的损失带内" in note
