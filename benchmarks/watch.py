"""The cost of curvature one can watch, whole process, repeated (one pair of runs on a shared 2-core machine moves
by ±15 % or more): (1) the Keskar-style digits study of the acceptance check `landscape` with the 2-D landscape,
adaptive sharpness and the rescaling audit on (and the default measurements), against every measurement off;
(2) the same study with only λ_max tracking on, against every measurement off. Each run is `python -m studies
run` on a fresh store; the stores' own clocks give the in-process parts (probes, surface, audit).

    python -m benchmarks.watch [--reps 3] [--write]

--write puts the table into BENCHMARKS.md between the ``watch`` markers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ratios import KESKAR, OFF, wall  # noqa: E402
from benchmarks.sections import write_section  # noqa: E402

TRACK = OFF + "hessian_track = true\n"
FULL = "[measure]\nsharpness_adaptive = true\nlandscape_2d = true\nrescale_audit = true\n"


def _sums(tmp: Path, name: str, table: str, columns: tuple[str, ...]) -> dict[str, float]:
    """Column sums of a finished study's table in the store the run wrote (its only study)."""
    from studies.storage.store import open_store
    store = open_store(tmp / f"store-{name}")
    sid = store.list_studies()["study_id"].iloc[0]
    df = store.load_table(sid, table)
    return {c: float(df[c].sum()) if c in df else float("nan") for c in columns}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--write", action="store_true")
    args = p.parse_args()
    rows, shares, tracks = [], [], []
    for rep in range(1, args.reps + 1):
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            base = wall(KESKAR + OFF, tmp, f"base{rep}")
            track = wall(KESKAR + TRACK, tmp, f"track{rep}")
            full = wall(KESKAR + FULL, tmp, f"full{rep}")
            probes = _sums(tmp, f"track{rep}", "epochs", ("hessian_track_time_s",))["hessian_track_time_s"]
            parts = _sums(tmp, f"full{rep}", "runs", ("measure_time_s", "surface_time_s", "rescale_audit_time_s",
                                                      "sharpness_adaptive_time_s"))
        share, extra = (full - base) / full, (track - base) / base
        shares.append(share)
        tracks.append(extra)
        rows.append(f"| {rep} | {base:.2f} | {full:.2f} | {100 * share:.0f} % | {parts['measure_time_s']:.1f} | "
                    f"{parts['surface_time_s']:.1f} | {parts['rescale_audit_time_s']:.1f} | "
                    f"{parts['sharpness_adaptive_time_s']:.1f} | {track:.2f} | {100 * extra:+.0f} % | {probes:.1f} |")
        print(rows[-1], flush=True)
    text = "\n".join([
        "## Curvature you can watch: whole-process cost, repeated", "",
        f"`python -m benchmarks.watch --reps {args.reps}{' --write' if args.write else ''}` — "
        f"{time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.1f} at the end (the machine was "
        "shared with other jobs). The study of the acceptance check `landscape` (`bash ../shared/checks/run "
        "landscape`): digits, MLP 256-256, momentum lr 0.05, B 32 and full, 2 seeds, to 100 % train accuracy. "
        "*unmeasured*: every measurement off; *measured*: the default [measure] plus `sharpness_adaptive`, "
        "`landscape_2d` (21×21) and `rescale_audit`; *tracked*: only `hessian_track`. In-process seconds summed "
        "over the 4 runs: all measurements, of which the 2-D surface, the audit (every measure again on the "
        "rescaled copy) and adaptive sharpness; and the λ_max probes. Goals: measurements ≤ 35 % of the measured "
        "study, tracking ≤ +15 %.", "",
        "| rep | unmeasured s | measured s | measurements' share | measure s | surface s | audit s | adaptive s | "
        "tracked s | tracking adds | probes s |",
        "|---|---|---|---|---|---|---|---|---|---|---|", *rows, "",
        f"Median share {100 * statistics.median(shares):.0f} % (worst {100 * max(shares):.0f} %); median tracking "
        f"cost {100 * statistics.median(tracks):+.0f} % (worst {100 * max(tracks):+.0f} %)."])
    print(text)
    if args.write:
        write_section(ROOT / "BENCHMARKS.md", "watch", text)


if __name__ == "__main__":
    main()
