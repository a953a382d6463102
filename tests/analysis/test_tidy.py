"""Tidy exports: per-epoch and landscape rows carry their run's grid columns."""
import pandas as pd

from studies.analysis.tidy import GRID_COLUMNS, with_grid


def runs():
    return pd.DataFrame({"run_id": ["a", "b"], "batch_size": [8, 512], "optimizer": ["sgd", "adam"],
                         "shuffle": [True, False], "seed": [0, 1], "lr": [0.1, 0.001], "budget": ["epochs:4", "steps:400"],
                         "test_acc": [0.9, 0.8]})


def test_epochs_get_the_grid_columns_of_their_run_after_run_id():
    epochs = pd.DataFrame({"run_id": ["a", "a", "b"], "epoch": [1, 2, 1], "train_loss": [1.0, 0.5, 2.0]})
    out = with_grid(epochs, runs())
    assert list(out.columns) == ["run_id", *GRID_COLUMNS, "epoch", "train_loss"]
    assert out.batch_size.tolist() == [8, 8, 512]
    assert out.optimizer.tolist() == ["sgd", "sgd", "adam"]
    assert out.shuffle.tolist() == [True, True, False] and out.lr.tolist() == [0.1, 0.1, 0.001]
    assert out.budget.tolist() == ["epochs:4", "epochs:4", "steps:400"]
    assert len(out) == len(epochs) and "test_acc" not in out


def test_own_columns_are_kept_and_unknown_runs_stay_empty():
    land = pd.DataFrame({"run_id": ["b", "zz"], "batch_size": [999, 4], "alpha": [0.0, 0.5]})
    out = with_grid(land, runs())
    assert out.batch_size.tolist() == [999, 4]                 # its own value wins
    assert out.optimizer.iloc[0] == "adam" and pd.isna(out.optimizer.iloc[1])


def test_a_table_without_run_id_is_unchanged():
    df = pd.DataFrame({"x": [1]})
    assert with_grid(df, runs()) is df
