"""What a study concludes, from its tables (pure pandas/scipy: no torch, no streamlit). The map:

- `fairness`: the best lr per group, the matched fit (target, or a relative loss band), what is held equal;
- `conclusions`: the comparable runs, per-group means with intervals, the study's one B_simple, the summary export;
- `intervals`: the 95 % intervals every derived number carries; `scaling`: the S(B) fit and B_crit's interval;
- `predictors`: which measure predicts the gap (Ψ and τ); `verdict`: the critical-point verdict;
- `compare`: what differs between studies; `summary`: the CLI's closing note; `tidy`: grid columns on exports;
- `runtable`: the run table (every run, at the fit or not, its outcome and measures) and its filters;
- `speed`: time and examples to the target, the fastest batch size (and those within the noise), saturation,
  McCandlish's steps–examples trade-off.

Import a module, not this package's names: the store imports `fairness` alone, without the rest.
"""
