"""The dashboard's strings: key -> (English, 中文). Data only; `t` is in __init__.py. Grouped by page, keys prefixed
by the page (nav., frame., home., form., jobs., speed., gen., sharp., cmp., chart., how.)."""

CATALOGUE: dict[str, tuple[str, str]] = {
    # ---- navigation and the shared frame
    "app.name": ("Batchscope", "Batchscope"),
    "nav.home": ("Home", "首页"),
    "nav.New_study": ("New study", "新建研究"),
    "nav.Jobs": ("Jobs", "任务"),
    "nav.Speed": ("Speed", "速度"),
    "nav.Generalization": ("Generalization", "泛化"),
    "nav.Sharpness": ("Sharpness", "尖锐度"),
    "nav.Compare": ("Compare", "比较"),
    "nav.Curvature": ("Curvature", "曲率"),
    "nav.Playground": ("Playground", "优化器演示"),
    "nav.Run": ("Run", "单次运行"),
    "frame.language": ("Language · 语言", "Language · 语言"),
    "frame.store": ("Store {root} · {n} worker(s) ({slots}): one study at a time per device, so epoch times "
                    "are honest", "存储 {root} · {n} 个工作进程（{slots}）：每个设备一次只跑一个研究，因此每轮时间可信"),
    "frame.queue": ("Queue: {running} running ({names}), {queued} waiting",
                    "队列：{running} 个运行中（{names}），{queued} 个等待"),
    "frame.none": ("none", "无"),
    "frame.on": ("{name} on {slot}", "{name}（在 {slot} 上）"),
    "frame.password": ("Password", "密码"),
    "frame.password_help": ("Ask whoever shared this link", "请向分享此链接的人索取"),
    "frame.open": ("Open the dashboard", "打开仪表盘"),
    "frame.wrong_password": ("Wrong password.", "密码错误。"),
    "frame.wrong_password_wait": ("Wrong password. The next try is possible in {s} s.",
                                  "密码错误。{s} 秒后可以再试。"),
    "frame.locked_out": ("Too many wrong passwords; try again in {s} s.", "密码错误次数过多；请在 {s} 秒后再试。"),
    "frame.study": ("Study", "研究"),
    "frame.runs_state": ("{done}/{total} runs · {state}", "{done}/{total} 次运行 · {state}"),
    "frame.no_studies": ("No studies in {root} yet. Design one on **New study**, or run "
                         "`python -m studies run examples/quick.toml`",
                         "{root} 中还没有研究。在 **新建研究** 页设计一个，或运行 "
                         "`python -m studies run examples/quick.toml`"),
    "frame.study_missing": ("The study in the link is not here: {error}", "链接中的研究不在此存储中：{error}"),
    "frame.no_runs": ("This study has no finished runs yet; the **Jobs** page shows its progress.",
                      "这个研究还没有完成的运行；**任务** 页显示其进度。"),
    "frame.chart_failed": ("{name}: this chart cannot be drawn from the data ({error})",
                           "{name}：无法用这些数据画出此图（{error}）"),
    "frame.state.done": ("done", "已完成"),
    "frame.state.running": ("running", "运行中"),
    "frame.state.queued": ("queued", "排队中"),
    "frame.state.stopped": ("stopped", "已停止"),
    "frame.state.failed": ("failed", "失败"),
    "frame.state.cancelled": ("cancelled", "已取消"),
    "frame.state.interrupted": ("interrupted", "已中断"),
    "frame.state.partial": ("partial", "部分完成"),
}

CATALOGUE.update({
    # ---- home
    "home.intro": (
        "**Batchscope** trains one model at several batch sizes (with the optimizers, orders and seeds you choose) "
        "and shows what the batch size changes: how long an epoch takes, how well the model fits and generalises, "
        "and how sharp the minimum it finds is.",
        "**Batchscope** 用多个批大小（以及你选择的优化器、数据顺序和随机种子）训练同一个模型，展示批大小带来的变化："
        "每轮训练要多久、模型拟合与泛化得如何、找到的极小值有多尖锐。"),
    "home.start": ("Start here", "从这里开始"),
    "home.step1": ("**1. Launch a study**: pick batch sizes, optimizers and seeds; a small one takes a minute.",
                   "**1. 启动研究**：选择批大小、优化器和随机种子；小研究一分钟左右。"),
    "home.step2": ("**2. Watch it train**: progress, time left and every run's state.",
                   "**2. 查看训练**：进度、剩余时间和每次运行的状态。"),
    "home.step3": ("**3. Read the answer**: accuracy, the gap and the learning curves against batch size.",
                   "**3. 阅读结论**：准确率、泛化差距和学习曲线随批大小的变化。"),
    "home.overview": ("The picked study at a glance: **epoch time** (is a larger batch faster per epoch here?), the "
                      "**generalisation gap** (train − test accuracy) and **train and test accuracy** at the end. "
                      "Every view of it:",
                      "所选研究一览：**每轮时间**（更大的批在这里每轮更快吗？）、**泛化差距**（训练 − 测试准确率）以及训练结束时的"
                      "**训练与测试准确率**。它的全部视图："),
    "home.col.id": ("id", "编号"),
    "home.col.name": ("name", "名称"),
    "home.col.done": ("done", "已完成"),
    "home.col.runs": ("runs", "运行数"),
    "home.col.state": ("state", "状态"),
    "home.col.dataset": ("data set", "数据集"),
    "home.col.updated": ("updated", "更新时间"),
    "home.study_line": ("**{name}** · {n} runs · {dataset} · {timing}", "**{name}** · {n} 次运行 · {dataset} · {timing}"),
    "home.runs_and_spec": ("Runs table and spec", "运行表与研究配置"),
    "home.spec_unreadable": ("The spec of this study cannot be read (missing, or set aside as not a regular "
                             "file of the store).", "无法读取此研究的配置（缺失，或因不是存储中的普通文件而被移开）。"),
})

CATALOGUE.update({
    # ---- chart captions: what is plotted, unit / scale, key parameter
    "caption.epoch_time": (
        "Seconds per epoch (log scale) against batch size (log₂ axis), as the timing line above says: the "
        "minimum of the interleaved timing pass's repeats, or (a run timed alone) the median over its timed epochs, "
        "epoch 1 excluded as a warm-up; lines are optimizers, dashed = fixed order, line = geometric mean over "
        "seeds, band = its 95 % t-interval on the log scale (none where the seeds share one timing pass).",
        "每轮训练耗时（秒，对数坐标）随批大小（log₂ 轴）的变化，如上方计时说明所述：交替计时阶段各次重复的最小值，"
        "或（单独计时的运行）计时轮次的中位数，第 1 轮作为预热不计；"
        "每条线是一个优化器，虚线为固定顺序，线为各种子的几何均值，阴影带为其对数尺度上的 95 % t 区间（各种子共用一次计时时没有）。"),
    "caption.gap": (
        "Generalisation gap = final train accuracy − test accuracy (fraction, 0–1) against batch size (log₂ "
        "axis); mean over the seeds at the fit with its 95 % t-interval as a band. Above 0: the model fits the training set better than new data.",
        "泛化差距 = 最终训练准确率 − 测试准确率（比例，0–1），随批大小（log₂ 轴）变化；达到拟合的各种子的"
        "均值及其 95 % t 区间带。大于 0 表示模型对训练集的拟合好于新数据。"),
    "caption.accuracy": (
        "Final train and test accuracy (fraction, 0–1) on one shared y scale against batch size (log₂ axis), "
        "after each run's last epoch; mean over the seeds at the fit with its 95 % t-interval as a band.",
        "最终训练与测试准确率（比例，0–1，同一 y 轴）随批大小（log₂ 轴）变化，取每次运行最后一轮之后的值；"
        "达到拟合的各种子的均值及其 95 % t 区间带。"),
})

CATALOGUE.update({
    # ---- matched-fit warnings and the best-lr toggle (ui/fair.py)
    "fit.not_matched": ("**Not a matched fit.** {message} Runs that missed are drawn as hollow points of their own "
                        "and left out of every mean, band, fit and τ; stalled and diverged runs are red crosses; "
                        "train to a target (New study) to compare like with like.",
                        "**拟合程度不一致。** {message} 未达标的运行各自画成空心点，不计入任何均值、区间带、拟合与 τ；"
                        "停滞和发散的运行画成红叉；"
                        "要公平比较，请在新建研究中训练到同一目标。"),
    "study.derived": ("**From the comparable runs:** {b_simple} · {b_crit}", "**来自可比运行：** {b_simple} · {b_crit}"),
    "study.no_b_crit": ("B_crit: no S(B) fit (it needs runs that reached a target at ≥ 3 batch sizes)",
                        "B_crit：无 S(B) 拟合（需要在 ≥ 3 个批大小上达到目标的运行）"),
    "study.left_out": ("{k} of {n} runs missed the fit and are not in the means, bands, fits or τ (hollow points).",
                       "{n} 个运行中有 {k} 个未达到拟合，不计入均值、区间带、拟合与 τ（空心点）。"),
    "study.all_in": ("All {n} compared runs reached the fit and are in the means.", "全部 {n} 个比较运行都达到拟合，计入均值。"),
    "study.diff": ("{opt}: B = {small} → {large} changes the mean by {diff} (95 % Welch interval {low} to {high}): {verdict}.",
                   "{opt}：B = {small} → {large} 使均值变化 {diff}（95 % Welch 区间 {low} 至 {high}）：{verdict}。"),
    "study.diff_beyond": ("outside the seed noise", "超出种子噪声"),
    "study.diff_inside": ("inside the seed noise: no difference resolved", "在种子噪声之内：未分辨出差异"),
    "study.diff_none": ("{opt}: B = {small} → {large} changes the mean by {diff}; fewer than 2 comparable seeds per "
                        "batch size, so no interval: whether it is noise cannot be told.",
                        "{opt}：B = {small} → {large} 使均值变化 {diff}；每个批大小可比种子少于 2 个，没有区间，无法判断是否为噪声。"),
    "fit.pair_not_matched": ("**{a} vs {b}: not a matched fit.** {message}", "**{a} 与 {b}：拟合程度不一致。** {message}"),
    "fit.every_lr": ("Show every learning rate", "显示所有学习率"),
    "fit.every_lr_help": ("Default: the best lr, {rule}.", "默认：最佳学习率，{rule}。"),
    "fit.every_lr_caption": ("Every learning rate of the sweep: one line per lr; the charts compare more than "
                             "batch size.", "扫描中的所有学习率：每个学习率一条线；图中比较的不只是批大小。"),
    "fit.best_lr_caption": ("Best learning rate per batch size ({rule}).", "每个批大小取最佳学习率（{rule}）。"),
})

from .form import FORM  # noqa: E402 - the New-study page's strings, kept in their own file

CATALOGUE.update(FORM)

CATALOGUE.update({
    # ---- jobs
    "jobs.none": ("No jobs yet. Launch a study on **New study**.", "还没有任务。请在 **新建研究** 页启动一个研究。"),
    "jobs.study": ("study", "研究"),
    "jobs.job": ("job", "任务"),
    "jobs.pause": ("Pause live updates", "暂停实时更新"),
    "jobs.pause_help": ("Stops redrawing every second, so a chart can be zoomed (the wheel) and panned (a drag); "
                        "training goes on. Turn it off to follow the jobs again.",
                        "停止每秒重绘，以便缩放（滚轮）和平移（拖动）图表；训练照常进行。关闭即可重新跟踪任务。"),
    "jobs.cancel": ("Cancel", "取消"),
    "jobs.cancel_help": ("Stop it; finished runs are kept", "停止它；已完成的运行会保留"),
    "jobs.resume": ("Resume", "继续"),
    "jobs.resume_help": ("Queue it again; the runs already finished are skipped", "重新加入队列；已完成的运行会被跳过"),
    "jobs.resume_long": ("This study (about {time}) and the work already queued (about {queue}) pass {limit}: tick "
                         "the box below, then Resume again.", "该研究（约 {time}）加上已排队的工作（约 {queue}）超过 {limit}："
                         "请勾选下方确认框，然后再次点击继续。"),
    "jobs.resume_confirm": ("Yes, queue it again for about {time}", "是的，重新加入队列（约 {time}）"),
    "jobs.runs_done": ("{done} / {total} runs done ({pct} % of the work)", "已完成 {done} / {total} 次运行（工作量的 {pct}%）"),
    "jobs.elapsed": ("elapsed {time}", "已用 {time}"),
    "jobs.remaining": ("remaining ≈ {time}", "剩余约 {time}"),
    "jobs.estimated": ("estimated ≈ {time}", "预计约 {time}"),
    "jobs.phase.training": ("phase: training", "阶段：训练"),
    "jobs.phase.measuring": ("phase: measuring (sharpness, Hessian, noise scale)", "阶段：测量（尖锐度、Hessian、噪声尺度）"),
    "jobs.phase.landscape": ("phase: landscape (small↔large interpolation)", "阶段：损失地形（小批↔大批插值）"),
    "jobs.loss": (", loss {loss}", "，损失 {loss}"),
    "jobs.now": ("now: {run} — epoch {epoch}/{epochs}{loss}", "当前：{run} — 第 {epoch}/{epochs} 轮{loss}"),
    "jobs.failed": ("{n} runs failed", "{n} 次运行失败"),
    "jobs.run_table": ("Runs of this attempt ({n})", "本次尝试的运行（{n}）"),
    "jobs.col.run": ("run", "运行"),
    "jobs.col.state": ("state", "状态"),
    "jobs.col.epochs": ("epochs", "轮数"),
    "jobs.col.target": ("reached target", "达到目标"),
    "jobs.col.time": ("time", "用时"),
    "jobs.open_results": ("Open its results", "打开其结果"),
    "jobs.open_pair": ("Compare it with its pair", "与另一半并排比较"),
    "frame.state.training": ("training", "训练中"),
    "frame.state.measuring": ("measuring", "测量中"),
    "frame.state.diverged": ("diverged", "发散"),
    "frame.state.stalled": ("stalled", "停滞"),
    "frame.state.pruned": ("pruned", "已剪枝"),
    "frame.state.measured": ("measured", "已测量"),
})

from .spec import SPEC  # noqa: E402 - why a spec is refused
from .playground import PLAYGROUND  # noqa: E402 - the Playground page's strings
from .analysis import ANALYSIS  # noqa: E402 - the texts the analyses compose
from .nqm import NQM  # noqa: E402 - the noisy quadratic model's panel and prediction

CATALOGUE.update(PLAYGROUND)
CATALOGUE.update(SPEC)
CATALOGUE.update(ANALYSIS)
CATALOGUE.update(NQM)

from .certainty import CERTAINTY  # noqa: E402 - how sure a derived number is

CATALOGUE.update(CERTAINTY)

CATALOGUE.update({
    # ---- chart axes, legends and titles (studies/charts.py)
    "chart.batch_size": ("batch size", "批大小"),
    "chart.legend.optimizer": ("optimizer", "优化器"),
    "chart.legend.order": ("order", "数据顺序"),
    "chart.legend.run": ("run", "运行"),
    "chart.legend.study": ("study", "研究"),
    "chart.legend.pair": ("small → large batch", "小批 → 大批"),
    "chart.x.epoch": ("epoch", "轮次"),
    "chart.x.steps": ("optimizer steps", "优化器步数"),
    "chart.x.examples": ("examples seen", "已见样本数"),
    "chart.per_x": ("{y} per {x}", "{y}（按{x}）"),
    "chart.legend.config": ("configuration", "配置"),
    "chart.tip.mean": ("mean over seeds", "各种子的均值"),
    "chart.tip.smoothed": ("smoothed (moving average)", "平滑后（移动平均）"),
    "smooth.epochs": ("{w} epochs", "{w} 轮"),
    "smooth.points": ("{w} points", "{w} 个点"),
    "smooth.epochs_help": ("A centred moving average of each curve over this many epochs (of its logarithm on a log "
                           "axis); the measured curve stays drawn faintly behind it", "对每条曲线做居中滑动平均（窗口为这么多轮；"
                           "对数轴上取对数后平均）；测得的曲线以浅色留在后面"),
    "smooth.points_help": ("A centred moving average of each run's line over this many measured points (of its "
                           "logarithm); the measured line stays drawn faintly behind it, the points and error bars "
                           "are never smoothed", "对每次运行的折线做居中滑动平均（窗口为这么多个测量点，取对数后平均）；"
                           "测得的折线以浅色留在后面，点和误差线从不平滑"),
    "chart.tip.ci_low": ("95 % interval, low", "95 % 区间下限"),
    "chart.tip.ci_high": ("95 % interval, high", "95 % 区间上限"),
    "chart.tip.n_seeds": ("n (seeds)", "n（种子数）"),
    "chart.tip.median": ("{what} (median)", "{what}（中位数）"),
    "chart.tip.bound": ("Lanczos error bound (mean over seeds)", "Lanczos 误差界（各种子的均值）"),
    "chart.tip.se": ("estimator SE of the mean", "估计量的均值标准误"),
    "chart.batch_header": ("'batch size ' + datum.value", "'批大小 ' + datum.value"),   # a Vega expression
    "chart.full_suffix": (" (full)", "（全批量）"),
    "chart.full_tick": ("full ({n})", "全批量（{n}）"),
    "chart.seed_eq": ("seed=", "种子="),
    "chart.split_title": ("split", "数据集"),
    "chart.split_name.train": ("train", "训练"),
    "chart.split_name.test": ("test", "测试"),
    "chart.k_of_n": ("{k} of {n}", "{n} 个中的 {k} 个"),
    "chart.budget.target": ("target", "目标"),
    "chart.budget.epochs": ("epochs:{n}", "轮数 {n}"),
    "chart.budget.steps": ("steps:{n}", "步数 {n}"),
    "chart.budget.examples": ("examples:{n}", "样本数 {n}"),
})

CATALOGUE.update({
    # ---- compare
    "cmp.no_studies": ("No studies in this store yet.", "此存储中还没有研究。"),
    "cmp.studies": ("Studies", "研究"),
    "cmp.studies_help": ("Pick two or more; each gets one colour", "选择两个或更多；每个研究一种颜色"),
    "cmp.pick_one": ("Pick at least one study.", "请至少选择一个研究。"),
    "cmp.differ": ("**These studies differ in more than batch size**, so their curves also compare these:",
                   "**这些研究的差别不只是批大小**，因此曲线同时也在比较以下方面："),
    "cmp.aspect.dataset": ("data set", "数据集"),
    "cmp.aspect.model": ("model", "模型"),
    "cmp.aspect.stopping": ("stopping rule", "停止规则"),
    "cmp.no_runs": ("The picked studies have no finished runs yet.", "所选研究还没有完成的运行。"),
    "cmp.metric": ("Metric", "指标"),
    "cmp.optimizers": ("Optimizers", "优化器"),
    "cmp.title": ("{metric} vs batch size", "{metric} 随批大小的变化"),
    "cmp.caption": ("{metric} against batch size (log₂ axis) for each picked study (one colour per study, "
                    "point shape = optimizer); the best learning rate per batch size where a study swept it; "
                    "mean over the seeds at the fit with its 95 % t-interval as a band.",
                    "每个所选研究的{metric}随批大小（log₂ 轴）的变化（每个研究一种颜色，点形状 = 优化器）；"
                    "若研究扫描了学习率，则每个批大小取最佳学习率；达到拟合的各种子的均值及其 95 % t 区间带。"),
    "cmp.curves": ("Learning curves of chosen runs", "所选运行的学习曲线"),
    "cmp.runs": ("Runs", "运行"),
    "cmp.runs_help": ("At most 10; the choice is kept in the link", "最多 10 个；所选内容保存在链接中"),
    "cmp.x": ("x axis", "x 轴"),
    "cmp.curves_caption": ("Test accuracy (fraction, 0–1) after each epoch of the chosen runs; a colour per run, and "
                           "where the runs come from several studies a dash pattern per study; a click on a curve "
                           "opens its run. Steps and examples seen put small and large batches on a common budget.",
                           "所选运行每轮之后的测试准确率（比例，0–1）；每个运行一种颜色，来自多个研究时每个研究一种虚线样式；"
                           "点击曲线可打开该运行。"
                           "以步数或已见样本数为横轴，可在相同预算下比较小批与大批。"),
})

from .results import RESULTS  # noqa: E402 - Speed, Generalization, Sharpness
from .speed import SPEED  # noqa: E402 - the Speed page's answer: the fastest batch size, retime, the trade-off

CATALOGUE.update(RESULTS)
CATALOGUE.update(SPEED)

CATALOGUE.update({
    # ---- chart labels and titles (studies/charts.py label() and builders)
    "label.epoch_time_s": ("epoch time (s)", "每轮时间（秒）"),
    "label.step_time_s": ("time per step (s)", "每步时间（秒）"),
    "label.samples_per_s": ("samples / s", "每秒样本数"),
    "label.train_acc": ("train accuracy", "训练准确率"),
    "label.test_acc": ("test accuracy", "测试准确率"),
    "label.gap_acc": ("train − test accuracy", "训练 − 测试准确率"),
    "label.train_loss": ("train loss", "训练损失"),
    "label.test_loss": ("test loss", "测试损失"),
    "label.gap_loss": ("test − train loss", "测试 − 训练损失"),
    "label.sharpness_eps": ("ε-sharpness (Keskar, %)", "ε-尖锐度（Keskar，%）"),
    "label.sharpness_rand": ("random sharpness", "随机尖锐度"),
    "label.sharpness_sam": ("SAM sharpness (curvature part)", "SAM 尖锐度（曲率部分）"),
    "label.hessian_top_eig": ("Hessian λ_max", "Hessian 最大特征值 λ_max"),
    "label.hessian_trace": ("Hessian trace", "Hessian 的迹"),
    "label.noise_scale": ("gradient noise scale B_simple", "梯度噪声尺度 B_simple"),
    "label.noise_scale_init": ("B_simple at the initial weights", "初始权重处的 B_simple"),
    "label.grad_norm": ("gradient norm ‖∇f‖", "梯度范数 ‖∇f‖"),
    "label.hessian_min_eig": ("Hessian λ_min", "Hessian 最小特征值 λ_min"),
    "label.min_ratio": ("minimum ratio (λ>0 / all)", "最小比率（λ>0 / 全部）"),
    "label.batch_size_baseline": ("batch size (baseline)", "批大小（基线）"),
    "label.epochs": ("epochs", "轮数"),
    "label.steps": ("steps", "步数"),
    "label.acc": ("accuracy", "准确率"),
    "label.loss": ("loss", "损失"),
    "chart.std": ("std over seeds", "各种子的标准差"),
    "chart.one_timing_pass": ("one timing pass for all seeds", "所有种子共用一次计时"),
    "chart.reached": ("reached the fit (seeds)", "达到拟合的种子数"),
    "chart.missed_fit": ("missed the fit: not in the mean", "未达到拟合：不计入均值"),
    "chart.title.epoch_time": ("epoch time vs batch size", "每轮时间随批大小的变化"),
    "chart.title.gap": ("generalisation gap vs batch size", "泛化差距随批大小的变化"),
    "chart.split.train": ("train {what}", "训练{what}"),
    "chart.split.test": ("test {what}", "测试{what}"),
    "chart.title.to_target": ("{what} to reach the target", "达到目标所需{what}"),
    "chart.alpha_random": ("α (step along a filter-normalised random direction)", "α（沿滤波器归一化随机方向的步长）"),
    "chart.title.slice": ("{what} along a random direction", "沿随机方向的{what}"),
    "chart.alpha_interp": ("α  (0 = small batch, 1 = large batch)", "α（0 = 小批解，1 = 大批解）"),
    "chart.pair": ("small → large batch", "小批 → 大批"),
    "chart.title.between": ("{what} between the two solutions", "两个解之间的{what}"),
    "chart.cpu_thread": ("CPU, {threads} thread", "CPU，{threads} 个线程"),
    "chart.cpu_threads": ("CPU, {threads} threads", "CPU，{threads} 个线程"),
    "chart.timing": ("Device: {devices} · torch {torch} · epoch time is the median over {over} timed epochs (epoch 1 "
                     "is a warm-up, reported but not counted) · LR warm-up epochs: {warmup}",
                     "设备：{devices} · torch {torch} · 每轮时间取 {over} 个计时轮次的中位数（第 1 轮为预热，报告但不计入）"
                     " · 学习率预热轮数：{warmup}"),
    "chart.contended": (" · **Timed under contention**: {n} of {total} runs' epoch times were taken while another "
                        "process took turns on their cores (main-thread CPU share {share:.2f}, below 0.8): "
                        "the minimum of their repeats may still be slower than the machine alone would be; "
                        "re-measure them with retime (below) to compare",
                        " · **计时时存在资源争用**：{total} 个运行中有 {n} 个的每轮时间是在其他进程轮流占用其核心时测得的"
                        "（主线程 CPU 占比 {share:.2f}，低于 0.8）：其重复中的最小值仍可能比机器空闲时慢；"
                        "请用下方的 retime 重新测量后再比较"),
    "chart.iqr": ("spread (IQR of its epochs or timing repeats)", "离散度（各轮或各次计时重复的四分位距）"),
})

CATALOGUE.update({
    # ---- what a batch-size comparison holds equal (fairness.held_equal: the CLI's closing note, ui.fit_warning)
    "held.fixed_lr": ("Held equal across batch sizes: {stop} and the learning rate ({lrs}); what varies is lr/B, "
                      "{k:.3g}× smaller at B={b1} than at B={b0}.",
                      "各批大小之间保持相同的是：{stop}和学习率（{lrs}）；变化的是 lr/B，B={b1} 时比 B={b0} 时小 {k:.3g} 倍。"),
    "held.scaled_lr": ("Held equal across batch sizes: {stop}; the learning rate changes with B ({lrs}), so lr/B "
                       "is {k:.3g}× smaller at B={b1} than at B={b0}.",
                       "各批大小之间保持相同的是：{stop}；学习率随 B 变化（{lrs}），因此 B={b1} 时的 lr/B 是 B={b0} 时的 "
                       "1/{k:.3g}。"),
    "held.same_ratio": ("Held equal across batch sizes: {stop} and lr/B (the learning rate grows in proportion to "
                        "B: {lrs}).", "各批大小之间保持相同的是：{stop}和 lr/B（学习率与 B 成正比增长：{lrs}）。"),
    "held.tuned_lr": ("Held equal across batch sizes: {stop}; the learning rate is tuned per batch size (best lr), "
                      "so lr/B varies with the tuning.",
                      "各批大小之间保持相同的是：{stop}；学习率按批大小分别调优（最佳学习率），因此 lr/B 随调优结果变化。"),
    "held.target": ("the target ({what})", "目标（{what}）"),
    "held.budget": ("the epoch budget ({epochs} epochs, no target)", "训练轮数预算（{epochs} 轮，无目标）"),
    "held.acc": ("train accuracy ≥ {v:g}", "训练准确率 ≥ {v:g}"),
    "held.loss": ("train loss ≤ {v:g}", "训练损失 ≤ {v:g}"),
    "held.and": (" and ", "且"),
})

CATALOGUE.update({
    # ---- budgets (studies/spec/budget.py): what a fixed budget holds equal, and the budget as a chart/table label
    "held.steps": ("{n} updates (a step budget, no target)", "{n} 次参数更新（步数预算，无目标）"),
    "held.examples": ("{n} training examples (⌈{n}/B⌉ updates, no target)",
                      "{n} 个训练样本（⌈{n}/B⌉ 次参数更新，无目标）"),
    "label.budget": ("budget", "预算"),
    "label.epoch_batch_size": ("batch size in use", "当前批大小"),
    "label.examples": ("examples seen", "已见样本数"),
})

from .curvature import CURVATURE  # noqa: E402 - the Curvature page's and [optim]'s strings

CATALOGUE.update(CURVATURE)

from .watch import WATCH  # noqa: E402 - λ_max over training, adaptive sharpness, the 2-D landscape, the audit

CATALOGUE.update(WATCH)

from .papers import PAPERS  # noqa: E402 - the noise-scale view and the paper templates

CATALOGUE.update(PAPERS)

from .measures import MEASURES  # noqa: E402 - each measure's how-it-is-measured line and captions

CATALOGUE.update(MEASURES)
