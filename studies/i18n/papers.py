"""The noise-scale view's strings (Generalization) and the paper templates' (New study's "Reproduce a paper")."""
PAPERS = {
    # ---- the noise-scale view: gap, test accuracy, sharpness against g = ηN/(B(1−m))
    "gscale.subheader": ("Noise scale g = ηN/(B(1−m))", "噪声尺度 g = ηN/(B(1−m))"),
    "gscale.title": ("Against SGD's noise scale g: equal g, equal outcome?", "对 SGD 噪声尺度 g 作图：g 相同，结果也相同吗？"),
    "gscale.axis": ("noise scale g = ηN/(B(1−m)) · log", "噪声尺度 g = ηN/(B(1−m)) · 对数"),
    "gscale.at_fit": ("at the fit", "达到拟合"),
    "gscale.missed": ("missed the fit (not in the reading)", "未达到拟合（不计入解读）"),
    "gscale.seed": ("seed", "随机种子"),
    "gscale.value": ("value", "数值"),
    "gscale.fit": ("fit", "拟合"),
    "gscale.shared": ("g shared by several configurations", "多个配置共有的 g"),
    "gscale.configs": ("configurations", "配置数"),
    "gscale.caption": ("One point per run: x is g = ηN/(B(1−m)) (Smith & Le 2018), with η the run's peak learning rate, "
                       "N = {n} training examples, B its batch size and m its momentum ({ms}); log scale. Colour: batch "
                       "size; shape: learning rate. Runs with equal g should end alike whatever η and B are. Filled: at the "
                       "study's fit; hollow: missed it ({k} run(s), left out of τ and the spreads); every learning rate is "
                       "shown, not only the best one. Dotted rules: a g that two or more configurations share (within 5 %). "
                       "g is computed from the settings; it is not B_simple, the gradient noise scale measured from gradients.",
                       "每个点是一次运行：横轴 g = ηN/(B(1−m))（Smith 与 Le 2018），η 为该运行的峰值学习率，N = {n} 个训练样本，"
                       "B 为批大小，m 为动量（{ms}）；对数刻度。颜色：批大小；形状：学习率。无论 η 和 B 如何，g 相同的运行应当"
                       "得到相同的结果。实心：达到研究的拟合；空心：未达到（{k} 次运行，不计入 τ 和离散程度）；显示所有学习率，"
                       "而不只是最佳学习率。虚线：两个或更多配置共有的 g（相差 5 % 以内）。g 由设置算出，不是 B_simple"
                       "（由梯度测得的梯度噪声尺度）。"),
    "gscale.momenta": ("m = {m} for {opts}", "{opts} 的 m = {m}"),
    "gscale.adaptive": ("{opts} left out ({k} run(s)): Adagrad, RMSProp, Adam and AdamW divide each step by a running "
                        "gradient size, so ηN/(B(1−m)) is not their noise scale.",
                        "已排除 {opts}（{k} 次运行）：Adagrad、RMSProp、Adam 和 AdamW 把每一步除以梯度大小的滑动估计，"
                        "因此 ηN/(B(1−m)) 不是它们的噪声尺度。"),
    "gscale.growing": ("Runs whose batch grows (batch_schedule = \"step\") are placed at their first phase's g; "
                       "it falls {growth}× at each growth, as a ÷{growth} lr decay would.",
                       "批大小逐步增大的运行（batch_schedule = \"step\"）按其第一阶段的 g 放置；"
                       "每次增大时 g 降为 1/{growth}，与学习率 ÷{growth} 的衰减相同。"),
    "gscale.untrained": ("{k} run(s) that did not train (stalled, diverged, pruned or failed) are not drawn.",
                         "{k} 次未完成训练的运行（停滞、发散、剪枝或失败）未画出。"),
    "gscale.tau": ("Kendall τ(g, ·) = {tau:+.2f} over {n} runs at the fit.", "在 {n} 次达到拟合的运行上，Kendall τ(g, ·) = {tau:+.2f}。"),
    "gscale.no_tau": ("No τ ({n} run(s) at the fit, or a single g).", "无 τ（{n} 次达到拟合的运行，或只有一个 g）。"),
    "gscale.no_pairs": ("No two configurations share g (within 5 %), so this study cannot say whether equal-g runs agree.",
                        "没有两个配置的 g 相同（相差 5 % 以内），因此本研究无法判断 g 相同的运行是否一致。"),
    "gscale.pairs_missed": ("The configurations that share a g ({k} group(s), the dotted rules) did not all reach the "
                            "study's fit, so no equal-g pair is left to compare; with a fixed epoch budget runs end at "
                            "different train losses, and a target (a train loss or accuracy) compares them at one.",
                            "共有某个 g 的配置（{k} 组，即虚线）没有全部达到研究的拟合，因此没有可比较的 g 相同的配置；"
                            "固定轮数预算下各运行的最终训练损失不同，设定目标（训练损失或准确率）才能在同一拟合下比较。"),
    "gscale.agree": ("Equal-g configurations fall together: they differ by {within} (median over {k} group(s)) against "
                     "{across} across all configurations; {seeds}.",
                     "g 相同的配置落在一起：组内相差 {within}（{k} 组的中位数），而所有配置之间相差 {across}；{seeds}。"),
    "gscale.disagree": ("Equal-g configurations do not fall together: they differ by {within} (median over {k} group(s)) "
                        "against {across} across all configurations; {seeds}.",
                        "g 相同的配置没有落在一起：组内相差 {within}（{k} 组的中位数），而所有配置之间相差 {across}；{seeds}。"),
    "gscale.seeds": ("seeds of one configuration differ by {s}", "同一配置的不同随机种子相差 {s}"),
    "gscale.one_seed": ("one seed per configuration, so no seed spread to compare with",
                        "每个配置只有一个随机种子，没有种子间的离散可供比较"),
    "gscale.absent_adaptive": ("No noise-scale view: it needs SGD, momentum or Nesterov runs, and this study's optimizers "
                               "are adaptive (Adagrad, RMSProp, Adam, AdamW), whose steps are divided by a running gradient "
                               "size, so ηN/(B(1−m)) is not their noise scale.",
                               "没有噪声尺度视图：它需要 SGD、动量或 Nesterov 的运行，而本研究的优化器都是自适应的（Adagrad、"
                               "RMSProp、Adam、AdamW），它们把每一步除以梯度大小的滑动估计，因此 ηN/(B(1−m)) 不是它们的噪声尺度。"),
    "gscale.absent_one_b": ("No noise-scale view: it needs runs at two or more batch sizes, and this study has one.",
                            "没有噪声尺度视图：它需要两个或更多批大小的运行，而本研究只有一个。"),
    "gscale.absent_one_lr": ("No noise-scale view: it needs two or more learning rates (an [lr] sweep, or lr_scaling); "
                             "with one learning rate g only follows 1/B, which the batch-size charts above already show.",
                             "没有噪声尺度视图：它需要两个或更多学习率（[lr] 扫描，或 lr_scaling）；只有一个学习率时 g 只随 1/B "
                             "变化，上面对批大小的图已经展示了这一点。"),
    # ---- New study: reproduce a paper (templates in examples/)
    "paper.pick": ("Reproduce a paper", "复现一篇论文"),
    "paper.pick_help": ("Fills the form with a ready study from examples/: the paper's comparison, scaled to run in "
                        "minutes on a CPU with built-in data. Change anything, then Launch.",
                        "用 examples/ 中现成的研究填写表单：论文中的比较，缩小到在 CPU 上用内置数据几分钟内跑完。"
                        "可以修改任何字段，然后启动。"),
    "paper.none": ("— design your own —", "— 自己设计 —"),
    "paper.gpu": ("{cite} — as published, needs a GPU (about {minutes} minutes on one)",
                  "{cite} — 按原文设置，需要 GPU（单卡约 {minutes} 分钟）"),
    "paper.filled": ("Filled in from examples/{file} ({cite}, “{title}”). {finding}",
                     "已用 examples/{file}（{cite}，“{title}”）填写。{finding}"),
    "paper.twin": ("Its comparison needs a second study, examples/{file}: **Launch** queues both, and Jobs opens "
                   "**Compare** on the pair when they are done.",
                   "它的比较需要第二个研究 examples/{file}：**启动** 会把两个都加入队列，完成后任务页在 **比较** 页打开这一对。"),
    "paper.launch_twin": ("Also launch examples/{file}, the comparison's other half ({n} runs, about {time})",
                          "同时启动 examples/{file}，即比较的另一半（{n} 次运行，约 {time}）"),
    "paper.twin_queued": ("The pair: open **Compare** on {a} and {b}", "这一对：在 **比较** 页打开 {a} 与 {b}"),
    "paper.unreadable": ("examples/{file} does not load here ({error}); it needs a newer Batchscope.",
                         "examples/{file} 在这里无法载入（{error}）；它需要更新版本的 Batchscope。"),
    "paper.keskar": ("Large batches (10 % of the data) end in sharper minima and test worse than small batches (256) "
                     "at about the same train accuracy: 77.3 % vs 80.0 % test accuracy on CIFAR-10.",
                     "大批量（数据的 10 %）收敛到更尖锐的极小值，在训练准确率相近时测试表现比小批量（256）差："
                     "CIFAR-10 上测试准确率 77.3 % 对 80.0 %。"),
    "paper.goyal": ("Scaling the learning rate linearly with the batch size, after a 5-epoch gradual warm-up, keeps the "
                    "accuracy of batch 256 up to batch 8192 in the same epochs: top-1 error 23.74 % vs 23.60 %.",
                    "学习率随批大小线性放大，并先做 5 轮渐进预热，则在相同轮数内直到批大小 8192 都保持批大小 256 的准确率："
                    "top-1 错误率 23.74 % 对 23.60 %。"),
    "paper.hoffer": ("The large-batch gap comes from too few updates: with the lr scaled by √(B_L/B_S), ghost batch norm "
                     "and as many updates as the small batch, batch 4096 generalises as well as batch 128.",
                     "大批量的泛化差距来自更新次数太少：学习率乘以 √(B_L/B_S)、使用幽灵批归一化并训练与小批量一样多的步数后，"
                     "批大小 4096 的泛化与 128 一样好。"),
    "paper.smith": ("Multiplying B by k where one would divide the lr by k keeps SGD's noise scale g = ηN/(B(1−m)) and "
                    "the test accuracy, with fewer updates (ResNet-50 on ImageNet to 76.1 % in under 30 minutes).",
                    "在本该把学习率除以 k 的时候把批大小乘以 k，SGD 的噪声尺度 g = ηN/(B(1−m)) 和测试准确率不变，"
                    "而更新次数更少（ResNet-50 在 ImageNet 上 30 分钟内达到 76.1 %）。"),
    "paper.shallue": ("With the lr tuned per batch size, the steps to a goal fall 2× with each doubling of B up to a "
                      "workload-dependent batch size, then fall ever more slowly; the best lr follows no simple rule.",
                      "每个批大小单独调学习率时，批大小每翻一倍，达到目标所需步数就减为一半（快 2 倍），直到一个取决于任务的批大小，"
                      "之后下降越来越慢；最佳学习率不遵循简单的缩放规则。"),
    "paper.zhang": ("Preconditioning raises the critical batch size: Adam (and K-FAC) keep scaling perfectly to larger "
                    "batches than momentum SGD, which scales further than plain SGD, each at its own tuned lr — as a "
                    "noisy quadratic model built from the curvature and the gradient noise predicts (NeurIPS 2019).",
                    "预条件提高临界批大小：在各自调优的学习率下，Adam（及 K-FAC）比动量 SGD 在更大的批大小上仍保持完美扩展，"
                    "动量 SGD 又比普通 SGD 扩展得更远——正如由曲率与梯度噪声构建的噪声二次模型所预测（NeurIPS 2019）。"),
}
