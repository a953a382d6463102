"""The Curvature page's strings (pages/8_Curvature.py) and the New-study form's optimizer hyperparameters:
key -> (English, 中文). Data only; merged into the catalogue by common.py."""

CURVATURE: dict[str, tuple[str, str]] = {
    "nav.Curvature": ("Curvature", "曲率"),
    "form.optim": ("Optimizer hyperparameters", "优化器超参数"),
    "form.optim_help": ("Default as torch's; a changed value enters the run ids of the optimizers it applies to",
                        "默认值同 torch；修改后的值会进入其适用优化器的运行 id"),
    "form.optim.nesterov": ("Nesterov momentum", "Nesterov 动量"),
    "form.optim.nesterov_help": ("Nesterov's look-ahead for momentum (the nesterov optimizer always uses it)",
                                 "为 momentum 使用 Nesterov 前瞻（nesterov 优化器总是使用）"),
    "form.optim.momentum": ("Momentum β", "动量 β"),
    "form.optim.beta1": ("Adam β1", "Adam β1"),
    "form.optim.beta2": ("Adam β2", "Adam β2"),
    "form.optim.eps": ("Adam ε", "Adam ε"),
    "form.optim.alpha": ("RMSProp α", "RMSProp α"),
    "curv.explain": (
        "**The Hessian test at a critical point**. Near a point θ′ the loss is "
        "L(θ) ≈ L(θ′) + gᵀ(θ − θ′) + ½(θ − θ′)ᵀH(θ − θ′). At a critical point the gradient g is 0, and the "
        "eigenvalues of the Hessian H say which kind it is: all positive, a local minimum; all negative, a local "
        "maximum; both signs, a saddle point, from which a step along the eigenvector u of a negative eigenvalue "
        "λ still lowers the loss (by ½λ‖u‖²). So read the **gradient norm** first (is it a critical point at "
        "all?), then **λ_min** and **λ_max** (the sharpest direction). A λ_min below 0 by more than its error "
        "shows negative curvature: the point is **not a minimum**; it is a **saddle** only if the gradient is "
        "also about zero. A λ_min within its error of 0 decides nothing. The notes' **minimum ratio** = "
        "(number of positive eigenvalues) / (number of eigenvalues) is 1 at a strict minimum; trained networks "
        "stop where it is well below 1, because most directions are flat or slightly negative.",
        "**临界点处的海森矩阵检验**。在点 θ′ 附近，损失 L(θ) ≈ L(θ′) + gᵀ(θ − θ′) + "
        "½(θ − θ′)ᵀH(θ − θ′)。在临界点处梯度 g 为 0，海森矩阵 H 的特征值决定它的种类：全为正，是局部极小值；"
        "全为负，是局部极大值；有正有负，是鞍点——沿负特征值 λ 对应的特征向量 u 走一步，损失仍会下降"
        "（下降 ½λ‖u‖²）。所以先看**梯度范数**（这到底是不是临界点？），再看 **λ_min** 和 **λ_max**（最陡的"
        "方向）。λ_min 比 0 低出其误差以上，说明存在负曲率：该点**不是极小值**；只有梯度也约为零时才是**鞍点**。"
        "λ_min 与 0 的差在其误差之内，则什么也不能断定。笔记中的**最小值比例** = 正特征值数量 / 特征值总数，"
        "在严格极小值处为 1；训练好的网络停在比例远小于 1 的点上，因为大多数方向是平坦的或略为负。"),
    "curv.none": ("This study has no curvature columns. Turn on *hessian* (and *spectrum* for the minimum ratio) "
                  "under *What to measure* on **New study** and run it again: finished training is reused.",
                  "这个研究没有曲率列。在**新建研究**的*测量内容*中打开 *hessian*（最小值比例还需 *spectrum*）"
                  "再运行一次：已完成的训练会被复用。"),
    "curv.caption": ("Per batch size, at the end of training, on the fixed measurement sample: gradient norm, "
                     "λ_min and λ_max of the Hessian by Lanczos (error bars: its residual bound, within 0.2 % of "
                     "λ_max; the true λ_min is never above the value shown; exact from the dense spectrum for small "
                     "models), and the minimum ratio from the dense spectrum{cut}. Line: mean over the seeds at the fit (geometric mean "
                     "for λ_max), band: its 95 % t-interval (on the log scale for λ_max). The table below gives each run's verdict.",
                     "按批量大小，在训练结束时、固定的测量样本上：梯度范数、用 Lanczos 求得的海森矩阵 λ_min 与 λ_max"
                     "（误差条：其残差界，不超过 λ_max 的 0.2%；真实 λ_min 不会高于所示值；小模型由完整谱精确求得），"
                     "以及由完整谱得到的最小值比例{cut}。线：达到拟合的各种子的均值（λ_max 取几何均值），带：其 95 % t 区间（λ_max 取对数尺度）。下表给出每个运行的判定。"),
    "curv.verdicts": ("Verdict per run", "每个运行的判定"),
    "verdict.col.run": ("run", "运行"),
    "verdict.col.grad": ("‖g‖", "‖g‖"),
    "verdict.col.grad_ratio": ("‖g‖ / ‖g₀‖", "‖g‖ / ‖g₀‖"),
    "verdict.col.min_eig": ("λ_min", "λ_min"),
    "verdict.col.error": ("λ_min error", "λ_min 误差"),
    "verdict.col.verdict": ("verdict", "判定"),
    "verdict.negative": ("negative curvature: not a minimum", "负曲率：不是极小值"),
    "verdict.saddle": ("saddle: negative curvature, gradient about zero", "鞍点：负曲率，且梯度约为零"),
    "verdict.no_negative": ("no negative curvature resolved (consistent with a minimum)",
                            "未分辨出负曲率（与极小值相符）"),
    "verdict.unresolved": ("unresolved: |λ_min| within its error", "无法判定：|λ_min| 在其误差之内"),
    "verdict.unmeasured": ("no λ_min measured", "未测量 λ_min"),
    "verdict.rule": ("λ_min counts as resolved from 0 when |λ_min| exceeds its error: the Lanczos residual bound, "
                     "and at least {cut}·|λ_max| (the cut the minimum ratio counts as zero). Below −error: negative "
                     "curvature on the measurement sample, so not a minimum. \"Saddle\" only when the gradient is "
                     "also about zero: ‖g‖ ≤ {frac} of ‖g₀‖, its value at the initial weights on the same sample. "
                     "Above +error: no negative curvature resolved; consistent with a minimum, not a proof (the "
                     "true λ_min is never above the value shown).",
                     "当 |λ_min| 超过其误差时，λ_min 才算与 0 区分开：误差取 Lanczos 残差界，且至少为 {cut}·|λ_max|"
                     "（最小值比例视为零的界限）。低于 −误差：测量样本上存在负曲率，因此不是极小值。只有梯度也约为零时"
                     "才称“鞍点”：‖g‖ ≤ ‖g₀‖ 的 {frac}，‖g₀‖ 为同一样本上初始权重处的梯度范数。高于 +误差：未分辨出"
                     "负曲率；与极小值相符，但不是证明（真实 λ_min 不会高于所示值）。"),
    "curv.no_min": ("No λ_min in this study, so no verdict on minimum or saddle: turn on *Critical-point test "
                    "(λ_min)* under *What to measure* on **New study** and run it again (finished training is "
                    "reused; about 40 Hessian-vector products a run).",
                    "这个研究没有 λ_min，因此无法判断极小点还是鞍点：在**新建研究**的*测量内容*中打开*临界点检验"
                    "（λ_min）*再运行一次（已完成的训练会被复用；每次运行约 40 次 Hessian-向量积）。"),
    "curv.cut": (" (|λ| ≤ {cut}·max|λ| counts as zero, not positive)", "（|λ| ≤ {cut}·max|λ| 视为零，不算正）"),
    "curv.density": ("Spectral density of one run", "单次运行的谱密度"),
    "curv.no_spectrum": ("No spectrum rows: turn on *spectrum* under *What to measure* (dense for models under "
                         "5,000 weights, stochastic Lanczos quadrature above).",
                         "没有谱数据：在*测量内容*中打开 *spectrum*（5,000 个权重以下用完整谱，以上用随机 Lanczos 求积）。"),
    "curv.run": ("Run", "运行"),
    "curv.run_help": ("The run whose Hessian spectrum is drawn", "画出其海森谱的运行"),
    "curv.density_caption": ("Density of the Hessian's eigenvalues at the end of this run (log scale), each "
                             "eigenvalue (or Lanczos node) smoothed by a Gaussian of the width in the title; the "
                             "red rule is λ = 0. Mass left of it: negative curvature directions.",
                             "该运行结束时海森矩阵特征值的密度（对数刻度），每个特征值（或 Lanczos 节点）用标题中"
                             "宽度的高斯平滑；红线为 λ = 0，其左侧的质量即负曲率方向。"),
    "curv.noise": ("Gradient noise scale over training", "训练过程中的梯度噪声尺度"),
    "curv.no_noise": ("No noise-scale points in the epochs table: turn on *noise scale* and train the runs again "
                      "(it is measured during training, at epoch 0, every power of four and the last epoch).",
                      "epochs 表中没有噪声尺度点：打开 *noise scale* 并重新训练（它在训练中测量：第 0 轮、"
                      "每个 4 的幂轮次和最后一轮）。"),
    "curv.noise_caption": ("B_simple = tr Σ / |G|² (McCandlish et al. 2018) on the whole training set, at epoch 0, "
                           "every power of four and the last epoch; one line per run, one colour per batch size; "
                           "log y, symlog x. Bars: ±1 jackknife SE of each estimate (64 small-batch draws), not a "
                           "spread over seeds.",
                           "B_simple = tr Σ / |G|²（McCandlish 等 2018），在整个训练集上，于第 0 轮、每个 4 的幂轮次"
                           "和最后一轮测量；每个运行一条线，每个批量大小一种颜色；y 为对数轴，x 为 symlog 轴。误差棒："
                           "每个估计的 ±1 刀切法标准误（64 次小批量抽样），不是种子间的离散。"),
    "curv.pred": ("Which measure predicts the gap", "哪个度量能预测泛化差距"),
    "curv.pred_few": ("Too few fitted runs to rank the measures (Kendall τ needs at least two with different "
                      "values).", "达到拟合的运行太少，无法给度量排序（Kendall τ 至少需要两个取值不同的运行）。"),
    "pred.pooled_budgets": ("The runs follow {k} budgets: plain τ pools them, while Ψ compares runs within one "
                            "budget only.", "这些运行分属 {k} 种预算：普通 τ 把它们混在一起，而 Ψ 只在同一预算内比较。"),
    "curv.pred_caption": ("Bars: the granulated Kendall τ, Ψ (Jiang et al. 2020), of each measure with the gap "
                          "(train − test accuracy) over the {n} fitted runs ({left} left out: not done, or short "
                          "of the target): τ inside each group of runs that differ in one varied hyperparameter "
                          "only ({hypers}; seed and the others fixed), averaged over the groups, then over the "
                          "hyperparameters. Black points: plain τ over all {n} runs{interval}. Ranked by "
                          "agreement = expected sign × Ψ: sharpness and curvature are expected + (sharper → "
                          "larger gap), so a measure with the wrong sign ranks last. Grey: batch size itself, "
                          "the baseline a measure has to beat. Same table: `python -m studies export STUDY "
                          "--table predictors`.",
                          "柱：各度量与泛化差距（训练 − 测试准确率）的粒化 Kendall τ，即 Ψ（Jiang 等 2020），基于 {n} "
                          "个达到拟合的运行（另有 {left} 个未计入：未完成或未达到目标）：在只有一个被改变的超参数不同"
                          "（{hypers}；种子和其余超参数固定）的每组运行内计算 τ，先对组平均，再对超参数平均。黑点："
                          "全部 {n} 个运行上的普通 τ{interval}。按一致度 = 预期符号 × Ψ 排序：尖锐度与曲率预期为 +"
                          "（越尖锐 → 差距越大），符号相反的度量排在最后。灰色：批量大小本身，是度量必须超过的基线。"
                          "同一张表：`python -m studies export STUDY --table predictors`。"),
    "curv.pred_interval": ("; red: its 95 % percentile bootstrap interval over runs ({resamples} resamples)",
                           "；红色：对运行做 95 % 百分位自助法区间（{resamples} 次重抽样）"),
    "curv.pred_no_interval": ("; too few runs for an interval (n < {min}): τ and Ψ are shown without one",
                              "；运行太少，无法给出区间（n < {min}）：τ 与 Ψ 不带区间显示"),
    "pred.title": ("which measure predicts the gap", "哪个度量能预测泛化差距"),
    "pred.axis": ("Ψ (bars), τ (points) with the gap (train − test accuracy)",
                  "Ψ（柱）、τ（点）与差距（训练 − 测试准确率）"),
    "pred.expected": ("expected {sign}", "预期 {sign}"),
    "pred.no_sign": ("no expected sign", "无预期符号"),
    "pred.none_varied": ("none varied", "没有被改变的超参数"),
    "pred.too_few_for_interval": ("too few runs for an interval (n < {n})", "运行太少，无法给出区间（n < {n}）"),
    "sharp.critical": ("Dotted rule: the study's gradient noise scale B_simple ≈ {b} at the final weights "
                       "(McCandlish et al. 2018), shaded: its 95 % bootstrap interval over seeds (the line above the "
                       "charts says how it is made); an order-of-magnitude proxy for the critical batch size, which "
                       "needs an lr sweep (Generalization). Error bars on a point: the estimator's own standard error "
                       "(or Lanczos bound), apart from the band, which is the 95 % t-interval over seeds, on the log "
                       "scale for these positive quantities (the line is their geometric mean). The Curvature page "
                       "follows B_simple over training.",
                       "点线：本研究在最终权重处的梯度噪声尺度 B_simple ≈ {b}（McCandlish 等 2018），阴影为其按种子自助法的 "
                       "95 % 区间（图上方一行说明其算法）；它是临界批大小的数量级代理，临界批大小本身需要学习率扫描"
                       "（见 「泛化」页）。点上的误差棒：估计量自身的标准误（或 Lanczos 误差界），与表示种子间 95 % "
                       "t 区间的带不同；这些正值量的区间取在对数尺度上（线为几何均值）。曲率页展示训练过程中的 B_simple。"),
    # ---- chart texts (charts/curvature.py)
    "curvc.epoch_symlog": ("epoch (symlog)", "轮次（symlog 轴）"),
    "curvc.b_simple_log": ("B_simple (log)", "B_simple（对数）"),
    "curvc.noise_title": ("gradient noise scale over training", "训练过程中的梯度噪声尺度"),
    "curvc.eigenvalue": ("eigenvalue λ", "特征值 λ"),
    "curvc.density": ("density (log)", "密度（对数）"),
    "curvc.density_title": ("{title} (Gaussian width {width:.2g})", "{title}（高斯宽度 {width:.2g}）"),
    # ---- what a study did not measure: one line, one action (ui.offer, studies.remeasure)
    "offer.off": ("Not measured in this study: {names}.", "这个研究没有测量：{names}。"),
    "offer.retrain": ("{names} are measured while the runs train: turn them on under *What to measure* on "
                      "**New study** and train again.",
                      "{names} 在训练过程中测量：在**新建研究**的*测量内容*中打开它们并重新训练。"),
    "offer.measure": ("Measure {names} on the stored runs (about {time}, no retraining)",
                      "在已存储的运行上测量 {names}（约 {time}，不重新训练）"),
    "offer.measure_help": ("Queues this study again with these measures on: each stored run's final weights are "
                           "loaded and measured; training is not repeated. The result is a new study with the same "
                           "name (the spec differs in what it measures).",
                           "以打开这些测量的方式再次排队此研究：加载每个已存储运行的最终权重并测量，不重复训练。"
                           "结果是一个同名的新研究（规格只在测量内容上不同）。"),
}
