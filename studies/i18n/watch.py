"""Strings of curvature one can watch and trust: λ_max over training with its stability threshold, adaptive
sharpness, the 2-D landscape and the rescaling audit (Sharpness and Curvature pages, the New-study form):
key -> (English, 中文). Data only; merged into the catalogue by common.py."""

WATCH: dict[str, tuple[str, str]] = {
    # ---- the New-study form's switches
    "form.adaptive": ("Adaptive sharpness", "自适应尖锐度"),
    "form.adaptive_help": ("ε-sharpness in the box |y_i| ≤ ε·|θ_i| (ASAM, Kwon et al. 2021): unchanged when a "
                           "ReLU layer is scaled by α and the next by 1/α",
                           "在盒子 |y_i| ≤ ε·|θ_i| 内的 ε-尖锐度（ASAM，Kwon 等 2021）：把一个 ReLU 层乘以 α、"
                           "下一层乘以 1/α 时保持不变"),
    "form.hessian_track": ("λ_max over training", "训练过程中的 λ_max"),
    "form.hessian_track_help": ("Lanczos λ_max at epoch 0, 1, 4, 16, 64, … and the last, into the epochs table "
                                "(Cohen et al. 2021, edge of stability)",
                                "在第 0、1、4、16、64……轮及最后一轮用 Lanczos 求 λ_max，写入 epochs 表"
                                "（Cohen 等 2021，稳定性边缘）"),
    "form.landscape_2d": ("2-D loss landscape", "二维损失地形"),
    "form.landscape_2d_help": ("The loss on a 21×21 grid in the plane of two filter-normalised random directions "
                               "(Li et al. 2018), the same directions' seed for every run",
                               "在两个滤波器归一化随机方向张成的平面上 21×21 网格处的损失（Li 等 2018），"
                               "所有运行使用同一种子的方向"),
    "form.rescale_audit": ("Rescaling audit", "重缩放审查"),
    "form.rescale_audit_help": ("Scale a ReLU layer by α = 10 and the next by 1/10 (the same function) and measure "
                                "again: which numbers survive (Dinh et al. 2017)",
                                "把一个 ReLU 层乘以 α = 10、下一层乘以 1/10（函数不变）后重新测量："
                                "哪些数值经得起重参数化（Dinh 等 2017）"),
    # ---- the measure's label and caption (Sharpness page)
    "label.sharpness_adaptive": ("adaptive sharpness (ASAM, %)", "自适应尖锐度（ASAM，%）"),
    "caption.sharpness_adaptive": (
        "Adaptive sharpness (% of 1 + loss) against batch size (log₂ axis): Keskar's φ over the box "
        "|y_i| ≤ ε·|θ_i|, ε = {adaptive_eps}, each weight moved by at most that share of itself (Kwon et al. 2021), "
        "by L-BFGS-B in {lbfgs_iters} iterations on {sample} training examples. Unlike ε-sharpness it does not change "
        "when a layer is scaled by α and the next by 1/α.",
        "自适应尖锐度（以 1 + 损失的百分比计）随批大小（log₂ 轴）变化：在盒子 |y_i| ≤ ε·|θ_i|（ε = {adaptive_eps}）"
        "内 Keskar 的 φ，每个权重最多移动其自身的这一比例（Kwon 等 2021），用 L-BFGS-B 迭代 {lbfgs_iters} 次、在 {sample} "
        "个训练样本上求得。与 ε-尖锐度不同，一层乘以 α、下一层乘以 1/α 时它不变。"),
    # ---- the 2-D landscape (Sharpness page)
    "sharp.surface": ("2-D loss landscape, small and large batch", "二维损失地形：小批与大批"),
    "sharp.no_surface": ("No 2-D landscape: turn on *2-D loss landscape* under *What to measure* on **New study** "
                         "and run the study again (training is reused).",
                         "没有二维地形：在**新建研究**的*测量内容*中打开*二维损失地形*，再运行一次研究（训练会被复用）。"),
    "sharp.seed": ("seed", "种子"),
    "sharp.seed_help": ("The seed whose smallest- and largest-batch runs are drawn side by side",
                        "并排绘制该种子下最小批与最大批的运行"),
    "caption.surface": (
        "Train loss (log colour, one scale for every panel) at θ + α·d₁ + β·d₂ on a {points}×{points} grid over "
        "±1, d₁ and d₂ filter-normalised random directions (Li et al. 2018: each filter of d as long as the same "
        "filter of θ; biases unperturbed), drawn with the same seed for every run; on the measurement sample "
        "({sample} examples). The centre is the trained weights: its loss is the run's own.",
        "在 ±1 范围内 {points}×{points} 网格上 θ + α·d₁ + β·d₂ 处的训练损失（对数色标，所有子图同一色标），d₁、d₂ "
        "为滤波器归一化随机方向（Li 等 2018：d 的每个滤波器与 θ 的同一滤波器等长；偏置不扰动），所有运行用同一种子"
        "抽取；在测量样本（{sample} 个样本）上计算。中心即训练所得权重：其损失就是该运行自身的损失。"),
    "chart.title.surface": ("B = {b}: train loss around the solution", "B = {b}：解附近的训练损失"),
    "chart.surface_alpha": ("α (direction d₁)", "α（方向 d₁）"),
    "chart.surface_beta": ("β (direction d₂)", "β（方向 d₂）"),
    "chart.surface_loss": ("train loss (log)", "训练损失（对数）"),
    # ---- λ_max over training (Curvature page)
    "curv.track": ("Sharpness over training: λ_max and the stability threshold",
                   "训练过程中的尖锐度：λ_max 与稳定性阈值"),
    "curv.no_track": ("No λ_max in the epochs table: turn on *λ_max over training* under *What to measure* on "
                      "**New study** and train the runs again (a stored run keeps the epochs it was trained with).",
                      "epochs 表中没有 λ_max：在**新建研究**的*测量内容*中打开*训练过程中的 λ_max*，并重新训练"
                      "（已存储的运行保留其训练时的轮次记录）。"),
    "curv.track_x": ("x axis", "横轴"),
    "curv.track_x.epoch": ("epoch", "轮次"),
    "curv.track_x.steps": ("steps", "步数"),
    "curv.track_x.examples": ("examples seen", "已见样本数"),
    "curv.track_caption": (
        "λ_max of the Hessian (log axis) at epoch 0, 1, 4, 16, 64, … and the last, by Lanczos on the first {n} "
        "examples of the measurement sample (error bars: its residual bound, within 3 % of λ_max). Dashed: the "
        "stability threshold of the run's optimizer at its learning rate η: a quadratic with curvature above it "
        "makes the full-batch step diverge, so full-batch training that sharpens up to it stays there (Cohen et "
        "al. 2021, edge of stability); smaller batches stop sharpening below it. {thresholds}",
        "Hessian 的 λ_max（对数轴）在第 0、1、4、16、64……轮及最后一轮的值，用 Lanczos 在测量样本的前 {n} 个样本上"
        "求得（误差条：其残差界，不超过 λ_max 的 3 %）。虚线：运行所用优化器在其学习率 η 下的稳定性阈值：曲率高于"
        "它的二次函数会使全批步发散，所以变尖到阈值的全批训练会停留在阈值附近（Cohen 等 2021，"
        "稳定性边缘）；较小的批量在低于阈值处就停止变尖。{thresholds}"),
    "curv.threshold": ("{optimizer} at η = {lr}: {formula} = {value}.",
                       "{optimizer}（η = {lr}）的阈值：{formula} = {value}。"),
    "curv.no_threshold": (
        "{optimizer}: no line. Its step is divided by a running RMS of the gradient, so its threshold bounds the "
        "preconditioned Hessian's λ_max (Cohen et al. 2022), not the raw λ_max drawn here.",
        "{optimizer}：不画线。它的步长除以梯度的滑动均方根，因此其阈值约束的是预条件后 Hessian 的 λ_max"
        "（Cohen 等 2022），而非这里画出的原始 λ_max。"),
    "chart.title.track": ("Hessian λ_max over training", "训练过程中的 Hessian λ_max"),
    "chart.track_y": ("λ_max (log)", "λ_max（对数）"),
    "chart.threshold": ("stability threshold", "稳定性阈值"),
    # ---- the rescaling audit (Curvature page)
    "curv.audit": ("Rescaling audit: which numbers survive a reparametrisation", "重缩放审查：哪些数值经得起重参数化"),
    "curv.no_audit": ("No rescaling audit: set *Rescaling audit* under *What to measure* on **New study** "
                      "(rescale_audit = true in [measure]) and run the study again (training is reused).",
                      "没有重缩放审查：在**新建研究**的*测量内容*中打开*重缩放审查*（[measure] 中 rescale_audit = true），"
                      "再运行一次研究（训练会被复用）。"),
    "curv.audit_explain": (
        "Each trained ReLU network was copied with one layer's weights and bias multiplied by α = {alpha} and the "
        "next layer's weights by 1/{alpha}. ReLU(αz) = α·ReLU(z), so the copy computes the same function: its "
        "logits differ from the original's by at most {diff} (float rounding). Every measure was then taken again "
        "on the copy (Dinh et al. 2017). A measure of the function gives the same number; one that moves describes "
        "the parametrisation, and a comparison of runs by it can be made to say anything.",
        "每个训练好的 ReLU 网络被复制一份，把一层的权重和偏置乘以 α = {alpha}、下一层的权重乘以 1/{alpha}。"
        "ReLU(αz) = α·ReLU(z)，所以副本计算的是同一个函数：其 logits 与原网络最多相差 {diff}（浮点舍入）。"
        "然后在副本上重新测量每个量（Dinh 等 2017）。描述函数的量给出相同的数值；会变的量描述的是参数化方式，"
        "用它比较运行可以得出任何结论。"),
    "curv.invariant": ("**Invariant** (ratio within 1 ± {tol} in every run): {names}.",
                       "**不变**（每个运行的比值都在 1 ± {tol} 之内）：{names}。"),
    "curv.not_invariant": ("**Not invariant** (changed by the rescaling): {names}.",
                           "**非不变**（随重缩放而改变）：{names}。"),
    "curv.none_listed": ("none", "无"),
    "curv.audit_refused": ("The audit was refused for some runs: {reason}", "部分运行拒绝审查：{reason}"),
    "audit.col.run": ("run", "运行"),
    "audit.col.measure": ("measure", "测量量"),
    "audit.col.original": ("original", "原值"),
    "audit.col.rescaled": ("rescaled", "重缩放后"),
    "audit.col.ratio": ("ratio", "比值"),
    "audit.col.logits": ("logits max diff", "logits 最大差"),
    "audit.col.invariant": ("invariant", "不变"),
    "audit.yes": ("yes", "是"),
    "audit.no": ("no", "否"),
    # ---- "How it is measured"
    "how.watch": ("- **λ_max over training**: Lanczos on the first 512 examples of the measurement sample at epoch 0, 1, 4, 16, 64, … and the last, each probe starting from the previous probe's top Ritz vector, stopped at a residual bound of 3 % of λ_max; the line is the optimizer's stability threshold 2/η (SGD), (2+2β)/η (heavy-ball momentum), (2+2β)/((1+2β)η) (Nesterov).\n- **2-D landscape** (Li et al. 2018): f(θ + α·d₁ + β·d₂) on a 21×21 grid over ±1, d₁ and d₂ random with each filter scaled to the norm of the same filter of θ (biases unperturbed), drawn with the same seed for every run, evaluated in batched forward passes on the measurement sample.\n- **Rescaling audit** (Dinh et al. 2017): layer l × α, layer l + 1 × 1/α (α = 10); the logits' max difference, then every measure again and its ratio rescaled/original. Models with normalisation layers are refused (they divide the scale out: the copy would be another function).",
                  '- **训练过程中的 λ_max**：在第 0、1、4、16、64……轮及最后一轮，用 Lanczos 在测量样本的前 512 个样本上求得，每次从上一次的最大 Ritz 向量出发，残差界达到 λ_max 的 3 % 即停止；虚线为优化器的稳定性阈值 2/η（SGD）、(2+2β)/η（重球动量）、(2+2β)/((1+2β)η)（Nesterov）。\n- **二维地形**（Li 等 2018）：在 ±1 范围 21×21 网格上的 f(θ + α·d₁ + β·d₂)，d₁、d₂ 为随机方向，每个滤波器缩放到 θ 同一滤波器的范数（偏置不扰动），所有运行用同一种子抽取，在测量样本上以批量前向计算。\n- **重缩放审查**（Dinh 等 2017）：第 l 层 × α、第 l + 1 层 × 1/α（α = 10）；先报告 logits 的最大差，再重新测量每个量并给出比值（重缩放后/原值）。含归一化层的模型会被拒绝（它们会把尺度除掉：副本将是另一个函数）。'),
}
