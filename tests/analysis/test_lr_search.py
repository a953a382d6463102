"""The auto lr search's rule: an lr is added a factor beyond every best lr that sits at an edge of what was tried
at its batch size, never twice, never past the cap; nothing is added once every best lr is inside."""
import math

import pandas as pd

from studies.analysis.lr_search import FACTOR, MAX_LRS, annotate, to_add
from studies.spec.lr_auto import start_grid


def _runs(steps_by_b: dict[int, dict[float, float | None]], opt="sgd") -> pd.DataFrame:
    """steps None: the run diverged."""
    rows = []
    for b, by_lr in steps_by_b.items():
        for lr, s in by_lr.items():
            rows.append(dict(optimizer=opt, shuffle=True, batch_size=b, lr=lr, seed=0,
                             status="done" if s is not None else "diverged", reached_target=s is not None,
                             steps=s if s is not None else math.nan, train_loss=0.1 if s else math.nan,
                             target_train_loss=0.1, run_id=f"{b}-{lr}"))
    return pd.DataFrame(rows)


def test_a_lone_lr_gets_a_neighbour_on_both_sides():
    (add,) = to_add(_runs({16: {0.01: 100}}), ("sgd",)).values()     # one lr: not a tuned value, either side
    assert sorted(add) == [0.003162, 0.03162]                          # FACTOR = √10 below and above
    assert all("only one tried" in why for why in add.values())


def test_start_grid_is_half_decades_around_the_centre():
    assert start_grid("auto:0.01", 0.1) == (0.001, 0.003162, 0.01, 0.03162, 0.1)
    assert start_grid("auto", 0.1) == (0.01, 0.03162, 0.1, 0.3162, 1.0)


def test_edges_get_a_neighbour_beyond_and_the_inside_nothing():
    grid = start_grid("auto:0.01", 0.1)
    runs = _runs({16: dict(zip(grid, (990, 950, 900, 500, 400))),    # best at the top: add above
                  64: dict(zip(grid, (300, 500, 900, 950, 990))),    # best at the bottom: add below
                  256: dict(zip(grid, (990, 950, 300, 200, None)))})  # inside (its upper neighbour diverged)
    add = to_add(runs, ("sgd",))
    assert set(add) == {("sgd", 16), ("sgd", 64)}
    (up,) = add[("sgd", 16)]
    (down,) = add[("sgd", 64)]
    assert math.isclose(up, grid[-1] * FACTOR, rel_tol=1e-3) and math.isclose(down, grid[0] / FACTOR, rel_tol=1e-3)
    assert "largest" in add[("sgd", 16)][up] and "smallest" in add[("sgd", 64)][down]
    assert to_add(runs, ("adam",)) == {}                          # only the optimizers searched
    assert to_add(runs, ("sgd",), known=add) == {}                # never added twice


def test_all_diverged_goes_lower_and_the_cap_stops_the_search():
    runs = _runs({16: {0.1: None, 0.3: None}})
    (lr,) = to_add(runs, ("sgd",))[("sgd", 16)]
    assert math.isclose(lr, 0.1 / FACTOR, rel_tol=1e-3)
    many = {10.0 ** (-k / 2): float(100 + k) for k in range(MAX_LRS)}    # best at the top, but capped
    assert to_add(_runs({16: many}), ("sgd",)) == {}


def test_annotate_marks_added_lrs_with_their_reason():
    runs = _runs({16: {0.01: 100, 0.03162: 90}})
    out = annotate(runs, {("sgd", 16): {0.03162: "best lr 0.01 at B=16 was the largest tried"}})
    assert list(out.lr_added) == [False, True] and out.lr_reason.iloc[1].startswith("best lr")
