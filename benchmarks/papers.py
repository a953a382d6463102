"""Paper claims that regenerate: run each paper template of examples/, read its `export --table summary` (and,
for a pair of templates, `export --table runs`), and write what it measured into examples/README.md's table.
The words (reproduces / same sign, inside the noise / …) come from Welch's interval (benchmarks/paper_claims.py).

    python -m benchmarks.papers [--only KEY ...] [--store DIR] [--write]

Each measured row is kept in examples/papers.json with its date, machine and wall time, so `--only KEY`
measures one paper again and the table is written whole from the file. Without --write it prints the rows.
A store that already holds a template's runs trains nothing: pass a fresh --store (the default, a temporary
folder) for the wall times to mean anything.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import paper_claims as pc  # noqa: E402
from benchmarks.sections import write_section  # noqa: E402

EXAMPLES = ROOT / "examples"
RESULTS = EXAMPLES / "papers.json"
README = EXAMPLES / "README.md"
C = pc.Claim
SHARPER = (C("test_acc", "-"), C("gap_acc", "+"), C("sharpness_eps", "+"), C("hessian_top_eig", "+"))

PAPERS = (
    pc.Paper("quick", "The embedded default (Keskar et al. 2017's question at a matched fit)",
             "At the same train loss, large batches end in sharper minima and test worse.",
             ("quick.toml",), SHARPER),
    pc.Paper("keskar", "Keskar et al. 2017, *On Large-Batch Training for Deep Learning*",
             "Large batches (10 % of the data) end in sharper minima and test worse than small batches (256) at "
             "about the same train accuracy; e.g. network C1 on CIFAR-10: 77.3 % vs 80.0 % test accuracy "
             "(their Table 2).", ("keskar.toml",), SHARPER),
    pc.Paper("goyal", "Goyal et al. 2017, *Accurate, Large Minibatch SGD*",
             "With the lr scaled linearly with the batch size and a 5-epoch gradual warm-up, batch 8192 keeps the "
             "accuracy of batch 256 in the same 90 epochs (ResNet-50 top-1 error 23.74 % vs 23.60 %); beyond ~8k "
             "it breaks down.", ("goyal.toml",), (C("test_acc", "0"),)),
    pc.Paper("hoffer", "Hoffer et al. 2017, *Train longer, generalize better*",
             "The large-batch gap comes from too few updates: with the lr scaled by √(B_L/B_S), ghost batch norm "
             "and as many updates as the small batch (\"regime adaptation\"), batch 4096 generalises as well as "
             "batch 128.", ("hoffer.toml",),
             (C("test_acc", "-", "epochs:20"), C("test_acc", "0", "steps:5000"))),
    pc.Paper("smith", "Smith et al. 2018, *Don't Decay the Learning Rate, Increase the Batch Size*",
             "Multiplying B by k where one would divide the lr by k keeps SGD's noise scale g = ηN/(B(1−m)) and "
             "the test accuracy, with fewer updates (ResNet-50 on ImageNet to 76.1 % in under 30 minutes).",
             ("smith.toml", "smith-decay.toml"), paired=("test_acc", "train_loss", "steps")),
    pc.Paper("shallue", "Shallue et al. 2018, *Measuring the Effects of Data Parallelism*",
             "With the lr tuned per batch size, the steps to a goal fall 2× with each doubling of B (perfect "
             "scaling) up to a workload-dependent batch size, then ever more slowly; the best lr follows no "
             "simple scaling rule.", ("shallue.toml",), b_crit=True),   # judged: B_crit inside the batch sizes
    pc.Paper("zhang", "Zhang et al. 2019, *Which Algorithmic Choices Matter at Which Batch Sizes?*",
             "Preconditioning (Adam) raises the critical batch size above SGD's and momentum's; a noisy quadratic "
             "model predicts it.", ("zhang.toml",), b_crit_order=("adam", "sgd")),
)


def describe(template: str) -> str:
    """The template in a line, read from its file: data, model, optimizers and lrs, batch sizes, seeds, what
    each run trains to."""
    d = tomllib.loads((EXAMPLES / template).read_text())
    model = d.get("model", "mlp") + (" " + "-".join(map(str, d["hidden"])) if d.get("hidden") else "")
    if d.get("norm"):
        model += f" with {d['norm']} norm"
    lrs = []
    for opt in d.get("optimizers", []):
        v = d.get("lr", {}).get(opt)
        v = ("lrs " + ", ".join(f"{x:g}" for x in v)) if isinstance(v, list) and len(v) <= 3 else \
            f"{len(v)} lrs {min(v):g}–{max(v):g}" if isinstance(v, list) else f"lr {v}" if v is not None else "default lr"
        lrs.append(f"{opt} {v}")
    if d.get("lr_scaling", "none") != "none":
        lrs.append(f"lr scaled {d['lr_scaling']} from B = {d.get('base_batch_size', '?')}")
    fit = (f"each to a train loss of {d['target_train_loss']:g}" if d.get("target_train_loss") else
           "budgets " + ", ".join(d["budgets"]) if d.get("budgets") else f"{d.get('epochs')} epochs")
    sched = [f"{k} {d[k]}" for k in ("schedule", "batch_schedule") if d.get(k) and d[k] != "constant"]
    return (f"`{template}`: {d['dataset']}, {model}, {'; '.join(lrs)}, B = "
            f"{', '.join(str(b) for b in d['batch_sizes'])}, {len(d.get('seeds', [0]))} seeds, {fit}"
            + (f" ({', '.join(sched)})" if sched else ""))


def run_template(template: str, store: Path) -> tuple[float, "object", "object"]:
    """(wall seconds of `python -m studies run`, its summary export, its runs export) on ``store``."""
    import pandas as pd
    from studies.spec.config import StudySpec
    name = StudySpec.from_toml(EXAMPLES / template).study_id   # the id: a store may hold older specs' studies
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studies", "run", str(EXAMPLES / template), "--store", str(store),
                    "--quiet"], cwd=ROOT, check=True, capture_output=True)
    seconds = time.perf_counter() - t
    frames = []
    for table in ("summary", "runs"):
        out = subprocess.run([sys.executable, "-m", "studies", "export", name, "--store", str(store), "--table",
                              table, "--format", "csv"], cwd=ROOT, check=True, capture_output=True, text=True)
        frames.append(pd.read_csv(io.StringIO(out.stdout)))
    return seconds, frames[0], frames[1]


def measured(paper: pc.Paper, results: list[tuple[float, "object", "object"]]) -> tuple[str, list[str]]:
    """The measured cell of `paper` from its templates' results, and the verdict of each claim."""
    seconds, summary, runs = results[0]
    lines, verdicts = [], []
    for claim in paper.claims:
        for text, words in pc.comparison_text(claim, summary, runs):
            lines.append(text)
            verdicts.append(words)
    if paper.paired:
        names = tuple(t.removesuffix(".toml") for t in paper.templates)
        for col in paper.paired:
            text, words = pc.paired_text(results[0][2], results[1][2], col, names)
            lines.append(text)
            verdicts.append(words)
    if paper.b_crit or paper.b_crit_order:
        lines += pc.b_crit_text(summary)
    if paper.b_crit:
        text, words = pc.b_crit_inside(summary)
        lines.append(text)
        verdicts.append(words)
    if paper.b_crit_order:
        text, words = pc.b_crit_order_verdict(summary, *paper.b_crit_order)
        lines.append(text)
        verdicts.append(words)
    for measure in ("cbs20", "b_crit_predicted") if paper.b_crit or paper.b_crit_order else ():
        for r in summary[summary.measure == measure].itertuples():
            if r.mean == r.mean:
                lines.append(f"{r.optimizer}: {measure} ≈ {float(r.mean):,.0f}")
    names = [t.removesuffix(".toml") for t in paper.templates] if len(results) > 1 else [""]
    groups = " · ".join(pc.groups_text(s, r, label) for (_, s, r), label in zip(results, names))
    n = sum(len(r) for _, _, r in results)
    wall = " + ".join(f"{s:.0f} s" for s, _, _ in results)
    cell = f"{pc.headline(verdicts)} " + "; ".join(lines) + f". Per batch size: {groups}. {n} runs, {wall}."
    return cell, verdicts


def machine() -> str:
    import torch
    dev = "cuda: " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"{os.cpu_count()}-core CPU"
    return f"{dev}, torch {torch.__version__}, {platform.python_implementation()} {platform.python_version()}"


def table(results: dict) -> str:
    """examples/README.md's table, every paper of PAPERS, from the stored results."""
    head = ("| paper | what it found | template | what the template measured here |\n|---|---|---|---|")
    rows = []
    for p in PAPERS:
        r = results.get(p.key)
        cell = (f"{r['measured']} (measured {r['date']}, {r['machine']}, load {r['load']:.1f})" if r else
                f"Not measured yet: `python -m benchmarks.papers --write --only {p.key}`.")
        template = " and ".join(describe(t) for t in p.templates)
        rows.append(f"| {p.title} | {p.found} | {template} | {cell} |")
    note = ("Written by `python -m benchmarks.papers --write` from each template's `export --table summary` "
            "(Welch's 95 % intervals over seeds; `--only KEY` for one row; the rows' measurements are kept in "
            "`examples/papers.json`). \"Outside the seed noise\": the interval excludes no change.")
    return note + "\n\n" + head + "\n" + "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="*", default=None, metavar="KEY", help=", ".join(x.key for x in PAPERS))
    p.add_argument("--store", default=None, help="store folder (default: a fresh temporary one)")
    p.add_argument("--write", action="store_true", help="keep the rows in examples/papers.json, write README")
    args = p.parse_args(argv)
    keys = {x.key for x in PAPERS}
    bad = sorted(set(args.only or []) - keys)
    if bad:
        print(f"error: no paper {', '.join(bad)}; choose from {', '.join(sorted(keys))}", file=sys.stderr)
        return 2
    chosen = [x for x in PAPERS if args.only is None or x.key in args.only]
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(args.store) if args.store else Path(tmp)
        for paper in chosen:
            load = os.getloadavg()[0]
            got = [run_template(t, store) for t in paper.templates]
            cell, verdicts = measured(paper, got)
            results[paper.key] = {"measured": cell, "verdicts": verdicts, "wall_s": [g[0] for g in got],
                                  "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "machine": machine(),
                                  "load": load, "command": f"python -m benchmarks.papers --write --only {paper.key}"}
            print(f"{paper.key}: {cell}\n", flush=True)
    if args.write:
        tmp = RESULTS.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        os.replace(tmp, RESULTS)
        write_section(README, "papers", table(results))
        print(f"wrote {README} and {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
