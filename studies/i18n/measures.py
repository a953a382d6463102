"""Each measure's own strings (the measure registry, studies/measures/__init__.py): its "How it is measured" line
("how." + column) and, for the measures whose captions are not with their page's strings, its caption
("caption." + column, formatted with its MeasureSpec's parameters). A new measure's label, caption, line and
form switch go here. key -> (English, 中文). Data only; merged into the catalogue by common.py."""

MEASURES: dict[str, tuple[str, str]] = {
    'how.sharpness_eps': ('- **ε-sharpness** (Keskar et al. 2017, *On Large-Batch Training for Deep Learning*, Metric 2.1): φ = 100 · (max over y in C_ε of f(θ + y) − f(θ)) / (1 + f(θ)), with the box C_ε = {y : |y_i| ≤ ε·(|θ_i| + 1)}; the max by L-BFGS-B.',
                         '- **ε-尖锐度**（Keskar 等 2017，*On Large-Batch Training for Deep Learning*，指标 2.1）：φ = 100 · (在 C_ε 内 f(θ + y) 的最大值 − f(θ)) / (1 + f(θ))，盒子 C_ε = {y : |y_i| ≤ ε·(|θ_i| + 1)}；最大值由 L-BFGS-B 求得。'),
    'how.sharpness_adaptive': ("- **Adaptive sharpness** (Kwon et al. 2021, *ASAM*; the ℓ∞ form of Andriushchenko et al. 2023): Keskar's φ over the box |y_i| ≤ ε·|θ_i| (no +1), maximised by L-BFGS-B in the coordinates z = y/|θ|. Scaling a ReLU layer by α and the next by 1/α leaves f the same function of z, so the number does not move (the rescaling audit on Curvature checks it).",
                              '- **自适应尖锐度**（Kwon 等 2021，*ASAM*；Andriushchenko 等 2023 的 ℓ∞ 形式）：在盒子 |y_i| ≤ ε·|θ_i|（不加 1）内 Keskar 的 φ，在坐标 z = y/|θ| 中用 L-BFGS-B 求最大值。把一个 ReLU 层乘以 α、下一层乘以 1/α 后，f 作为 z 的函数不变，所以该数值不变（曲率页的重缩放审查会检验）。'),
    'how.sharpness_rand': ('- **Random sharpness**: mean of f(θ + σ·d) − f(θ) over filter-normalised random directions d (Li et al. 2018, *Visualizing the Loss Landscape of Neural Nets*).',
                          '- **随机尖锐度**：沿滤波器归一化随机方向 d 的 f(θ + σ·d) − f(θ) 的平均值（Li 等 2018，*Visualizing the Loss Landscape of Neural Nets*）。'),
    'how.sharpness_sam': ('- **SAM sharpness**, its curvature part: f(θ + ρ·ĝ) − f(θ) − ρ|g| ≈ ½ρ²·ĝᵀHĝ, with g the gradient and ĝ = g/|g|, averaged over chunks of m examples (Foret et al. 2021, *Sharpness-Aware Minimization*). The first-order term ρ|g| is subtracted: away from a stationary point it dominates the raw rise, which then ranks runs by their gradient norm, not their sharpness (the raw rise is the column sharpness_sam_raw).',
                         '- **SAM 尖锐度**（其曲率部分）：f(θ + ρ·ĝ) − f(θ) − ρ|g| ≈ ½ρ²·ĝᵀHĝ，g 为梯度，ĝ = g/|g|，在每块 m 个样本上平均（Foret 等 2021，*Sharpness-Aware Minimization*）。减去一阶项 ρ|g|：远离驻点时它主导原始升幅，使排序只反映梯度范数而非尖锐度（原始升幅见列 sharpness_sam_raw）。'),
    'how.hessian_top_eig': ('- **λ_max** of the Hessian: Lanczos on Hessian-vector products (no Hessian is formed), with its residual error bound; exact from the dense spectrum for small models.',
                           '- Hessian 的 **λ_max**：基于 Hessian-向量积的 Lanczos（不构造 Hessian 矩阵），附其残差误差界；小模型由完整谱精确求得。'),
    'how.hessian_min_eig': ('- **λ_min** of the Hessian: the other end of the same Lanczos run (at least 40 steps), with its error bound; the true λ_min is never above the value shown.',
                           '- Hessian 的 **λ_min**：同一次 Lanczos 的另一端（至少 40 步），附其误差界；真实 λ_min 不会高于所示值。'),
    'how.hessian_trace': ("- **Trace** of the Hessian: exact for MLPs, otherwise Hutchinson's estimator with Rademacher probes, on Hessian-vector products.",
                         '- Hessian 的 **迹**：MLP 为精确值，否则用 Rademacher 探针的 Hutchinson 估计，基于 Hessian-向量积。'),
    'how.grad_norm': ('- **Gradient norm** ‖∇f‖ of the train loss on the measurement sample at the final weights: is the end point a critical point at all?',
                     '- 训练损失在最终权重处、测量样本上的 **梯度范数** ‖∇f‖：终点究竟是不是临界点？'),
    'how.min_ratio': ("- **Minimum ratio**: the share of the dense spectrum's eigenvalues above the cut (|λ| ≤ cut·max|λ| counts as zero); models under ~5,000 weights only.",
                     '- **最小比率**：完整谱中大于截断（|λ| ≤ 截断·max|λ| 视为零）的特征值所占比例；仅适用于约 5,000 个权重以下的模型。'),
    'how.noise_scale': ("- **B_simple**: the gradient noise scale tr(Σ)/|G|² (McCandlish et al. 2018), one number per study: at each comparable run's final weights (for a study with a target: at its crossing, the same fit for every batch size), per optimizer and budget: the geometric mean over runs with a 95 % bootstrap interval that resamples seeds; the dotted rule. The probes over training are drawn on Curvature, not pooled into it. It is a proxy for the critical batch size; **B_crit** itself is the S(B) fit on Generalization.",
                       '- **B_simple**：梯度噪声尺度 tr(Σ)/|G|²（McCandlish 等 2018），每个研究一个数：取每个可比运行的最终权重（有目标的研究：在越过目标处，各批大小同一拟合程度），按优化器与预算分别计算：对运行取几何平均，附按种子重抽样的 95 % 自助法区间；即点线。训练过程中的探测值画在 **曲率** 页，不并入其中。它是临界批大小的代理；**B_crit** 本身是 **泛化** 页上的 S(B) 拟合。'),
    'how.noise_scale_init': ("- **B_simple at the initial weights**: the same estimator on the whole training set at the run's starting weights, for comparison with its end.",
                            '- **初始权重处的 B_simple**：在整个训练集上、以运行的初始权重用同一估计量计算，与训练结束时对照。'),
    'caption.grad_norm': ('Gradient norm ‖∇f‖ of the train loss at the end of training against batch size (log₂ axis), on {sample} training examples.',
                         '训练结束时训练损失的梯度范数 ‖∇f‖ 随批大小（log₂ 轴）变化，在 {sample} 个训练样本上计算。'),
    'caption.hessian_min_eig': ('Smallest Hessian eigenvalue λ_min (loss / weight²) against batch size (log₂ axis), by Lanczos on {sample} training examples (error bars: its error bound); below 0 by more than its error, the end point is not a minimum.',
                               'Hessian 最小特征值 λ_min（损失 / 权重²）随批大小（log₂ 轴）变化，由 Lanczos 在 {sample} 个训练样本上求得（误差条：其误差界）；若低于 0 且超出误差，终点不是极小值。'),
    'caption.min_ratio': ('Minimum ratio (positive eigenvalues / all) of the dense Hessian spectrum against batch size (log₂ axis), on {sample} training examples; 1 at a minimum.',
                         '完整 Hessian 谱的最小比率（正特征值 / 全部）随批大小（log₂ 轴）变化，在 {sample} 个训练样本上计算；极小值处为 1。'),
    'caption.noise_scale': ('Gradient noise scale B_simple = tr(Σ)/|G|² (examples) at the final weights, on the whole training set (McCandlish et al. 2018).',
                           '最终权重处的梯度噪声尺度 B_simple = tr(Σ)/|G|²（样本数），在整个训练集上计算（McCandlish 等 2018）。'),
    'caption.noise_scale_init': ("Gradient noise scale B_simple (examples) at the run's initial weights, on the whole training set.",
                                '运行初始权重处的梯度噪声尺度 B_simple（样本数），在整个训练集上计算。'),
    # ---- the gradient-norm ratio (the recipe in ARCHITECTURE.md, followed once)
    "label.grad_norm_ratio": ("gradient-norm ratio ‖g‖/‖g₀‖", "梯度范数比 ‖g‖/‖g₀‖"),
    "form.grad_norm_ratio": ("Gradient-norm ratio ‖g‖/‖g₀‖", "梯度范数比 ‖g‖/‖g₀‖"),
    "form.grad_norm_ratio_help": ("The full-batch gradient norm at the end over the same at the start: how far "
                                  "training brought the run towards a critical point", "训练结束与开始时全批梯度范数之比："
                                  "训练把该运行带到离临界点多近"),
    "caption.grad_norm_ratio": ("Gradient-norm ratio ‖g‖/‖g₀‖ (final over initial full-batch gradient norm of the "
                                "train loss, whole training set) against batch size (log₂ axis); below 0.01 the end "
                                "point is about stationary.",
                                "梯度范数比 ‖g‖/‖g₀‖（训练损失在整个训练集上的最终与初始全批梯度范数之比）随批大小"
                                "（log₂ 轴）变化；低于 0.01 时终点近似驻点。"),
    "how.grad_norm_ratio": ("- **Gradient-norm ratio** ‖g‖/‖g₀‖: the full-batch gradient norm of the train loss "
                            "over the whole training set at the final weights, divided by the same at the run's "
                            "initial weights (two full-batch gradients, no sample).",
                            "- **梯度范数比** ‖g‖/‖g₀‖：最终权重处训练损失在整个训练集上的全批梯度范数，除以运行初始"
                            "权重处的同一量（两次全批梯度，不抽样）。"),
}
