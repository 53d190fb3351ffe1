"""Perturbation theory for lecture 5: matrices, deep products, deep relative trust.

How does f(x; w + Δw) - f(x; w) depend on Δw? This module holds the formulas the lecture tests and
the two widgets that show them. References: CONTENT.md D8-D11; Stewart & Sun, "Matrix perturbation
theory" (1990); Bernstein, Vahdat, Yue & Liu, "On the distance between two neural networks and the
stability of learning", NeurIPS 2020 (arXiv 2002.03432), for deep relative trust.

Conventions. A chain is a list of matrices in the order the layers are applied: `Ws[0]` is W_1, so the
product is P = Ws[-1] @ ... @ Ws[0] and `Ws[l+1].shape[1] == Ws[l].shape[0]` (non-square chains work).
`norm="op"` is the spectral (operator 2-) norm, `norm="fro"` the Frobenius norm; both are
submultiplicative, which is all the product bound needs.
"""
import numpy as np
import torch

from .backprop import he_mlp
from .checks import require_array, require_choice, require_float_dtype, require_int, require_real
from .device import _one_thread, resolve_device
from .plotting import PALETTE, LiveFigure, register_widget, subplots

NORMS = ("op", "fro")


# -- matrices --------------------------------------------------------------------------------------
def matrix_norm(M, norm="op"):
    """‖M‖ for a 2-D array: largest singular value (norm='op') or sqrt(Σ M_ij²) (norm='fro').

    ValueError naming norm (unknown) or M (not 2-D, not finite, norm not computable).
    """
    require_choice(norm, "norm", NORMS)
    M = require_array(M, "M", ndim=2)
    try:
        return float(np.linalg.norm(M, 2 if norm == "op" else "fro"))
    except np.linalg.LinAlgError:
        raise ValueError(f"M must have a computable norm (entries too large?), got max |M_ij| = {np.abs(M).max():g}") from None


def _require_chain(Ws, name):
    """A non-empty list of finite 2-D arrays with Ws[l+1].shape[1] == Ws[l].shape[0]; ValueError naming `name`."""
    if isinstance(Ws, np.ndarray) and Ws.ndim == 2:
        raise TypeError(f"{name} must be a list of matrices (Ws[0] applied first), got a single matrix")
    if not isinstance(Ws, (list, tuple)) and not (isinstance(Ws, np.ndarray) and Ws.ndim == 3):
        raise TypeError(f"{name} must be a list of 2-D arrays, got {type(Ws).__name__}")
    if len(Ws) == 0:
        raise ValueError(f"{name} must hold at least one matrix, got an empty chain")
    mats = [require_array(W, f"{name}[{l}]", ndim=2) for l, W in enumerate(Ws)]
    for l in range(len(mats) - 1):
        if mats[l + 1].shape[1] != mats[l].shape[0]:
            raise ValueError(
                f"{name}[{l + 1}] has shape {mats[l + 1].shape} but {name}[{l}] has shape {mats[l].shape}: "
                f"the chain is applied Ws[0] first, so {name}[{l + 1}].shape[1] must equal {name}[{l}].shape[0]")
    return mats


def _require_pair(Ws, dWs):
    Ws, dWs = _require_chain(Ws, "Ws"), _require_chain(dWs, "dWs")
    if len(Ws) != len(dWs):
        raise ValueError(f"dWs must have one matrix per layer: len(Ws)={len(Ws)}, len(dWs)={len(dWs)}")
    for l, (W, dW) in enumerate(zip(Ws, dWs)):
        if W.shape != dW.shape:
            raise ValueError(f"dWs[{l}] must have the shape of Ws[{l}] {W.shape}, got {dW.shape}")
    return Ws, dWs


def chain_product(Ws):
    """P = W_L ⋯ W_1 = Ws[-1] @ ... @ Ws[0]; shape (Ws[-1].shape[0], Ws[0].shape[1]).

    Raises TypeError/ValueError (naming Ws) for an empty chain or mismatched shapes.
    """
    Ws = _require_chain(Ws, "Ws")
    P = Ws[0]
    for W in Ws[1:]:
        P = W @ P
    return P


def product_gap(Ws, dWs, norm="op"):
    """‖(W_L+ΔW_L)⋯(W_1+ΔW_1) − W_L⋯W_1‖ in the chosen norm (the left side of the deep product bound).

    Ws, dWs: lists of matrices of equal shapes, applied Ws[0] first. ValueError for an unknown norm,
    empty chains, mismatched shapes or lengths.
    """
    require_choice(norm, "norm", NORMS)
    Ws, dWs = _require_pair(Ws, dWs)
    gap = chain_product([W + dW for W, dW in zip(Ws, dWs)]) - chain_product(Ws)
    return matrix_norm(gap, norm)


def product_bound(Ws, dWs, norm="op"):
    """∏_l(‖W_l‖ + ‖ΔW_l‖) − ∏_l‖W_l‖ = ∏‖W_l‖·[∏(1 + ‖ΔW_l‖/‖W_l‖) − 1], the right side of the bound.

    It bounds `product_gap(Ws, dWs, norm)` for any submultiplicative norm (CONTENT D10; the proof is
    homework A2). Same argument checks as `product_gap`.
    """
    require_choice(norm, "norm", NORMS)
    Ws, dWs = _require_pair(Ws, dWs)
    sizes = np.array([matrix_norm(W, norm) for W in Ws])
    steps = np.array([matrix_norm(dW, norm) for dW in dWs])
    return float(np.prod(sizes + steps) - np.prod(sizes))


def first_order_eigenvalues(A, dA):
    """First-order prediction of the eigenvalues of A + dA: λ_i(A) + u_iᵀ dA u_i (ascending order).

    A, dA: symmetric (n, n). u_i is the unit eigenvector of the simple eigenvalue λ_i; the error is
    O(‖dA‖²). ValueError (naming A or dA) if not square/symmetric, or if A has a repeated eigenvalue
    (then u_i is not defined and the expansion is a different one).
    """
    A = require_array(A, "A", ndim=2)
    n = A.shape[0]
    dA = require_array(dA, "dA", shape=(n, n))
    for M, name in ((A, "A"), (dA, "dA")):
        if M.shape[0] != M.shape[1] or not np.allclose(M, M.T, rtol=0, atol=1e-12 * max(1.0, np.abs(M).max())):
            raise ValueError(f"{name} must be a symmetric square matrix, got shape {M.shape}")
    try:
        lam, U = np.linalg.eigh(A)
    except np.linalg.LinAlgError:
        raise ValueError("A must have computable eigenvalues (entries too large?)") from None
    if not np.all(np.isfinite(lam)):
        raise ValueError("A must have finite eigenvalues (entries too large?)")
    if n > 1 and np.min(np.diff(lam)) <= 1e-10 * max(1.0, np.abs(lam).max()):
        raise ValueError("A must have simple (distinct) eigenvalues for the first-order expansion")
    return lam + np.einsum("ji,jk,ki->i", U, dA, U)  # u_iᵀ dA u_i for every i


def first_order_singular_values(B, dB):
    """First-order prediction of the singular values of B + dB: σ_i(B) + u_iᵀ dB v_i (descending order).

    B, dB: (m, n) with the same shape; u_i, v_i the left/right singular vectors of the simple σ_i > 0.
    ValueError (naming B or dB) for mismatched shapes or repeated/zero singular values.
    """
    B = require_array(B, "B", ndim=2)
    dB = require_array(dB, "dB", shape=B.shape)
    try:
        U, s, Vt = np.linalg.svd(B, full_matrices=False)
    except np.linalg.LinAlgError:
        raise ValueError("B must have computable singular values (entries too large?)") from None
    if not np.all(np.isfinite(s)):
        raise ValueError("B must have finite singular values (entries too large?)")
    scale = max(1.0, s[0])
    if s[-1] <= 1e-10 * scale or (s.size > 1 and np.min(-np.diff(s)) <= 1e-10 * scale):
        raise ValueError("B must have distinct, non-zero singular values for the first-order expansion")
    return s + np.einsum("ji,jk,ik->i", U, dB, Vt)  # u_iᵀ dB v_i


# -- deep linear networks --------------------------------------------------------------------------
def relative_change_scalar(a, da):
    """Exact signed relative change of the deep linear scalar network f(x; a) = (∏_i a_i) x:

        [f(x; a + Δa) − f(x; a)] / f(x; a) = ∏_{i=1}^d (1 + Δa_i / a_i) − 1     (independent of x ≠ 0).

    a, da: 1-D arrays of equal length d >= 1. ValueError if any a_i == 0 (f would be 0) or shapes differ.
    """
    a = require_array(a, "a", ndim=1)
    da = require_array(da, "da", shape=a.shape)
    if np.any(a == 0):
        raise ValueError(f"a must have no zero entries (f(x; a) = 0 makes the relative change undefined); "
                         f"zero at index {int(np.flatnonzero(a == 0)[0])}")
    return float(np.prod(1.0 + da / a) - 1.0)


def orthogonal_chain(L, n, seed=0):
    """L Haar-random orthogonal (n, n) matrices from `np.random.default_rng(seed)` (QR with sign fix).

    Every W has ‖W‖_op = 1 and ‖W_L⋯W_1 x‖ = ‖x‖, so the prefactor C(x, W) of the function-level bound is 1.
    Returns a list of L arrays (n, n). ValueError naming L, n (< 1) or seed (< 0).
    """
    L, n, seed = require_int(L, "L", low=1), require_int(n, "n", low=1), require_int(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(L):
        Q, R = np.linalg.qr(rng.standard_normal((n, n)))
        out.append(Q * np.sign(np.diag(R)))
    return out


def chain_descent_direction(Ws, x, y):
    """−∇_{W_l} ½‖W_L⋯W_1 x − y‖² for every layer, by backprop: a list of rank-one matrices a_l b_lᵀ.

    b_l = W_{l−1}⋯W_1 x is layer l's input, a_l = (W_L⋯W_{l+1})ᵀ (y − Px) the back-propagated residual.
    x: (Ws[0].shape[1],), y: (Ws[-1].shape[0],). ValueError naming the argument on a shape mismatch.
    """
    Ws = _require_chain(Ws, "Ws")
    x = require_array(x, "x", shape=(Ws[0].shape[1],))
    y = require_array(y, "y", shape=(Ws[-1].shape[0],))
    inputs = [x]
    for W in Ws:
        inputs.append(W @ inputs[-1])  # inputs[l] enters layer l; inputs[-1] = Px
    a, out = y - inputs[-1], [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        out[l] = np.outer(a, inputs[l])
        a = Ws[l].T @ a
    return out


def relative_step(Ws, Ds, eta, norm="op"):
    """Per-layer relative step: ΔW_l = η ‖W_l‖ D_l / ‖D_l‖, so that ‖ΔW_l‖ / ‖W_l‖ = η on every layer.

    Ws, Ds: chains of equal shapes (D_l ≠ 0); eta >= 0. This is the step of the relative optimisers
    (Fromage uses the Frobenius norm, later work the spectral norm). Returns a list like Ws.
    ValueError naming norm, eta (< 0), Ds[l] (zero) or the chain (empty, mismatched shapes or lengths).
    """
    require_choice(norm, "norm", NORMS)
    eta = require_real(eta, "eta", low=0.0)
    Ws, Ds = _require_pair(Ws, Ds)
    out = []
    for l, (W, D) in enumerate(zip(Ws, Ds)):
        size = matrix_norm(D, norm)
        if size == 0:
            raise ValueError(f"Ds[{l}] must be non-zero to define a direction")
        out.append(eta * matrix_norm(W, norm) * D / size)
    return out


# -- relu MLP (torch) ------------------------------------------------------------------------------
def relu_mlp(Ws, X):
    """f(X) = W_L relu(W_{L−1} ⋯ relu(W_1 xᵀ)) for each row x of X: (n, d_in) -> (n, d_out); linear output.

    Also accepts a leading batch of perturbed copies: X (k, n, d_in) with weights (k, out, in) or (out, in).
    TypeError naming Ws or X if they are not torch tensors of those ranks; ValueError naming Ws[l] if its
    fan-in, dtype or device does not match the activations entering it.
    """
    if not isinstance(Ws, (list, tuple)) or not Ws or not all(isinstance(W, torch.Tensor) and W.ndim in (2, 3) for W in Ws):
        raise TypeError("Ws must be a non-empty list of 2-D weight tensors (out, in), Ws[0] applied first")
    if not isinstance(X, torch.Tensor) or X.ndim not in (2, 3):
        raise TypeError(f"X must be a torch tensor of shape (n, d_in) or (k, n, d_in), got {type(X).__name__}")
    h = X
    for l, W in enumerate(Ws):
        if h.shape[-1] != W.shape[-1] or h.dtype != W.dtype or h.device != W.device:
            raise ValueError(f"Ws[{l}] expects {W.shape[-1]} inputs ({W.dtype}, {W.device}), "
                             f"got {h.shape[-1]} ({h.dtype}, {h.device})")
        h = h @ W.transpose(-1, -2)  # (..., n, fan_in) -> (..., n, fan_out)
        if l < len(Ws) - 1:
            h = torch.relu(h)
    return h


def centred_digits(n, seed=0, device=None, dtype=torch.float64):
    """`n` digits (pixels in [0, 1], minus the mean image of all 1797) and their labels: tensors (n, 64), (n,).

    The n are the first of a `np.random.default_rng(seed)` permutation; device None means `get_device()`.
    ValueError naming n (outside 1..1797) or seed (< 0); TypeError naming dtype (not float32/float64).
    """
    from .data import digits_sample, load_digits_arrays

    X, y = digits_sample(n, seed)
    device, dtype = resolve_device(device), require_float_dtype(dtype)
    Xc = X - load_digits_arrays()[0].mean(axis=0)  # (n, 64), centred by the mean image of all 1797
    return torch.as_tensor(Xc, dtype=dtype, device=device), torch.as_tensor(y, dtype=torch.long, device=device)


# -- the Δw widget ---------------------------------------------------------------------------------
MODELS = ("scalar chain", "orthogonal matrix chain", "relu MLP on digits")
DIRECTIONS = ("aligned", "gradient", "random")
ETA_MAX, MAX_DEPTH, N_ETA = 0.3, 50, 60


class DeltaWLab:
    """Relative output change ‖f(W + ΔW) − f(W)‖ / ‖f(W)‖ for per-layer relative steps η, depth 1..50.

    Every layer gets ΔW_l = η D_l with ‖D_l‖_op = ‖W_l‖_op (relative step η), along a direction:
      * aligned:  D_l = W_l (so ΔW_l = η W_l);
      * gradient: D_l ∝ −∇_{W_l} of a loss on the depth-L network (½‖f − y‖² for the chains, with target
        y = 2 f for the scalar chain and a random unit y for the matrix chain; cross-entropy on the digit
        labels for the MLP);
      * random:   D_l ∝ a Gaussian matrix (for scalars, a random sign).
    Models: 'scalar chain' (a_l = ±e^{N(0, 0.3²)}), 'orthogonal matrix chain' (n = 32, input x a unit
    vector), 'relu MLP on digits' (width 32, 32 centred digits, He init, float32 on get_device()).
    A depth-L model is the first L layers of a depth-50 one (for the MLP: input layer, L − 2 hidden
    layers, then the read-out). `curve(...)` caches every (model, direction, L) it computes.
    """

    def __init__(self, seed=0, device=None):
        seed = require_int(seed, "seed", low=0)
        rng = np.random.default_rng(seed)
        self.etas = np.linspace(ETA_MAX / N_ETA, ETA_MAX, N_ETA)  # 60 steps 0.005 .. 0.3
        self._cache = {}
        # scalar chain: relative change depends only on the signs s_l of Δa_l / a_l
        self.a = rng.choice([-1.0, 1.0], MAX_DEPTH) * np.exp(0.3 * rng.standard_normal(MAX_DEPTH))
        self.random_signs = rng.choice([-1.0, 1.0], MAX_DEPTH)
        # orthogonal chain
        n = 32
        self.Ws = orthogonal_chain(MAX_DEPTH, n, seed)
        self.x = _unit(rng.standard_normal(n))
        self.y = _unit(rng.standard_normal(n))
        self.G = [_unit_op(rng.standard_normal((n, n))) for _ in range(MAX_DEPTH)]
        # relu MLP on digits
        self.device = resolve_device(device)
        dt = torch.float32
        self.X, self.labels = centred_digits(32, seed, self.device, dt)
        W = he_mlp([64] + [32] * MAX_DEPTH + [10], seed=seed, dtype=dt, device=self.device)
        self.mlp_hidden, self.mlp_readout = W[:-1], W[-1]  # (32, 64), (32, 32) × 49; (10, 32)
        self.mlp_linear = he_mlp([64, 10], seed=seed + 1, dtype=dt, device=self.device)[0]  # depth 1: (10, 64)
        gen = torch.Generator().manual_seed(seed)
        with _one_thread():
            self.mlp_norms = _op_norms(W + [self.mlp_linear])  # (52,): hidden 0..49, read-out 50, depth-1 map 51
            self.mlp_random = [_unit_op_t(torch.randn(M.shape, generator=gen).to(self.device, dt)) * norm
                               for M, norm in zip(W + [self.mlp_linear], self.mlp_norms)]  # ‖random‖ = ‖W‖
            for direction in ("aligned", "random"):  # all 50 depths in one pass: depth L is a prefix
                for L, c in enumerate(self._mlp_prefix_curves(direction), start=1):
                    self._cache[("curve", MODELS[2], direction, L)] = c

    def _mlp_prefix_curves(self, direction):
        """Curves for depths 1..50 from one forward pass: depth L reads out the hidden state after L − 1 layers."""
        e = torch.as_tensor(self.etas, dtype=self.X.dtype, device=self.device)[:, None, None]  # (k, 1, 1)
        rel = lambda F, f: (torch.linalg.vector_norm(F - f, dim=(1, 2)) / torch.linalg.vector_norm(f)).cpu().double().numpy()
        Ws, Ds = self.directions(MODELS[2], direction, 1)
        curves = [rel(relu_mlp([Ws[0] + e * Ds[0]], self.X), relu_mlp(Ws, self.X))]
        Ws, Ds = self.directions(MODELS[2], direction, MAX_DEPTH)
        R, DR = Ws[-1], Ds[-1]
        h, H = self.X, self.X.expand(self.etas.size, *self.X.shape)  # (n, 64), (k, n, 64)
        with torch.no_grad():
            for W, D in zip(Ws[:-1], Ds[:-1]):
                h = torch.relu(h @ W.T)  # (n, fan_in) -> (n, fan_out)
                H = torch.relu(H @ W.T + e * (H @ D.T))  # (k, n, fan_in) -> (k, n, fan_out), weights W + η D
                curves.append(rel(H @ R.T + e * (H @ DR.T), h @ R.T))
        return curves

    # -- the per-layer weights and directions of one depth --
    def _mlp_weights(self, L):
        return [self.mlp_linear] if L == 1 else self.mlp_hidden[:L - 1] + [self.mlp_readout]

    def _mlp_op_norms(self, L):
        return self.mlp_norms[-1:] if L == 1 else torch.cat([self.mlp_norms[:L - 1], self.mlp_norms[MAX_DEPTH:MAX_DEPTH + 1]])

    def _mlp_random(self, L):
        return [self.mlp_random[-1]] if L == 1 else self.mlp_random[:L - 1] + [self.mlp_random[MAX_DEPTH]]

    def directions(self, model, direction, L):
        """(Ws, Ds): the depth-L weights and the directions D_l with ‖D_l‖_op = ‖W_l‖_op (cached)."""
        key = ("dir", model, direction, L)
        if key in self._cache:
            return self._cache[key]
        if model == MODELS[0]:
            Ws = self.a[:L]
            if direction == "aligned":
                Ds = Ws
            elif direction == "random":
                Ds = self.random_signs[:L] * Ws
            else:  # −∂/∂a_l ½(f − y)² = (y − f) f / a_l at x = 1, for the target y = 2f
                f = np.prod(Ws)
                y = 2 * f
                Ds = np.abs(Ws) * np.sign((y - f) * f / Ws)  # relative size 1: |D_l| = |a_l|
        elif model == MODELS[1]:
            Ws = self.Ws[:L]
            if direction == "aligned":
                Ds = Ws
            elif direction == "random":
                Ds = self.G[:L]
            else:
                Ds = [_unit_op(G) for G in chain_descent_direction(Ws, self.x, self.y)]
        else:
            Ws = self._mlp_weights(L)
            if direction == "aligned":
                Ds = Ws
            elif direction == "random":
                Ds = self._mlp_random(L)
            else:
                leaves = [W.detach().clone().requires_grad_(True) for W in Ws]
                loss = torch.nn.functional.cross_entropy(relu_mlp(leaves, self.X), self.labels)
                grads = torch.autograd.grad(loss, leaves)
                scale = self._mlp_op_norms(L) / _op_norms(grads)  # ‖W_l‖_op / ‖g_l‖_op
                Ds = [-s * g for s, g in zip(scale, grads)]
        self._cache[key] = (Ws, Ds)
        return Ws, Ds

    def measure(self, model, direction, L, etas):
        """Relative output change ‖f(W + ηD) − f(W)‖ / ‖f(W)‖ for each η in `etas` (1-D): an array like `etas`.

        Not cached. ValueError naming model, direction, L (outside 1..50) or etas (not 1-D).
        """
        require_choice(model, "model", MODELS)
        require_choice(direction, "direction", DIRECTIONS)
        L = require_int(L, "L", low=1, high=MAX_DEPTH)
        etas = require_array(etas, "etas", ndim=1)
        Ws, Ds = self.directions(model, direction, L)
        if model == MODELS[0]:  # exact identity, from the products themselves: f(a + Δa)/f(a) − 1
            ratio = np.prod(Ws[None, :] + etas[:, None] * Ds[None, :], axis=1) / np.prod(Ws)
            return np.abs(ratio - 1.0)
        if model == MODELS[1]:
            h, H = self.x, np.tile(self.x, (etas.size, 1))  # (n,), (k, n): one perturbed copy per η
            for W, D in zip(Ws, Ds):
                h = W @ h
                H = H @ W.T + etas[:, None] * (H @ D.T)  # rows: (W + η D) h
            return np.linalg.norm(H - h, axis=1) / np.linalg.norm(h)
        e = torch.as_tensor(etas, dtype=self.X.dtype, device=self.device)[:, None, None]  # (k, 1, 1)
        with torch.no_grad():
            h, H = self.X, self.X  # (n, 64); H becomes (k, n, width): one perturbed copy per η
            for l, (W, D) in enumerate(zip(Ws, Ds)):
                h, H = h @ W.T, H @ W.T + e * (H @ D.T)  # H (W + η D)ᵀ without forming k weight matrices
                if l < len(Ws) - 1:
                    h, H = torch.relu(h), torch.relu(H)
            rel = torch.linalg.vector_norm(H - h, dim=(1, 2)) / torch.linalg.vector_norm(h)
        return rel.cpu().double().numpy()

    def curve(self, model, direction, L):
        """`measure` on the 60-point grid `self.etas` (0.005 .. 0.3), cached per (model, direction, L)."""
        key = ("curve", model, direction, L)
        if key not in self._cache:
            with _one_thread():
                self._cache[key] = self.measure(model, direction, L, self.etas)
        return self._cache[key]


def _unit(v):
    return v / np.linalg.norm(v)


def _unit_op(M):
    return M / np.linalg.norm(M, 2)


def _op_norms(Ms):
    """Spectral norms of a list of tensors, batching the equal shapes into one call: tensor (len(Ms),)."""
    out = torch.empty(len(Ms), dtype=Ms[0].dtype, device=Ms[0].device)
    groups = {}
    for i, M in enumerate(Ms):
        groups.setdefault(tuple(M.shape), []).append(i)
    for idx in groups.values():
        out[idx] = torch.linalg.matrix_norm(torch.stack([Ms[i] for i in idx]), 2)
    return out


def _unit_op_t(M):
    return M / torch.linalg.matrix_norm(M, 2)


@register_widget("delta_w")
class DeltaWWidget(LiveFigure):
    """The Δw slider: relative output change vs the per-layer relative step η, for a depth-L network.

    Curves over the 60-point η grid: measured (DeltaWLab), the product bound (1 + η)^L − 1 and the
    linearisation Lη; a marker and a readout at the slider's η (measured exactly there, not interpolated).
    Log y-axis with fixed limits [1e-3, 1e6], so moves never redraw the axes.
    """

    Y_LIM = (1e-3, 1e6)

    def __init__(self, eta=0.05, L=20, direction="gradient", model=MODELS[1], lab=None):
        import ipywidgets as widgets

        self.lab = lab if lab is not None else DeltaWLab()
        style = {"description_width": "initial"}
        super().__init__({
            "eta": widgets.FloatSlider(value=require_real(eta, "eta", 0.0, ETA_MAX), min=0.0, max=ETA_MAX,
                                       step=0.005, description="η per layer", readout_format=".3f",
                                       continuous_update=True, style=style),
            "L": widgets.IntSlider(value=require_int(L, "L", 1, MAX_DEPTH), min=1, max=MAX_DEPTH,
                                   description="depth L", style=style),
            "direction": widgets.Dropdown(options=list(DIRECTIONS), value=require_choice(direction, "direction", DIRECTIONS),
                                          description="direction", style=style),
            "model": widgets.Dropdown(options=list(MODELS), value=require_choice(model, "model", MODELS),
                                      description="model", style=style),
        })

    def build(self):
        self.fig, ax = subplots(figsize=(7.0, 4.0))
        e = self.lab.etas
        ax.set(xlim=(0, ETA_MAX), ylim=self.Y_LIM, yscale="log", xlabel="per-layer relative step η",
               ylabel="relative output change")
        self.measured, = ax.plot(e, e, color=PALETTE["blue"], lw=3, label="measured")
        self.bound, = ax.plot(e, e, color=PALETTE["vermillion"], ls="--", label="bound (1+η)$^L$−1")
        self.linear, = ax.plot(e, e, color=PALETTE["green"], ls=":", lw=2.5, label="linear Lη")
        self.cursor = ax.axvline(0.0, color=PALETTE["black"], lw=0.8, alpha=0.5)
        self.marker, = ax.plot([0.0], [1.0], "o", color=PALETTE["blue"], ms=9, markeredgecolor="white")
        self.readout = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", fontsize=13)
        ax.legend(loc="lower right")
        self.animate(self.measured, self.bound, self.linear, self.cursor, self.marker, self.readout)

    def update(self, eta, L, direction, model):
        e = self.lab.etas
        self.measured.set_ydata(self.lab.curve(model, direction, L))
        self.bound.set_ydata((1 + e) ** L - 1)
        self.linear.set_ydata(L * e)
        with _one_thread():
            m = float(self.lab.measure(model, direction, L, np.array([eta]))[0]) if eta > 0 else 0.0
        b, lin = (1 + eta) ** L - 1, L * eta
        self.cursor.set_xdata([eta, eta])
        self.marker.set_data([eta], [max(m, 1e-300)])
        self.marker.set_visible(eta > 0)
        self.readout.set_text(f"measured {m:.3g} / bound {b:.3g} / linear {lin:.3g}")  # short: glyphs cost ms
        self.last = {"measured": m, "bound": b, "linear": lin}


@register_widget("eigen_first_order")
class EigenErrorWidget(LiveFigure):
    """First-order eigenvalue error |λ_i(A + εE) − λ_i(A) − ε u_iᵀEu_i| vs ε on log–log axes, slope-2 guide.

    A = Q diag(1..30) Qᵀ, E symmetric with ‖E‖_op = 1 (seed 0), as in experiment E5.1. Controls: log10 ε
    (marker) and the eigenvalue index i (1 = smallest). All 40 × 30 errors are computed once, in the constructor.
    """

    def __init__(self, log10_eps=-2.0, index=15, seed=0):
        import ipywidgets as widgets

        rng = np.random.default_rng(require_int(seed, "seed", low=0))
        n = 30
        Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        self.A = Q @ np.diag(np.arange(1.0, n + 1)) @ Q.T
        E = rng.standard_normal((n, n))
        self.E = _unit_op((E + E.T) / 2)
        self.eps = np.logspace(-4, -0.5, 40)
        lam = np.linalg.eigvalsh(self.A)
        slope = first_order_eigenvalues(self.A, self.E) - lam  # u_iᵀ E u_i
        exact = np.linalg.eigvalsh(self.A[None] + self.eps[:, None, None] * self.E[None])  # (40, 30)
        self.errors = np.abs(exact - lam - self.eps[:, None] * slope)  # (40, 30)
        self._lam, self._slope = lam, slope
        super().__init__({
            "log10_eps": widgets.FloatSlider(value=require_real(log10_eps, "log10_eps", -4.0, -0.5), min=-4.0,
                                             max=-0.5, step=0.05, description="log10 ε"),
            "index": widgets.IntSlider(value=require_int(index, "index", 1, n), min=1, max=n, description="eigenvalue i"),
        })

    def build(self):
        self.fig, ax = subplots(figsize=(7.0, 4.0))
        ax.set(xscale="log", yscale="log", xlim=(1e-4, 10 ** -0.5), ylim=(1e-14, 1e-1),
               xlabel="ε", ylabel="|λ(A+εE) − λ − ε uᵀEu|")
        ax.plot(self.eps, 0.5 * self.eps ** 2, color=PALETTE["black"], ls="--", lw=1.2, label="slope 2 guide: ε²/2")
        self.line, = ax.plot(self.eps, self.errors[:, 0], color=PALETTE["blue"], marker=".", label="first-order error")
        self.marker, = ax.plot([1e-2], [1e-6], "o", color=PALETTE["vermillion"], ms=9)
        self.readout = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", fontsize=13)
        ax.legend(loc="lower right")
        self.animate(self.line, self.marker, self.readout)

    def update(self, log10_eps, index):
        eps, i = 10.0 ** log10_eps, index - 1
        self.line.set_ydata(self.errors[:, i])
        exact = np.linalg.eigvalsh(self.A + eps * self.E)[i]
        err = abs(exact - self._lam[i] - eps * self._slope[i])
        self.marker.set_data([eps], [max(err, 1e-16)])
        self.readout.set_text(f"λ_{index}: error {err:.1e}, ε² = {eps ** 2:.1e}")
        self.last_error = err
