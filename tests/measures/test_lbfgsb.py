"""minimize_box drives scipy's L-BFGS-B kernel directly: the same iterates as scipy.optimize.minimize."""
import numpy as np
import pytest
from scipy.optimize import Bounds, minimize

from studies.measures import lbfgsb
from studies.measures.lbfgsb import minimize_box


def scipy_box(fun, x0, lo, hi, maxiter):
    return minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=Bounds(lo, hi),
                    options={"maxiter": maxiter, "ftol": 0.0, "gtol": 0.0})


def concave_quadratic(n=40, seed=0):
    """−f for f(x) = −½ (x − c)ᵀ A (x − c) with A diagonal positive: inside the box [lo, hi] the maximum
    of f is at clip(c, lo, hi), coordinate by coordinate."""
    rng = np.random.default_rng(seed)
    a, c = rng.uniform(0.5, 3.0, n), rng.normal(0, 2.0, n)
    lo, hi = -np.ones(n), rng.uniform(0.2, 1.5, n)
    neg_f = lambda x: (0.5 * np.sum(a * (x - c) ** 2), a * (x - c))  # noqa: E731
    return neg_f, lo, hi, np.clip(c, lo, hi)


def test_reaches_the_known_box_maximum_of_a_quadratic_as_scipy_does():
    neg_f, lo, hi, best = concave_quadratic()
    ours = minimize_box(neg_f, np.zeros(len(lo)), lo, hi, maxiter=200, gtol=1e-10)
    ref = scipy_box(neg_f, np.zeros(len(lo)), lo, hi, 200)
    np.testing.assert_allclose(ours.x, best, atol=1e-8)
    assert ours.fun <= neg_f(best)[0] + 1e-12
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-8)


@pytest.mark.parametrize("maxiter", [1, 3, 10])
def test_same_iterates_bit_for_bit_on_a_nonconvex_function(maxiter):
    rng = np.random.default_rng(1)
    n = 300
    w, b = rng.normal(size=(n, 20)), rng.normal(size=20)

    def neg_f(x):   # −Σ softplus-like bumps: nonconvex, with a small gradient at 0 (as at a trained minimum)
        z = np.tanh(x @ w + b)
        return -float(np.sum(z ** 2)), -(w @ (2 * z * (1 - z ** 2)))

    bound = 1e-3 * (np.abs(rng.normal(size=n)) + 1.0)
    ours = minimize_box(neg_f, np.zeros(n), -bound, bound, maxiter=maxiter)
    ref = scipy_box(neg_f, np.zeros(n), -bound, bound, maxiter)
    assert np.array_equal(ours.x, ref.x)
    assert (ours.fun, ours.nit, ours.nfev, ours.status) == (float(ref.fun), ref.nit, ref.nfev, ref.status)


def test_falls_back_to_minimize_where_the_kernel_is_not_the_expected_one(monkeypatch):
    neg_f, lo, hi, best = concave_quadratic(n=8)

    def unsupported(*args, **kw):
        raise lbfgsb._Unsupported

    monkeypatch.setattr(lbfgsb, "_direct", unsupported)
    res = minimize_box(neg_f, np.zeros(8), lo, hi, maxiter=100, gtol=1e-10)
    np.testing.assert_allclose(res.x, best, atol=1e-8)


def test_refuses_crossed_bounds():
    with pytest.raises(ValueError, match="lower bound"):
        minimize_box(lambda x: (0.0, np.zeros(2)), np.zeros(2), np.ones(2), np.zeros(2), maxiter=3)


def test_a_fresh_process_loads_the_kernel_without_importing_scipy_optimize():
    """The kernel comes from its file (scipy.optimize's __init__ costs 0.6 s per process) and still reaches
    the known box maximum, with the same iterates as scipy's minimize run afterwards in that process."""
    import subprocess
    import sys
    code = """
import sys, numpy as np
from studies.measures.lbfgsb import minimize_box
rng = np.random.default_rng(3)
a, c = rng.uniform(0.5, 3.0, 30), rng.normal(0, 2.0, 30)
lo, hi = -np.ones(30), rng.uniform(0.2, 1.5, 30)
neg_f = lambda x: (0.5 * np.sum(a * (x - c) ** 2), a * (x - c))
best = np.clip(c, lo, hi)
ours = minimize_box(neg_f, np.zeros(30), lo, hi, maxiter=5)
assert "scipy.optimize" not in sys.modules, "scipy.optimize was imported"
full = minimize_box(neg_f, np.zeros(30), lo, hi, maxiter=200, gtol=1e-10)
np.testing.assert_allclose(full.x, best, atol=1e-8)
from scipy.optimize import Bounds, minimize
ref = minimize(neg_f, np.zeros(30), jac=True, method="L-BFGS-B", bounds=Bounds(lo, hi),
               options={"maxiter": 5, "ftol": 0.0, "gtol": 0.0})
assert np.array_equal(ours.x, ref.x) and ours.nfev == ref.nfev
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
