"""measure_run: exactly the columns the spec turns on, on the fixed seeded sample, model untouched."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from studies.spec.config import MeasureSpec
from studies.measures.objective import objective
from studies.measures.measure_run import eps_column, measure_run, sample_indices
from studies.measures.sharpness import eps_sharpness

BASE = {"measure_sample", "measure_sample_seed", "measure_time_s"}
OFF = dict(sharpness_eps=(), sharpness_random=False, sharpness_sam=False, hessian=False, critical=False,
           landscape=False, noise_scale=False, spectrum=False)
LANCZOS = {"hessian_top_eig", "hessian_top_eig_err", "hessian_iters", "hessian_converged", "hessian_time_s", "grad_norm"}
BOTTOM = LANCZOS | {"hessian_min_eig", "hessian_min_eig_err"}
COLUMNS = {
    "sharpness_random": {"sharpness_rand", "sharpness_rand_se", "sharpness_rand_time_s"},
    "sharpness_sam": {"sharpness_sam", "sharpness_sam_raw", "sharpness_sam_time_s"},
    "hessian": LANCZOS | {"hessian_trace", "hessian_trace_se", "hessian_trace_probes"},
    "critical": BOTTOM,    # the critical-point test: λ_min (and λ_max) by Lanczos, no trace
    "spectrum": BOTTOM | {"min_ratio", "min_ratio_cut", "n_eig_positive", "n_eig_negative", "spectrum_time_s"},
    "noise_scale": {"noise_scale", "noise_scale_se", "noise_scale_trace", "noise_scale_time_s"},
    "landscape": set(),      # landscape rows are their own table, not columns
}
FAST = dict(sample=128, lbfgs_iters=3, random_directions=2, sam_m=32)


def mlp(seed=0, width=16):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(8, width), nn.ReLU(), nn.Linear(width, 3))


def data(n=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 8, generator=g), torch.randint(0, 3, (n,), generator=g)


def spec(**kw):
    return MeasureSpec(**{**OFF, **FAST, **kw})


def test_all_on_gives_every_column_with_types():
    model = mlp()
    init = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    model.eval()
    x, y = data()
    out = measure_run(model, x, y, F.cross_entropy,
                      MeasureSpec(**FAST, sharpness_eps=(1e-3, 5e-4), spectrum=True), init_state=init)
    expected = BASE | {"sharpness_eps", "sharpness_eps_0.0005", "sharpness_eps_iters", "sharpness_eps_time_s",
                       "noise_scale_init", "noise_scale_init_se", "noise_scale_init_trace", "noise_scale_init_time_s",
                       "grad_norm_init"}
    for cols in COLUMNS.values():
        expected |= cols
    assert set(out) == expected
    assert out["measure_sample"] == 128 and out["measure_sample_seed"] == 0
    assert isinstance(out["hessian_converged"], bool)
    assert isinstance(out["hessian_iters"], int) and isinstance(out["sharpness_eps_iters"], int)
    assert all(isinstance(v, (int, float, bool)) for v in out.values())
    assert all(math.isfinite(v) for v in out.values())
    assert out["sharpness_eps"] > out["sharpness_eps_0.0005"] >= 0
    assert 0 <= out["min_ratio"] <= 1
    from studies.measures.hessian import gradient_norm           # the saddle rule's reference: ‖g‖ at the initial weights
    idx = sample_indices(len(x), 128, 0)
    assert out["grad_norm_init"] == pytest.approx(gradient_norm(objective(mlp().eval(), x[idx], y[idx],
                                                                          F.cross_entropy)), rel=1e-6)
    assert out["measure_time_s"] >= sum(v for k, v in out.items() if k.endswith("_time_s") and k != "measure_time_s")


def test_all_off_gives_only_the_sample_and_time():
    x, y = data()
    assert set(measure_run(mlp().eval(), x, y, F.cross_entropy, spec())) == BASE


@pytest.mark.parametrize("flag", sorted(COLUMNS))
def test_each_flag_adds_its_own_columns(flag):
    x, y = data()
    out = measure_run(mlp().eval(), x, y, F.cross_entropy, spec(**{flag: True}))
    assert set(out) == BASE | COLUMNS[flag]


def test_eps_columns_and_noise_init_only_with_init_state():
    x, y = data()
    out = measure_run(mlp().eval(), x, y, F.cross_entropy, spec(sharpness_eps=(1e-3, 5e-4, 1e-5)))
    assert set(out) - BASE == {"sharpness_eps", "sharpness_eps_0.0005", "sharpness_eps_1e-05",
                               "sharpness_eps_iters", "sharpness_eps_time_s"}
    assert eps_column(1e-3, True) == "sharpness_eps" and eps_column(0.002, False) == "sharpness_eps_0.002"
    out = measure_run(mlp().eval(), x, y, F.cross_entropy, spec(noise_scale=True))
    assert "noise_scale_init" not in out


def test_first_eps_is_keskar_on_the_fixed_sample():
    model = mlp().eval()
    x, y = data()
    s = spec(sharpness_eps=(2e-3,), sample=100, sample_seed=5)
    out = measure_run(model, x, y, F.cross_entropy, s)
    idx = sample_indices(300, 100, 5)
    ref = eps_sharpness(objective(model, x[idx], y[idx], F.cross_entropy), 2e-3, iters=s.lbfgs_iters)
    assert out["sharpness_eps"] == pytest.approx(ref.value, rel=1e-6)
    assert out["sharpness_eps_iters"] == ref.iters


def test_sample_is_fixed_per_n_and_capped():
    a, b = sample_indices(300, 100, 0), sample_indices(300, 100, 0)
    assert torch.equal(a, b) and len(a) == 100 and len(set(a.tolist())) == 100
    assert not torch.equal(a, sample_indices(300, 100, 1))
    full = sample_indices(300, 2048, 0)
    assert sorted(full.tolist()) == list(range(300))
    x, y = data()
    out = measure_run(mlp().eval(), x, y, F.cross_entropy, spec(sample=2048, sharpness_sam=True))
    assert out["measure_sample"] == 300


def test_repeatable():
    x, y = data()
    s = spec(sharpness_eps=(1e-3,), sharpness_random=True, hessian=True, noise_scale=True)
    a = measure_run(mlp().eval(), x, y, F.cross_entropy, s)
    b = measure_run(mlp().eval(), x, y, F.cross_entropy, s)
    assert {k: v for k, v in a.items() if not k.endswith("_time_s")} == \
        pytest.approx({k: v for k, v in b.items() if not k.endswith("_time_s")}, rel=1e-6)


def test_spectrum_too_big_is_nan():
    x, y = data()
    out = measure_run(mlp(width=700).eval(), x, y, F.cross_entropy, spec(spectrum=True))
    assert math.isnan(out["min_ratio"])


@pytest.mark.parametrize("train_mode", [False, True])
def test_weights_and_mode_unchanged(train_mode):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(8, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 3))
    model.eval()
    x, y = data()
    model(x)                                  # eval: the running stats stay as initialised
    model.train(train_mode)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    init = {k: v.clone() for k, v in before.items()}
    s = MeasureSpec(**FAST, sharpness_eps=(1e-3, 5e-4), spectrum=True, subspace_dim=3)
    if train_mode:      # batch norm in train mode: refused with the fix, nothing touched
        with pytest.raises(ValueError, match=r"model.eval\(\)"):
            measure_run(model, x, y, F.cross_entropy, s, init_state=init)
    else:
        measure_run(model, x, y, F.cross_entropy, s, init_state=init)
    assert model.training is train_mode
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_train_mode_without_mode_dependent_layers_is_fine():
    model = mlp().train()
    x, y = data()
    out = measure_run(model, x, y, F.cross_entropy, spec(hessian=True))
    assert model.training and math.isfinite(out["hessian_top_eig"])


def test_critical_point_columns_agree_with_the_dense_hessian_and_density_rows_sum_to_one():
    """λ_min/λ_max by Lanczos and the min ratio against numpy's eigvalsh of the same (dense) Hessian: each
    within its stated bound, and within EIG_TOL of the spectrum's scale."""
    import numpy as np
    from studies.measures.hessian import RATIO_CUT
    from studies.measures.hessian import hessian_matrix
    model = mlp().double().eval()
    x, y = data()
    rows: list[dict] = []
    out = measure_run(model, x.double(), y, F.cross_entropy, spec(hessian=True, spectrum=True), density_rows=rows)
    idx = sample_indices(300, 128, 0)
    obj = objective(model, x.double()[idx], y[idx], F.cross_entropy)
    ev = np.linalg.eigvalsh(hessian_matrix(obj))
    from studies.measures.hessian import EIG_TOL
    for col, true in (("hessian_min_eig", ev[0]), ("hessian_top_eig", ev[-1])):
        assert abs(out[col] - true) <= out[f"{col}_err"] + 1e-12 and out[f"{col}_err"] <= EIG_TOL * ev[-1]
    assert out["hessian_min_eig"] >= ev[0] - 1e-12                     # a Ritz value never passes λ_min
    assert out["hessian_top_eig"] == pytest.approx(ev[-1], rel=1e-6)
    assert out["grad_norm"] == pytest.approx(float(obj.loss_grad()[1].norm()), rel=1e-9)
    pos = int((ev > RATIO_CUT * np.abs(ev).max()).sum())
    assert out["n_eig_positive"] == pos and out["min_ratio"] == pytest.approx(pos / len(ev))
    assert out["min_ratio_cut"] == RATIO_CUT
    assert len(rows) == len(ev) and {r["kind"] for r in rows} == {"spectrum"}
    assert sum(r["weight"] for r in rows) == pytest.approx(1.0)


@pytest.mark.slow
def test_the_noise_scale_reused_from_the_training_probe_is_what_measuring_computes():
    """execute_run takes noise_scale and noise_scale_init from the probe's first and last rows instead of
    computing them again; measuring the stored weights afresh gives exactly the same numbers."""
    from studies import StudySpec
    from studies.engine.data import load_dataset
    from studies.engine.models import build_model
    from studies.engine.optim import make_loss
    from studies.execution.worker import execute_run
    spec = StudySpec.from_dict({"dataset": "digits", "hidden": [16], "batch_sizes": [64], "optimizers": ["sgd"],
                                "seeds": [0, 1], "epochs": 3, "measure": {**OFF, "noise_scale": True}})
    from studies.engine.stacked import train_stacked
    from studies.execution.worker import training_probe
    runs = spec.expand(n_train=1437)
    data = load_dataset("digits", spec.data)
    torch.set_num_threads(1)
    stacked = train_stacked(runs, data, torch.device("cpu"), probe=training_probe(runs[0], data, spec.measure))
    outs = [execute_run(runs[0], spec.measure, threads=1)]                          # the plain loop
    outs += [execute_run(r, spec.measure, threads=1, trained=res) for r, res in zip(runs, stacked)]   # a stack
    for run, out in zip([runs[0], *runs], outs):
        assert out.epochs.noise_scale.notna().sum() >= 3
        assert out.measure_row["noise_scale_time_s"] < 0.01 and out.measure_row["noise_scale_init_time_s"] < 0.01
        model = build_model("mlp", (16,), data.input_shape, data.n_classes, run.seed)
        init = {k: v.clone() for k, v in model.state_dict().items()}
        model.load_state_dict({k: torch.from_numpy(v) for k, v in out.weights.items()})
        fresh = measure_run(model.eval(), data.x_train, data.y_train, make_loss(run.loss), spec.measure,
                            init_state=init)
        for col in ("noise_scale", "noise_scale_se", "noise_scale_trace", "noise_scale_init", "noise_scale_init_se",
                    "noise_scale_init_trace"):
            assert out.measure_row[col] == fresh[col], (run.seed, col)
