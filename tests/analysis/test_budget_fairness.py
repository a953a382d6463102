"""Runs held to different budgets are never one configuration: best lr, the fit, what is held equal and the
end differences are judged per budget (known answers on hand-made runs tables)."""
import pandas as pd

from studies.analysis.conclusions import comparable, end_difference, group_summary
from studies.analysis.fairness import best_lr, budget_text, by_budget, fitted, held_equal, matched_fit, with_best_lr
from studies.analysis.predictors import granulated_tau, sweep_coordinates


def _runs():
    """Two budgets at B = 16 and 256, two lrs each. Under steps:400 every run trains to a loss near 0.1; under
    epochs:4 the large batch stays at 0.9 (far outside the loss band of the small one's 0.1)."""
    rows = []
    for budget, losses in (("steps:400", {16: 0.10, 256: 0.12}), ("epochs:4", {16: 0.10, 256: 0.90})):
        for b, loss in losses.items():
            for lr, extra in ((0.01, 0.0), (0.1, 0.05)):   # 0.01 fits better under both budgets
                for seed in (0, 1):
                    rows.append({"optimizer": "momentum", "batch_size": b, "shuffle": True, "lr": lr, "seed": seed,
                                 "budget": budget, "status": "done", "reached_target": False,
                                 "steps": 400 if budget.startswith("steps") else 4 * (1437 // b + 1),
                                 "epoch_budget": 4, "train_loss": loss + extra, "target_train_acc": 0.0,
                                 "target_train_loss": 0.0, "test_acc": 0.9 - loss + 0.01 * seed})
    return pd.DataFrame(rows)


def test_best_lr_is_chosen_within_each_budget():
    runs = _runs()
    marked = runs[best_lr(runs)]
    assert len(marked) == 8   # one lr × 2 seeds per (batch size, budget)
    assert set(marked.groupby(["budget", "batch_size"]).lr.unique().map(tuple)) == {(0.01,)}


def test_the_loss_band_is_each_budgets_own():
    runs = _runs().assign(best_lr=lambda d: best_lr(d))
    ok = fitted(runs)
    # epochs:4 B=256 (loss 0.9) misses its budget's band (≤ 2·0.1 + 0.001); steps:400's 0.12 is within it
    missed = runs[~ok & runs.best_lr]
    assert set(zip(missed.budget, missed.batch_size)) == {("epochs:4", 256)}
    check = matched_fit(runs[runs.best_lr])
    assert not check.matched and check.n_missed == 2 and check.message.startswith("epochs:4: 2 of 4 runs")
    assert "steps:400" not in check.message
    assert comparable(runs).sum() == 6


def test_held_equal_says_each_budget_and_the_updates_a_step_budget_holds():
    text = held_equal(_runs())
    assert text.startswith("steps:400: Held equal across batch sizes: 400 updates (a step budget, no target)")
    assert "epochs:4: Held equal across batch sizes: the epoch budget (4 epochs, no target)" in text
    one = _runs().query("budget == 'steps:400'")
    assert held_equal(one).startswith("Held equal across batch sizes: 400 updates")


def test_conclusions_group_and_differ_within_a_budget():
    runs = _runs().assign(best_lr=lambda d: best_lr(d))
    summary = group_summary(runs, ["test_acc"])
    assert set(summary.budget) == {"steps:400", "epochs:4"} and len(summary) == 4
    diffs = {d["budget"]: d for d in end_difference(runs, "test_acc")}
    assert set(diffs) == {"steps:400"}   # epochs:4's large batch missed the fit: nothing to compare there
    assert round(diffs["steps:400"]["diff"], 6) == -0.02


def test_budget_text_leaves_written_budgets_alone_and_escapes_the_rest():
    assert budget_text("steps:400") == "steps:400" and budget_text("target") == "target"
    assert budget_text("[x](http://e)") == r"\[x\]\(http\://e\)"


def test_granulated_tau_compares_batch_sizes_within_a_budget():
    """Within each budget the measure falls as the gap rises with B (ψ = −1); pooled across budgets the
    pairs (epochs B=16, steps B=256) would agree instead. Two groups, one per budget, and ψ_B = −1."""
    runs = pd.DataFrame({"batch_size": [16, 256, 16, 256], "budget": ["epochs:4"] * 2 + ["steps:400"] * 2,
                         "optimizer": "sgd", "lr": 0.1, "shuffle": True, "seed": 0})
    measure, gap = [2.0, 1.0, 4.0, 3.0], [0.1, 0.2, 0.3, 0.4]
    psi, per, groups = granulated_tau(sweep_coordinates(runs), measure, gap)
    assert groups == 2 and per == {"batch_size": -1.0} and psi == -1.0


def test_rows_stored_before_the_budget_column_join_the_budget_they_held():
    """A legacy study re-run after budgets came: its cached rows have no budget, its new rows "epochs:20"."""
    runs = _runs().query("budget == 'epochs:4'").assign(epoch_budget=20, budget=["epochs:20"] * 4 + [None] * 4)
    out = with_best_lr(runs)
    assert set(out.budget) == {"epochs:20"} and len(by_budget(out)) == 1
    targeted = runs.assign(budget=None, target_train_acc=0.9)
    assert set(with_best_lr(targeted).budget) == {"target"}
