"""The Speed page's answer: which batch size reaches the target soonest here, how the times were measured, the
retime job, the time-to-target and trade-off charts. key -> (English, 中文). Data only; merged by common.py."""

SPEED = {
    "speed.fastest": ("**Fastest to the target on this machine: B = {b}** ({opt}, {order}; {time} s, {n} seeds); "
                      "{near}.",
                      "**本机上最快达到目标的批大小：B = {b}**（{opt}，{order}；{time} 秒，{n} 个种子）；{near}。"),
    "speed.near": ("B = {low}–{high} within the noise (their 95 % intervals overlap)",
                   "B = {low}–{high} 在噪声范围内（其 95 % 区间相互重叠）"),
    "speed.near_none": ("no other batch size within the noise", "没有其他批大小在噪声范围内"),
    "speed.near_one_seed": ("one seed: no interval, so no batch size can be called within the noise or not",
                            "只有一个种子：没有区间，无法判断哪些批大小在噪声范围内"),
    "speed.no_target": ("No compared run of this study reached a training target, so time to the target is not "
                        "defined here: the charts below give time per epoch and per step. Set `target_train_loss` "
                        "or `target_train_acc` to ask which batch size trains soonest.",
                        "本研究没有比较运行达到训练目标，因此这里没有“达到目标的时间”：下面的图给出每轮和每步的时间。"
                        "设置 `target_train_loss` 或 `target_train_acc` 即可回答哪个批大小最快训练好。"),
    "speed.timing": ("Epoch times: the minimum of {repeats} repeats per configuration, {k} configurations timed "
                     "interleaved (round-robin, short measurements), one thread by its CPU time; CPU share seen "
                     "{share:.2f}.",
                     "每轮时间：每个配置 {repeats} 次重复中的最小值，{k} 个配置交替计时（轮流、短测量），单线程按其 CPU "
                     "时间计；观测到的 CPU 占比 {share:.2f}。"),
    "chart.timing_min": ("Device: {devices} · torch {torch} · LR warm-up epochs: {warmup} ·",
                         "设备：{devices} · torch {torch} · 学习率预热轮数：{warmup} ·"),
    "speed.retime_cmd": ("Re-measure the epoch times here without training: `python -m studies retime {name}`",
                         "不重新训练、在本机重新测量每轮时间：`python -m studies retime {name}`"),
    "speed.retime": ("Retime", "重新计时"),
    "speed.retime_help": ("A timing pass only, as a job: nothing is trained, it takes a few seconds, and it "
                          "rewrites the epoch and step times of this study's runs.",
                          "仅运行计时阶段（作为任务）：不训练，只需几秒，并改写本研究各运行的每轮与每步时间。"),
    "speed.retime_queued": ("Retime queued as a job; the Jobs page shows it.", "已将重新计时加入任务队列；见「任务」页。"),
    "speed.retimed_at": ("Last re-measured {at} (UTC).", "最近一次重新测量：{at}（UTC）。"),
    "speed.table": ("Time and examples to the target per batch size", "各批大小达到目标的时间与样本数"),
    "speed.col.time": ("time to target (s)", "达到目标时间（秒）"),
    "speed.col.time_ci": ("95 % interval (s)", "95 % 区间（秒）"),
    "speed.col.examples": ("examples to target", "达到目标的样本数"),
    "speed.col.examples_ci": ("95 % interval", "95 % 区间"),
    "speed.col.wall": ("own wall time (s)", "自身墙钟时间（秒）"),
    "speed.col.n": ("seeds", "种子数"),
    "speedc.time_to_target": ("time to the target (s)", "达到目标的时间（秒）"),
    "speedc.own_wall": ("the run's own wall time (s, evaluation included, maybe in company)",
                        "该运行自身的墙钟时间（秒，含评估，可能与其他运行同时）"),
    "speedc.saturation": ("step time starts to grow", "每步时间开始增长"),
    "speedc.time_title": ("time to the target vs batch size", "达到目标的时间随批大小的变化"),
    "speedc.examples": ("examples to the target E = steps × B", "达到目标的样本数 E = 步数 × B"),
    "speedc.steps": ("steps to the target S", "达到目标的步数 S"),
    "speedc.hyperbola": ("(S/S_min − 1)(E/E_min − 1) = 1 from the S(B) fit", "由 S(B) 拟合得到的 (S/S_min − 1)(E/E_min − 1) = 1"),
    "speedc.tradeoff_title": ("steps vs examples to the target", "达到目标的步数与样本数"),
    "caption.time_to_target": (
        "Time to the target = steps to the target × the timed step time (log scale) against batch size (log₂ axis); "
        "points: runs that reached it, line: geometric mean over seeds, bars: its 95 % interval (log scale). "
        "Dashed rule: the largest batch whose step time stays within 25 % of the smallest batch's — beyond it, "
        "the device is saturated and a step costs more as B grows.",
        "达到目标的时间 = 达到目标的步数 × 计时得到的每步时间（对数坐标），随批大小（log₂ 轴）变化；点为达到目标的运行，"
        "线为各种子的几何平均，误差棒为其 95 % 区间（对数尺度）。虚线：每步时间仍在最小批大小的 25 % 以内的最大批大小——"
        "超过它，设备已饱和，B 越大每步越贵。"),
    "caption.tradeoff": (
        "Steps to the target S against examples to the target E = S·B (both log scale), one point per batch size "
        "(geometric mean over seeds). Small batches sit at the right (data-efficient, many steps), large ones at "
        "the top left (few steps, much data).",
        "达到目标的步数 S 与样本数 E = S·B（均为对数坐标），每个批大小一个点（各种子的几何平均）。小批在右侧"
        "（省数据、步数多），大批在左上（步数少、耗数据多）。"),
    "caption.tradeoff_fit": (
        " Dotted: McCandlish et al. (2018)'s (S/S_min − 1)(E/E_min − 1) = 1 with S_min and E_min = S_min·B_crit "
        "from the S(B) fit of the lr sweep.",
        " 点线：McCandlish 等（2018）的 (S/S_min − 1)(E/E_min − 1) = 1，S_min 与 E_min = S_min·B_crit 来自学习率扫描的"
        " S(B) 拟合。"),
    "caption.tradeoff_nofit": (
        " No hyperbola: it needs the S(B) fit of a study with an lr sweep (the lr tuned per batch size).",
        " 没有双曲线：它需要一个带学习率扫描（每个批大小调优学习率）的研究的 S(B) 拟合。"),
    "how.speed_answer": (
        "**Which batch size is fastest.** For each run that reached its target, *time to the target* = steps to the "
        "target × the timed time per step, and *examples to the target* = steps × B. Over the seeds of a batch size "
        "both are summarised by their geometric mean and a 95 % t-interval on the log scale. The fastest batch size "
        "has the least geometric-mean time to the target; the batch sizes whose intervals overlap its interval are "
        "*within the noise*. The run's own wall time (evaluation included, perhaps beside other runs) is shown "
        "beside, not used.\n\n"
        "**How the times are measured.** Every configuration of the study (optimizer × batch size) is timed on a "
        "throwaway copy, interleaved: one short measurement (~12 ms) of each configuration per round, the start "
        "rotating, 9 rounds, so a burst of other work on the machine is spread over all batch sizes instead of "
        "bending one. Each keeps the **minimum** of its repeats, as Python's `timeit` does: other processes only "
        "ever add time, so the fastest repeat is the least disturbed one. With one thread a repeat counts its "
        "thread's CPU time (the time it takes with a core of its own); more threads count wall time. The median "
        "and interquartile range of the repeats and the CPU share seen are stored beside (`epoch_time_median_s`, "
        "`epoch_time_iqr_s`, `cpu_share`); a configuration none of whose repeats had its core is `contended`. "
        "`python -m studies retime NAME` (or the button) redoes only this timing.\n\n"
        "**The trade-off.** McCandlish et al. (2018) show that steps S and examples E to a target trade off along "
        "(S/S_min − 1)(E/E_min − 1) = 1: below the critical batch size B_crit = E_min/S_min a larger batch saves "
        "steps almost for free in data; above it, steps stop falling and data grows. With an lr sweep, S_min and "
        "B_crit come from the S(B) fit on Generalization. On a device, time to the target falls while step time "
        "stays flat (the device is not saturated) and steps fall; the dashed rule marks where step time starts to "
        "grow.",
        "**哪个批大小最快。** 对每个达到目标的运行，*达到目标的时间* = 达到目标的步数 × 计时得到的每步时间，"
        "*达到目标的样本数* = 步数 × B。对同一批大小的各种子，两者都用几何平均及对数尺度上的 95 % t 区间汇总。"
        "最快的批大小是几何平均时间最短的那个；区间与其区间重叠的批大小“在噪声范围内”。运行自身的墙钟时间"
        "（含评估，可能与其他运行同时）仅作参考，不参与计算。\n\n"
        "**时间如何测量。** 研究中每个配置（优化器 × 批大小）都在一个一次性副本上交替计时：每轮对每个配置做一次短测量"
        "（约 12 毫秒），起点轮换，共 9 轮，这样机器上突发的其他负载会分散到所有批大小上，而不会扭曲其中一个。"
        "每个配置取重复中的**最小值**，与 Python 的 `timeit` 相同：其他进程只会增加时间，最快的一次就是受干扰最少的一次。"
        "单线程时，一次重复按该线程的 CPU 时间计（即独占一个核心时所需的时间）；多线程按墙钟时间计。重复的中位数、"
        "四分位距以及观测到的 CPU 占比一并保存（`epoch_time_median_s`、`epoch_time_iqr_s`、`cpu_share`）；"
        "所有重复都没有独占核心的配置标为 `contended`。`python -m studies retime NAME`（或按钮）只重做这次计时。\n\n"
        "**权衡。** McCandlish 等（2018）表明，达到目标的步数 S 与样本数 E 沿 (S/S_min − 1)(E/E_min − 1) = 1 权衡："
        "低于临界批大小 B_crit = E_min/S_min 时，增大批几乎不增加数据就能减少步数；高于它，步数不再下降而数据增加。"
        "有学习率扫描时，S_min 与 B_crit 来自 「泛化」页的 S(B) 拟合。在设备上，只要每步时间保持不变（设备未饱和）"
        "而步数下降，达到目标的时间就会下降；虚线标出每步时间开始增长的位置。"),
}
