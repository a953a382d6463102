"""The strings the analyses compose (fairness, the S(B) fit, B_simple, Compare's setup): English for the CLI,
both languages for the pages, so a 中文 page never shows an English sentence the library made."""
ANALYSIS = {
    # ---- fairness: the best-lr rule, the matched-fit messages and the one-line summary
    "fair.best_lr_rule": ("per optimizer, batch size and shuffle: the lr with most seeds reaching the target, then "
                          "the fewest median steps to it; without a target (or when none reached it), the lowest "
                          "median final train loss; stalled, diverged and failed runs never win",
                          "按优化器、批大小和数据顺序分组：取达到目标的随机种子最多的学习率，其次取达到目标所需中位步数最少的；"
                          "没有目标（或都没达到）时取最终训练损失中位数最低的；停滞、发散和失败的运行永远不会入选"),
    "fair.confound": ("gap and sharpness are confounded with under-training", "泛化差距和尖锐度与训练不足混杂在一起"),
    "fair.band": ("at most {ratio:g}× the best run's + {floor:g}", "不超过最佳运行的 {ratio:g} 倍 + {floor:g}"),
    "fair.missed_target": ("{k} of {n} runs missed the target{extra}: {confound}.",
                           "{n} 个运行中有 {k} 个未达到目标{extra}：{confound}。"),
    "fair.missed_band": ("{k} of {n} runs ended with a train loss above the band ({band}){extra}: {confound}.",
                         "{n} 个运行中有 {k} 个的最终训练损失高于损失带（{band}）{extra}：{confound}。"),
    "fair.untrained": (" ({u} stalled, diverged or failed)", "（其中 {u} 个停滞、发散或失败）"),
    "fair.different_targets": ("The runs were trained to different targets ({n}): {confound}.",
                               "这些运行的训练目标不同（{n} 种）：{confound}。"),
    "fair.pair_rules": ("The two studies stop by different rules ({rules}): {confound}.",
                        "两个研究的停止规则不同（{rules}）：{confound}。"),
    "fair.pair_missed_target": ("{k} of {n} runs across the two studies missed the target: {confound}.",
                                "两个研究共 {n} 个运行中有 {k} 个未达到目标：{confound}。"),
    "fair.pair_missed_band": ("{k} of {n} runs across the two studies are outside the loss band: {confound}.",
                              "两个研究共 {n} 个运行中有 {k} 个超出损失带：{confound}。"),
    "fair.vs": (" vs ", " 对 "),
    "fair.budget": ("a fixed epoch budget", "固定的训练轮数预算"),
    "fair.a_target": ("a target", "某个目标"),
    "fair.acc": ("train acc ≥ {v:g}", "训练准确率 ≥ {v:g}"),
    "fair.loss": ("train loss ≤ {v:g}", "训练损失 ≤ {v:g}"),
    "fair.and": (" and ", "且"),
    "fair.sum.done": ("{n} done", "{n} 个完成"),
    "fair.sum.missed_target": ("{n} missed target", "{n} 个未达标"),
    "fair.sum.missed_band": ("{n} missed the loss band", "{n} 个超出损失带"),
    "fair.sum.untrained": ("{n} not trained", "{n} 个未训练"),
    "fair.sum.runs": ("{done}/{total} runs", "{done}/{total} 次运行"),
    # ---- the S(B) fit
    "fitx.value": ("{name} ≈ {b:,.0f}", "{name} 约为 {b:,.0f}"),
    "fitx.above": ("{name} > {b:,.0f}, beyond the largest batch in the fit", "{name} > {b:,.0f}，超出拟合中最大的批大小"),
    "fitx.below": ("{name} < {b:,.0f}, below the smallest batch in the fit", "{name} < {b:,.0f}，低于拟合中最小的批大小"),
    "fitx.no_interval": (" (no interval from {n} points)", "（{n} 个点给不出区间）"),
    "fitx.interval": (" (95 % profile-likelihood interval {low}–{high})", "（95 % 剖面似然区间 {low}–{high}）"),
    "fitx.describe": ("{opt} ({order}): S(B) = {s_min:.0f}·(1 + b/B) steps; {crit}; from {n} runs at {k} batch "
                      "sizes (rms log error {rmse:.2f})",
                      "{opt}（{order}）：S(B) = {s_min:.0f}·(1 + b/B) 步；{crit}；来自 {k} 个批大小上的 {n} 个运行"
                      "（对数均方根误差 {rmse:.2f}）"),
    "order.shuffle": ("shuffle", "每轮洗牌"),
    "order.fixed order": ("fixed order", "固定顺序"),
    # ---- B_simple
    "bs.none": ("B_simple: not measured (no comparable run has a noise-scale estimate)",
                "B_simple：未测量（没有可比运行带噪声尺度估计）"),
    "bs.value": ("B_simple ≈ {v:,.0f} ({rng}; {n} runs{left})", "B_simple ≈ {v:,.0f}（{rng}；{n} 个运行{left}）"),
    "bs.interval": ("95 % bootstrap interval {low:,.0f}–{high:,.0f}", "95 % 自助法区间 {low:,.0f}–{high:,.0f}"),
    "bs.too_few": ("too few runs for an interval", "运行太少，给不出区间"),
    "bs.left": (", {k} left out", "，{k} 个被排除"),
    # ---- times (i18n.ago)
    "time.just_now": ("just now", "刚刚"),
    "time.min_ago": ("{n} min ago", "{n} 分钟前"),
    "time.h_ago": ("{n} h ago", "{n} 小时前"),
    "time.d_ago": ("{n} days ago", "{n} 天前"),
    # ---- a fixed budget (no target): what the pages compare (statements.fixed_budget_line)
    "fit.fixed_budget": ("**A fixed budget:** every batch size trains for {budget}, so these pages compare what "
                         "each reaches at that equal budget: means over the seeds with their 95 % t-intervals.",
                         "**固定预算：** 每个批大小都使用{budget}，因此这些页面比较的是在相同预算下各自达到的结果："
                         "各种子的均值及其 95 % t 区间。"),
    "fit.fixed_budget_band": ("At that budget {k} of {n} runs end with a train loss above the band ({band}): they "
                              "are drawn hollow and left out of the means, which compare runs at about the same "
                              "train loss.",
                              "在该预算下，{n} 个运行中有 {k} 个的最终训练损失高于损失带（{band}）：它们画成空心点，"
                              "不计入均值，均值比较的是训练损失相近的运行。"),
    # ---- Compare: stopping rules
    "cmpx.within": ("{targets} within {budget}", "{budget}内达到{targets}"),
    "cmpx.epochs": ("{n} epochs", "{n} 轮"),
    "cmpx.unknown_epochs": ("? epochs", "? 轮"),
}
