"""The New-study page's strings: key -> (English, 中文). Data only; merged into the catalogue by common.py."""

FORM = {
    "form.toml": ("Start from a spec (TOML, at most {kib} KiB)", "从研究配置（TOML，最大 {kib} KiB）开始"),
    "form.toml_help": ("A StudySpec file such as examples/quick.toml; it fills the form below",
                       "一个 StudySpec 文件，例如 examples/quick.toml；它会填好下面的表单"),
    "form.toml_bad": ("That TOML cannot be used — fix **{field}**: {why}. Launch stays off until you upload a "
                      "fixed file or clear this one (×).",
                      "这个 TOML 无法使用——请修正 **{field}**：{why}。在上传修正后的文件或清除它（×）之前，无法启动。"),
    "form.data_and_model": ("Data and model", "数据与模型"),
    "form.name": ("Name", "名称"),
    "form.name_help": ("Shown in lists; the study id is a hash of the whole spec",
                       "显示在列表中；研究 id 是整个配置的哈希"),
    "form.dataset": ("Data set", "数据集"),
    "form.dataset_help": ("Built-in sets load offline (mnist, fashion_mnist, cifar10 and cifar100 need their files, or "
                          "[data] download = true); or "
                          "upload a CSV with a header row and a label column",
                          "内置数据集可离线加载（mnist、fashion_mnist、cifar10 和 cifar100 需要本地文件，或设 [data] download = true）；"
                          "或上传带表头和标签列的 CSV"),
    "form.csv_choice": ("csv (upload your own)", "csv（上传你自己的数据）"),
    "upload.button": ("Upload", "上传"),
    "upload.drop": ("Drag and drop a file here", "把文件拖到这里"),
    "form.your_csv_limit": ("Your CSV (at most {mib} MiB)", "你的 CSV（最大 {mib} MiB）"),
    "form.your_csv_help": ("At most {mib} MiB; numeric features, one label column",
                           "最多 {mib} MiB；数值特征，一个标签列"),
    "form.csv_shape": ("{rows} rows, {features} features, {classes} classes (last column)",
                       "{rows} 行，{features} 个特征，{classes} 个类别（最后一列）"),
    "form.label_column": ("Label column", "标签列"),
    "form.last_column": ("the last column", "最后一列"),
    "form.n_samples": ("Examples (before the split)", "样本数（划分前）"),
    "form.model": ("Model", "模型"),
    "form.model_help": ("cnn needs image or sequence data", "cnn 需要图像或序列数据"),
    "form.hidden": ("Hidden widths", "隐藏层宽度"),
    "form.hidden_help": ("MLP layer widths, e.g. 256, 256 (empty: linear model)",
                         "MLP 各层宽度，例如 256, 256（留空：线性模型）"),
    "form.norm": ("Batch norm", "批量归一化"),
    "form.norm_help": ("batch: batch norm after every hidden layer and conv (statistics of the whole batch); ghost: "
                       "statistics over chunks of a fixed number of examples inside each batch (Hoffer et al. 2017), "
                       "so every batch size normalises alike. Evaluation and the measurements use the running "
                       "statistics",
                       "batch：在每个隐藏层和卷积层之后做批量归一化（整个批的统计量）；ghost：在每个批内按固定样本数"
                       "分块计算统计量（Hoffer 等 2017），使各批大小的归一化方式相同。评估和各项测量使用滑动平均统计量"),
    "form.norm.none": ("none", "无"),
    "form.norm.batch": ("batch norm", "批量归一化"),
    "form.norm.ghost": ("ghost batch norm", "幽灵批量归一化"),
    "form.ghost_batch": ("Ghost batch size N", "幽灵批大小 N"),
    "form.ghost_batch_help": ("Examples per normalisation chunk (≥ 2). A batch not divisible by N ends with a smaller "
                              "chunk; a remainder of one example joins the chunk before it; a batch of at most N "
                              "examples is plain batch norm",
                              "每个归一化分块的样本数（≥ 2）。不能被 N 整除的批以一个较小的分块结尾；余下的单个样本并入"
                              "前一个分块；不超过 N 个样本的批即普通批量归一化"),
    "form.grid": ("The grid", "实验网格"),
    "form.batch_sizes": ("Batch sizes", "批大小"),
    "form.batch_sizes_help": ("Type the sizes separated by commas, e.g. 8, 64, 512, full. full = the whole "
                              "training set (one step per epoch). Exactly these sizes are trained.",
                              "输入以逗号分隔的批大小，例如 8, 64, 512, full。full = 整个训练集（每轮一步）。"
                              "只训练你输入的这些批大小。"),
    "form.full_is": ("full = {n}", "full（整个训练集）= {n}"),
    "form.batch_choices": ("Powers of two up to the training set: {sizes}; or full (= {n} training examples).",
                           "不超过训练集的 2 的幂：{sizes}；或 full（= {n} 个训练样本）。"),
    "form.optimizers": ("Optimizers", "优化器"),
    "form.lr": ("Learning rate: {opt}", "学习率：{opt}"),
    "form.lr_help": ("At base_batch_size; the LR rule scales it for other batch sizes. Several values "
                     "(0.003, 0.03, 0.3) are a sweep: every run at each lr, and the charts use the best lr per "
                     "batch size. \"auto\" (or \"auto:0.01\") searches the lr itself: two decades around the "
                     "optimizer's default (or the lr given), widened until every batch size's best lr is inside",
                     "对应基准批大小 B0；学习率规则按批大小缩放它。多个值（0.003, 0.03, 0.3）即扫描：每个运行在每个"
                     "学习率下训练，图表按每个批大小使用最佳学习率。\"auto\"（或 \"auto:0.01\"）自行搜索学习率：从优化器"
                     "默认值（或给定值）两侧各一个数量级开始，扩展到每个批大小的最佳学习率都在网格内部为止"),
    "form.stopping": ("Stopping rule", "停止规则"),
    "form.stopping.target": ("train to a target (matched fit)", "训练到目标（匹配拟合）"),
    "form.stopping.budget": ("fixed epoch budget (runs may end at different fits)",
                             "固定轮数预算（各运行的拟合程度可能不同）"),
    "form.stopping_help": ("Batch sizes compare fairly only at a matched fit (Keskar et al.): every run trains "
                           "until the target, the epochs are a cap. A fixed budget leaves large batches "
                           "under-trained, and their gap and sharpness are confounded with it",
                           "只有在匹配拟合下比较批大小才公平（Keskar 等）：每个运行训练到目标，轮数只是上限。"
                           "固定预算会让大批次训练不足，其泛化差距与锐度因此混杂"),
    "form.epochs_cap": ("Epochs (cap)", "轮数（上限）"),
    "form.shuffle": ("Shuffle", "打乱顺序"),
    "form.shuffle_help": ("on: a new order every epoch; off: one fixed order; both: the grid has both",
                          "开：每轮一个新顺序；关：固定一个顺序；两者：网格中两种都有"),
    "form.shuffle.on": ("on", "开"),
    "form.shuffle.off": ("off", "关"),
    "form.shuffle.both": ("both", "两者"),
    "form.seeds": ("Seeds", "随机种子"),
    "form.seeds_help": ("e.g. 0, 1, 2: every grid point is trained once per seed; the charts draw a band over "
                        "seeds", "例如 0, 1, 2：每个网格点对每个种子训练一次；图中画出各种子的范围带"),
    "form.training": ("Training", "训练"),
    "form.epochs": ("Epochs (budget)", "轮数（预算）"),
    "form.epochs_help": ("At most this many epochs per run", "每次运行最多训练这么多轮"),
    "form.target_acc": ("Target train accuracy", "目标训练准确率"),
    "form.target_acc_help": ("Stop a run once it reaches this (0 = off); Keskar trains to ~1.0",
                             "达到该值即停止（0 = 关闭）；Keskar 训练到约 1.0"),
    "form.target_loss": ("Target train loss", "目标训练损失"),
    "form.target_loss_help": ("Stop once the training loss is below this (0 = off)",
                              "训练损失低于该值即停止（0 = 关闭）"),
    "form.lr_rule": ("LR rule", "学习率规则"),
    "form.lr_rule_help": ("none: same LR; linear: η·B/B0 (Goyal et al.); sqrt: η·√(B/B0), usual for Adam",
                          "none：学习率不变；linear：η·B/B0（Goyal 等）；sqrt：η·√(B/B0)，Adam 常用"),
    "form.base_batch": ("Base batch size B0", "基准批大小 B0"),
    "form.warmup": ("Warm-up epochs", "预热轮数"),
    "form.warmup_help": ("Linear LR warm-up", "学习率线性预热"),
    "form.schedule": ("Schedule", "学习率调度"),
    "form.loss": ("Loss", "损失函数"),
    "form.loss_help": ("focal uses gamma = 2", "focal 使用 gamma = 2"),
    "form.device": ("Device", "设备"),
    "form.device_help": ("auto: CUDA, then MPS, then CPU", "auto：依次尝试 CUDA、MPS、CPU"),
    "form.prune": ("Stop runs that cannot win", "停止不可能胜出的运行"),
    "form.prune_help": ("On by default: a run of an lr sweep stops once its lr can no longer be the best at its batch "
                        "size (status pruned; the best lr, its steps and measurements stay exactly as without "
                        "pruning), and a run that stalled at chance stops then, not at the epoch cap",
                        "默认开启：学习率扫描中的运行一旦其学习率不可能成为该批大小的最佳学习率即停止（状态 pruned；"
                        "最佳学习率及其步数和测量与不剪枝时完全相同）；停滞在随机水平的运行随即停止，而不是训练到轮数上限"),
    "form.drop_last": ("Drop the last partial batch", "丢弃最后一个不完整的批"),
    "form.drop_last_help": ("Off by default: dropping it throws away up to B−1 examples an epoch",
                            "默认关闭：丢弃会使每轮最多少用 B−1 个样本"),
    "form.measure": ("What to measure after training", "训练后测量什么"),
    "form.eps": ("ε-sharpness (Keskar), one or more ε", "ε-尖锐度（Keskar），一个或多个 ε"),
    "form.eps_help": ("The largest loss rise within a box of radius ε·(|θ|+1) around the solution, in % of "
                      "1 + loss (L-BFGS-B, 10 iterations); e.g. 1e-3, 5e-4; empty = off",
                      "在解周围半径为 ε·(|θ|+1) 的盒子内损失的最大升幅，以 1 + 损失的百分比表示"
                      "（L-BFGS-B，10 次迭代）；例如 1e-3, 5e-4；留空 = 关闭"),
    "form.random": ("Random sharpness", "随机尖锐度"),
    "form.random_help": ("Mean loss rise along filter-normalised random directions", "沿滤波器归一化随机方向的平均损失升幅"),
    "form.sam": ("SAM sharpness", "SAM 尖锐度"),
    "form.sam_help": ("f(x + ρĝ) − f(x) − ρ|g| ≈ ½ρ²·ĝᵀHĝ: the loss rise one step of length ρ uphill, less its "
                      "first-order part, so the curvature along the gradient remains; cheap",
                      "f(x + ρĝ) − f(x) − ρ|g| ≈ ½ρ²·ĝᵀHĝ：沿梯度上坡走长度 ρ 的一步的损失升幅，减去一阶部分，"
                      "只留下沿梯度方向的曲率；计算便宜"),
    "form.hessian": ("Hessian λ_max and trace", "Hessian λ_max 与迹"),
    "form.hessian_help": ("λ_max by Lanczos (with its error bound), the trace and the gradient norm, on "
                          "Hessian-vector products", "基于 Hessian-向量积：Lanczos 求 λ_max（带误差界）、迹与梯度范数"),
    "form.critical": ("Critical-point test (λ_min)", "临界点检验（λ_min）"),
    "form.critical_help": ("The bottom Hessian eigenvalue by Lanczos: negative curvature at the end point (not a "
                           "minimum), or none resolved? About 40 Hessian-vector products a run, more than all other "
                           "measurements together, so it is off by default; the full spectrum turns it on too.",
                           "用 Lanczos 求 Hessian 最小特征值：终点有负曲率（不是极小点），还是未分辨出负曲率？"
                           "每次运行约 40 次 Hessian-向量积，多于其余全部测量之和，因此默认关闭；打开完整谱也会打开它。"),
    "form.spectrum": ("Full Hessian spectrum", "完整 Hessian 谱"),
    "form.spectrum_help": ("Only for models under ~5,000 weights", "仅适用于约 5,000 个权重以下的模型"),
    "form.landscape": ("Landscape slices and interpolation", "损失地形切片与插值"),
    "form.landscape_help": ("1-D slices along random directions, and the line from a small-batch to a "
                            "large-batch solution (Keskar et al. 2017, Figure 3)",
                            "沿随机方向的一维切片，以及从小批解到大批解的连线（Keskar 等 2017，图 3）"),
    "form.noise": ("Gradient noise scale", "梯度噪声尺度"),
    "form.noise_help": ("B_simple = tr(Σ)/|G|², the critical batch size rule (McCandlish et al. 2018)",
                        "B_simple = tr(Σ)/|G|²，临界批大小规则（McCandlish 等 2018）"),
    "form.sample": ("Examples used by the measurements", "测量使用的样本数"),
    "form.sample_help": ("The measurements after training use this many training examples (fixed, the same for "
                         "every run)", "训练后的测量使用这么多训练样本（固定，每次运行相同）"),
    "form.upload_csv_first": ("Upload your CSV above, or pick a built-in data set.",
                              "请先在上方上传你的 CSV，或选择一个内置数据集。"),
    "form.fix_all": ("Fix these {n} field(s) before launching:", "启动前请修正以下 {n} 个字段："),
    "form.n_runs": ("Runs in the grid", "网格中的运行数"),
    "form.n_runs_help": ("batch sizes × optimizers × shuffle × seeds", "批大小 × 优化器 × 顺序 × 随机种子"),
    "form.rough_time": ("Rough time", "大致耗时"),
    "form.rough_time_help": ("A cost model good to about 3×; runs the store already has are reused and cost "
                             "nothing", "成本模型，误差约 3 倍以内；存储中已有的运行会被复用，不花时间"),
    "form.at_most": ("at most {time}", "至多 {time}"),
    "form.est_store": ("Rough time from {n} finished runs in this store like these (same data set, model, batch size, "
                       "schedule and device): their median seconds per epoch, the measures priced by the cost model.",
                       "大致耗时来自本存储中 {n} 个类似的已完成运行（相同数据集、模型、批大小、调度和设备）：取其每轮秒数的中位数，测量按成本模型计价。"),
    "form.est_mixed": ("Rough time from {n} finished runs in this store for B = {sizes} (their median seconds per "
                       "epoch); the other batch sizes have no finished runs like these here: a rough estimate.",
                       "B = {sizes} 的大致耗时来自本存储中 {n} 个已完成运行（每轮秒数的中位数）；其他批大小在这里没有类似的已完成运行：粗略估计。"),
    "form.est_builtin": ("No finished runs like these here (same data set, model, batch size, schedule and device): a "
                         "rough estimate from a cost model.",
                         "这里没有类似的已完成运行（相同数据集、模型、批大小、调度和设备）：按成本模型粗略估计。"),
    "form.rough_time_help_capped": ("A cost model good to about 3×, counting every run to its epoch cap: runs that "
                                    "reach their target stop there, so the study may take much less. Runs the store "
                                    "already has are reused and cost nothing",
                                    "成本模型，误差约 3 倍以内，按每个运行都跑满轮数上限计算：达到目标的运行会就此停止，"
                                    "因此研究可能快得多。存储中已有的运行会被复用，不花时间"),
    "form.n_params": ("Weights per model", "每个模型的权重数"),
    "form.run_on": ("Run on", "运行于"),
    "form.this_machine": ("this machine", "本机"),
    "form.ray_cluster": ("a Ray cluster", "Ray 集群"),
    "form.run_on_help": ("this machine: one study at a time per device, honest epoch times. Ray: one task per "
                         "run on a cluster (README: Running a study on a Ray cluster)",
                         "本机：每个设备一次一个研究，每轮时间可信。Ray：集群上每次运行一个任务"
                         "（见 README：Running a study on a Ray cluster）"),
    "form.ray_which": ("Ray cluster", "Ray 集群"),
    "form.ray_which_help": ("The clusters this server's owner listed in BATCHSCOPE_RAY_CLUSTERS; a page never "
                            "takes an address (README: Running a study on a Ray cluster)",
                            "本服务器所有者在 BATCHSCOPE_RAY_CLUSTERS 中列出的集群；页面从不接受地址"
                            "（见 README：Running a study on a Ray cluster）"),
    "form.launch": ("Launch", "启动"),
    "form.long": ("This study would take about **{time}** ({n} runs), more than the {limit} this server launches "
                  "without asking. Fewer batch sizes, optimizers, seeds or epochs make it shorter.",
                  "这个研究大约需要 **{time}**（{n} 次运行），超过了本服务器无需确认即可启动的 {limit}。"
                  "减少批大小、优化器、随机种子或轮数可以缩短时间。"),
    "form.long_queue": ("This study would take about **{time}** ({n} runs), and the queue already holds about "
                        "{queue} of work: **{total}** in all, more than the {limit} this server launches without "
                        "asking.", "这个研究大约需要 **{time}**（{n} 次运行），队列中已有约 {queue} 的工作：共 "
                        "**{total}**，超过了本服务器无需确认即可启动的 {limit}。"),
    "form.queue_full": ("{n} studies are already waiting on this server: wait for one to finish, or cancel one "
                        "on **Jobs**, then launch again.", "本服务器已有 {n} 个研究在等待：请等待其中一个完成，或在"
                        "**任务**页取消一个，然后再启动。"),
    "form.upload_limits": ("This server keeps at most {quota} MiB of uploads and takes {n} per browser session; an "
                           "upload not launched within {hours} h is removed.",
                           "本服务器最多保存 {quota} MiB 的上传文件，每个浏览器会话最多上传 {n} 个；{hours} 小时内未启动的上传会被删除。"),
    "form.long_confirm": ("Yes, queue {n} runs for about {time}", "是的，将 {n} 次运行加入队列（约 {time}）"),
    "form.launch_blocked": ("The uploaded TOML was rejected: upload a fixed file or clear it first",
                            "上传的 TOML 被拒绝：请先上传修正后的文件或清除它"),
    "form.queued": ("Queued **{name}** as job {job}: it starts as soon as this machine is free.",
                    "已将 **{name}** 加入队列，任务 {job}：本机空闲时立即开始。"),
    "form.watch": ("Watch it on Jobs", "在任务页查看"),
    "form.download_toml": ("Download as TOML", "下载为 TOML"),
}

FORM.update({
    # ---- budgets and the batch-size schedule (studies/spec/budget.py)
    "form.budgets": ("Budgets (optional)", "预算（可选）"),
    "form.budgets_replace": ("The budgets replace the stopping rule above: each run follows its own; the epochs and "
                             "the target count only for a \"target\" budget.",
                             "预算取代上面的停止规则：每个运行按各自的预算训练；轮数与目标只对 \"target\" 预算有效。"),
    "form.budgets_help": ("Each grid point is trained once per budget listed: epochs:E (exactly E epochs, no early "
                          "stop), steps:S (exactly S updates at every batch size: Hoffer et al. 2017's regime "
                          "adaptation), examples:X (⌈X/B⌉ updates) and target (the target above, with the epoch "
                          "cap). Empty: the stopping rule above, as one budget.",
                          "每个网格点按列出的每个预算各训练一次：epochs:E（恰好 E 轮，不提前停止）、steps:S（每个批大小"
                          "都恰好 S 次参数更新：Hoffer 等 2017 的训练步数补偿）、examples:X（⌈X/B⌉ 次更新）和 "
                          "target（上面的目标，以轮数为上限）。留空：按上面的停止规则，只有一个预算。"),
    "form.batch_schedule": ("Batch-size schedule", "批大小调度"),
    "form.batch_schedule_help": ("step: multiply the batch size by the growth at 50 % and 75 % of the epochs, "
                                 "capped at the training set (Smith et al. 2018: grow the batch instead of "
                                 "decaying the learning rate); the learning rate keeps its own schedule. Not with "
                                 "steps or examples budgets.",
                                 "step：在 50 % 和 75 % 的轮数处把批大小乘以增长倍数，不超过训练集大小（Smith 等 "
                                 "2018：增大批大小而不是衰减学习率）；学习率保持其自身的调度。不能与 steps 或 "
                                 "examples 预算同用。"),
    "form.batch_schedule.constant": ("constant", "恒定"),
    "form.lr_rule.none": ("none (same lr)", "无（相同学习率）"),
    "form.lr_rule.linear": ("linear η·B/B0", "线性 η·B/B0"),
    "form.lr_rule.sqrt": ("sqrt η·√(B/B0)", "平方根 η·√(B/B0)"),
    "form.schedule.constant": ("constant", "恒定"),
    "form.schedule.cosine": ("cosine", "余弦"),
    "form.schedule.step": ("step", "阶梯"),
    "form.loss.cross_entropy": ("cross-entropy", "交叉熵"),
    "form.loss.focal": ("focal", "焦点损失 focal"),
    "form.device.auto": ("auto", "自动"),
    "form.batch_schedule.step": ("step (grow B at 50 % and 75 %)", "step（在 50 % 和 75 % 处增大 B）"),
    "form.batch_growth": ("Batch growth (×)", "批大小增长倍数（×）"),
})
