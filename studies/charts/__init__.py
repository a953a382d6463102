"""DataFrame in, altair chart out; no torch, no streamlit. One module per page family, this file the map:

- `common`: colours per optimizer, labels, the log₂ batch-size axis, Vega-Lite / PNG / SVG export;
- `batch`: every chart against batch size (mean over the seeds at the study's fit, a 95 % t-interval band, runs
  that missed the fit as hollow points, the study's B_simple as a rule) — Speed, Generalization, Sharpness;
- `curves`: learning curves (per configuration: mean over seeds, 95 % t-interval band, n; or one line per run);
  `landscape`: 1-D slices, the 2-D surface and the interpolation;
- `fit`: the lr × batch-size map and steps to target with the S(B) fit; `curvature`: the Curvature page;
- `runs`: the parallel-coordinates view of a study's runs (settings → outcomes);
- `speed`: the Speed page's answer (time to the target with the saturation, steps vs examples with the hyperbola);
- `playground`: the 2-D optimizer playground.
"""
from .batch import (accuracy_chart, aggregate_over_seeds, b_simple_rule, batch_size_chart,
                    epoch_time_chart, gap_chart, split_chart, target_chart, timing_note, with_speed)
from .common import (LABELS, OPTIMIZER_COLORS, PALETTE, budget_text, label, localised_run_label, run_labels,
                     to_image, to_vega_lite)
from .edges import whole_points
from .curves import CURVE_X, RUN_DASHES, curve_bands, learning_curve_bands, learning_curves
from .landscape import interpolation_chart, landscape_chart, surface_chart, surface_pair

__all__ = ["accuracy_chart", "aggregate_over_seeds", "b_simple_rule", "batch_size_chart",
           "epoch_time_chart", "gap_chart", "split_chart", "target_chart", "timing_note", "with_speed", "LABELS",
           "OPTIMIZER_COLORS", "PALETTE", "budget_text", "label", "localised_run_label", "run_labels", "to_image", "to_vega_lite", "CURVE_X",
           "RUN_DASHES", "curve_bands", "learning_curve_bands", "learning_curves", "interpolation_chart", "landscape_chart",
           "surface_chart", "surface_pair", "whole_points"]
