"""The noisy quadratic model (Zhang et al. 2019): the exact expected-loss recursion equals a Monte Carlo of the
quadratic with Gaussian minibatch noise (within its standard error) for SGD, momentum and the preconditioned
update, at each one's predicted best lr; and the paper's findings come out: the best lr grows ∝ B below B_crit
and stops growing above it, preconditioning raises B_crit."""
import math

import numpy as np
import pytest

from studies.analysis import nqm


def simulate(q, u, lr, batch, steps, chains=4000, seed=0):
    """Monte Carlo of the NQM: chains of heavy ball on the quadratic, each step's noise the mean of
    `batch` per-example Gaussian draws; returns mean loss and its standard error per step 0..steps."""
    rng = np.random.default_rng(seed)
    eta = lr * u.step_scale() * q.h ** (-u.power)
    x = rng.standard_normal((chains, q.h.size)) * np.sqrt(q.s0)
    prev = x.copy()
    out = []
    for k in range(steps + 1):
        l = 0.5 * (q.weight * q.h * x * x).sum(axis=1)
        out.append((l.mean(), l.std(ddof=1) / np.sqrt(chains)))
        xi = rng.standard_normal((batch, chains, q.h.size)).mean(axis=0) * np.sqrt(q.sigma2)
        x, prev = x - eta * (q.h * x + xi) + u.beta * (x - prev), x
    return np.array(out)

@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("batch", [2, 32])
def test_predicted_steps_equal_simulated(name, batch):
    q = nqm.from_eigenvalues(np.geomspace(1, 0.01, 12), noise=1.0, s0=1.0, fraction=0.05)
    u = nqm.UPDATES[name]
    best = nqm.best_lr(q, u, batch)
    s = int(best.steps)
    mc = simulate(q, u, best.lr, batch, s + 2)
    m, se = mc[:, 0], mc[:, 1]
    # the exact expected loss agrees with the simulated mean along the way
    ks = sorted({1, s // 4, s // 2, s - 1, s})
    for k, exact in zip(ks, expected_loss(q, u, best.lr, batch, ks)):
        assert abs(m[k] - exact) < 4 * se[k], (k, m[k], exact, se[k])
    # and the simulated crossing is at the predicted step (within the simulation's standard error)
    assert m[s] <= q.target + 3 * se[s] and m[s - 1] >= q.target - 3 * se[s - 1]


class Powers:
    """M^(2^j) for j = 0…30, so that z_k = M^k·z_0 for any k costs one mat-vec per set bit of k."""

    def __init__(self, m: np.ndarray):
        self.p = [m]
        for _ in range(int(math.log2(nqm.K_MAX))):
            nxt = self.p[-1] @ self.p[-1]
            self.p.append(np.where(np.isfinite(nxt), nxt, np.inf))

    def apply(self, k: np.ndarray, z0: np.ndarray) -> np.ndarray:
        """z after k[i] steps for each lr i (z0: (n_dir, 4))."""
        z = np.broadcast_to(z0, self.p[0].shape[:-1]).copy()
        k = np.asarray(k, dtype=np.int64)
        for j, pj in enumerate(self.p):
            bit = ((k >> j) & 1).astype(bool)
            if bit.any():
                with np.errstate(all="ignore"):
                    z[bit] = np.einsum("...ij,...j->...i", pj[bit], z[bit])
        return z


def expected_loss(q, u, lr: float, batch: float, steps) -> np.ndarray:
    """The NQM's exact expected loss after each of ``steps`` (integers ≥ 0) at one lr and batch size: nqm's
    own moment recursion (its augmented transition matrix) raised to the power k by repeated squaring."""
    ks = np.atleast_1d(np.asarray(steps, dtype=np.int64))
    pw = Powers(nqm._augmented(q, u, np.full(ks.size, float(lr)), float(batch)))
    return nqm._loss(q, pw.apply(ks, nqm._start(q)))


def test_best_lr_is_linear_in_b_below_b_crit_and_flat_above():
    q = nqm.power_law(dims=1000, bins=30, fraction=0.02)
    c = nqm.predict(q, nqm.Update(), [1, 2, 4, 2 ** 16, 2 ** 18])
    assert c.lrs[1] / c.lrs[0] == pytest.approx(2, rel=0.25) and c.lrs[2] / c.lrs[1] == pytest.approx(2, rel=0.25)
    assert c.lrs[4] == pytest.approx(c.lrs[3], rel=0.05)
    assert c.steps[0] > c.steps[1] > c.steps[2] and c.steps[4] == pytest.approx(c.s_min, rel=0.02)


def test_preconditioning_raises_b_crit_as_the_paper_found():
    q = nqm.power_law(dims=10_000, bins=40, fraction=0.002)
    sgd = nqm.predict(q, nqm.Update(), 2.0 ** np.arange(0, 25, 2))
    pre = nqm.predict(q, nqm.Update(power=0.5), 2.0 ** np.arange(0, 25, 2))
    assert pre.b_crit > 5 * sgd.b_crit and pre.s_min < sgd.s_min


def test_a_target_outside_the_loss_range_is_refused():
    with pytest.raises(ValueError, match="fraction"):
        nqm.power_law(dims=10, fraction=1.5)
