"""The worker side of a study: one run job in, one RunOutcome out, with no store access.

Whatever executes runs — this process (the serial executor), a pool process (pool.py), a Ray task
(ray_executor.py) — calls ``execute_run`` here and hands the RunOutcome back to the driver (runner.py), which
alone writes the store. This module never imports the driver or an executor, so every executor can import it.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..spec.budget import run_budget
from ..spec.config import SCHEMA_VERSION, MeasureSpec, RunSpec, content_hash
from ..engine.data import load_dataset
from ..engine.device import describe, resolve_device
from ..engine.models import run_model
from ..engine.optim import make_loss
from ..engine.loop_rules import UNMEASURED, epoch_time_spread
from ..engine.train import train_run
from ..engine import sweeps


@dataclass
class RunJob:
    """One run for an executor: train and measure it, or (``train=False``) only measure stored ``weights``."""

    run: RunSpec
    measure: MeasureSpec
    weights: dict[str, np.ndarray] | None = None   # measure-only: the weights the store holds
    train: bool = True
    board: object | None = None   # sweeps.Board when the study prunes (prune = true), else None


@dataclass
class RunOutcome:
    """Everything one run produced, ready for the driver to write."""

    run_id: str
    row: dict | None = None                   # runs-table row (None when only measured)
    epochs: pd.DataFrame | None = None
    weights: dict[str, np.ndarray] | None = None
    measure_row: dict | None = None
    landscape: pd.DataFrame | None = None
    failed: bool = False


# Bump when an estimator changes its answer (2: antithetic random sharpness, SEs, the critical-point test;
# 3: λ_max and λ_min from one Lanczos run with error bounds, the MLP noise scale in one batched pass;
# 4: sharpness_sam is the curvature part, ρ‖g‖ subtracted, and grad_norm_init for the saddle rule):
# stored measurements are then recomputed from the stored weights, without retraining.
MEASURE_VERSION = 4


def cpu_budget() -> int:
    """The CPU threads this process may use: BATCHSCOPE_THREADS (a Ray task's CPUs), else every core."""
    return int(os.environ.get("BATCHSCOPE_THREADS") or 0) or os.cpu_count() or 1


def cpu_threads_for(batch_size: int) -> int:
    """Small batches are launch-bound and lose to thread hand-offs; large ones are matmul-bound."""
    return 1 if batch_size < 256 else cpu_budget()


def measure_id_of(measure: MeasureSpec) -> str | None:
    """Hash of the measurement settings; None when nothing is measured."""
    if not measure.on():
        return None
    return content_hash({"schema": SCHEMA_VERSION, "measure_version": MEASURE_VERSION, **measure.identity()})


def _row(run: RunSpec, result, device: torch.device, data) -> dict:
    f = result.final
    iqr, share, contended = epoch_time_spread(result.epoch_rows)
    return {
        "dataset": run.dataset, "model": run.model, "hidden": "-".join(map(str, run.hidden)),
        "optimizer": run.optimizer, "lr": run.lr, "weight_decay": run.weight_decay,
        "batch_size": run.batch_size, "shuffle": run.shuffle, "seed": run.seed,
        "epochs": len(result.epoch_rows) - 1, "epoch_budget": run.epochs, "device": device.type,
        "device_name": describe(device), "torch_version": torch.__version__,
        "status": result.status, "diverged_epoch": result.diverged_epoch,
        "reached_target": result.reached_target,
        "target_train_acc": run.target_train_acc, "target_train_loss": run.target_train_loss,
        "train_loss": f["train_loss"], "train_acc": f["train_acc"],
        "test_loss": f["test_loss"], "test_acc": f["test_acc"],
        "gap_acc": f["train_acc"] - f["test_acc"], "gap_loss": f["test_loss"] - f["train_loss"],
        "epoch_time_s": result.epoch_time_s, "timed_epochs": result.timed_epochs,
        "timing": "solo",   # how epoch_time_s was measured: this run alone on its device
        "epoch_time_iqr_s": iqr, "cpu_share": share, "contended": contended,
        "step_time_s": result.epoch_time_s / max(1, math.ceil(result.samples_per_epoch / run.batch_size)),
        "total_time_s": result.total_time_s, "steps": result.steps,
        "samples_per_epoch": result.samples_per_epoch, "n_train": data.n_train, "n_test": len(data.y_test),
        "n_params": result.n_params, "schedule": run.schedule, "loss": run.loss,
        "warmup_epochs": run.warmup_epochs, "error": "", "stop_reason": result.stop_reason,
        "norm": run.norm, "ghost_batch": run.ghost_batch, "precision": run.precision,
        "augment": run.data.augment, "subset": run.data.subset,
        "budget": run_budget(run),
        "examples": f.get("examples", result.steps * run.batch_size), "batch_schedule": run.batch_schedule,
        "batch_growth": run.batch_growth if run.batch_schedule != "constant" else 1,
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def execute_run(run: RunSpec, measure: MeasureSpec, *, weights: dict[str, np.ndarray] | None = None,
                train: bool = True, on_epoch=None, threads: int | None = None, trained=None,
                measure_threads: int | None = None, board=None) -> RunOutcome:
    """Train (unless ``weights`` are given) and measure one run; failures come back as a row, not a raise.

    ``threads``: CPU threads (default ``cpu_threads_for``); ``trained``: the run's TrainResult when it was
    trained elsewhere (a member of a stack, stacked.py): it is stored and measured like one trained here.
    ``measure_threads``: CPU threads for the measurements (default: as training). They are matmul-bound
    over the whole measurement sample, so a run measured with the machine to itself takes every core even
    when it trained on one (a small batch). ``board`` (sweeps.Board, in a study that prunes): end the run
    early when it stalls or the board rules its lr out."""
    out = RunOutcome(run.run_id)
    device = resolve_device(run.device)
    if device.type == "cpu":
        torch.set_num_threads(threads or cpu_threads_for(run.batch_size))
    try:
        data = load_dataset(run.dataset, run.data, device)
        model = run_model(run, data)
        init_state = {k: v.clone() for k, v in model.state_dict().items()}
        if train:
            stop = sweeps.stopper(board, data) if board is not None else None
            result = trained or train_run(run, data, device, on_epoch=on_epoch, model=model,
                                          probe=training_probe(run, data, measure), stop=stop)
            out.row = _row(run, result, device, data)
            out.epochs = pd.DataFrame(result.epoch_rows)
            out.weights = {k: v.numpy() for k, v in result.state.items()}
            state = result.state
            if result.status in UNMEASURED:
                return out   # no minimum to measure: a NaN, a run that never trained, or one stopped early
        else:
            state = {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
        if measure_id_of(measure) is not None:
            if device.type == "cpu" and measure_threads:
                torch.set_num_threads(measure_threads)
            model.load_state_dict(state)
            model.to(device).eval()
            out.measure_row, out.landscape = _measure(model, data, run, measure, init_state,
                                                      probed_noise(result.epoch_rows) if train else None)
    except Exception as e:  # noqa: BLE001 - a failing run is a row with its message, the study goes on
        out = failed_outcome(run, f"{e.__class__.__name__}: {e}")
    return out


def training_probe(run: RunSpec, data, measure: MeasureSpec):
    """The hook that follows the noise scale over training (measure.training_probe), or None."""
    from ..measures.measure_run import training_probe as probe

    model = run_model(run, data)
    return probe(model.to(data.x_train.device), data.x_train, data.y_train, make_loss(run.loss), measure)


def failed_outcome(run: RunSpec, error: str) -> RunOutcome:
    """A run that failed (an exception, a dead worker): a row with the message, retried on the next run."""
    return RunOutcome(run.run_id, failed=True, row={
        "dataset": run.dataset, "model": run.model, "optimizer": run.optimizer, "lr": run.lr,
        "batch_size": run.batch_size, "shuffle": run.shuffle, "seed": run.seed, "epochs": 0,
        "device": run.device, "status": "failed", "error": error,
        "budget": run_budget(run)})


def probed_noise(rows: list[dict]) -> dict[str, tuple[float, float, float]]:
    """The noise scale the training probe measured at the initial weights (epoch 0) and at the final ones
    (the last epoch, which the loops always probe): measure_run's noise_scale_init and noise_scale, with the
    same weights, data and seeded draws (tests check they are equal), so they are not computed twice."""
    out = {}
    for column, row in (("noise_scale_init", rows[0] if rows else {}), ("noise_scale", rows[-1] if rows else {})):
        if "noise_scale" in row and math.isfinite(row["noise_scale"]):
            out[column] = (row["noise_scale"], row["noise_scale_se"], row.get("noise_scale_trace", math.nan))
    return out


def _measure(model, data, run: RunSpec, measure: MeasureSpec, init_state, probed=None):
    from ..measures.landscape import random_slice_rows
    from ..measures.measure_run import measure_run

    loss_fn = make_loss(run.loss)
    density: list[dict] = []
    row = measure_run(model, data.x_train, data.y_train, loss_fn, measure, density_rows=density,
                      init_state={k: v.to(data.x_train.device) for k, v in init_state.items()}, probed=probed)
    parts = [pd.DataFrame(density)] if density else []
    if measure.landscape:
        alphas = np.linspace(-1.0, 1.0, measure.landscape_points).tolist()
        parts.insert(0, pd.DataFrame(random_slice_rows(model, (data.x_train, data.y_train),
                                                       (data.x_test, data.y_test), loss_fn, alphas,
                                                       seed=measure.sample_seed)))
    return row, (pd.concat(parts, ignore_index=True) if parts else None)


