"""How sure a derived number is (issue 33): the S(B) fit's kinds (B_crit, a bound, the scale at one lr, too few
batch sizes) and its lack of fit, a best lr at its grid's edge, the train losses a ratio is taken at, the
log-scale intervals, the timing pass, B_simple per optimizer and what varies per optimizer. English for the
CLI, both languages for the pages."""
CERTAINTY = {
    # ---- the S(B) fit: what its number is
    "fitx.scale_name": ("S(B) scale at lr = {lr:g}", "学习率 = {lr:g} 时的 S(B) 尺度"),
    "fitx.scale_name_lrs": ("S(B) scale at lrs not tuned per batch size", "学习率未按批大小调优时的 S(B) 尺度"),
    "fitx.not_b_crit": ("; no lr sweep, so not a critical batch size (B_crit needs the best lr per batch size)",
                        "；没有学习率扫描，因此不是临界批大小（B_crit 需要每个批大小的最佳学习率）"),
    "fitx.too_few": ("no B_crit: an S(B) fit needs steps to the target at ≥ 3 batch sizes, this has {k} (from 2 it "
                     "would only restate their two step counts)",
                     "无 B_crit：S(B) 拟合需要至少 3 个批大小的达标步数，这里只有 {k} 个（2 个只是把两个步数换一种写法）"),
    "fitx.describe_short": ("{opt} ({order}): {crit}", "{opt}（{order}）的拟合：{crit}"),
    "fitx.describe_bound": ("{opt} ({order}): {crit}; from {n} runs at {k} batch sizes",
                            "{opt}（{order}）：{crit}；来自 {k} 个批大小上的 {n} 个运行"),
    "fitx.lower_bound": ("B_crit ≥ {b:,.0f}, a lower bound with no interval: the best lr sits at the edge of its "
                         "grid at B = {sizes}, where a wider grid can only lower the steps",
                         "B_crit ≥ {b:,.0f}，只是下界，没有区间：B = {sizes} 时最佳学习率位于网格边缘，"
                         "更宽的网格只会减少那里的步数"),
    "fitx.upper_bound": ("B_crit ≤ {b:,.0f}, an upper bound with no interval: the best lr sits at the edge of its "
                         "grid at B = {sizes}, where a wider grid can only lower the steps",
                         "B_crit ≤ {b:,.0f}，只是上界，没有区间：B = {sizes} 时最佳学习率位于网格边缘，"
                         "更宽的网格只会减少那里的步数"),
    "fitx.no_bound": ("no B_crit: the best lr sits at the edge of its grid at B = {sizes}, on both sides of the "
                      "fit's knee, so its steps there are only upper bounds and B_crit is not even bounded: widen "
                      "the lr grid",
                      "无 B_crit：B = {sizes} 时最佳学习率位于网格边缘，分布在拟合拐点两侧，那里的步数只是上界，"
                      "B_crit 连界限都给不出：请扩大学习率网格"),
    "fitx.lack_of_fit": ("; S(B) does not fit the per-batch-size means (lack-of-fit F = {f:.3g}, p = {p:.2g}), "
                         "so the fit and its interval are the per-batch-size means'",
                         "；S(B) 与各批大小的均值不吻合（失拟 F = {f:.3g}，p = {p:.2g}），"
                         "因此拟合及其区间取自各批大小的均值"),
    "fitx.no_crit": ("no B_crit: no lr sweep (B_crit needs the best lr per batch size; the S(B) scale at the one "
                     "lr is on Generalization)",
                     "无 B_crit：没有学习率扫描（B_crit 需要每个批大小的最佳学习率；单一学习率下的 S(B) 尺度见 "
                     "「泛化」页）"),
    "edgex.high": ("top", "上沿"),
    "edgex.low": ("bottom", "下沿"),
    "edgex.single": ("only lr tried", "唯一试过的学习率"),
    # ---- a best lr at its grid's edge (analysis/lr_edges.py)
    "edge.warning": ("warning: {opt}: {parts}; steps to the target, the S(B) fit, B_crit and the fastest batch "
                     "size built on it are only bounds",
                     "警告：{opt}：{parts}；基于它的达标步数、S(B) 拟合、B_crit 和最快批大小都只是界限"),
    "edge.high": ("the best lr is the largest tried ({lrs}) at B = {sizes}, the top edge of its grid: try lr "
                  "{next}", "B = {sizes} 时最佳学习率是试过的最大值（{lrs}），位于网格上沿：请试学习率 {next}"),
    "edge.low": ("the best lr is the smallest tried ({lrs}) at B = {sizes}, the bottom edge of its grid: try lr "
                 "{next}", "B = {sizes} 时最佳学习率是试过的最小值（{lrs}），位于网格下沿：请试学习率 {next}"),
    "edge.single": ("one lr tried ({lrs}) at B = {sizes}, not a tuned value (no lr on either side of it was "
                    "tried): try lr {next}", "B = {sizes} 时只试了一个学习率（{lrs}），不是调优值（两侧都没有试过别的学习率）："
                    "请试学习率 {next}"),
    "edge.and": ("; ", "；"),
}
CERTAINTY.update({
    # ---- B_simple at the final weights, per optimizer × budget (analysis/b_simple.py)
    "bsx.none": ("B_simple{who}: not measured (no comparable run has a noise-scale estimate)",
                 "B_simple{who}：未测量（没有可比运行带噪声尺度估计）"),
    "bsx.value": ("B_simple{who} ≈ {v:,.0f} at the final weights ({rng}; {n} runs, {seeds} seeds{left})",
                  "B_simple{who} ≈ {v:,.0f}，取自最终权重（{rng}；{n} 个运行，{seeds} 个种子{left}）"),
    "bsx.interval": ("95 % bootstrap interval over seeds {low:,.0f}–{high:,.0f}", "按种子自助法 95 % 区间 {low:,.0f}–{high:,.0f}"),
    "bsx.too_few": ("fewer than 3 seeds: no interval", "种子少于 3 个：没有区间"),
})
CERTAINTY.update({
    # ---- what varies with B, per optimizer family (fairness.held_equal)
    "held.fixed_lr_only": ("Held equal across batch sizes: {stop} and the learning rate ({lrs}).",
                           "各批大小之间保持相同的是：{stop}和学习率（{lrs}）。"),
    "held.varies_sgd": ("For {opts}, what varies is the noise temperature ηN/(B(1−m)) (lr/B), {k:.3g}× smaller at "
                        "B={b1} than at B={b0}.",
                        "对 {opts}，变化的是噪声温度 ηN/(B(1−m))（lr/B），B={b1} 时比 B={b0} 时小 {k:.3g} 倍。"),
    "held.varies_adaptive": ("For {opts}, what varies is the batch size itself ({r:.3g}× from B={b0} to B={b1}) and "
                             "with it the gradient noise of each step; lr/B is not their noise scale (the step "
                             "divides by a running gradient size).",
                             "对 {opts}，变化的是批大小本身（从 B={b0} 到 B={b1} 为 {r:.3g} 倍），以及随之变化的每步梯度噪声；"
                             "lr/B 不是它们的噪声尺度（其步长除以梯度大小的滑动估计）。"),
    "held.adaptive_note": (" For {opts}, lr/B is not a noise scale (the step divides by a running gradient size).",
                           " 对 {opts}，lr/B 不是噪声尺度（其步长除以梯度大小的滑动估计）。"),
})
CERTAINTY.update({
    # ---- the run table and the lr × batch-size map (analysis/runtable.py, charts/fit.py)
    "label.lr_at_edge": ("best lr at the grid's edge", "最佳学习率位于网格边缘"),
    "fitc.edge": ("best lr at the grid's edge", "最佳学习率位于网格边缘"),
    "fitc.edge_note": ("edge: {side} of the lr grid, try lr {next}", "边缘：学习率网格{side}，请试 {next}"),
    "fitc.single_note": ("the only lr tried: not a tuned value, try lr {down} and {next}",
                         "唯一试过的学习率：不是调优值，请试 {down} 和 {next}"),
    "caption.lr_edge": ("A red ring: the best lr is the largest (or smallest) lr tried at that batch size, at the "
                        "edge of the grid; a better lr may lie beyond it, so steps to the target there, and the S(B) "
                        "fit, B_crit and the fastest batch size built on them, are only bounds.",
                        "红圈：该批大小的最佳学习率是试过的最大（或最小）值，位于网格边缘；更好的学习率可能在网格之外，"
                        "因此那里的达标步数，以及基于它的 S(B) 拟合、B_crit 和最快批大小都只是界限。"),
})
CERTAINTY.update({
    # ---- the pages' end comparisons (analysis/statements.py)
    "study.ratio": ("{opt}: B = {small} → {large} multiplies the geometric mean by {diff} (95 % Welch interval on "
                    "the log scale {low} to {high}): {verdict}.",
                    "{opt}：B = {small} → {large} 的几何均值之比为 {diff}（对数尺度上的 95 % Welch 区间 {low} 至 {high}）："
                    "{verdict}。"),
    "study.ratio_none": ("{opt}: B = {small} → {large} multiplies the geometric mean by {diff}; fewer than 2 "
                         "comparable seeds per batch size, so no interval: whether it is noise cannot be told.",
                         "{opt}：B = {small} → {large} 的几何均值之比为 {diff}；每个批大小可比种子少于 2 个，没有区间，"
                         "无法判断是否为噪声。"),
    "study.losses": (" Taken at train loss {a} vs {b} (medians).", "比较时的训练损失为 {a} 对 {b}（中位数）。"),
    "study.losses_unmatched": (" Taken at train loss {a} vs {b} (medians): **not within the matched band** ({band}), "
                               "so the two ends are at different fits.",
                               "比较时的训练损失为 {a} 对 {b}（中位数）：**不在匹配的损失带内**（{band}），"
                               "两端处于不同的拟合程度。"),
})
