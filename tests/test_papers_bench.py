"""benchmarks/papers.py: the paper table's words come from Welch's interval (known answers for every rule), and
the command runs a template, keeps its row and writes the README's table (a smoke test on a tiny template)."""
import json
import math

import pandas as pd
import pytest

from benchmarks import paper_claims as pc, papers


@pytest.mark.parametrize("expect, value, low, high, ratio, words", [
    ("-", -0.05, -0.10, -0.01, False, "reproduces, outside the seed noise"),
    ("-", -0.05, -0.10, +0.01, False, "same sign, inside the noise"),
    ("-", +0.05, +0.01, +0.10, False, "the opposite sign, outside the seed noise"),
    ("-", +0.05, -0.01, +0.10, False, "the opposite sign, inside the noise"),
    ("+", 4.0, 3.0, 5.0, True, "reproduces, outside the seed noise"),       # a ratio: no change is 1
    ("+", 1.5, 0.9, 2.5, True, "same sign, inside the noise"),
    ("0", -0.01, -0.03, +0.02, False, "reproduces, inside the seed noise"),
    ("0", -0.05, -0.08, -0.02, False, "does not reproduce, outside the seed noise"),
    ("-", -0.05, math.nan, math.nan, False, "no interval"),
])
def test_the_verdict_is_chosen_from_the_interval(expect, value, low, high, ratio, words):
    assert pc.verdict(expect, value, low, high, ratio) == words


def _summary(diff_rows):
    base = [dict(measure="test_acc", batch_size=b, optimizer="adam", budget="target", mean=0.7, ci_low=0.6,
                 ci_high=0.8, n=2, n_left_out=k, note="") for b, k in ((16, 0), (256, 2))]
    return pd.DataFrame(base + diff_rows)


def test_a_comparison_names_its_numbers_verdict_and_losses_and_a_missing_one_says_why():
    row = dict(measure="test_acc_diff", batch_size="16->256", optimizer="adam", budget="target", mean=-0.05,
               ci_low=-0.1, ci_high=-0.0001, n=6, n_left_out=math.nan,
               note="outside the seed noise; at train loss 0.0095 vs 0.01 (medians)")
    [(text, words)] = pc.comparison_text(pc.Claim("test_acc", "-"), _summary([row]))
    assert words == "reproduces, outside the seed noise"
    assert "B = 16 → 256: -0.05 (Welch 95 % -0.1 to -0.0001)" in text and "train loss 0.0095 vs 0.01" in text
    [(text, words)] = pc.comparison_text(pc.Claim("test_acc", "0", "target"), _summary([]))
    assert words == "no comparison" and "B=256: 2 of 4 runs left out" in text
    assert pc.headline(["reproduces, outside the seed noise", "same sign, inside the noise"]).startswith("**Same")
    assert pc.headline(["no comparison"]) == "**Does not reproduce here.**"


def test_a_batch_size_left_out_shows_its_runs_medians_and_why_and_an_unmatched_claim_its_two_ends():
    """Goyal's B = 1024 at equal epochs ends above the loss band: the table shows what it measured and why it is
    out of the comparison (never "test acc nan"); a claim with no matched comparison gives both ends' medians
    with their train losses, and no verdict."""
    summary = _summary([]).assign(budget="epochs:40")
    summary.loc[summary.batch_size == 256, ["n", "mean"]] = [0, math.nan]
    runs = pd.DataFrame(dict(batch_size=[16, 16, 256, 256], optimizer="adam", budget="epochs:40", best_lr=True,
                             status="done", test_acc=[0.70, 0.72, 0.50, 0.54], train_loss=[0.03, 0.03, 0.4, 0.5],
                             steps=[1000, 1000, 64, 64], target_train_loss=0.0))
    text = pc.groups_text(summary, runs, "goyal")
    assert "nan" not in text and text.startswith("`goyal` adam: B = 16: test acc 0.700")
    assert ("B = 256: test acc 0.520, train loss 0.45, 64 steps (medians of 2 runs left out of the comparison: "
            "final train loss above the loss band of this budget)") in text
    assert "(medians of 2 runs left out of the comparison: diverged)" in pc.groups_text(
        summary, runs.assign(status=["done", "done", "diverged", "diverged"]))
    [(text, words)] = pc.comparison_text(pc.Claim("test_acc", "0", "epochs:40"), summary, runs)
    assert words == "no comparison"
    assert "not at a matched fit, medians of the finished runs: B = 16 0.71 at train loss 0.03 vs B = 256 0.52 " \
           "at train loss 0.45" in text


def test_paired_templates_are_compared_configuration_by_configuration():
    a = pd.DataFrame(dict(batch_size=[8, 8, 32], lr=[0.1] * 3, seed=[0, 1, 0], test_acc=[0.70, 0.72, 0.60],
                          steps=[100, 100, 50]))
    b = a.assign(test_acc=[0.71, 0.72, 0.61], steps=[200, 200, 100])
    text, words = pc.paired_text(a, b, "test_acc", ("smith", "smith-decay"))
    assert words == "reproduces, inside the seed noise" and "3 pairs" in text
    text, words = pc.paired_text(a, b, "steps", ("smith", "smith-decay"))
    assert words == "stated" and "×0.5" in text


TINY = """name = "tiny"
dataset = "digits"
model = "mlp"
hidden = [16]
batch_sizes = [16, 256]
optimizers = ["adam"]
shuffle = [true]
seeds = [0, 1]
epochs = 60
target_train_loss = 0.3

[lr]
adam = 0.01

[measure]
sharpness_eps = [1e-3]
sharpness_random = false
sharpness_sam = false
hessian = true
landscape = false
noise_scale = false
sample = 256
"""


@pytest.mark.slow
def test_the_command_runs_a_template_keeps_its_row_and_writes_the_table(tmp_path, monkeypatch):
    (tmp_path / "tiny.toml").write_text(TINY)
    readme = tmp_path / "README.md"
    readme.write_text("# Examples\n\n<!-- papers:start -->\nold\n<!-- papers:end -->\n\nkept\n")
    paper = pc.Paper("tiny", "A tiny paper", "Large batches test worse.", ("tiny.toml",),
                     (pc.Claim("test_acc", "-"), pc.Claim("hessian_top_eig", "+")))
    monkeypatch.setattr(papers, "EXAMPLES", tmp_path)
    monkeypatch.setattr(papers, "README", readme)
    monkeypatch.setattr(papers, "RESULTS", tmp_path / "papers.json")
    monkeypatch.setattr(papers, "PAPERS", (paper,))
    assert papers.main(["--only", "nope"]) == 2
    assert papers.main(["--only", "tiny", "--store", str(tmp_path / "store"), "--write"]) == 0
    row = json.loads((tmp_path / "papers.json").read_text())["tiny"]
    assert len(row["verdicts"]) == 2 and all(v in {"reproduces, outside the seed noise", "same sign, inside the noise",
                                                   "the opposite sign, outside the seed noise",
                                                   "the opposite sign, inside the noise", "no interval",
                                                   "no comparison"} for v in row["verdicts"])
    text = readme.read_text()
    assert "old" not in text and "kept" in text and "| A tiny paper |" in text and "B = 16 → 256" in text
    assert "`tiny.toml`: digits, mlp 16, adam lr 0.01, B = 16, 256, 2 seeds" in text
    assert "python -m benchmarks.papers --write" in text
