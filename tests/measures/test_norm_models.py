"""The measurements on models.py's batch-norm models: eval mode (running statistics), the general autograd path
(the hand-written MLP path refuses them), and a whole study with every estimator on."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from studies.measures.mlp_hvp import supports
from studies.measures.objective import objective, split_state
from studies.engine.models import build_model

pytestmark = pytest.mark.usefixtures("one_thread")


def trained_bn_model(norm="batch", ghost=0, steps=20):
    """A digits-shaped MLP with batch norm after a few SGD steps in train mode: running statistics far from 0, 1."""
    model = build_model("mlp", (12, 8), (1, 8, 8), 10, seed=0, norm=norm, ghost_batch=ghost).double()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 8, 8, generator=g, dtype=torch.float64) * 2 + 1
    y = torch.randint(0, 10, (64,), generator=g)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return model, x, y


@pytest.mark.parametrize("norm, ghost", [("batch", 0), ("ghost", 16)])
def test_the_objective_of_a_norm_model_is_its_eval_mode_loss(norm, ghost):
    model, x, y = trained_bn_model(norm, ghost)
    assert model[2].running_mean.abs().max() > 0.1
    with pytest.raises(ValueError, match=r"GhostBatchNorm\) is in train mode; call model.eval\(\)"):
        objective(model, x, y, F.cross_entropy)
    model.eval()
    params, consts = split_state(model)
    assert not supports(model, F.cross_entropy, consts)          # the hand-written MLP path does not take it
    obj = objective(model, x, y, F.cross_entropy)
    assert obj.calc is None and set(obj.consts) >= {"2.running_mean", "2.running_var", "2.num_batches_tracked"}
    with torch.no_grad():
        assert obj.loss() == pytest.approx(float(F.cross_entropy(model(x), y)), rel=1e-12)
        train_mode_loss = float(F.cross_entropy(model.train()(x), y))
    model.eval()
    assert abs(obj.loss() - train_mode_loss) > 1e-3                # batch statistics would give another function
    # one example's loss does not depend on the others: the mean over halves is the mean of the halves
    halves = [obj.on(x[:20], y[:20]).loss(), obj.on(x[20:], y[20:]).loss()]
    assert obj.loss() == pytest.approx((20 * halves[0] + 44 * halves[1]) / 64, rel=1e-12)


def test_hessian_vector_products_of_a_norm_model_match_finite_differences():
    model, x, y = trained_bn_model()
    obj = objective(model.eval(), x, y, F.cross_entropy)
    v = torch.randn(obj.n_params, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    h = 1e-5
    fd = (obj.loss_grad(obj.theta + h * v)[1] - obj.loss_grad(obj.theta - h * v)[1]) / (2 * h)
    torch.testing.assert_close(obj.hvp(v), fd, rtol=1e-5, atol=1e-7)


def test_every_estimator_runs_on_a_norm_model_and_leaves_it_alone():
    from studies.spec.config import MeasureSpec
    from studies.measures.measure_run import measure_run
    model, x, y = trained_bn_model("ghost", 16)
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rows: list[dict] = []
    spec = MeasureSpec(sample=48, lbfgs_iters=3, random_directions=2, sam_m=16, sharpness_eps=(1e-3,),
                       hessian=True, critical=True, spectrum=True, noise_scale=True, landscape_2d=True,
                       surface_points=3, rescale_audit=True, sharpness_adaptive=True)
    out = measure_run(model, x, y, F.cross_entropy, spec, density_rows=rows)
    for col in ("sharpness_eps", "sharpness_rand", "sharpness_sam", "sharpness_adaptive", "hessian_top_eig",
                "hessian_trace", "hessian_min_eig", "noise_scale", "grad_norm"):
        assert math.isfinite(out[col]), col
    assert "divides the scale out" in out["rescale_audit_note"]    # the rescaling audit refuses batch norm
    assert {r["kind"] for r in rows} == {"spectrum", "surface"}
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items()) and not model.training


def test_a_norm_study_stores_its_statistics_and_measures_and_interpolates_from_them(tmp_path):
    """Through the runner: the running statistics and counts reach the store (safetensors) and come back into
    the run's model exactly; that model in eval mode reproduces the runs table's train loss; the landscape's
    slices and the interpolation between the two batch sizes start from the stored runs; the training probes
    (noise scale, λ_max) measure the norm model at its epochs."""
    from studies import StudySpec, open_store, run_study
    from studies.engine.data import load_dataset
    from studies.engine.models import run_model
    spec = StudySpec.from_dict({
        "name": "bn", "dataset": "digits", "hidden": [16], "batch_sizes": [32, 256], "optimizers": ["momentum"],
        "shuffle": [True], "seeds": [0], "epochs": 2, "norm": "ghost", "ghost_batch": 16,
        "measure": {"sharpness_eps": [1e-3], "sharpness_random": True, "sharpness_sam": False, "hessian": True,
                    "landscape": True, "noise_scale": True, "sample": 128, "lbfgs_iters": 2,
                    "random_directions": 2, "landscape_points": 5, "hessian_track": True, "track_sample": 64}})
    runs, epochs = run_study(spec, tmp_path)
    from studies.measures import LAMBDA_MAX
    assert epochs[LAMBDA_MAX].notna().sum() >= 2 * 2 and np.isfinite(epochs[LAMBDA_MAX].dropna()).all()
    assert (runs.status == "done").all() and (runs.norm == "ghost").all() and (runs.ghost_batch == 16).all()
    for col in ("sharpness_eps", "sharpness_rand", "hessian_top_eig", "hessian_trace", "noise_scale"):
        assert runs[col].notna().all() and np.isfinite(runs[col]).all(), col
    store, data = open_store(tmp_path), load_dataset("digits")
    for run in spec.expand(n_train=data.n_train):
        weights = store.load_weights(run.run_id)
        model = run_model(run, data)
        assert set(weights) == set(model.state_dict())
        assert int(weights["2.num_batches_tracked"]) > 0 and np.abs(weights["2.running_mean"]).max() > 0
        model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()}, strict=True)
        with torch.no_grad():
            loss = float(F.cross_entropy(model.eval()(data.x_train), data.y_train))
        row = runs[runs.run_id == run.run_id].iloc[0]
        assert loss == pytest.approx(row.train_loss, rel=1e-5)
    land = store.load_table(spec.study_id, "landscape")
    inter = land[land.kind == "interpolation"].sort_values("alpha")
    small = runs[runs.batch_size == 32].iloc[0]
    assert len(inter) == 5 and inter[inter.alpha == 0].train_loss.iloc[0] == pytest.approx(small.train_loss, rel=1e-5)
    rand = land[(land.kind == "random") & (land.alpha == 0)]
    assert sorted(rand.train_loss.round(5)) == sorted(runs.train_loss.round(5))
