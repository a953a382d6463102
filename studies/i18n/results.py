"""The results pages' strings (Speed, Generalization, Sharpness): labels, chart captions and the "How it is
measured" texts. key -> (English, 中文). Data only; merged into the catalogue by common.py."""

RESULTS = {
    # ---- Speed
    "speed.optimizers": ("Optimizers", "优化器"),
    "speed.optimizers_help": ("Also a click on the chart legend highlights one", "点击图例也可以突出显示某个优化器"),
    "speed.order": ("Order", "数据顺序"),
    "speed.order_help": ("shuffle: a new permutation every epoch; fixed order: one order for all epochs",
                         "每轮洗牌：每轮一个新排列；固定顺序：所有轮次使用同一顺序"),
    "speed.nothing": ("Nothing to show: pick at least one optimizer and one order.",
                      "没有可显示的内容：请至少选择一个优化器和一种顺序。"),
    "speed.step_title": ("time per step vs batch size", "每步时间随批大小的变化"),
    "speed.throughput_title": ("samples / s vs batch size", "每秒样本数随批大小的变化"),
    "caption.step_time": ("Seconds per optimizer step (log scale) = epoch time / steps per epoch, against batch "
                          "size (log₂ axis). Flat while the device has idle parallelism; rising in proportion to "
                          "B once it is saturated.",
                          "每个优化器步的秒数（对数坐标）= 每轮时间 / 每轮步数，随批大小（log₂ 轴）变化。"
                          "设备尚有空闲并行能力时基本持平；饱和后随 B 成比例上升。"),
    "caption.throughput": ("Training examples per second (log scale) = examples per epoch / epoch time, against "
                           "batch size (log₂ axis): the hardware's side of the batch-size trade-off.",
                           "每秒训练样本数（对数坐标）= 每轮样本数 / 每轮时间，随批大小（log₂ 轴）变化："
                           "批大小权衡中硬件的一面。"),
    "caption.bcrit": ("Dotted rule: the study's gradient noise scale B_simple ≈ {b} = tr(Σ)/|G|² (McCandlish et al. "
                      "2018), shaded: its 95 % interval; an order-of-magnitude proxy for the critical batch size, "
                      "not B_crit itself (that is the S(B) fit on Generalization).",
                      "点线：本研究的梯度噪声尺度 B_simple ≈ {b} = tr(Σ)/|G|²（McCandlish 等 2018），阴影为其 95 % 区间；"
                      "它是临界批大小的数量级代理，不是 B_crit 本身（后者是泛化页上的 S(B) 拟合）。"),
    # ---- the lr × batch-size map and the steps-to-target fit (charts/fit.py)
    "fitc.untrained": ("stalled/diverged", "停滞/发散"),
    "fitc.missed": ("missed target", "未达目标"),
    "fitc.lr": ("learning rate", "学习率"),
    "fitc.median": ("{what} (median)", "{what}（中位数）"),
    "fitc.reached": ("seeds reaching the target", "达到目标的种子数"),
    "fitc.seeds": ("seeds", "种子数"),
    "fitc.best": ("best lr", "最佳学习率"),
    "fitc.note": ("note", "说明"),
    "fitc.heat_title": ("{opt}: {what} over learning rate × batch size", "{opt}：{what}随学习率 × 批大小的变化"),
    "fitc.heat_key": ("red: best lr; orange dashes: its rule", "红线：最佳学习率；橙色虚线：其规则"),
    "fitc.regime": ("regime ({opt} fit)", "区间（{opt} 的拟合）"),
    "fitc.regime_word": ("regime", "区间"),
    "fitc.regime.0": ("perfect scaling", "完美缩放"),
    "fitc.regime.1": ("diminishing returns", "收益递减"),
    "fitc.regime.2": ("no further gain", "不再有收益"),
    "fitc.from": ("from B", "起始 B"),
    "fitc.to": ("to B", "终止 B"),
    "fitc.steps": ("steps to reach the target", "达到目标所需步数"),
    "fitc.b_simple": ("the study's B_simple (gradient noise scale)", "本研究的 B_simple（梯度噪声尺度）"),
    "fitc.title": ("steps to reach the target vs batch size, with S(B) = S_min·(1 + B_crit/B)",
                   "达到目标所需步数随批大小的变化，及 S(B) = S_min·(1 + B_crit/B)"),
    "how.title": ("How it is measured", "如何测量"),
    "how.speed": (
        "**Epoch time** of a study the pool ran comes from its timing pass (above); a study run with the serial "
        "executor times each run alone: epoch 1 is a warm-up (reported, not counted), and the epoch time is the "
        "median over the timed epochs. The batch order lives on the device "
        "(`randperm` per epoch or one fixed permutation): no DataLoader. **Time per step** = epoch time / "
        "⌈n_train / B⌉; **samples / s** = examples per epoch / epoch time.\n\n"
        "**B_crit** is the gradient noise scale B_simple = tr(Σ) / |G|², with G the full-batch gradient and Σ the "
        "per-example gradient covariance, estimated from gradient norms at two batch sizes (McCandlish et al. "
        "2018, *An Empirical Model of Large-Batch Training*, Appendix A).",
        "由 pool 执行器运行的研究，其**每轮时间**来自计时阶段（见上文）；用 serial 执行器运行的研究单独计时每个运行："
        "第 1 轮作为预热（报告但不计入），每轮时间取计时轮次的中位数。批的顺序保存在设备上（每轮 `randperm` 或一个固定排列），"
        "不使用 DataLoader。**每步时间** = 每轮时间 / ⌈n_train / B⌉；**每秒样本数** = 每轮样本数 / 每轮时间。\n\n"
        "**B_crit** 是梯度噪声尺度 B_simple = tr(Σ) / |G|²，G 为全批梯度，Σ 为单样本梯度的协方差，"
        "由两个批大小下的梯度范数估计（McCandlish 等 2018，*An Empirical Model of Large-Batch Training*，附录 A）。"),
    # ---- Generalization
    "gen.gap_loss_title": ("test − train loss vs batch size", "测试损失 − 训练损失随批大小的变化"),
    "caption.gap_loss": ("Test loss − train loss (cross-entropy, nats) at the end of training against batch size "
                         "(log₂ axis); mean over the seeds at the fit with its 95 % t-interval as a band.",
                         "训练结束时的测试损失 − 训练损失（交叉熵，nats），随批大小（log₂ 轴）变化；达到拟合的各种子的均值及其 95 % t 区间带。"),
    "caption.loss": ("Final train and test loss (cross-entropy, nats) on one shared y scale against batch size "
                     "(log₂ axis); mean over the seeds at the fit with its 95 % t-interval as a band.",
                     "最终训练与测试损失（交叉熵，nats，同一 y 轴）随批大小（log₂ 轴）变化；达到拟合的各种子的均值及其 95 % t 区间带。"),
    "gen.curves": ("Learning curves", "学习曲线"),
    "gen.batch_sizes": ("Batch sizes", "批大小"),
    "gen.batch_sizes_help": ("Runs of these batch sizes (all optimizers, orders and seeds)",
                             "这些批大小的运行（所有优化器、顺序和种子）"),
    "gen.metric": ("Metric", "指标"),
    "runs.title": ("Runs", "全部运行"),
    "runs.optimizers": ("Optimizers", "优化器"),
    "runs.status": ("Status", "状态"),
    "runs.only_fit": ("Only runs at the fit", "只看达到拟合的运行"),
    "runs.only_fit_help": ("The runs the means, bands and fits use", "均值、区间带和拟合所用的运行"),
    "runs.caption": ("Every run of the study ({n} shown of {total}): click a column to sort; tick rows to pick "
                     "them out in the chart below. at fit: in the means, bands and fits.",
                     "本研究的每次运行（显示 {n} / {total}）：点击列名排序；勾选行可在下图中突出显示。达到拟合：计入均值、"
                     "区间带和拟合。"),
    "runs.parallel_title": ("Runs from settings to outcome", "从设置到结果的每次运行"),
    "runs.parallel_caption": ("One line per run from its settings (batch size, lr, optimizer, order) to its outcome; "
                              "every axis has its own scale, logarithmic where its values span a decade or more "
                              "(· log), with its smallest, middle and largest value written beside it; colour = "
                              "optimizer; rows ticked in the table above stand out.",
                              "每次运行一条线，从其设置（批大小、学习率、优化器、顺序）连到结果；每根轴有自己的刻度，数值跨越一个"
                              "数量级以上时取对数（· log），旁边标出最小、中间和最大值；颜色 = 优化器；在上表中勾选的行会突出显示。"),
    "runs.axis": ("axis", "轴"),
    "runs.filter": ("Filter", "筛选"),
    "runs.filter_placeholder": ("e.g. batch_size >= 64; optimizer = sgd, adam; test_acc > 0.9",
                                "例如 batch_size >= 64; optimizer = sgd, adam; test_acc > 0.9"),
    "runs.filter_help": ("Conditions on any column, joined by ; or and: column op value, with op one of = != < <= > >= "
                         "or ~ (contains). Name a column by its id or its header, a value as stored or as shown "
                         "(done or 已完成); = and != take a list (a, b); yes/no columns take true or false.",
                         "对任意列设条件，用 ; 或 and 连接：列 运算符 值，运算符为 = != < <= > >= 或 ~（包含）。列可用其 ID 或表头"
                         "名称，值可用存储值或显示值（done 或 已完成）；= 与 != 可取列表（a, b）；是/否列取 true 或 false。"),
    "runs.columns": ("Columns", "列"),
    "runs.columns_all": ("every column", "全部列"),
    "runs.columns_help": ("The columns the table shows (the run's page link always stays)",
                          "表格显示的列（运行页面的链接总会保留）"),
    "runs.filter_no_op": ("The filter “{part}” has no comparison: write column op value, with op one of {ops}.",
                          "筛选条件“{part}”缺少比较：请写成 列 运算符 值，运算符为 {ops} 之一。"),
    "runs.filter_column": ("The filter names no column “{name}”: use one of {columns}.",
                           "筛选条件中没有名为“{name}”的列：请使用 {columns} 之一。"),
    "runs.filter_value": ("The filter “{part}” has no value after its comparison: add one.",
                          "筛选条件“{part}”的比较后面没有值：请补上。"),
    "runs.filter_bool": ("{column} is yes/no: filter it with = true or = false.",
                         "{column} 是是/否列：请用 = true 或 = false 筛选。"),
    "runs.filter_number": ("{column} holds numbers, “{value}” is not one: write a number such as 64 or 1e-3.",
                           "{column} 是数值列，“{value}”不是数：请写一个数，如 64 或 1e-3。"),
    "runs.filter_text_op": ("{column} holds text: filter it with =, != or ~ (contains).",
                            "{column} 是文本列：请用 =、!= 或 ~（包含）筛选。"),
    "cmp.runs_table": ("Runs of every chosen study", "所选研究的全部运行"),
    "cmp.runs_caption": ("One table over the chosen studies ({n} runs shown of {total}), a study column first; "
                         "a run two studies share is listed under each.",
                         "所选研究合为一张表（显示 {n} / {total} 次运行），首列为研究；两个研究共享的运行在各自名下都会列出。"),
    "runs.value": ("value", "值"),
    "label.optimizer": ("optimizer", "优化器"),
    "label.study": ("study", "研究"),
    "label.batch_size": ("batch size", "批大小"),
    "label.lr": ("lr", "学习率"),
    "label.shuffle": ("order", "顺序"),
    "label.seed": ("seed", "种子"),
    "label.status": ("status", "状态"),
    "label.at_fit": ("at fit", "达到拟合"),
    "label.reached_target": ("reached target", "达到目标"),
    "label.total_time_s": ("total time (s)", "总用时（秒）"),
    "label.run_id": ("run id", "运行 ID"),
    "gen.smooth": ("Smoothing", "平滑"),
    "gen.smooth_none": ("none", "不平滑"),
    "gen.smooth_w": ("{w} epochs", "{w} 轮"),
    "gen.smooth_help": ("A centred moving average of the mean over this many epochs (of its logarithm for losses); "
                        "the raw mean stays drawn faintly behind it and the band is never smoothed",
                        "对均值做居中滑动平均（窗口为这么多轮；损失取对数后平均）；原始均值以浅色留在后面，区间带从不平滑"),
    "gen.show_runs": ("Individual runs", "单次运行"),
    "gen.show_runs_help": ("Also draw every run (each seed) as a thin line", "同时把每次运行（每个种子）画成细线"),
    "gen.optimizer": ("Optimizer", "优化器"),
    "gen.pick_size": ("Pick at least one batch size.", "请至少选择一个批大小。"),
    "caption.curve_bands": ("The chosen metric after each epoch ({n} runs, {k} seeds per configuration at most): per "
                            "configuration (optimizer, order, lr) the mean over its seeds as a line and the 95 % "
                            "t-interval of that mean as a band (n in the tooltip: seeds still training at that epoch; "
                            "no band from one seed); one panel per batch size, each with its own x scale.",
                            "每轮之后的所选指标（{n} 个运行，每个配置最多 {k} 个种子）：每个配置（优化器、顺序、学习率）画出各种子"
                            "的均值线及其 95 % t 区间带（提示中的 n：该轮仍在训练的种子数；只有一个种子时没有区间带）；每个批大小"
                            "一个面板，各自有独立的 x 轴。"),
    "caption.curve_smooth": ("Line: centred moving average over {w} epochs; faint line: the raw mean.",
                             "粗线：{w} 轮居中滑动平均；浅线：原始均值。"),
    "caption.curve_log": ("Loss on a log axis.", "损失为对数坐标。"),
    "gen.target": ("Steps and epochs to reach the target", "达到目标所需的步数与轮数"),
    "gen.fixed_budget": ("This study holds {budget} equal at every batch size, so it has no steps to a target to "
                         "count: S(B) and B_crit need runs that train to a target. What it compares at that budget "
                         "is above (accuracy, gap and loss against B, the learning curves) and below (the noise "
                         "scale g).",
                         "本研究在每个批大小上保持{budget}相同，因此没有“达到目标所需步数”可数：S(B) 与 B_crit "
                         "需要训练到目标的运行。它在该预算下比较的内容见上方（准确率、差距和损失随 B 的变化，学习曲线）"
                         "和下方（噪声尺度 g）。"),
    "gen.no_target": ("No run reached a training target. Set target_train_acc (e.g. 0.99) or target_train_loss "
                      "on **New study**: each run then stops at the target and this chart shows the steps it took.",
                      "没有运行达到训练目标。在 **新建研究** 中设置 target_train_acc（如 0.99）或 target_train_loss："
                      "每个运行会在达到目标时停止，此图显示它用了多少步。"),
    "caption.steps_fit": ("{n} of {total} runs reached the target. Points: steps to the target of each best-lr run "
                          "(log–log). Line: S(B) = S_min·(1 + B_crit/B) fitted in log space (McCandlish et al. "
                          "2018) to those runs only; coloured rule: its B_crit, with a 95 % profile-likelihood "
                          "interval (above the chart); a B_crit outside the batch sizes measured is reported as "
                          "\"> largest\" or \"< smallest\", not as a number. Without an lr sweep the fit holds for "
                          "that lr only: its rule is the S(B) scale at that lr, not B_crit. Black dotted rule: the study's gradient noise scale "
                          "B_simple, a proxy. Shaded: perfect scaling (B < B_crit/10), diminishing returns, no "
                          "further gain (B > 10·B_crit).",
                          "{total} 个运行中有 {n} 个达到目标。点：每个最佳学习率运行达到目标的步数（双对数）。"
                          "线：仅用这些运行在对数空间拟合的 S(B) = S_min·(1 + B_crit/B)（McCandlish 等 2018）；彩色竖线："
                          "其 B_crit，95 % 轮廓似然区间见图上方；落在所测批大小之外的 B_crit 报告为“> 最大”或“< 最小”，"
                          "而不是一个数。没有学习率扫描时，拟合只对该学习率成立：竖线是该学习率下的 S(B) 尺度，而不是 B_crit。黑色点线：本研究的梯度噪声"
                          "尺度 B_simple，一个代理量。阴影：完美缩放（B < B_crit/10）、收益递减、不再有收益（B > 10·B_crit）。"),
    "caption.epochs_to_target": ("Epochs to reach the target vs batch size (log–log, geometric mean over seeds): a large "
                                 "batch takes fewer steps but more passes over the data.",
                                 "达到目标所需轮数随批大小的变化（双对数，各种子几何均值）：大批需要的步数更少，但需要更多遍数据。"),
    "gen.lr_grid": ("Learning rate × batch size", "学习率 × 批大小"),
    "caption.lr_heatmap_budget": ("{opt}: test accuracy over each learning rate × batch size; the red line traces "
                                  "the best lr per batch size. These runs train to a fixed budget, not to a "
                                  "target, so there are no steps to a target to map.",
                                  "{opt}：每个学习率 × 批大小组合的测试准确率；红线连出每个批大小的最佳学习率。"
                                  "这些运行训练到固定预算而非目标，因此没有“达到目标所需步数”可画。"),
    "caption.lr_heatmap": ("{opt}: median steps to the target (left, log colour scale, darker = more steps) and "
                           "test accuracy (right) over each learning rate × batch size; the red line traces the "
                           "best lr per batch size (Goyal et al.'s linear scaling holds while it climbs with B). "
                           "Blank cells: no seed reached the target, or every run stalled or diverged.",
                           "{opt}：每个学习率 × 批大小组合达到目标的中位步数（左，对数色标，越深步数越多）和测试准确率"
                           "（右）；红线描出每个批大小的最佳学习率（它随 B 上升时，Goyal 等的线性缩放成立）。"
                           "空白格：没有种子达到目标，或所有运行停滞或发散。"),
    "how.generalization": (
        "**Accuracy and loss** are evaluated on the whole training set and the held-out test set (a fixed split) "
        "after the last epoch, in evaluation mode, without the optimizer's noise. **Gap** = train − test accuracy "
        "(and test − train loss).\n\n"
        "**Which runs make a number**: only the compared (best-lr) runs that reached the study's fit (the "
        "target; without one, a final train loss within the relative band of the best). The others are hollow "
        "points of their own and are counted above the charts. A line is the mean of those runs over seeds, its "
        "band the 95 % t-interval of that mean; the captions say whether the smallest → largest batch difference "
        "is outside the seed noise (Welch's 95 % interval excludes 0). `export --table summary` writes exactly "
        "these numbers.\n\n"
        "**Steps to target**: a run stops the first epoch its training accuracy (or loss) meets the target; "
        "steps = optimizer updates until then. Shallue et al. 2019 (*Measuring the Effects of Data Parallelism "
        "on Neural Network Training*) show the three regimes; McCandlish et al. 2018 predict "
        "S(B) = S_min·(1 + B_crit/B): B_crit is fitted to the comparable runs' steps, with a 95 % profile-likelihood "
        "interval, and is a property of the lr when the lr was not tuned per batch size. Keskar et al. 2017 (*On Large-Batch Training for Deep Learning*) report "
        "the generalisation gap of large batches.",
        "**准确率和损失**在最后一轮之后、以评估模式在整个训练集和留出的测试集（固定划分）上计算，不含优化器的噪声。"
        "**差距** = 训练准确率 − 测试准确率（以及测试损失 − 训练损失）。阴影带为达到拟合的各种子均值的 95 % t 区间。\n\n"
        "**哪些运行构成一个数**：只有达到研究拟合（目标；无目标时，最终训练损失在最佳运行的相对带内）的比较（最佳学习率）"
        "运行。其余运行各自画成空心点，并在图上方计数。线为这些运行的种子均值，带为该均值的 95 % t 区间；"
        "图注说明最小批到最大批的差异是否超出种子噪声（Welch 95 % 区间不含 0）。`export --table summary` 写出的正是这些数。\n\n"
        "**达到目标的步数**：运行在训练准确率（或损失）首次达到目标的那一轮停止；步数 = 此前的优化器更新次数。"
        "Shallue 等 2019（*Measuring the Effects of Data Parallelism on Neural Network Training*）给出了三个区间；"
        "McCandlish 等 2018 预测 S(B) = S_min·(1 + B_crit/B)：B_crit 由可比运行的步数拟合，带 95 % 轮廓似然区间；若学习率未按批大小调优，"
        "它只是该学习率的性质。Keskar 等 2017（*On Large-Batch Training for Deep "
        "Learning*）报告了大批训练的泛化差距。"),
    # ---- Sharpness
    "sharp.none": ("This study has no sharpness or curvature columns. Turn them on under *What to measure* on "
                   "**New study** (or in the spec's [measure] table) and run it again: finished training is reused.",
                   "此研究没有尖锐度或曲率数据。在 **新建研究** 的 *训练后测量什么* 中打开它们（或在配置的 [measure] "
                   "表中），再运行一次：已完成的训练会被复用。"),
    "caption.sharpness_eps": ("ε-sharpness (Keskar Metric 2.1, % of 1 + loss) against batch size (log₂ axis): the "
                              "largest train-loss rise within the box |y_i| ≤ ε·(|θ_i| + 1), ε = {eps}, found by "
                              "L-BFGS-B in {lbfgs_iters} iterations on {sample} training examples.",
                              "ε-尖锐度（Keskar 指标 2.1，以 1 + 损失的百分比计）随批大小（log₂ 轴）变化：在盒子 "
                              "|y_i| ≤ ε·(|θ_i| + 1)（ε = {eps}）内训练损失的最大升幅，用 L-BFGS-B 迭代 {lbfgs_iters} 次、"
                              "在 {sample} 个训练样本上求得。"),
    "caption.sharpness_rand": ("Random sharpness (loss units) against batch size (log₂ axis): the mean antithetic "
                               "train-loss rise (f(θ+σd) + f(θ−σd))/2 − f(θ) over {random_directions} filter-normalised random "
                               "directions of relative size σ = {random_sigma} (Li et al. 2018), on {sample} training "
                               "examples; error bars: ±1 standard error over the directions.",
                               "随机尖锐度（损失单位）随批大小（log₂ 轴）变化：沿 {random_directions} 个滤波器归一化、相对大小 σ = {random_sigma} "
                               "的随机方向的对称训练损失升幅 (f(θ+σd) + f(θ−σd))/2 − f(θ) 的均值（Li 等 2018），在 {sample} "
                               "个训练样本上计算；误差棒：方向间的 ±1 标准误。"),
    "caption.sharpness_sam": ("SAM sharpness, curvature part (loss units) against batch size (log₂ axis): "
                              "f(θ + ρĝ) − f(θ) − ρ|g| ≈ ½ρ²·ĝᵀHĝ, ĝ = g/|g|, ρ = {sam_rho}, averaged over chunks of "
                              "m = {sam_m} examples (Foret et al. 2021); the first-order term ρ|g| is subtracted.",
                              "SAM 尖锐度的曲率部分（损失单位）随批大小（log₂ 轴）变化：f(θ + ρĝ) − f(θ) − ρ|g| ≈ "
                              "½ρ²·ĝᵀHĝ，ĝ = g/|g|，ρ = {sam_rho}，在每块 m = {sam_m} 个样本上平均（Foret 等 2021）；"
                              "已减去一阶项 ρ|g|。"),
    "caption.hessian_top_eig": ("Largest Hessian eigenvalue λ_max of the train loss (loss / weight², linear scale) "
                                "against batch size (log₂ axis), by Lanczos on Hessian-vector products (error bars: its error bound) over "
                                "{sample} training examples.",
                                "训练损失 Hessian 的最大特征值 λ_max（损失 / 权重²）随批大小（log₂ 轴）变化，"
                                "由 Hessian-向量积的 Lanczos 在 {sample} 个训练样本上求得（误差条：其误差界）。"),
    "caption.hessian_trace": ("Hessian trace (sum of all curvatures, loss / weight²) against batch size (log₂ "
                              "axis), by Hutchinson's estimator (Rademacher probes) over {sample} training examples.",
                              "Hessian 的迹（所有曲率之和，损失 / 权重²）随批大小（log₂ 轴）变化，"
                              "由 Hutchinson 估计（Rademacher 探针）在 {sample} 个训练样本上求得。"),
    "sharp.landscape": ("Loss landscape", "损失地形"),
    "sharp.no_landscape": ("This study has no landscape rows. Turn on *landscape* under *What to measure* on "
                           "**New study**.", "此研究没有损失地形数据。在 **新建研究** 的 *训练后测量什么* 中打开 *损失地形*。"),
    "sharp.optimizer_help": ("The slices and the interpolation of this optimizer's runs", "此优化器运行的切片与插值"),
    "sharp.no_slices": ("No random slices for these runs.", "这些运行没有随机切片。"),
    "caption.slices": ("The chosen metric along f(θ + α·d), d one filter-normalised random direction (Li et al. "
                       "2018), α from −1 to 1 in {points} points; one line per run, colour = batch size "
                       "(small → large). A wider valley is a flatter minimum.",
                       "沿 f(θ + α·d) 的所选指标，d 为一个滤波器归一化的随机方向（Li 等 2018），α 从 −1 到 1 共 {points} "
                       "个点；每个运行一条线，颜色 = 批大小（小 → 大）。谷越宽，极小值越平坦。"),
    "sharp.no_interp": ("No small↔large interpolation: it needs two batch sizes that share optimizer, order and "
                        "seed.", "没有小批↔大批插值：需要两个共享优化器、顺序和种子的批大小。"),
    "caption.interpolation": ("Loss (left) and accuracy (right) along (1 − α)·θ_small + α·θ_large: α = 0 is the "
                              "small-batch solution, α = 1 the large-batch one; train solid, test dashed (Keskar "
                              "et al. 2017, Figure 3).",
                              "沿 (1 − α)·θ_small + α·θ_large 的损失（左）与准确率（右）：α = 0 为小批解，α = 1 为大批解；"
                              "实线为训练，虚线为测试（Keskar 等 2017，图 3）。"),
    "how.sharpness": ("All measurements use a fixed, seeded sample of training examples and the trained weights θ; none retrains.\n\n- **Means and bands** use only the compared runs at the study's fit; the band is the 95 % t-interval of the mean over seeds.",
                      '所有测量都使用固定、带种子的训练样本和训练好的权重 θ；不会重新训练。\n\n- **均值与区间带**只用达到研究拟合的比较运行；带为种子均值的 95 % t 区间。'),
    # ---- one run's page (pages/9_Run.py, analysis.runview)
    "run.pick": ("Run", "运行"),
    "runs.page": ("page", "页面"),
    "runs.open": ("open", "打开"),
    "runs.page_help": ("The run's own page: curves, measures with errors, slices, weights.",
                       "该运行的单独页面：曲线、带误差的测量、切片、权重。"),
    "run.not_here": ("The run in the link ({run}) is not in this study; pick one below.",
                     "链接中的运行（{run}）不在这个研究中；请在下面选择一个。"),
    "run.measures": ("Measures", "测量"),
    "run.no_measures": ("This run has no measures (none were switched on).", "这个运行没有测量值（没有打开任何测量）。"),
    "run.no_epochs": ("No per-epoch rows for this run.", "这个运行没有逐轮记录。"),
    "run.settings": ("Configuration and outcome", "配置与结果"),
    "run.col.measure": ("measure", "测量"),
    "run.col.value": ("value", "数值"),
    "run.col.error": ("error", "误差"),
    "run.col.error_help": ("The estimator's own standard error, or its deterministic bound (Lanczos); empty where "
                           "the estimator gives none.", "估计量自身的标准误或其确定性误差界（Lanczos）；估计量不给出时为空。"),
    "run.col.setting": ("setting", "设置"),
    "run.weights": ("Final weights (safetensors)", "最终权重（safetensors）"),
    "run.weights_help": ("The trained model's parameters by name, as numpy arrays: safetensors.numpy.load_file.",
                         "训练好的模型参数（按名称，numpy 数组）：用 safetensors.numpy.load_file 读取。"),
    "run.no_weights": ("No stored weights for this run.", "这个运行没有存储的权重。"),
    "run.stop.failed": ("**Stopped**: failed ({error}).", "**停止原因**：失败（{error}）。"),
    "run.stop.diverged": ("**Stopped**: diverged at epoch {epoch}.", "**停止原因**：在第 {epoch} 轮发散。"),
    "run.stop.target": ("**Stopped**: reached its target after {epochs} epochs.",
                        "**停止原因**：{epochs} 轮后达到目标。"),
    "run.stop.reason": ("**Stopped**: {status} after {epochs} epochs ({why}).",
                        "**停止原因**：{epochs} 轮后{status}（{why}）。"),
    "run.stop.budget": ("**Stopped**: spent its budget, {epochs} of {budget} epochs, without reaching a target.",
                        "**停止原因**：用完预算（{budget} 轮中的 {epochs} 轮），未达到目标。"),
    # ---- Compare: B_simple and B_crit across studies (charts.fit.critical_sizes_chart)
    "cmp.critical_title": ("B_simple and B_crit per study, with 95 % intervals",
                           "各研究的 B_simple 与 B_crit（含 95 % 区间）"),
    "cmp.critical_legend": ("quantity", "量"),
    "cmp.critical_value": ("batch size", "批大小"),
    "cmp.critical_caption": ("Points: B_simple (geometric mean over the compared runs, 95 % bootstrap interval) and "
                             "each optimizer's B_crit from the S(B) fit (95 % profile-likelihood interval); a B_crit "
                             "beyond the batch sizes a study tried is left out. Log₂ axis.",
                             "点：B_simple（可比运行的几何平均，95 % 自助法区间）与各优化器由 S(B) 拟合得到的 B_crit"
                             "（95 % 剖面似然区间）；超出研究所试批大小范围的 B_crit 不画。log₂ 轴。"),
    "cmp.no_critical": ("No B_simple or B_crit in these studies yet.", "这些研究还没有 B_simple 或 B_crit。"),
}
