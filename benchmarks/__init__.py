"""Speed measured as numbers and ratios, written into BENCHMARKS.md (one marked section per script, `sections`).

Run from the project root: `python -m benchmarks.training` (device loop vs the naive DataLoader loop),
`.measurements` (what the measurements cost beside training), `.estimators` (each estimator's CPU time),
`.precision` (float32 vs float64 estimates), `.ratios` (the study-level ratios, repeated).
"""
