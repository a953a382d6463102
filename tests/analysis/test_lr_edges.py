"""A best lr at the edge of its sweep is a bound: known answers on a planted sweep for lr_at_edge, next_lr, the
runs table's column, the CLI's warning line and B_crit reported as a bound or not at all."""
import math

import pandas as pd
import pytest

from studies.analysis.fairness import with_best_lr
from studies.analysis.lr_edges import edge, edge_warnings, lr_edges
from studies.analysis.scaling import b_crit_text, fit_study
from studies.i18n import language

BEST = {16: 0.1, 64: 0.1, 256: 1.0, 1024: 0.01}   # 0.1 inside the grid, 1.0 its top, 0.01 its bottom


def _sweep(best=BEST, lrs=(0.01, 0.1, 1.0), extra=()):
    rows = []
    for b, chosen in best.items():
        for lr in (*lrs, *extra):
            for seed in (0, 1):
                win = lr == chosen
                rows.append(dict(run_id=f"{b}-{lr}-{seed}", optimizer="momentum", shuffle=True, batch_size=b, lr=lr,
                                 seed=seed, status="diverged" if lr in extra else "done", reached_target=win,
                                 steps=int(100 * (1 + 30 / b)) if win else 10_000, epochs=10,
                                 train_loss=0.01 if win else 0.5, target_train_loss=0.02, target_train_acc=0.0))
    return with_best_lr(pd.DataFrame(rows))


def test_a_planted_sweep_marks_its_edges_and_the_lr_to_try_next():
    e = lr_edges(_sweep()).set_index("batch_size")
    assert e.lr_at_edge.to_dict() == {16: "", 64: "", 256: "high", 1024: "low"}
    assert e.loc[256, "next_lr"] == pytest.approx(10.0) and e.loc[1024, "next_lr"] == pytest.approx(0.001)
    assert math.isnan(e.loc[16, "next_lr"]) and (e.n_lrs == 3).all()


def test_the_runs_table_marks_only_the_chosen_runs_of_an_edge_configuration():
    runs = _sweep()
    marked = runs[runs.lr_at_edge != ""]
    assert set(zip(marked.batch_size, marked.lr, marked.lr_at_edge)) == {(256, 1.0, "high"), (1024, 0.01, "low")}
    assert len(marked) == 4 and marked.best_lr.all()


def test_a_larger_lr_that_diverged_puts_the_chosen_lr_inside_the_grid():
    runs = _sweep(best={16: 1.0, 64: 1.0, 256: 1.0}, extra=(10.0,))
    assert (lr_edges(runs).lr_at_edge == "").all() and edge_warnings(runs) == []


def test_the_one_rule_on_known_grids():
    grid = [0.001, 0.01, 0.1]
    assert edge(grid, 0.1) == "high" and edge(grid, 0.001) == "low" and edge(grid, 0.01) == ""
    assert edge([0.1], 0.1) == "single" and edge([0.1, 0.1, 0.1], 0.1) == "single"   # seeds repeat one lr
    assert edge(grid, 0.5) == "" and edge([], 0.1) == ""                            # not tried: no answer
    assert edge([0.1, float("nan"), 0.01], 0.1) == "high"                           # a missing lr is no lr


def test_every_reader_says_the_same_of_a_grid_best_at_top_bottom_inside_and_alone():
    """The table's lr_at_edge, the lr search, the summary note and the CLI warning: one answer per grid."""
    from studies.analysis.conclusions import summary_table
    from studies.analysis.lr_search import to_add
    cases = {"high": ((0.01, 0.1, 1.0), 1.0), "low": ((0.01, 0.1, 1.0), 0.01), "": ((0.01, 0.1, 1.0), 0.1),
             "single": ((0.1,), 0.1)}
    for side, (lrs, best) in cases.items():
        runs = _sweep(best={16: best, 64: best, 256: best}, lrs=lrs)
        assert set(lr_edges(runs).lr_at_edge) == {side}
        assert set(runs[runs.best_lr].lr_at_edge) == {side} and set(runs[~runs.best_lr].lr_at_edge) <= {""}
        added = to_add(runs, ("momentum",))
        assert bool(added) == bool(side)                  # the search extends exactly where the table says edge
        note = summary_table(runs).set_index(["measure", "batch_size"]).loc[("steps", 16), "note"]
        warned = edge_warnings(runs)
        if not side:
            assert note == "" and warned == []
            continue
        [line] = warned
        word = {"high": "largest", "low": "smallest", "single": "one lr tried"}[side]
        assert word in line and "only bounds" in line
        assert {"high": "top edge", "low": "bottom edge", "single": "only lr tried"}[side] in note
        ups = [lr > best for add in added.values() for lr in add]
        assert {"high": {True}, "low": {False}, "single": {True, False}}[side] == set(ups)


def test_one_lr_is_not_a_tuned_value_and_every_reader_says_so():
    runs = _sweep(best={16: 0.1, 256: 0.1}, lrs=(0.1,))
    assert set(runs.lr_at_edge) == {"single"}
    [line] = edge_warnings(runs)
    assert "one lr tried (0.1) at B = 16, 256, not a tuned value" in line and "try lr 0.05, 0.2" in line
    with language("zh"):
        assert "只试了一个学习率" in edge_warnings(runs)[0]


def test_the_cli_warns_once_per_optimizer_naming_the_edge_and_the_next_lr():
    [line] = edge_warnings(_sweep())
    assert line.startswith("warning: momentum: the best lr is the largest tried (1) at B = 256, the top edge of "
                           "its grid: try lr 10; the best lr is the smallest tried (0.01) at B = 1024")
    assert "try lr 0.001" in line and "only bounds" in line
    with language("zh"):
        assert "网格上沿" in edge_warnings(_sweep())[0]


def test_b_crit_from_edge_runs_is_a_bound_without_an_interval_or_no_number():
    top = _sweep(best={16: 0.01, 64: 0.1, 256: 1.0, 1024: 1.0}, lrs=(0.001, 0.01, 0.1, 1.0))
    [f] = fit_study(top)   # edges only at the largest batch sizes: their steps can only fall, B_crit only grow
    assert f["kind"] == "bound" and f["bound"] == ">=" and f["edges"] == {"high": [256, 1024]}
    assert b_crit_text(f).startswith(f"B_crit ≥ {f['b_crit']:,.0f}, a lower bound with no interval")
    both = _sweep(best={16: 0.01, 64: 0.1, 256: 1.0, 1024: 1.0}, lrs=(0.01, 0.1, 1.0))   # 16 at the bottom too
    [g] = fit_study(both)
    assert g["kind"] == "bound" and g["bound"] == "" and b_crit_text(g).startswith("no B_crit: the best lr sits")
    from studies.analysis.conclusions import summary_table
    rows = summary_table(both)
    crit = rows[rows.measure == "b_crit"].iloc[0]
    assert math.isnan(crit["mean"]) and "edge" in crit.note
    rows = summary_table(top)
    crit = rows[rows.measure == "b_crit"].iloc[0]
    assert crit["mean"] == pytest.approx(f["b_crit"]) and math.isnan(crit.ci_low) and "edge" in crit.note


def test_the_summary_rows_built_on_an_edge_lr_say_so():
    from studies.analysis.conclusions import summary_table
    s = summary_table(_sweep()).set_index(["measure", "batch_size"])
    assert s.loc[("steps", 256), "note"].startswith("best lr at the top edge of its grid")
    assert s.loc[("steps", 1024), "note"].startswith("best lr at the bottom edge") and s.loc[("steps", 16), "note"] == ""


def test_the_run_table_and_the_lr_map_show_the_edge():
    from studies.analysis.runtable import run_table
    from studies.charts.fit import lr_grid
    table = run_table(_sweep())
    assert "lr_at_edge" in table and set(table.lr_at_edge) == {"", "high", "low"}
    grid = lr_grid(_sweep(), "steps")
    ring = grid[grid.edge != ""].set_index("batch_size")
    assert ring.edge.to_dict() == {256: "high", 1024: "low"} and "try lr 10" in ring.loc[256, "edge_note"]


def test_a_study_stored_before_lr_at_edge_gets_it_when_analysed(fixture_store):
    from studies.storage.atomic import atomic_write_parquet
    from studies.storage.store import Store
    root, spec = fixture_store
    store = Store(root)
    path = store.study_dir(spec.study_id) / "runs.parquet"
    before = store.load_table(spec.study_id)
    atomic_write_parquet(path, before.drop(columns="lr_at_edge"))        # as a study written before it
    try:
        from studies.analysis.fairness import ensure_best_lr
        again = ensure_best_lr(store.load_table(spec.study_id))
        one = again[again.best_lr]                                         # one lr: not a tuned value
        assert "lr_at_edge" in again and (one.lr_at_edge == "single").all() and (again[~again.best_lr].lr_at_edge == "").all()
    finally:
        atomic_write_parquet(path, before)
