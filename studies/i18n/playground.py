"""The Playground page's strings (pages/7_Playground.py, studies/charts/playground.py): key -> (English, 中文).
Data only; merged into the catalogue by common.py."""

PLAYGROUND: dict[str, tuple[str, str]] = {
    "pg.surface": ("Surface", "曲面"),
    "pg.start": ("Start", "起点"),
    "pg.start_help": ("A preset, or custom: type x and y", "预设起点，或选“自定义”后输入 x 和 y"),
    "pg.custom": ("custom", "自定义"),
    "pg.optimizers": ("Optimizers", "优化器"),
    "pg.optimizers_help": ("Each in its own colour; torch.optim's update rules",
                           "每个优化器一种颜色；更新规则与 torch.optim 相同"),
    "pg.lesson": ("**{title}: L = {formula}.** {lesson}", "**{title}：L = {formula}**。要点：{lesson}"),
    "pg.hyper": ("Learning rates, momentum, schedule", "学习率、动量、学习率调度"),
    "pg.lr": ("learning rate", "学习率"),
    "pg.beta": ("β (momentum)", "β（动量）"),
    "pg.alpha": ("α (decay of g²)", "α（g² 的衰减）"),
    "pg.beta1": ("β1", "β1"),
    "pg.beta2": ("β2", "β2"),
    "pg.weight_decay": ("weight decay (decoupled)", "权重衰减（解耦）"),
    "pg.weight_decay_help": ("AdamW shrinks θ by lr·wd each step, apart from the gradient; at 0 it is Adam exactly",
                             "AdamW 每步把 θ 乘以 (1 − lr·wd)，与梯度分开；取 0 时与 Adam 完全相同"),
    "pg.steps": ("Steps", "步数"),
    "pg.warmup": ("Warm-up steps", "预热步数"),
    "pg.warmup_help": ("The learning rate rises linearly to its peak over these steps",
                       "学习率在这些步内线性升到峰值"),
    "pg.decay": ("Decay", "衰减"),
    "pg.decay_help": ("After warm-up: constant, cosine to 0, or ÷10 at 50 % and 75 %",
                      "预热之后：保持不变、余弦降到 0，或在 50 % 和 75 % 处各除以 10"),
    "pg.noise": ("Batch noise", "批量噪声"),
    "pg.n": ("N examples", "样本数 N"),
    "pg.batches": ("Batch sizes B (side by side)", "批量大小 B（并排比较）"),
    "pg.replacement": ("Draw with replacement", "有放回抽样"),
    "pg.shuffle": ("Shuffle every epoch", "每轮洗牌"),
    "pg.shuffle_help": ("Off: one order drawn once and kept, as the studies' shuffle = false",
                        "关闭：只抽一次顺序并一直沿用，与研究中的 shuffle = false 相同"),
    "pg.sigma": ("σ per example", "每个样本的 σ"),
    "pg.sigma_help": ("Spread of the examples' gradients: example i's loss is L(θ) + ξᵢ·θ",
                      "样本梯度的离散程度：第 i 个样本的损失是 L(θ) + ξᵢ·θ"),
    "pg.seed": ("Seed", "随机种子"),
    "pg.no_optimizer": ("Pick at least one optimizer.", "请至少选择一个优化器。"),
    "pg.no_batch": ("Pick at least one batch size B.", "请至少选择一个批量大小 B。"),
    "pg.upto": ("Show up to step", "显示到第几步"),
    "pg.upto_help": ("Scrub through the trajectories; Play animates them", "拖动查看轨迹；“播放”会把它们动画演示出来"),
    "pg.play": ("Play", "播放"),
    "pg.play_help": ("Animate the paths from step 0 to the scrubbed step (then the map stays there; the slider "
                     "scrubs by hand)", "从第 0 步动画演示到所选步（之后地图停在那里；滑块可手动拖动）"),
    "pg.map_caption": ("Contour map of L(x, y) (grey bands: loss quantiles; lines: isolines), one panel per batch "
                       "size; each optimizer's path up to step {upto} (dot: where it is then; square: the start); "
                       "hollow markers: where the full-batch gradient first fell below 0.01, shaped by the Hessian "
                       "test (circle minimum, cross saddle, triangle maximum, diamond undecided). Trajectories "
                       "computed here in {ms} ms.",
                       "L(x, y) 的等高线图（灰色色带：损失的分位数；细线：等值线），每个批量大小一幅；各优化器到第 "
                       "{upto} 步的路径（圆点：此时的位置；方块：起点）；空心标记：全批量梯度第一次低于 0.01 的位置，"
                       "形状表示海森矩阵检验的结论（圆：极小值，十字：鞍点，三角：极大值，菱形：无法判断）。轨迹在本页"
                       "进程中计算，用时 {ms} 毫秒。"),
    "pg.loss_caption": ("Full-batch loss L(θ) at every step (not the batch's loss), one panel per batch size; "
                        "dashed rule: the scrubbed step. Paths that leave the map stop there.",
                        "每一步的全批量损失 L(θ)（不是该批量的损失），每个批量大小一幅；虚线：所选的步。离开地图的"
                        "路径在离开处停止。"),
    "pg.noise_title": ("Gradient noise", "梯度噪声"),
    "pg.noise_caption": ("RMS size of a batch's gradient error ‖ĝ − ∇L‖ vs B, log-log, σ = {sigma:g}, N = {n}: "
                         "lines the formula σ·√(2/B) (with replacement) or σ·√(2(N−B)/(B(N−1))) (without), points "
                         "the steps above. Slope −½: the noise shrinks like 1/√B; without replacement B = N has "
                         "none.",
                         "一个批量的梯度误差 ‖ĝ − ∇L‖ 的均方根与 B 的关系（双对数坐标，σ = {sigma:g}，N = {n}）："
                         "线是公式 σ·√(2/B)（有放回）或 σ·√(2(N−B)/(B(N−1)))（无放回），点是上面各步的实测值。"
                         "斜率 −½：噪声按 1/√B 减小；无放回时 B = N 没有噪声。"),
    "pg.col.optimizer": ("optimizer", "优化器"),
    "pg.col.noise_theory": ("noise (formula)", "噪声（公式）"),
    "pg.col.noise_measured": ("noise (measured)", "噪声（实测）"),
    "pg.col.final_loss": ("final loss", "最终损失"),
    "pg.col.small_step": ("‖∇L‖ < 0.01 at step", "‖∇L‖ < 0.01 的步"),
    "pg.col.small_kind": ("Hessian test there", "该处的海森检验"),
    "pg.col.step": ("step", "步"),
    "pg.col.eigenvalues": ("eigenvalues", "特征值"),
    "pg.col.kind": ("kind", "类型"),
    "pg.critical_title": ("Critical-point test", "临界点检验"),
    "pg.probe_x": ("probe x", "检验点 x"),
    "pg.probe_y": ("probe y", "检验点 y"),
    "pg.eigen": ("Hessian eigenvalues λ = **{l1}**, **{l2}** · {verdict}",
                 "海森矩阵特征值 λ = **{l1}**，**{l2}** · {verdict}"),
    "pg.verdict.critical": ("‖∇L‖ = {g}: a critical point, {kind}.", "‖∇L‖ = {g}：是临界点，{kind}。"),
    "pg.verdict.not_critical": ("‖∇L‖ = {g}: not a critical point; the curvature here is that of {kind}.",
                                "‖∇L‖ = {g}：不是临界点；这里的曲率形状像{kind}。"),
    "pg.kind.minimum": ("a local minimum (all eigenvalues > 0)", "局部极小值（特征值全为正）"),
    "pg.kind.maximum": ("a local maximum (all eigenvalues < 0)", "局部极大值（特征值全为负）"),
    "pg.kind.saddle": ("a saddle point (eigenvalues of both signs)", "鞍点（特征值有正有负）"),
    "pg.kind.undecided": ("undecided: an eigenvalue is 0, the second-order test cannot tell",
                          "无法判断：有特征值为 0，二阶检验无法确定"),
    "pg.short.minimum": ("minimum", "极小值"),
    "pg.short.maximum": ("maximum", "极大值"),
    "pg.short.saddle": ("saddle", "鞍点"),
    "pg.short.undecided": ("undecided", "无法判断"),
    "pg.short.not_critical": ("not critical ({kind}-shaped)", "非临界点（形状像{kind}）"),
    "pg.probe_caption": ("The test at each path's point at step {upto}: a critical point when ‖∇L‖ < 0.01; its kind "
                         "by the notes' rule (all eigenvalues > 0 minimum, all < 0 maximum, mixed saddle, a zero one "
                         "undecided).",
                         "在第 {upto} 步对每条路径所在点做检验：‖∇L‖ < 0.01 时为临界点；类型按笔记中的规则判断（特征值"
                         "全为正是极小值，全为负是极大值，有正有负是鞍点，有 0 则无法判断）。"),
    # surfaces: title, formula (where it has words), lesson, start presets
    "pg.s.saddle.title": ("Saddle", "鞍面"),
    "pg.s.saddle.lesson": ("Started on the line y = 0, gradient descent slides into the saddle at (0, 0) and stays; "
                           "any noise in y grows along the negative-curvature direction and escapes.",
                           "从直线 y = 0 上出发，梯度下降滑进 (0, 0) 处的鞍点并停在那里；y 方向上的任何噪声都会沿负曲率"
                           "方向增长，从而逃离鞍点。"),
    "pg.s.monkey.title": ("Monkey saddle", "猴鞍"),
    "pg.s.monkey.lesson": ("At (0, 0) the gradient and the Hessian are both zero: the eigenvalue test cannot tell what "
                           "the point is, and gradient descent creeps towards it ever slower (three valleys lead "
                           "away).",
                           "在 (0, 0) 处梯度和海森矩阵都为零：特征值检验无法判断这是什么点，梯度下降向它爬得越来越慢"
                           "（有三条山谷通向别处）。"),
    "pg.s.valley.title": ("Elongated valley", "狭长山谷"),
    "pg.s.valley.lesson": ("Steep across, flat along (condition number 100): one learning rate is too big for y and "
                           "too small for x; Adagrad, RMSProp and Adam rescale each direction.",
                           "横向陡峭、纵向平缓（条件数 100）：同一个学习率对 y 太大、对 x 太小；Adagrad、RMSProp 和 "
                           "Adam 会按方向分别调整步长。"),
    "pg.s.rosenbrock.title": ("Rosenbrock", "Rosenbrock 函数"),
    "pg.s.rosenbrock.lesson": ("A curved valley with a flat floor: reaching the floor is quick, following it to the "
                               "minimum at (1, 1) is slow; momentum carries its speed round the bend.",
                               "一条底部平坦的弯曲山谷：到达谷底很快，沿谷底走到 (1, 1) 处的极小值却很慢；动量法"
                               "带着速度绕过弯道。"),
    "pg.s.sharp_flat.title": ("Sharp and flat minima", "尖锐与平坦极小值"),
    "pg.s.sharp_flat.formula": ("two Gaussian dents, narrow at x = −1, wide at x = 1.2",
                                "两个高斯凹坑，x = −1 处窄，x = 1.2 处宽"),
    "pg.s.sharp_flat.lesson": ("Two minima of about the same depth, one narrow and one wide: the noise of small "
                               "batches shakes a point out of the narrow one, and it settles in the wide one; large "
                               "batches stay where they fall.",
                               "两个深度相近的极小值，一个窄一个宽：小批量的噪声会把点从窄的那个里震出来，最后落在宽的"
                               "那个里；大批量落在哪里就停在哪里。"),
    "pg.s.bumpy.title": ("Bumpy plateau", "起伏的高原"),
    "pg.s.bumpy.formula": ("1 − exp(−r²/8) + small bumps", "1 − exp(−r²/8) + 小起伏"),
    "pg.s.bumpy.lesson": ("A wide basin covered in small bumps that flattens into a plateau: plain gradient descent "
                          "stops in the first dent; momentum keeps enough speed to roll over the bumps to the centre.",
                          "一个布满小起伏、外围变成平台的宽盆地：普通梯度下降停在第一个小坑里；动量保留足够的速度，"
                          "越过起伏滚到中心。"),
    # charts
    "pg.chart.full_batch": ("B = N = {n}\n(full batch)", "B = N = {n}\n（全批量）"),   # a title's lines
    "pg.chart.full_replacement": ("B = N = {n}\n(with replacement:\nstill noisy)",
                                  "B = N = {n}\n（有放回抽样：\n仍有噪声）"),
    "pg.chart.loss": ("full-batch loss L(θ)", "全批量损失 L(θ)"),
    "pg.chart.step": ("step", "步"),
    "pg.chart.small": ("‖∇L‖ < 0.01 first at", "‖∇L‖ 首次 < 0.01"),
    "pg.chart.optimizer": ("optimizer", "优化器"),
    "pg.chart.verdict": ("verdict", "结论"),
    "pg.chart.batch": ("batch size B", "批量大小 B"),
    "pg.chart.sampling": ("sampling", "抽样方式"),
    "pg.chart.measured": ("measured RMS", "实测均方根"),
    "pg.chart.with": ("with replacement", "有放回"),
    "pg.chart.without": ("without replacement", "无放回"),
    "pg.s.saddle.start0": ("on the stable manifold (1.5, 0)", "在稳定流形上 (1.5, 0)"),
    "pg.s.saddle.start1": ("just off it (1.5, 0.01)", "稍稍偏离 (1.5, 0.01)"),
    "pg.s.saddle.start2": ("corner (-1.8, 1.5)", "角落 (-1.8, 1.5)"),
    "pg.s.monkey.start0": ("on the ridge (1, 0)", "在山脊上 (1, 0)"),
    "pg.s.monkey.start1": ("off the ridge (1, 0.3)", "偏离山脊 (1, 0.3)"),
    "pg.s.monkey.start2": ("in a valley (-0.5, 0.8)", "在山谷中 (-0.5, 0.8)"),
    "pg.s.valley.start0": ("far end (-3.5, 1.5)", "远端 (-3.5, 1.5)"),
    "pg.s.valley.start1": ("on the floor (-3.5, 0)", "谷底 (-3.5, 0)"),
    "pg.s.valley.start2": ("steep wall (-0.5, 1.8)", "陡壁 (-0.5, 1.8)"),
    "pg.s.rosenbrock.start0": ("left (-1.5, 2)", "左侧 (-1.5, 2)"),
    "pg.s.rosenbrock.start1": ("origin (0, 0)", "原点 (0, 0)"),
    "pg.s.rosenbrock.start2": ("right wall (1.8, 1)", "右侧陡壁 (1.8, 1)"),
    "pg.s.sharp_flat.start0": ("near the sharp minimum (-0.8, 0.3)", "尖锐极小值附近 (-0.8, 0.3)"),
    "pg.s.sharp_flat.start1": ("between them (0.2, 0)", "两者之间 (0.2, 0)"),
    "pg.s.sharp_flat.start2": ("far (2.8, 1.8)", "远处 (2.8, 1.8)"),
    "pg.s.bumpy.start0": ("on the plateau (3.8, -3.8)", "在高原上 (3.8, -3.8)"),
    "pg.s.bumpy.start1": ("on the slope (3, 2.5)", "在斜坡上 (3, 2.5)"),
    "pg.s.bumpy.start2": ("near the centre (1, 1)", "靠近中心 (1, 1)"),
}
