"""The playground's 2-D loss surfaces, each with its lesson, and the notes' critical-point test.

Every surface gives its loss, gradient and Hessian in closed form (numpy, vectorised over points), so a
trajectory of hundreds of steps costs microseconds and the Hessian test is exact. No torch, no streamlit.

The critical-point test is the lecture notes' rule (seeds 001, 003): where the gradient is 0, the Hessian's
eigenvalues decide: all positive → local minimum, all negative → local maximum, both signs → saddle point;
an eigenvalue of 0 leaves the second-order test undecided (the monkey saddle's origin).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

GRAD_TOL = 1e-2     # ‖∇L‖ below this counts as "the gradient became small" (a critical point, numerically)
EIG_TOL = 1e-6      # |λ| below this counts as a zero eigenvalue


@dataclass(frozen=True)
class Surface:
    """A loss L(x, y): ``parts(x, y)`` returns (L, (∂x, ∂y), (∂xx, ∂xy, ∂yy)) for arrays of points."""
    name: str
    title: str
    formula: str
    lesson: str
    domain: tuple[tuple[float, float], tuple[float, float]]
    starts: dict[str, tuple[float, float]]
    lr: float                   # a learning rate at which plain SGD shows the lesson
    noise: float                # default per-example gradient spread σ (batch noise)
    parts: Callable = field(repr=False)
    minima: tuple[tuple[float, float], ...] = ()
    steps: int = 200            # enough steps to see the lesson

    def loss(self, x, y):
        return self.parts(np.asarray(x, float), np.asarray(y, float))[0]

    def grad(self, x, y):
        """(∂L/∂x, ∂L/∂y), each shaped like x."""
        return self.parts(np.asarray(x, float), np.asarray(y, float))[1]

    def hessian(self, x, y) -> np.ndarray:
        """The 2×2 Hessian at each point, shape (..., 2, 2)."""
        hxx, hxy, hyy = self.parts(np.asarray(x, float), np.asarray(y, float))[2]
        hxx, hxy, hyy = np.broadcast_arrays(hxx, hxy, hyy)
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    def in_view(self, x, y, margin: float = 1.0):
        """True while a point is within the domain widened by ``margin`` domain widths on each side."""
        (x0, x1), (y0, y1) = self.domain
        wx, wy = margin * (x1 - x0), margin * (y1 - y0)
        return (x >= x0 - wx) & (x <= x1 + wx) & (y >= y0 - wy) & (y <= y1 + wy)


def _saddle(x, y):
    return x**2 - y**2, (2 * x, -2 * y), (2.0 + 0 * x, 0 * x, -2.0 + 0 * x)


def _monkey(x, y):
    return x**3 - 3 * x * y**2, (3 * x**2 - 3 * y**2, -6 * x * y), (6 * x, -6 * y, -6 * x)


VALLEY_A, VALLEY_B = 0.1, 10.0     # curvatures along x and y: condition number 100


def _valley(x, y):
    a, b = VALLEY_A, VALLEY_B
    return 0.5 * (a * x**2 + b * y**2), (a * x, b * y), (a + 0 * x, 0 * x, b + 0 * x)


def _rosenbrock(x, y):
    u = y - x**2
    return ((1 - x)**2 + 100 * u**2, (-2 * (1 - x) - 400 * x * u, 200 * u),
            (2 - 400 * u + 800 * x**2, -400 * x, 200.0 + 0 * x))


def _well(x, y, cx, cy, depth, width):
    """A Gaussian dent −depth·exp(−r²/2w²) at (cx, cy): value, gradient and Hessian."""
    dx, dy, w2 = x - cx, y - cy, width**2
    e = depth * np.exp(-(dx**2 + dy**2) / (2 * w2))
    return -e, (e * dx / w2, e * dy / w2), (e / w2 * (1 - dx**2 / w2), -e * dx * dy / w2**2, e / w2 * (1 - dy**2 / w2))


SHARP = (-1.0, 0.0, 1.0, 0.2)     # centre x, centre y, depth, width
FLAT = (1.2, 0.0, 0.9, 0.8)
BOWL = 0.02                       # a faint bowl keeps every trajectory on the map


def _sharp_flat(x, y):
    out = [_well(x, y, *SHARP), _well(x, y, *FLAT), (BOWL * (x**2 + y**2), (2 * BOWL * x, 2 * BOWL * y),
                                                       (2 * BOWL + 0 * x, 0 * x, 2 * BOWL + 0 * x))]
    return (sum(o[0] for o in out), tuple(sum(o[1][i] for o in out) for i in range(2)),
            tuple(sum(o[2][i] for o in out) for i in range(3)))


BUMP_A, BUMP_K, PLATEAU_W = 0.04, 4.0, 2.0     # bump height, bump frequency, width of the plateau's basin


def _bumpy(x, y):
    """1 − exp(−r²/2w²) (a basin that flattens into a plateau) plus an egg-crate of small bumps."""
    w2 = PLATEAU_W**2
    e = np.exp(-(x**2 + y**2) / (2 * w2))
    a, k = BUMP_A, BUMP_K
    value = 1 - e + a * (2 - np.cos(k * x) - np.cos(k * y))
    grad = (e * x / w2 + a * k * np.sin(k * x), e * y / w2 + a * k * np.sin(k * y))
    hess = (e / w2 * (1 - x**2 / w2) + a * k**2 * np.cos(k * x), -e * x * y / w2**2,
            e / w2 * (1 - y**2 / w2) + a * k**2 * np.cos(k * y))
    return value, grad, hess


SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("saddle", "Saddle", "x² − y²",
            "Started on the line y = 0, gradient descent slides into the saddle at (0, 0) and stays; "
            "any noise in y grows along the negative-curvature direction and escapes.",
            ((-2.0, 2.0), (-2.0, 2.0)), {"on the stable manifold (1.5, 0)": (1.5, 0.0),
                                         "just off it (1.5, 0.01)": (1.5, 0.01), "corner (-1.8, 1.5)": (-1.8, 1.5)},
            lr=0.05, noise=1.0, parts=_saddle),
    Surface("monkey", "Monkey saddle", "x³ − 3xy²",
            "At (0, 0) the gradient and the Hessian are both zero: the eigenvalue test cannot tell what the "
            "point is, and gradient descent creeps towards it ever slower (three valleys lead away).",
            ((-1.5, 1.5), (-1.5, 1.5)), {"on the ridge (1, 0)": (1.0, 0.0), "off the ridge (1, 0.3)": (1.0, 0.3),
                                         "in a valley (-0.5, 0.8)": (-0.5, 0.8)},
            lr=0.05, noise=0.5, parts=_monkey),
    Surface("valley", "Elongated valley", "(0.1·x² + 10·y²) / 2",
            "Steep across, flat along (condition number 100): one learning rate is too big for y and too small "
            "for x; Adagrad, RMSProp and Adam rescale each direction.",
            ((-4.0, 4.0), (-2.0, 2.0)), {"far end (-3.5, 1.5)": (-3.5, 1.5), "on the floor (-3.5, 0)": (-3.5, 0.0),
                                         "steep wall (-0.5, 1.8)": (-0.5, 1.8)},
            lr=0.15, noise=0.5, parts=_valley, minima=((0.0, 0.0),)),
    Surface("rosenbrock", "Rosenbrock", "(1 − x)² + 100·(y − x²)²",
            "A curved valley with a flat floor: reaching the floor is quick, following it to the minimum at "
            "(1, 1) is slow; momentum carries its speed round the bend.",
            ((-2.0, 2.0), (-1.0, 3.0)), {"left (-1.5, 2)": (-1.5, 2.0), "origin (0, 0)": (0.0, 0.0),
                                         "right wall (1.8, 1)": (1.8, 1.0)},
            lr=1e-3, noise=5.0, parts=_rosenbrock, minima=((1.0, 1.0),)),
    Surface("sharp_flat", "Sharp and flat minima", "two Gaussian dents, narrow at x = −1, wide at x = 1.2",
            "Two minima of about the same depth, one narrow and one wide: the noise of small batches shakes a "
            "point out of the narrow one, and it settles in the wide one; large batches stay where they fall.",
            ((-2.5, 3.0), (-2.0, 2.0)), {"near the sharp minimum (-0.8, 0.3)": (-0.8, 0.3),
                                         "between them (0.2, 0)": (0.2, 0.0), "far (2.8, 1.8)": (2.8, 1.8)},
            lr=0.03, noise=4.0, parts=_sharp_flat, minima=((SHARP[0], 0.0), (FLAT[0], 0.0)), steps=800),
    Surface("bumpy", "Bumpy plateau", "1 − exp(−r²/8) + small bumps",
            "A wide basin covered in small bumps that flattens into a plateau: plain gradient descent stops in "
            "the first dent; momentum keeps enough speed to roll over the bumps to the centre.",
            ((-4.0, 4.0), (-4.0, 4.0)), {"on the plateau (3.8, -3.8)": (3.8, -3.8), "on the slope (3, 2.5)": (3.0, 2.5),
                                         "near the centre (1, 1)": (1.0, 1.0)},
            lr=0.2, noise=0.3, parts=_bumpy, minima=((0.0, 0.0),)),
)}


@dataclass(frozen=True)
class Probe:
    """The critical-point test at one point."""
    x: float
    y: float
    loss: float
    grad_norm: float
    eigenvalues: tuple[float, float]     # ascending
    critical: bool                       # ‖∇L‖ < grad_tol
    kind: str                            # minimum | maximum | saddle | undecided (from the eigenvalues)

    def verdict(self) -> str:
        """One line: what the notes' rule says about this point."""
        lam = ", ".join(f"{v:.3g}" for v in self.eigenvalues)
        shape = {"minimum": "a local minimum (all eigenvalues > 0)",
                 "maximum": "a local maximum (all eigenvalues < 0)",
                 "saddle": "a saddle point (eigenvalues of both signs)",
                 "undecided": "undecided: an eigenvalue is 0, the second-order test cannot tell"}[self.kind]
        if self.critical:
            return f"‖∇L‖ = {self.grad_norm:.2g}, λ = ({lam}): a critical point, {shape}."
        return f"‖∇L‖ = {self.grad_norm:.3g}, λ = ({lam}): not a critical point; the curvature here is that of " \
               f"{shape.split(' (')[0].replace('undecided: ', '')}."


def kind_of(eigenvalues, eig_tol: float = EIG_TOL) -> str:
    """The notes' rule on the Hessian's eigenvalues."""
    lam = np.asarray(eigenvalues, float)
    if np.all(lam > eig_tol):
        return "minimum"
    if np.all(lam < -eig_tol):
        return "maximum"
    if np.any(lam > eig_tol) and np.any(lam < -eig_tol):
        return "saddle"
    return "undecided"


def probe(surface: Surface, x: float, y: float, grad_tol: float = GRAD_TOL, eig_tol: float = EIG_TOL) -> Probe:
    """Gradient norm, Hessian eigenvalues and the notes' verdict at (x, y)."""
    gx, gy = surface.grad(x, y)
    lam = np.linalg.eigvalsh(surface.hessian(x, y))
    norm = float(np.hypot(gx, gy))
    return Probe(float(x), float(y), float(surface.loss(x, y)), norm, (float(lam[0]), float(lam[1])),
                 norm < grad_tol, kind_of(lam, eig_tol))


def grid(surface: Surface, n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (n,), y (n,) and the loss on the n×n grid over the domain, shape (n, n) indexed [y, x]."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    return xs, ys, surface.loss(*np.meshgrid(xs, ys))

