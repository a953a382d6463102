"""Batchscope on a GPU: the default study, and ResNet-20 on CIFAR-10 against a plain DataLoader loop.

    python -m benchmarks.gpu [--write] [--epochs 3]   # on a CUDA machine; elsewhere it says so and exits 0

Times, in one process on one GPU:
  study     examples/quick.toml end to end (run_study: training, measurements, the store), wall seconds;
  engine    Batchscope's training loop (train.train_run) on ResNet-20, CIFAR-10 made up in its binary layout
            unless ``--data-dir`` holds the real files (the speed does not depend on the pixels), for
            B = 128 and 1024 in fp32 and bf16, without and with crop_flip: the median epoch (the clock
            read after a device sync);
  loader    the loop a user writes: DataLoader(TensorDataset(x, y), batch_size=B, shuffle=True,
            pin_memory=True), each batch moved to the GPU, the same model, optimizer and autocast.
``--write`` puts the tables into BENCHMARKS.md between the ``gpu`` markers. ``--cpu`` runs the same code on the
CPU at toy sizes (tests use it to keep this path working on machines without a GPU); it writes nothing.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def made_up_cifar(folder: Path, n_train: int, n_test: int, seed: int = 0) -> None:
    """CIFAR-10's binary files (5 training batches, a test batch) with random pixels and labels."""
    import numpy as np
    rng = np.random.default_rng(seed)
    d = folder / "cifar-10-batches-bin"
    d.mkdir(parents=True, exist_ok=True)
    per = n_train // 5

    def records(n: int) -> bytes:
        y = rng.integers(0, 10, (n, 1), dtype=np.uint8)
        return np.concatenate([y, rng.integers(0, 256, (n, 3072), dtype=np.uint8)], axis=1).tobytes()
    for i in range(1, 6):
        (d / f"data_batch_{i}.bin").write_bytes(records(per))
    (d / "test_batch.bin").write_bytes(records(n_test))


def resnet_run(batch_size: int, precision: str, augment: str, data_dir: str, subset: int, epochs: int):
    from studies.spec.config import StudySpec
    spec = StudySpec.from_dict({
        "dataset": "cifar10", "model": "resnet20", "batch_sizes": [batch_size], "optimizers": ["momentum"],
        "shuffle": [True], "seeds": [0], "epochs": epochs, "precision": precision,
        "data": {"data_dir": data_dir, "augment": augment, **({"subset": subset} if subset else {})}})
    return spec


def engine_epoch_s(spec, device) -> float:
    from studies.engine.data import load_dataset
    from studies.engine.train import train_run
    data = load_dataset(spec.dataset, spec.data, device)
    run = spec.expand(n_train=data.n_train, device=device.type)[0]
    result = train_run(run, data, device)
    return result.epoch_time_s


def loader_epoch_s(spec, device, epochs: int) -> float:
    """The median epoch of the DataLoader loop, same model, optimizer, learning rate and precision."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    from studies.engine.data import load_dataset
    from studies.engine.models import run_model
    from studies.engine.optim import make_loss
    from studies.engine.precision import autocast, prepare
    data = load_dataset(spec.dataset, spec.data, "cpu")
    run = spec.expand(n_train=data.n_train, device=device.type)[0]
    model, layout = prepare(run_model(run, data).to(device).train(), device)
    opt = torch.optim.SGD(model.parameters(), lr=run.lr, momentum=0.9)
    loss_fn = make_loss(run.loss)
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=run.batch_size, shuffle=True,
                        pin_memory=device.type == "cuda", generator=torch.Generator().manual_seed(0))
    times = []
    for _ in range(epochs):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        for x, y in loader:
            x, y = layout(x.to(device, non_blocking=True)), y.to(device, non_blocking=True)
            with autocast(device, run.precision):
                loss = loss_fn(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times[1:] if len(times) > 1 else times)


def study_s(device_name: str) -> float:
    from studies import StudySpec, run_study
    spec = StudySpec.from_toml(ROOT / "examples" / "quick.toml")
    spec = dataclasses.replace(spec, device=device_name)
    with tempfile.TemporaryDirectory() as store:
        t = time.perf_counter()
        run_study(spec, store)
        return time.perf_counter() - t


def table(device, data_dir: str, subset: int, epochs: int, sizes=(128, 1024)) -> list[str]:
    lines = ["| B | precision | engine s/epoch | engine + crop_flip | DataLoader loop | DataLoader / engine |",
             "|---:|---|---:|---:|---:|---:|"]
    for b in sizes:
        for precision in ("fp32", "bf16"):
            plain = resnet_run(b, precision, "none", data_dir, subset, epochs)
            ours = engine_epoch_s(plain, device)
            aug = engine_epoch_s(resnet_run(b, precision, "crop_flip", data_dir, subset, epochs), device)
            theirs = loader_epoch_s(plain, device, epochs)
            lines.append(f"| {b} | {precision} | {ours:.3f} | {aug:.3f} | {theirs:.3f} | {theirs / ours:.2f}× |")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="put the section into BENCHMARKS.md")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--data-dir", default="", help="a folder with the real cifar-10-batches-bin (else made up)")
    p.add_argument("--cpu", action="store_true", help="toy sizes on the CPU, nothing written (for tests)")
    a = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import torch
    from studies.engine.device import describe
    if not a.cpu and not torch.cuda.is_available():
        print("benchmarks.gpu: no CUDA device here - skipped, nothing written "
              "(run `python -m benchmarks.gpu --write` on a machine with an NVIDIA GPU)")
        return 0
    device = torch.device("cpu" if a.cpu else "cuda")
    sizes = (40, 8) if a.cpu else (50_000, 10_000)   # made-up training and test images
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, made_up = a.data_dir, not a.data_dir
        if made_up:
            data_dir = tmp
            made_up_cifar(Path(tmp), *sizes)
        rows = table(device, data_dir, 16 if a.cpu else 0, 2 if a.cpu else a.epochs, sizes=(8,) if a.cpu else (128, 1024))
    quick = None if a.cpu else study_s("cuda")
    text = "\n".join([
        "## On a GPU: ResNet-20 on CIFAR-10, and the default study",
        "",
        f"`python -m benchmarks.gpu --write --epochs {a.epochs}` on {describe(device)}; "
        f"{f'made-up data in CIFAR-10 binary layout ({sizes[0]:,} + {sizes[1]:,} images)' if made_up else 'CIFAR-10'}, "
        "momentum SGD, seed 0, median of the epochs after the first.",
        "",
        *rows,
        "",
        *([] if quick is None else [f"examples/quick.toml end to end (run_study, cuda): {quick:.1f} s."]),
    ])
    print(text)
    if a.write and not a.cpu:
        from benchmarks.sections import write_section
        write_section(ROOT / "BENCHMARKS.md", "gpu", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
