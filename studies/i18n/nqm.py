"""The noisy quadratic model's strings (Playground's NQM panel, Generalization's prediction, the CLI and the
summary export): key -> (English, 中文). Data only; merged into the catalogue by common.py."""

NQM: dict[str, tuple[str, str]] = {
    "nqm.title": ("Noisy quadratic model: steps to a target against the batch size",
                  "带噪二次模型：达到目标所需步数与批量大小"),
    "nqm.intro": ("Zhang et al. 2019's NQM: the loss ½·Σ hᵢ·xᵢ² along the Hessian's eigen-directions, gradient noise "
                  "of variance σᵢ²/B along each (σ² = c·h: the gradient covariance ≈ the Hessian). The expected loss "
                  "follows an exact recursion, so every curve below is computed, not simulated: for each batch size "
                  "each optimizer gets its own best constant lr.",
                  "Zhang 等（2019）的带噪二次模型：沿 Hessian 特征方向的损失为 ½·Σ hᵢ·xᵢ²，每个方向上梯度噪声方差为 "
                  "σᵢ²/B（σ² = c·h：梯度协方差 ≈ Hessian）。期望损失满足精确递推，所以下面每条曲线都是算出来的，"
                  "不是模拟的：每个批量大小下，每个优化器都用它自己最好的常数学习率。"),
    "nqm.spectrum": ("Spectrum", "谱"),
    "nqm.spectrum.power": ("power law hᵢ = λ_max·i^(−p)", "幂律 hᵢ = λ_max·i^(−p)"),
    "nqm.spectrum.run": ("from a stored run", "来自已存的运行"),
    "nqm.dims": ("dimensions", "维数"),
    "nqm.exponent": ("exponent p", "指数 p"),
    "nqm.top": ("λ_max", "λ_max"),
    "nqm.noise": ("noise c (σ² = c·h)", "噪声 c（σ² = c·h）"),
    "nqm.noise_help": ("Per-example gradient variance along each direction, in units of its curvature; B_crit "
                       "grows in proportion to it", "每个样本梯度在各方向上的方差，以该方向曲率为单位；B_crit 与它成正比"),
    "nqm.target": ("target (× the initial loss)", "目标（× 初始损失）"),
    "nqm.optimizers": ("Updates", "更新规则"),
    "nqm.optimizers_help": ("SGD; momentum (heavy ball, β); Adam-like: a diagonal preconditioner H^(−½) with β₁",
                            "SGD；动量（重球法，β）；类 Adam：对角预条件 H^(−½) 加 β₁"),
    "nqm.beta": ("β (momentum, Adam's β₁)", "β（动量、Adam 的 β₁）"),
    "nqm.study": ("Study", "研究"),
    "nqm.no_run": ("No done run of this study has λ_max, the Hessian trace and the noise scale: switch on `hessian` "
                   "and `noise_scale` under [measure], or use the power law.",
                   "此研究没有已完成的运行同时测了 λ_max、Hessian 迹和噪声尺度：在 [measure] 中打开 `hessian` 和 "
                   "`noise_scale`，或使用幂律谱。"),
    "nqm.run": ("Run (with λ_max, trace and noise measured)", "运行（测了 λ_max、迹和噪声的）"),
    "nqm.steps_caption": ("Steps to the target at each optimizer's best constant lr per batch size (log₂ × log); "
                          "dashed: its B_crit, where the steps are twice those of the noise-free model (S = 2·S_min). "
                          "{crit}. Computed in {ms} ms.",
                          "每个批量大小下各优化器用最佳常数学习率达到目标的步数（log₂ × 对数）；虚线：其 B_crit，即步数为无噪声"
                          "模型两倍之处（S = 2·S_min）。{crit}。计算用时 {ms} 毫秒。"),
    "nqm.lr_caption": ("The best constant lr against the batch size: it grows in proportion to B up to B_crit, then "
                       "stays flat at the largest stable step.",
                       "最佳常数学习率与批量大小：在 B_crit 之前与 B 成正比增长，之后停在最大稳定步长附近不再增长。"),
    "nqm.crit_one": ("{opt} B_crit ≈ {b}", "{opt} 的 B_crit ≈ {b}"),
    "nqm.crit_none": ("{opt}: no B_crit within the batch sizes shown", "{opt}：所示批量范围内没有 B_crit"),
    "nqm.chart.optimizer": ("update", "更新规则"),
    "nqm.chart.batch": ("batch size B", "批量大小 B"),
    "nqm.chart.steps": ("steps to target", "达到目标的步数"),
    "nqm.chart.lr": ("best lr", "最佳学习率"),
    "nqm.chart.b_crit": ("B_crit (S = 2·S_min)", "B_crit（S = 2·S_min）"),
}
NQM.update({
    "nqm.gen.title": ("Predicted by the noisy quadratic model", "带噪二次模型的预测"),
    "nqm.gen.caption": ("Points: the measured steps to the target of the best-lr runs; dashed line: the NQM's S(B) "
                        "built from each optimizer's smallest-batch run (its λ_max, Hessian trace and gradient noise), "
                        "scaled to the measured steps at the smallest batch — the NQM predicts the curve's shape and "
                        "B_crit, not the network's step count; dashed rule: the predicted B_crit, where it lies within the "
                        "batch sizes drawn.",
                        "点：各批量最佳学习率运行实测的达到目标步数；虚线：由各优化器最小批量运行（其 λ_max、Hessian 迹和"
                        "梯度噪声）构建的带噪二次模型 S(B)，并按最小批量的实测步数缩放——模型预测的是曲线形状和 B_crit，"
                        "而不是网络的步数；竖虚线：预测的 B_crit（落在所画批量范围内时）。"),
    "nqm.gen.compare": ("{opt}: predicted B_crit ≈ {pred}; the S(B) fit's: {fit}{ratio}",
                        "{opt}：预测的 B_crit ≈ {pred}；S(B) 拟合的：{fit}{ratio}"),
    "nqm.gen.ratio": (" ({r}× apart)", "（相差 {r} 倍）"),
    "nqm.gen.untuned": (" — measured at one lr for every batch size, predicted at each batch size's best lr: the "
                        "two part where that lr stops being the best, so they are not compared",
                        "——实测用的是各批量同一个学习率，预测用的是各批量各自的最佳学习率：两者在该学习率不再最佳处"
                        "分开，因此不作比较"),
    "nqm.gen.no_fit": ("no fit", "无拟合"),
    "nqm.gen.none": ("No prediction: the NQM needs the smallest-batch best-lr run of an optimizer with `hessian` and "
                     "`noise_scale` measured and a train-loss target.",
                     "无预测：带噪二次模型需要某优化器最小批量最佳学习率的运行测过 `hessian` 和 `noise_scale`，"
                     "并设有训练损失目标。"),
})
NQM.update({
    "cbs.value": ("{opt}: CBS₂₀ ≈ {b} (the batch size where the steps exceed perfect scaling from the smallest batch "
                  "by 20 %; {rng}, {n} seed(s))",
                  "{opt}：CBS₂₀ ≈ {b}（步数比从最小批量起的完美扩展多出 20 % 处的批量大小；{rng}，{n} 个种子）"),
    "cbs.interval": ("95 % interval {low}–{high} over seeds, log scale", "种子间 95 % 区间 {low}–{high}，对数尺度"),
    "cbs.one_seed": ("one seed: no interval", "只有一个种子：无区间"),
    "cbs.bound": ("{opt}: CBS₂₀ > {b} (the steps stay within 20 % of perfect scaling up to the largest batch)",
                  "{opt}：CBS₂₀ > {b}（直到最大批量，步数都在完美扩展的 20 % 以内）"),
    "cbs.untuned": ("the lr was not tuned per batch size: this is the overhead at {lr}, not a critical batch size",
                    "学习率未按批大小调优：这是在{lr}下的额外开销，不是临界批大小"),
    "cbs.at_lr": ("lr = {lr}", "学习率 = {lr}"),
    "cbs.at_lrs": ("its lrs", "其学习率"),
})
NQM.update({
    "lrrule.line": ("{opt}: best lr ∝ B^{k} (95 % interval of the exponent {low} to {high}, from the grid's resolution "
                    "and the scatter): {verdict}; {n} batch sizes{left}",
                    "{opt}：最佳学习率 ∝ B^{k}（指数的 95 % 区间 {low} 至 {high}，来自网格分辨率与离散程度）：{verdict}；"
                    "{n} 个批量大小{left}"),
    "lrrule.linear": ("linear scaling (η ∝ B) fits, √B does not", "符合线性缩放（η ∝ B），不符合 √B"),
    "lrrule.sqrt": ("square-root scaling (η ∝ √B) fits, linear does not", "符合平方根缩放（η ∝ √B），不符合线性"),
    "lrrule.undecided": ("both linear and √B fit: the grid cannot tell them apart", "线性与 √B 都符合：网格分辨不出"),
    "lrrule.neither": ("neither linear nor √B fits", "线性与 √B 都不符合"),
    "lrrule.surge": ("it rises, then falls (a surge, as Li et al. 2024 report for Adam)",
                     "先升后降（“涌现”，与 Li 等 2024 对 Adam 的报告一致）"),
    "lrrule.rule.linear": ("η* ∝ B (linear)", "η* ∝ B（线性）"),
    "lrrule.rule.sqrt": ("η* ∝ √B", "η* ∝ √B（平方根）"),
    "lrrule.rule.surge": ("a surge: rising, then falling", "先升后降（涌现）"),
    "lrrule.rule.power": ("η* ∝ B^{k} (neither linear nor √B)", "η* ∝ B^{k}（既非线性也非 √B）"),
    "lrrule.curve": ("the rule the best lr follows best: {rule}; band: its 95 % interval",
                     "最佳学习率最符合的规则：{rule}；阴影：其 95 % 区间"),
    "lrrule.curve_title": ("best-lr rule", "最佳学习率规则"),
    "lrrule.left_out": ("; {k} at the edge of the grid left out (bounds, not points)",
                        "；{k} 个处于网格边缘的已剔除（只是界，不是点）"),
})
NQM.update({
    "nqm.run_unusable": ("This run cannot give a quadratic: it needs λ_max, the Hessian trace, the noise scale, |G|, "
                         "its epoch-0 train loss and a train-loss target below it.",
                         "此运行无法构建二次模型：需要 λ_max、Hessian 迹、噪声尺度、|G|、第 0 轮训练损失以及低于它的训练损失目标。"),
})
