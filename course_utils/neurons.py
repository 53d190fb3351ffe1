"""Lecture 1 (neurons): the artificial neuron, relu geometry, exact region counts, a Lipschitz bound.

Follows CONTENT.md D1 and N1. Everything here is small NumPy/torch code a student can read end to end;
the notebook keeps the lines it teaches (forward passes, autograd gradients) visible and imports only
what it uses twice or draws: the nonlinearities, the kink formula, the exact region count, the
operator-norm product and the two widgets.

    neuron(x, w, b, phi)          y = phi(w^T x + b)
    signed_distance(x, w, b)      (w^T x + b) / ||w||
    kinks_1d(a, c, v)             kinks -c_i/a_i and slope jumps |a_i| v_i of  sum_i v_i relu(a_i x + c_i)
    activation_patterns(x, W, b)  1[W x + b > 0] for each point
    count_regions(W, b)           number of activation regions of n relu lines in the plane (exact)
    op_norm_product(weights)      prod_l ||W_l||_op, a Lipschitz bound for a relu MLP
"""
import itertools
import math

import matplotlib
import numpy as np
import torch

from .checks import require_array, require_choice, require_int, require_real
from .plotting import PALETTE, LiveFigure, register_widget, subplots

# The common nonlinearities phi: R -> R, elementwise on NumPy arrays.
NONLINEARITIES = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # = 1/(1+e^-z), written so it never overflows
    "identity": lambda z: z,
}


def neuron(x, w, b=0.0, phi="relu"):
    """The artificial neuron  y = phi(w^T x + b).

    x: (d,) one input or (N, d) a batch; w: (d,); b: real; phi: a name in NONLINEARITIES.
    Returns a float for one input, an (N,) array for a batch.
    Raises TypeError/ValueError naming `x`, `w`, `b` or `phi` for bad input (shape mismatch included).
    """
    phi = require_choice(phi, "phi", tuple(NONLINEARITIES))
    w = require_array(w, "w", ndim=1)
    x, single = _points(x, "x", w.size)
    b = require_real(b, "b")
    y = NONLINEARITIES[phi](x @ w + b)
    return float(y[0]) if single else y


def signed_distance(x, w, b=0.0):
    """Signed distance from x to the hyperplane {x : w^T x + b = 0}:  (w^T x + b) / ||w||.

    Positive on the side the normal w points to. Hence relu(w^T x + b) = ||w|| * max(0, distance).
    x: (d,) or (N, d); w: (d,), nonzero; b: real. Returns a float or an (N,) array.
    Raises ValueError naming `w` when w = 0 (no hyperplane), and for shape mismatches.
    """
    w = require_array(w, "w", ndim=1)
    norm = float(np.linalg.norm(w))
    if norm == 0.0:
        raise ValueError("w must be nonzero: w = 0 defines no hyperplane")
    x, single = _points(x, "x", w.size)
    b = require_real(b, "b")
    dist = (x @ w + b) / norm
    return float(dist[0]) if single else dist


def kinks_1d(a, c, v):
    """Kinks of the one-hidden-layer relu net on R,  f(x) = sum_i v_i relu(a_i x + c_i).

    Unit i switches at x = -c_i / a_i; crossing it from left to right changes the slope f' by
    |a_i| v_i (a unit with a_i > 0 switches on and adds a_i v_i; one with a_i < 0 switches off and
    removes a_i v_i). Between consecutive kinks f is affine.
    a, c, v: (H,) arrays, every a_i nonzero. Returns (kinks, jumps), both (H,), sorted by kink.
    Raises ValueError naming `a` if some a_i = 0, or the argument whose shape does not match `a`.
    """
    a = require_array(a, "a", ndim=1)
    c = require_array(c, "c", shape=a.shape)
    v = require_array(v, "v", shape=a.shape)
    if np.any(a == 0):
        raise ValueError("a must have no zero entry: a unit with a_i = 0 is constant and has no kink")
    kinks = -c / a
    order = np.argsort(kinks)
    return kinks[order], (np.abs(a) * v)[order]


def activation_patterns(x, W, b):
    """Which relu units are on at each point:  P[k, i] = 1[W_i . x_k + b_i > 0].

    x: (N, d) points; W: (n, d) one row per unit; b: (n,). Returns an (N, n) bool array.
    Two points lie in the same activation region exactly when their rows are equal.
    Raises ValueError naming `x`, `W` or `b` for bad shapes or non-finite values.
    """
    W = require_array(W, "W", ndim=2)
    b = require_array(b, "b", shape=(W.shape[0],))
    x = require_array(x, "x", shape=(None, W.shape[1]))
    return x @ W.T + b > 0


def count_regions(W, b, eps=1e-7):
    """The exact number of activation regions cut out of the plane by n relu lines W_i . x + b_i = 0.

    Each region is convex (an intersection of half-planes), so regions <-> distinct activation patterns.
    When two lines cross, every region touches a crossing point, and the four regions around the
    crossing of lines i and j contain the points  p + eps*(+-u_i +- u_j)  (u = unit line directions),
    so evaluating the pattern there finds every region: no grid, nothing missed. Parallel lines only
    (no crossing): n_distinct + 1 strips. In general position the answer is 1 + n + n(n-1)/2.
    W: (n, 2) nonzero rows; b: (n,); eps: offset, relative to the scale of the crossing point.
    Raises ValueError naming `W` (a zero row, not 2 columns), `b` or `eps`.
    """
    W = require_array(W, "W", shape=(None, 2), min_size=0)
    b = require_array(b, "b", shape=(W.shape[0],), min_size=0)
    eps = require_real(eps, "eps", low=0.0)
    if eps == 0:
        raise ValueError("eps must be > 0")
    n = W.shape[0]
    norms = np.linalg.norm(W, axis=1)
    if np.any(norms == 0):
        raise ValueError("W must have no zero row: a unit with w = 0 draws no line")
    if n == 0:
        return 1
    u = np.stack([-W[:, 1], W[:, 0]], axis=1) / norms[:, None]  # (n, 2) unit directions along the lines
    probes = []
    for i, j in itertools.combinations(range(n), 2):
        A = W[[i, j]]
        det = np.linalg.det(A)
        if abs(det) <= 1e-12 * norms[i] * norms[j]:
            continue  # parallel: they never cross
        p = np.linalg.solve(A, -b[[i, j]])
        step = eps * (1.0 + np.abs(p).max())
        for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            probes.append(p + step * (si * u[i] + sj * u[j]))
    if not probes:  # all lines parallel: count distinct offsets along the common normal
        normal = W[0] / norms[0]
        offsets = -b / norms * np.sign(W @ normal)
        return 1 + len(np.unique(np.round(offsets / eps)))
    patterns = activation_patterns(np.array(probes), W, b)
    return len(np.unique(patterns, axis=0))


def general_position_count(n):
    """Regions of n lines in general position (no two parallel, no three concurrent): 1 + n + n(n-1)/2.

    Raises TypeError/ValueError naming `n` unless n is an int >= 0.
    """
    n = require_int(n, "n", low=0)
    return 1 + n + n * (n - 1) // 2


def op_norm_product(weights):
    """prod_l ||W_l||_op (largest singular values): a Lipschitz constant of x -> W_L relu(... relu(W_1 x)).

    relu is 1-Lipschitz and ||W h - W h'|| <= ||W||_op ||h - h'||, so the bound follows layer by layer
    (biases do not matter). weights: a torch.nn.Module whose only weighted layers are nn.Linear (taken in
    the order they were registered, as in nn.Sequential) or a list of 2-D tensors/arrays. Returns a float.
    Raises TypeError naming `weights` for anything else (a module with a conv or norm layer: the bound would
    silently leave it out), ValueError if it holds no matrix or consecutive shapes do not chain.
    """
    if isinstance(weights, torch.nn.Module):
        other = [type(m).__name__ for m in weights.modules()
                 if not isinstance(m, torch.nn.Linear) and any(True for _ in m.parameters(recurse=False))]
        if other:
            raise TypeError(f"weights: only nn.Linear layers have a bound here, the module also has {other}")
        weights = [m.weight for m in weights.modules() if isinstance(m, torch.nn.Linear)]
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights must be a torch.nn.Module or a list of matrices, got {type(weights).__name__}")
    if not weights:
        raise ValueError("weights must contain at least one matrix")
    mats = []
    for k, W in enumerate(weights):
        W = W.detach() if isinstance(W, torch.Tensor) else torch.as_tensor(require_array(W, f"weights[{k}]", ndim=2))
        if W.ndim != 2:
            raise ValueError(f"weights[{k}] must be a 2-D matrix, got shape {tuple(W.shape)}")
        if mats and mats[-1].shape[0] != W.shape[1]:
            raise ValueError(f"weights[{k}] has {W.shape[1]} inputs but weights[{k-1}] has {mats[-1].shape[0]} outputs")
        mats.append(W)
    return math.prod(float(torch.linalg.matrix_norm(W.double(), ord=2)) for W in mats)


def _points(x, name, d):
    """x as an (N, d) array, and whether it was a single (d,) point."""
    x = require_array(x, name)
    if x.ndim == 1 and x.size == d:
        return x[None, :], True
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(f"{name} must have shape ({d},) or (N, {d}) to match w, got {x.shape}")
    return x, False


def _spread_arrangement(n, seed, candidates=200):
    """n lines with unit normals, in general position and easy to see: directions ~180/n degrees apart
    (jittered, shuffled), offsets in [-1, 1]; of `candidates` draws keep the one whose crossings stay
    farthest from the other lines relative to the window. Returns (W (n, 2), b (n,), half-width L)."""
    rng = np.random.default_rng(seed)
    pairs = np.array(list(itertools.combinations(range(n), 2)))  # (P, 2)
    others = np.ones((len(pairs), n), bool)
    others[np.arange(len(pairs))[:, None], pairs] = False
    best = (-1.0, None)
    for _ in range(candidates):
        theta = rng.permutation((np.arange(n) + rng.uniform(-0.3, 0.3, n)) * np.pi / n)
        W = np.stack([np.cos(theta), np.sin(theta)], axis=1)
        b = rng.uniform(-1, 1, n)
        p = np.linalg.solve(W[pairs], -b[pairs][..., None])[..., 0]  # (P, 2) crossing points
        R = np.abs(p).max()
        score = np.abs(p @ W.T + b)[others].min() / R  # distance of a crossing to the nearest other line
        if score > best[0]:
            best = (score, (W, b, 1.15 * R))
    return best[1]


# -- widgets ----------------------------------------------------------------------------------------

@register_widget("relu_neuron")
class ReluNeuronWidget(LiveFigure):
    """relu(w1 x1 + w2 x2 + b) on [-3, 3]^2: heat-map, hyperplane w.x + b = 0, normal arrow w, ||w||.

    Sliders w1, w2, b in [-2, 2]. The arrow is w itself, drawn from the point of the line nearest the
    origin (-b w / ||w||^2); the value grows by ||w|| per unit of distance along it.
    """

    LIM = 3.0
    GRID = 121  # pixels per side of the heat-map
    VMAX = 14.0  # largest value on the square: 2*3 + 2*3 + 2

    def __init__(self, w1=1.0, w2=0.5, b=0.5):
        import ipywidgets as widgets

        vals = {k: require_real(v, k, low=-2, high=2) for k, v in (("w1", w1), ("w2", w2), ("b", b))}
        super().__init__({k: widgets.FloatSlider(value=v, min=-2, max=2, step=0.05, description=k,
                                                 continuous_update=True) for k, v in vals.items()})

    def build(self):
        L = self.LIM
        t = np.linspace(-L, L, self.GRID)
        self._x1, self._x2 = np.meshgrid(t, t)  # (GRID, GRID): row = x2, column = x1
        cmap = matplotlib.colormaps["viridis"]
        self._lut = (cmap(np.linspace(0, 1, 256)) * 255).astype(np.uint8)  # (256, 4): colour by hand, it is 3x faster
        self.fig, ax = subplots(figsize=(5.6, 4.4))
        self.heat = ax.imshow(self._lut[np.zeros(self._x1.shape, int)], origin="lower", extent=(-L, L, -L, L),
                              interpolation="nearest")
        scale = matplotlib.cm.ScalarMappable(matplotlib.colors.Normalize(0, self.VMAX), cmap)
        self.fig.colorbar(scale, ax=ax, label=r"relu$(\mathbf{w}^\top\mathbf{x}+b)$")
        (self.line,) = ax.plot([], [], color=PALETTE["vermillion"], lw=2.5)
        self.arrow = ax.quiver([0.0], [0.0], [1.0], [0.0], angles="xy", scale_units="xy", scale=1,
                               color="white", width=0.012, zorder=3)
        self.readout = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", color="white", fontsize=13,
                               bbox=dict(facecolor="black", alpha=0.55, edgecolor="none"))
        ax.set(xlim=(-L, L), ylim=(-L, L), xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
        ax.set_title(r"line: $\mathbf{w}^\top\mathbf{x}+b=0$    arrow: $\mathbf{w}$", fontsize=12)
        ax.grid(False)
        self.animate(self.heat, self.line, self.arrow, self.readout)

    def update(self, w1, w2, b):
        w = np.array([w1, w2], dtype=float)
        value = np.maximum(0.0, w1 * self._x1 + w2 * self._x2 + b)  # (GRID, GRID)
        self.heat.set_data(self._lut[np.minimum((value * (256 / self.VMAX)).astype(int), 255)])  # as Colormap bins
        norm = float(np.hypot(w1, w2))
        if norm == 0.0:
            self.line.set_visible(False)
            self.arrow.set_visible(False)
            self.readout.set_text(f"w = 0: constant relu(b) = {max(0.0, b):.2f}")
            return
        foot = -b * w / norm**2  # the point of the line nearest the origin
        along = np.array([-w2, w1]) / norm * 4 * self.LIM
        self.line.set_data([foot[0] - along[0], foot[0] + along[0]], [foot[1] - along[1], foot[1] + along[1]])
        self.arrow.set_offsets([foot])
        self.arrow.set_UVC([w1], [w2])
        self.line.set_visible(True)
        self.arrow.set_visible(True)
        self.readout.set_text(f"‖w‖ = {norm:.2f}   distance to origin = {abs(b) / norm:.2f}")


@register_widget("relu_regions")
class ReluRegionsWidget(LiveFigure):
    """A fixed random arrangement of n relu lines (n in [1, 12]) with its activation regions coloured.

    The lines are drawn once from `seed` (see `_spread_arrangement`); the window holds every crossing, so
    every region is in view (the thinnest may be thinner than a pixel); slider n shows the first n. The
    title gives the exact count `count_regions` and the formula 1 + n + n(n-1)/2.
    """

    NMAX = 12
    GRID = 300  # about one array entry per screen pixel

    def __init__(self, n=5, seed=0):
        import ipywidgets as widgets

        n = require_int(n, "n", low=1, high=self.NMAX)
        self.seed = require_int(seed, "seed", low=0)
        super().__init__({"n": widgets.IntSlider(value=n, min=1, max=self.NMAX, description="n")})

    def build(self):
        self.W, self.b, L = _spread_arrangement(self.NMAX, self.seed)
        t = np.linspace(-L, L, self.GRID)
        X1, X2 = np.meshgrid(t, t)
        on = activation_patterns(np.stack([X1.ravel(), X2.ravel()], axis=1), self.W, self.b)  # (GRID^2, NMAX)
        codes = np.cumsum(on * (1 << np.arange(self.NMAX)), axis=1)  # codes[:, n-1]: pattern of the first n
        colour = matplotlib.colormaps["tab20"]((codes * 0.6180339887) % 1.0, bytes=True)  # (GRID^2, NMAX, 4)
        # golden-ratio hashing: neighbouring codes get distant colours; RGBA bytes draw 3x faster than floats
        self._images = [colour[:, n - 1].reshape(X1.shape + (4,)) for n in range(1, self.NMAX + 1)]
        self._counts = [count_regions(self.W[:n], self.b[:n]) for n in range(1, self.NMAX + 1)]

        self.fig, ax = subplots(figsize=(5.0, 4.8))
        self.regions = ax.imshow(self._images[0], origin="lower", extent=(-L, L, -L, L), interpolation="nearest")
        far = 4 * L
        self.lines = []
        for (c, s), b in zip(self.W, self.b):
            foot, along = -b * np.array([c, s]), np.array([-s, c]) * far
            (ln,) = ax.plot([foot[0] - along[0], foot[0] + along[0]], [foot[1] - along[1], foot[1] + along[1]],
                            color="black", lw=1.3)
            self.lines.append(ln)
        self.title = ax.text(0.5, 1.01, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=13)
        ax.set(xlim=(-L, L), ylim=(-L, L), xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
        ax.grid(False)
        self.animate(self.regions, *self.lines, self.title)

    def update(self, n):
        self.regions.set_data(self._images[n - 1])
        for k, ln in enumerate(self.lines):
            ln.set_visible(k < n)
        self.title.set_text(f"n = {n}: regions = {self._counts[n - 1]}  (1+n+n(n-1)/2 = {general_position_count(n)})")
