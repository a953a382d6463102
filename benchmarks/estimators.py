"""CPU seconds of each measurement on one trained keskar-digits run, first call in a fresh process and warm.

    python -m benchmarks.estimators [--batch 32] [--critical] [--watch] [--write]

CPU time of this process (time.process_time, one thread), so another program's load barely changes it,
unlike the wall times of benchmarks/measurements.py. --write puts the table into BENCHMARKS.md (section "estimators").
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.sections import write_section  # noqa: E402
from studies.spec.config import MeasureSpec, StudySpec  # noqa: E402
from studies.engine.data import load_dataset  # noqa: E402
from studies.engine.models import run_model  # noqa: E402
from studies.engine.optim import make_loss  # noqa: E402
from studies.engine.train import train_run  # noqa: E402

ESTIMATORS = ["sharpness_eps", "sharpness_rand", "sharpness_sam", "hessian", "noise_scale",
              "noise_scale_init"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=32, help="32 or 1437 (full batch)")
    p.add_argument("--critical", action="store_true", help="with the critical-point test (λ_min) on")
    p.add_argument("--watch", action="store_true",
                   help="with adaptive sharpness, the 2-D landscape and the rescaling audit on")
    p.add_argument("--write", action="store_true")
    args = p.parse_args()
    watch = ("sharpness_adaptive", "surface", "rescale_audit") if args.watch else ()
    torch.set_num_threads(1)
    import studies.measures.measure_run as M
    from studies.measures.landscape import random_slice_rows
    spec = StudySpec.from_toml("examples/keskar-digits.toml")
    data = load_dataset(spec.dataset, spec.data, "cpu")
    run = next(r for r in spec.expand(n_train=data.n_train, device="cpu") if r.seed == 0
               and min(r.batch_size, data.n_train) == min(args.batch, data.n_train))
    model = run_model(run, data)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(train_run(run, data, torch.device("cpu"), model=model).state)
    model.eval()
    M.time.perf_counter = time.process_time   # measure_run's own *_time_s, in CPU seconds
    loss, rows = make_loss(run.loss), []
    mspec = MeasureSpec(critical=args.critical, **dict.fromkeys(("sharpness_adaptive", "landscape_2d",
                                                                 "rescale_audit"), args.watch))
    for call in ("first", "warm"):
        c = time.process_time()
        out = M.measure_run(model, data.x_train, data.y_train, loss, mspec, init_state=init)
        c1 = time.process_time()
        random_slice_rows(model, (data.x_train, data.y_train), (data.x_test, data.y_test), loss,
                          np.linspace(-1, 1, 21).tolist())
        rows.append([call] + [f"{out.get(f'{e}_time_s', float('nan')):.3f}" for e in (*ESTIMATORS, *watch)]
                    + [f"{time.process_time() - c1:.3f}", f"{c1 - c:.3f}"])
    cols = ["call"] + [f"{e}_s" for e in (*ESTIMATORS, *watch)] + ["landscape_slice_s", "measure_run_s"]
    name = "estimators-watch" if args.watch else "estimators-critical" if args.critical else "estimators"
    text = "\n".join([
        "## Measurement cost in CPU seconds (keskar-digits, one run" + (", critical-point test on" if args.critical
                                                                       else "") + (", watch on)" if args.watch else ")"),
        "", f"`python -m benchmarks.estimators --batch {args.batch}{' --critical' if args.critical else ''}"
        f"{' --watch' if args.watch else ''}"
        f"{' --write' if args.write else ''}` — "
        f"{time.strftime('%Y-%m-%d %H:%M')}, torch {torch.__version__}, one thread, load average "
        f"{os.getloadavg()[0]:.1f}; B={run.batch_size}, seed 0, the default [measure]"
        f"{' with critical = true (λ_min)' if args.critical else ''}"
        f"{' with sharpness_adaptive, landscape_2d (21×21) and rescale_audit on' if args.watch else ''}. CPU time of this "
        "process, so other programs' load inflates it far less than the wall times above.", "",
        "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols),
        *("| " + " | ".join(r) + " |" for r in rows)])
    print(text)
    if args.write:
        write_section("BENCHMARKS.md", name, text)


if __name__ == "__main__":
    main()
