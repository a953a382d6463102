"""Why a spec is refused, in both languages: key -> (English, 中文). A SpecError raised with a key takes its
(English) message from here, for the CLI and logs; the pages show the current language's text with the same
values (form_fields.error_text). Data only; merged into the catalogue by common.py."""

SPEC: dict[str, tuple[str, str]] = {
    # ---- the typed readers (spec_checks.py)
    "spec.not_int": ("{v} is not a whole number; use an integer from {lo} to {hi}",
                     "{v} 不是整数；请用 {lo} 到 {hi} 之间的整数"),
    "spec.too_many_digits": ("a number of {n} digits is far out of range; numbers here have at most {most} digits",
                             "一个 {n} 位的数远超范围；此处的数最多 {most} 位"),
    "spec.too_big": ("the spec is {size} bytes as TOML, more than the {most} a study may have (its job could "
                     "not read it); use fewer values in {field}",
                     "该设定的 TOML 为 {size} 字节，超过一个研究允许的 {most} 字节（其任务无法读取）；请减少 {field} 中的值"),
    "spec.csv_missing": ("{path} not found (an upload not launched within its time is removed); upload the CSV "
                         "again or check the path after csv:",
                         "找不到 {path}（上传后未在时限内启动的文件会被删除）；请重新上传 CSV 或检查 csv: 后的路径"),
    "upload.session_count": ("this session has uploaded {n} files, the most this server allows one session; "
                             "reuse an upload or reload the page later",
                             "本会话已上传 {n} 个文件，这是本服务器允许单个会话上传的上限；请重用已上传的文件或稍后重新加载页面"),
    "upload.quota": ("the server keeps {used} MiB of uploads, and this file would pass its {quota} MiB; uploads not "
                     "launched within {hours} h are removed, so try again later or upload a smaller file",
                     "服务器已保存 {used} MiB 的上传文件，此文件会超过 {quota} MiB 的上限；{hours} 小时内未启动的上传会被删除，"
                     "请稍后再试或上传更小的文件"),
    "spec.int_range": ("{v} is out of range; use an integer from {lo} to {hi}",
                       "{v} 超出范围；请用 {lo} 到 {hi} 之间的整数"),
    "spec.not_number": ("{v} is not a number; use a number from {lo:g} to {hi:g}",
                        "{v} 不是数字；请用 {lo:g} 到 {hi:g} 之间的数"),
    "spec.float_range": ("{v} is out of range; use a number from {lo:g} to {hi:g}",
                         "{v} 超出范围；请用 {lo:g} 到 {hi:g} 之间的数"),
    "spec.float_range_open": ("{v} is out of range; use a number above {lo:g} and at most {hi:g}",
                              "{v} 超出范围；请用大于 {lo:g}、至多 {hi:g} 的数"),
    "spec.not_bool": ("{v} is not true or false; write true or false", "{v} 不是 true 或 false；请写 true 或 false"),
    "spec.not_choice": ("{v} is not one of {choices}", "{v} 不在可选值 {choices} 之中"),
    "spec.not_choice_hint": ("{v} is not one of {choices} (did you mean {hint}?)",
                             "{v} 不在可选值 {choices} 之中（是否想写 {hint}？）"),
    "spec.empty_list": ("the list is empty; give at least one value", "列表为空；请至少给出一个值"),
    "spec.not_list": ("{v} is not a list; write it as [a, b, ...]", "{v} 不是列表；请写成 [a, b, ...]"),
    "spec.twice": ("{v} is listed twice; list each value once", "{v} 出现了两次；每个值只列一次"),
    "spec.not_table": ("expected a table like [{name}], got {v}", "这里应是形如 [{name}] 的表，实际是 {v}"),
    "spec.unknown_hint": ("unknown field; did you mean {hint}?", "未知字段；是否想写 {hint}？"),
    "spec.unknown": ("unknown field; known fields: {known}", "未知字段；已知字段：{known}"),
    # ---- the fields (spec_fields.py, config.py)
    "spec.csv_no_path": ("csv: needs a path, e.g. \"csv:data/my.csv\"", "csv: 需要路径，例如 \"csv:data/my.csv\""),
    "spec.csv_control": ("{v} has control characters in its path; give a plain file path",
                         "{v} 的路径含控制字符；请给出普通文件路径"),
    "spec.bad_name": ("{v} is not a usable name; use 1–64 letters, digits, '.', '_' or '-', starting with a letter "
                      "or digit", "{v} 不能用作名称；请用 1–64 个字母、数字、'.'、'_' 或 '-'，并以字母或数字开头"),
    "spec.batch_below_one": ("{v} is not a batch size; use integers ≥ 1 (or \"full\")",
                             "{v} 不是批大小；请用 ≥ 1 的整数（或 \"full\"）"),
    "spec.too_many_layers": ("{n} layers; use at most 16", "{n} 层；最多 16 层"),
    "spec.lr_auto": ("{v} is not an lr search; write \"auto\" or \"auto:<lr>\", e.g. \"auto:0.01\"",
                     "{v} 不是学习率搜索；请写 \"auto\" 或 \"auto:<学习率>\"，例如 \"auto:0.01\""),
    "spec.auto_scaling": ("lr.{opt} = \"auto\" searches the lr of every batch size itself; set lr_scaling = \"none\"",
                          "lr.{opt} = \"auto\" 会为每个批量大小自行搜索学习率；请设 lr_scaling = \"none\""),
    "spec.too_many_lrs": ("{n} learning rates; sweep at most {most}", "{n} 个学习率；一次最多扫描 {most} 个"),
    "spec.never_forgets": ("{v:g} would never forget a gradient; use a value below {hi:g}, e.g. {default:g}",
                           "{v:g} 会让梯度永不衰减；请用小于 {hi:g} 的值，例如 {default:g}"),
    "spec.not_text": ("{v} is not text; write it in quotes", "{v} 不是文本；请加引号"),
    "spec.informative": ("{n} is more than n_features = {features}; use at most n_features",
                         "{n} 大于 n_features = {features}；至多用 n_features"),
    "spec.classes_bits": ("{n} classes need n_informative ≥ {bits}; raise n_informative or lower n_classes",
                          "{n} 个类别需要 n_informative ≥ {bits}；请增大 n_informative 或减少 n_classes"),
    "spec.cnn_tabular": ("cnn needs image or sequence data and {dataset} is tabular; use model = \"mlp\"",
                         "cnn 需要图像或序列数据，而 {dataset} 是表格数据；请用 model = \"mlp\""),
    "spec.needs_images": ("{model} needs image data (C, H, W) and {dataset} is not images; use an image set such as "
                          "cifar10 or digits, or model = \"mlp\"",
                          "{model} 需要图像数据 (C, H, W)，而 {dataset} 不是图像；请用图像数据集（如 cifar10 或 digits），"
                          "或 model = \"mlp\""),
    "spec.augment_images": ("augment = \"{augment}\" crops and flips images, and {dataset} is not images; remove "
                            "augment or use an image set",
                            "augment = \"{augment}\" 对图像做裁剪和翻转，而 {dataset} 不是图像；请去掉 augment 或改用图像数据集"),
    "spec.warmup_too_long": ("{warmup} warm-up epochs leave no training in {epochs} epochs; use fewer than epochs",
                             "{warmup} 个预热轮次在 {epochs} 轮里不留训练；预热轮数须少于总轮数"),
    "spec.unknown_optimizer": ("unknown optimizer; use one of {choices}", "未知优化器；请从 {choices} 中选"),
    "spec.too_many_runs": ("the grid has {n} runs (more than {most}); use fewer batch sizes, optimizers or seeds",
                           "网格共有 {n} 个运行（超过 {most}）；请减少批大小、优化器或种子"),
    "spec.batch_too_large": ("{b} is larger than the training set ({n} examples); use at most {n}, or \"full\"",
                             "{b} 大于训练集（{n} 个样本）；请至多用 {n}，或 \"full\""),
    "spec.full_twice": ("\"full\" equals another batch size ({n}); list it once",
                        "\"full\" 与另一个批大小（{n}）相同；只列一次"),
    "spec.ghost_needs_size": ("norm = \"ghost\" needs the ghost batch size; add for example ghost_batch = 32 "
                              "(examples per normalisation chunk, ≥ 2)",
                              "norm = \"ghost\" 需要幽灵批大小；请添加例如 ghost_batch = 32（每个归一化分块的样本数，≥ 2）"),
    "spec.ghost_batch_alone": ("only applies with norm = \"ghost\" (norm is {norm}); set norm = \"ghost\" or remove "
                               "ghost_batch",
                               "仅在 norm = \"ghost\" 时适用（当前 norm 为 {norm}）；请设 norm = \"ghost\" 或删去 "
                               "ghost_batch"),
    "spec.norm_batch_one": ("batch norm needs at least 2 examples per batch; remove batch size 1 or set norm = \"none\"",
                            "批量归一化每批至少需要 2 个样本；请删去批大小 1，或设 norm = \"none\""),
    # ---- budgets and the batch schedule (budget.py)
    "spec.not_budget": ("{v} is not a budget; write {example}", "{v} 不是预算；请写 {example}"),
    "spec.budget_number": ("{v} needs a whole number after the colon, no spaces; write e.g. \"{kind}:100\"",
                           "{v} 的冒号后须是整数、不带空格；例如写 \"{kind}:100\""),
    "spec.budget_range": ("{v} is out of range; use {kind}:N with N from 1 to {most}",
                          "{v} 超出范围；请用 {kind}:N，N 从 1 到 {most}"),
    "spec.budget_epochs": ("{v} at batch size {b} is {epochs} epochs of {n} examples, more than the {most} a run "
                           "may train; use a smaller budget or a larger batch size",
                           "批大小 {b} 时 {v} 需要 {epochs} 轮（每轮 {n} 个样本），超过一次训练允许的 {most} 轮；"
                           "请减小预算或增大批大小"),
    "spec.target_budget": ("\"target\" needs a target; set target_train_acc or target_train_loss, or drop "
                           "\"target\"", "\"target\" 需要一个目标；请设置 target_train_acc 或 target_train_loss，"
                           "或去掉 \"target\""),
    "spec.schedule_counted": ("\"{schedule}\" grows the batch at 50 % and 75 % of an epoch budget and {budget} "
                              "counts updates; use epochs or target budgets, or batch_schedule = \"constant\"",
                              "\"{schedule}\" 在轮数预算的 50 % 和 75 % 处增大批大小，而 {budget} 按更新次数计；"
                              "请用轮数或目标预算，或 batch_schedule = \"constant\""),
    "spec.warmup_budget": ("{warmup} warm-up epochs leave no training in budget {budget}; use fewer than {n}",
                           "{warmup} 个预热轮次在预算 {budget} 中不留训练；请少于 {n} 个"),
    "spec.warmup_takes_budget": ("{warmup} warm-up epochs at batch size {b} take all of budget {budget}; use "
                                 "fewer warm-up epochs or a larger budget",
                                 "批大小 {b} 时 {warmup} 个预热轮次用尽了预算 {budget}；请减少预热轮次或增大预算"),
    # ---- the form's free text (form.py, form_fields.py)
    "spec.not_whole_numbers": ("{v} is not a whole number; type numbers separated by commas",
                               "{v} 不是整数；请输入以逗号分隔的数字"),
    "spec.not_numbers": ("{v} is not a number; type numbers separated by commas", "{v} 不是数字；请输入以逗号分隔的数字"),
    "spec.not_batch_size": ("{v} is not a batch size; type whole numbers or full, separated by commas "
                            "(e.g. 8, 64, 512, full)",
                            "{v} 不是批大小；请输入以逗号分隔的整数或 full（例如 8, 64, 512, full）"),
    "spec.not_batch_sizes": ("{v} are not a batch size; type whole numbers or full, separated by commas "
                             "(e.g. 8, 64, 512, full)",
                             "{v} 不是批大小；请输入以逗号分隔的整数或 full（例如 8, 64, 512, full）"),
    # ---- what fits in memory (estimate.py)
    "spec.data_too_big": ("the data set has about {examples} examples × {features} features, about {size} in "
                          "memory, and this machine allows {limit} (half its memory; BATCHSCOPE_MAX_MEMORY_GB "
                          "changes that); use fewer examples or features",
                          "数据集约有 {examples} 个样本 × {features} 个特征，约占内存 {size}，而本机允许 {limit}"
                          "（内存的一半；BATCHSCOPE_MAX_MEMORY_GB 可改）；请减少样本或特征"),
    "spec.model_too_big": ("the model has {weights} weights; training {k} of them side by side needs about "
                           "{size} of memory, and this machine allows {limit} (half its memory; "
                           "BATCHSCOPE_MAX_MEMORY_GB changes that); use smaller hidden widths",
                           "模型有 {weights} 个权重；并排训练 {k} 个约需内存 {size}，而本机允许 {limit}"
                           "（内存的一半；BATCHSCOPE_MAX_MEMORY_GB 可改）；请用更窄的隐藏层"),
}
