"""crop_flip: known answers (a flip is an exact mirror, a crop keeps the shape and moves content by at most 4
pixels), seeded per run and epoch, and only the training steps see it; bf16: trains, state stays float32."""
from __future__ import annotations

import math

import pytest
import torch

from studies.engine.augment import CropFlip, crop_flip
from studies.engine.data import load_dataset
from studies.engine.train import train_run
from studies.spec.config import StudySpec

from .test_image_sets import write_cifar10

CPU = torch.device("cpu")


def test_no_shift_and_no_flip_is_the_identity_and_a_flip_is_an_exact_mirror():
    x = torch.randn(5, 3, 8, 8)
    centre, no = torch.full((5,), 4), torch.zeros(5, dtype=torch.bool)
    assert torch.equal(crop_flip(x, centre, centre, no), x)
    assert torch.equal(crop_flip(x, centre, centre, ~no), x.flip(-1))
    assert torch.equal(crop_flip(crop_flip(x, centre, centre, ~no), centre, centre, ~no), x)


@pytest.mark.parametrize("dy, dx", [(0, 0), (8, 8), (6, 1), (4, 7)])
def test_a_crop_keeps_the_shape_and_moves_content_by_the_offset_filling_zeros(dy, dx):
    x = torch.randn(2, 3, 8, 8)
    y = crop_flip(x, torch.full((2,), dy), torch.full((2,), dx), torch.zeros(2, dtype=torch.bool))
    assert y.shape == x.shape
    sy, sx = 4 - dy, 4 - dx   # content moves down by sy, right by sx (|s| ≤ 4)
    assert torch.equal(y[:, :, max(sy, 0):8 + min(sy, 0), max(sx, 0):8 + min(sx, 0)],
                       x[:, :, max(-sy, 0):8 + min(-sy, 0), max(-sx, 0):8 + min(-sx, 0)])
    inside = torch.zeros(8, 8, dtype=torch.bool)
    inside[max(sy, 0):8 + min(sy, 0), max(sx, 0):8 + min(sx, 0)] = True
    assert (y[:, :, ~inside] == 0).all()


def test_draws_are_offsets_within_4_pixels_and_fair_flips_seeded_by_seed_and_epoch():
    aug = CropFlip(4000, seed=1, device=CPU)
    dy, dx, flip = aug.draws(3)
    assert int(dy.min()) == 0 and int(dy.max()) == 8 and int(dx.min()) == 0 and int(dx.max()) == 8
    assert 0.45 < flip.float().mean().item() < 0.55
    assert all(torch.equal(a, b) for a, b in zip(aug.draws(3), CropFlip(4000, seed=1, device=CPU).draws(3)))
    assert not torch.equal(aug.draws(4)[0], dy) and not torch.equal(CropFlip(4000, 2, CPU).draws(3)[0], dy)


def _study(tmp_path, **extra):
    write_cifar10(tmp_path / "data", per_batch=8, n_test=8)
    d = {"dataset": "cifar10", "model": "keskar_c1", "batch_sizes": [8], "optimizers": ["momentum"],
         "shuffle": [True], "seeds": [0], "epochs": 2,
         "data": {"data_dir": str(tmp_path / "data"), "augment": "crop_flip", "subset": 32}, **extra}
    spec = StudySpec.from_dict(d)
    data = load_dataset(spec.dataset, spec.data)
    return spec.expand(n_train=data.n_train)[0], data


def test_same_seed_same_augmented_batches_and_metrics_on_the_unaugmented_set(tmp_path, monkeypatch):
    run, data = _study(tmp_path)
    seen = []
    real = crop_flip
    monkeypatch.setattr("studies.engine.augment.crop_flip", lambda x, *a: seen.append(real(x, *a)) or seen[-1])
    a = train_run(run, data, CPU, engine="auto")
    first, seen[:] = list(seen), []
    b = train_run(run, data, CPU, engine="auto")
    assert len(first) == 2 * 4 and all(torch.equal(p, q) for p, q in zip(first, seen))
    assert all(torch.equal(a.state[k], b.state[k]) for k in a.state)
    model = torch.nn.Module()
    from studies.engine.models import run_model
    model = run_model(run, data)
    model.load_state_dict(a.state)
    model.eval()
    with torch.no_grad():
        acc = (model(data.x_train).argmax(1) == data.y_train).double().mean().item()
    assert a.final["train_acc"] == pytest.approx(acc)   # train accuracy: the unaugmented training set


def test_bf16_trains_on_the_cpu_with_float32_weights_and_optimizer_state(tmp_path, monkeypatch):
    import studies.engine.train as train
    made = []
    real = train.make_optimizer
    monkeypatch.setattr(train, "make_optimizer", lambda *a, **kw: made.append(real(*a, **kw)) or made[-1])
    run, data = _study(tmp_path, model="resnet20", optimizers=["adam"], precision="bf16")
    assert run.precision == "bf16"
    result = train_run(run, data, CPU)
    assert result.status in ("done", "stalled") and math.isfinite(result.final["train_loss"])
    assert all(v.dtype in (torch.float32, torch.int64) for v in result.state.values())
    moments = [t for st in made[0].state.values() for k, t in st.items() if k in ("exp_avg", "exp_avg_sq")]
    assert moments and all(t.dtype == torch.float32 for t in moments)   # Adam's state stays float32
