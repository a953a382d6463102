"""The only module that knows about CUDA and MPS: pick a device, synchronise it, time it honestly.

torch is imported inside the functions that need it, so the torch-free modules (jobs.py, the pages) can ask
``device_slot`` which device a spec will occupy without paying for a torch import.
"""
from __future__ import annotations

import contextlib
import math
import platform
import shutil
import sys
import time
from pathlib import Path


class DeviceError(ValueError):
    """The requested device is not available here; the message says what to use instead."""


def device_slot(device: str) -> str:
    """Which device a spec's device setting occupies, decided without importing torch: "auto" is the
    accelerator when there is one (an NVIDIA driver, or Apple silicon). The cheap probe of resolve_device's
    rule, for the job queue's one-worker-per-device slots and the time estimate."""
    if device != "auto":
        return device
    if Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi"):
        return "cuda"
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "mps"
    return "cpu"


def resolve_device(requested: str = "auto") -> torch.device:
    """auto picks CUDA, then MPS, then CPU; an explicit device that is missing is an error, not a fallback."""
    import torch
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device: cuda was asked for but no CUDA GPU is visible; use device = \"auto\" or \"cpu\"")
    if requested == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceError("device: mps was asked for but is not available; use device = \"auto\" or \"cpu\"")
    if requested not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"device: {requested!r} is not one of auto, cpu, cuda, mps")
    return torch.device(requested)


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels so a clock read measures finished work."""
    import torch
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def describe(device: torch.device) -> str:
    """A human label recorded with every timing: device name and torch version."""
    import torch
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    elif device.type == "cpu":
        name = f"cpu ({torch.get_num_threads()} threads)"
    else:
        name = device.type
    return f"{name}, torch {torch.__version__}"


@contextlib.contextmanager
def denormals_flushed(device: torch.device):
    """Treat float32 values below 1.2e-38 as 0 in this CPU thread while training, then restore IEEE behaviour.

    Adam's first moment of a weight whose gradient is always 0 (a constant input pixel, a dead unit) decays
    into that range within ~800 steps, where every operation on it is ~100× slower (a batch-1 Adam step on
    digits: 470 µs instead of 143 µs). Restoring matters: the flag is per thread and process state that
    other code in the same thread (numpy, hypothesis) relies on.
    """
    if device.type != "cpu":
        yield
        return
    import torch
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


class Stopwatch:
    """Wall time of a block of device work: synchronise before starting and before stopping.

    perf_counter after a synchronize is exact for CPU and adequate for GPUs at epoch granularity; CUDA
    events would save one sync per epoch, which does not matter at this granularity.
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.seconds = 0.0
        self.cpu_seconds = math.nan   # CPU time of this (the main) thread over the block; CPU devices only
        self._t0 = self._c0 = 0.0

    def __enter__(self) -> "Stopwatch":
        synchronize(self.device)
        self._t0, self._c0 = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc) -> None:
        synchronize(self.device)
        self.seconds = time.perf_counter() - self._t0
        if self.device.type == "cpu":   # the main thread computes (and waits for its helpers by spinning)
            self.cpu_seconds = time.thread_time() - self._c0

    @property
    def cpu_share(self) -> float:
        """The main thread's CPU time over the wall time: ~1 on cores of its own, less where another
        process took turns on them (contention); NaN off the CPU."""
        return self.cpu_seconds / self.seconds if self.seconds > 0 else math.nan
