"""scipy's L-BFGS-B over a box, without scipy's per-variable Python set-up.

`scipy.optimize.minimize(method="L-BFGS-B")` turns the bounds into a list of n (lo, hi) tuples and back, then
classifies each variable in a Python loop: ~0.5 s for the 85,002 weights of a 256-256 MLP, more than the ten
iterations themselves (Keskar's ε-sharpness). Passing `Bounds` with arrays does not avoid it (scipy 1.17
converts them to tuples as well). Here the same compiled kernel (`_lbfgsb.setulb`, the one `minimize` calls)
is driven directly with the bound arrays, in the loop `minimize` runs, so the iterates are the same bit for
bit (tests compare them). Where the kernel's private signature differs (another scipy version), it falls
back to `minimize`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class BoxResult:
    x: np.ndarray
    fun: float
    nit: int       # iterations
    nfev: int      # function (and gradient) evaluations
    status: int    # 0 converged, 1 iteration/evaluation budget, 2 other stop (scipy's warnflag)


def minimize_box(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray, *, maxiter: int, ftol: float = 0.0, gtol: float = 0.0, maxcor: int = 10,
                 maxls: int = 20, maxfun: int = 15000) -> BoxResult:
    """Minimise ``fun`` (returns f and its gradient) over lo ≤ x ≤ hi from x0, as
    ``minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=Bounds(lo, hi), options=...)`` would."""
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    try:
        return _direct(fun, x0, lo, hi, maxiter, ftol, gtol, maxcor, maxls, maxfun)
    except _Unsupported:
        from scipy.optimize import Bounds, minimize
        res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=Bounds(lo, hi),
                       options={"maxiter": maxiter, "ftol": ftol, "gtol": gtol, "maxcor": maxcor, "maxls": maxls,
                                "maxfun": maxfun})
        return BoxResult(x=res.x, fun=float(res.fun), nit=int(res.nit), nfev=int(res.nfev), status=int(res.status))


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


def _one_blas_thread():
    """(Made after the kernel is loaded, so that it sees the BLAS library the kernel brought in.)
    The kernel's BLAS calls are vector operations on n numbers: on two threads they fight torch's
    OpenMP threads, which spin between the gradient evaluations (ε-sharpness 0.12 s on one BLAS thread,
    0.50 s on two, keskar-digits with torch on two threads)."""
    return _blas_controller().limit(limits=1, user_api="blas")


class _Unsupported(Exception):
    pass


@functools.cache
def _kernel():
    """scipy's compiled L-BFGS-B module, loaded from its file without running scipy/optimize/__init__.py,
    which imports all of scipy.optimize (linprog, fft, interpolative: 0.6 s in every fresh process)."""
    import sys
    if "scipy.optimize" in sys.modules:   # already paid for: take it the ordinary way
        from scipy.optimize import _lbfgsb
        return _lbfgsb
    import importlib.machinery
    import importlib.util
    import pathlib

    import scipy
    for path in sorted((pathlib.Path(scipy.__file__).parent / "optimize").glob("_lbfgsb.*")):
        if path.suffix in (".so", ".pyd"):
            spec = importlib.util.spec_from_file_location(
                "_lbfgsb", path, loader=importlib.machinery.ExtensionFileLoader("_lbfgsb", str(path)))
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    from scipy.optimize import _lbfgsb
    return _lbfgsb


def _direct(fun, x0, lo, hi, maxiter, ftol, gtol, m, maxls, maxfun) -> BoxResult:
    try:
        kernel = _kernel()
    except ImportError as e:
        raise _Unsupported from e
    with _one_blas_thread():
        return _run(kernel, fun, x0, lo, hi, maxiter, ftol, gtol, m, maxls, maxfun)


def _run(_lbfgsb, fun, x0, lo, hi, maxiter, ftol, gtol, m, maxls, maxfun) -> BoxResult:
    n = len(x0)
    if (lo > hi).any():
        raise ValueError("a lower bound is greater than an upper bound")
    x = np.clip(np.array(x0, dtype=np.float64), lo, hi)
    nbd = np.full(n, 2, np.int32)                       # 2: bounded below and above (scipy's bounds_map)
    nbd[np.isinf(lo) & np.isinf(hi)] = 0
    nbd[~np.isinf(lo) & np.isinf(hi)] = 1
    nbd[np.isinf(lo) & ~np.isinf(hi)] = 3
    low, upp = np.where(np.isinf(lo), 0.0, lo), np.where(np.isinf(hi), 0.0, hi)
    f, g = np.array(0.0), np.zeros(n)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m)
    iwa = np.zeros(3 * n, np.int32)
    task, ln_task = np.zeros(2, np.int32), np.zeros(2, np.int32)
    lsave, isave, dsave = np.zeros(4, np.int32), np.zeros(44, np.int32), np.zeros(29)
    factr = ftol / np.finfo(float).eps
    nit = nfev = 0
    last = None   # scipy evaluates at most once per distinct x (its ScalarFunction remembers the last one)
    while True:
        g = g.astype(np.float64)
        try:
            _lbfgsb.setulb(m, x, low, upp, nbd, f, g, factr, gtol, wa, iwa, task, lsave, isave, dsave, maxls,
                           ln_task)
        except TypeError as e:   # another scipy's kernel signature
            if nit == 0 and nfev == 0:
                raise _Unsupported from e
            raise
        if task[0] == 3:             # wants f and g at x
            if last is None or not np.array_equal(x, last[0]):
                fx, gx = fun(np.copy(x))
                last = (np.copy(x), float(fx), np.atleast_1d(np.asarray(gx, dtype=np.float64)))
                nfev += 1
            f, g = last[1], np.copy(last[2])
        elif task[0] == 1:           # a new iteration
            nit += 1
            if nit >= maxiter:
                task[0], task[1] = 5, 504
            elif nfev > maxfun:
                task[0], task[1] = 5, 502
        else:
            break
    status = 0 if task[0] == 4 else 1 if (nfev > maxfun or nit >= maxiter) else 2
    return BoxResult(x=x, fun=float(f), nit=nit, nfev=nfev, status=status)
