"""Lecture 6: the neural network–Gaussian process (NNGP) correspondence for relu networks.

Kernel maps (the arc-cosine kernel of Cho & Saul 2009, the layer recursion of Lee et al. 2018), exact
samplers of random networks at finitely many inputs, and the finite-width diagnostics the lecture uses.

Conventions (CONTENT-06 §0): depth L = number of hidden layers (L+1 weight matrices); z^1 = W^1 x,
a^l = sqrt(2) relu(z^l), z^{l+1} = W^{l+1} a^l; weights N(0, 1/fan-in), no biases ("√2-relu", He init).
Networks run in float32 on `get_device()`; kernels, Grams and moments are returned in float64 NumPy.
"""
import functools
import math
import types

import numpy as np
import torch

from .checks import require_array, require_bool, require_int, require_int_sequence, require_real
from .device import resolve_device
from .plotting import CYCLE, PALETTE, LiveFigure, register_widget, subplots
from .scaling import alpha_star

SQRT2 = math.sqrt(2.0)
ALPHA_STAR = alpha_star()  # lecture 4's variance-preserving gain, sqrt(2 / (1 - 1/pi)) = 1.712859
FOUR_INPUTS = (0, 10, 1, 7)  # digits with labels 0, 0, 1, 7: input cosines from -0.66 to +0.71


# ---------------------------------------------------------------------------------------------
# Kernel maps (closed forms)
# ---------------------------------------------------------------------------------------------
def _correlations(t, name):
    """`t` as a float64 array in [-1, 1]; overshoot from round-off (<= 1e-9) is clipped, more is an error."""
    t = require_array(t, name, min_size=0)
    if t.size and (t.min() < -1 - 1e-9 or t.max() > 1 + 1e-9):
        raise ValueError(f"{name} must be a correlation in [-1, 1], got range [{t.min()}, {t.max()}]")
    return np.clip(t, -1.0, 1.0)


def arccos_map(t):
    """The √2-relu correlation map h(t) = [sqrt(1 - t²) + t (π - arccos t)] / π, elementwise.

    h(t) = 2 E[relu(u) relu(v)] for (u, v) standard normal with correlation t. h(1) = 1, h(0) = 1/π,
    h(-1) = 0; h is increasing, convex and h(t) >= t. `t`: any shape, values in [-1, 1] (ValueError else).
    """
    t = _correlations(t, "t")
    return (np.sqrt(1.0 - t**2) + t * (np.pi - np.arccos(t))) / np.pi


def centred_arccos_map(t):
    """The centred map h_c(t) = (h(t) - 1/π) / (1 - 1/π): correlation map of α·relu with centred weights.

    h_c(t) = Cov[relu u, relu v] / Var[relu u] for (u, v) standard normal with correlation t.
    h_c(0) = 0, h_c(1) = 1, h_c'(1) = π/(π-1) = α*²/2. `t` in [-1, 1], any shape.
    """
    return (arccos_map(t) - 1.0 / np.pi) / (1.0 - 1.0 / np.pi)


def _check_gram(K, name):
    K = require_array(K, name, ndim=2)
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"{name} must be square, got shape {K.shape}")
    scale = max(1.0, float(np.abs(K).max()))
    if not np.allclose(K, K.T, rtol=0.0, atol=1e-10 * scale):
        raise ValueError(f"{name} must be symmetric, max |{name} - {name}.T| = {np.abs(K - K.T).max():.3g}")
    if np.any(np.diag(K) < 0):
        raise ValueError(f"{name} must have a non-negative diagonal (variances)")
    return K


def relu_kernel_step(K):
    """One layer of the relu kernel: E[relu(u_i) relu(u_j)] for u ~ N(0, K), all pairs at once.

    Closed form (arc-cosine kernel): sqrt(K_ii K_jj)/(2π) · (sin θ + (π - θ) cos θ), θ = arccos ρ_ij,
    ρ_ij = K_ij / sqrt(K_ii K_jj); entries with a zero variance give 0.
    K: (m, m) symmetric with a non-negative diagonal -> (m, m). ValueError if non-square or non-symmetric.
    """
    K = _check_gram(K, "K")
    norm = np.sqrt(np.outer(np.diag(K), np.diag(K)))  # (m, m) sqrt(K_ii K_jj)
    rho = np.clip(np.divide(K, norm, out=np.zeros_like(K), where=norm > 0), -1.0, 1.0)
    return norm / 2 * arccos_map(rho)  # E[relu u relu v] = sqrt(K_ii K_jj) h(rho) / 2


def nngp_relu(X, depth, alpha=SQRT2, sigma_w2=1.0, sigma_b2=0.0):
    """NNGP kernel of a depth-L network with φ = α·relu at the rows of X: K^{L+1}(x_i, x_j).

    K^1 = σ_b² + σ_w² X Xᵀ/d0, then L times K <- σ_b² + σ_w² α² E[relu relu] (relu_kernel_step).
    Defaults (α = √2, σ_w² = 1, σ_b² = 0) give |x||x'|/d0 · h^{∘L}(cos ∠(x, x')).
    X: (m, d0); depth >= 0. Returns (m, m) float64.
    ValueError/TypeError (naming the argument) for X not 2-D or non-finite, depth < 0, negative alpha/sigmas.
    """
    X = require_array(X, "X", ndim=2)
    depth = require_int(depth, "depth", low=0)
    alpha = require_real(alpha, "alpha", low=0.0)
    sigma_w2 = require_real(sigma_w2, "sigma_w2", low=0.0)
    sigma_b2 = require_real(sigma_b2, "sigma_b2", low=0.0)
    K = sigma_b2 + sigma_w2 * (X @ X.T) / X.shape[1]
    for _ in range(depth):
        K = sigma_b2 + sigma_w2 * alpha * alpha * relu_kernel_step(K)
    return K


@functools.lru_cache(maxsize=8)
def _hermite(nodes):
    """Probabilists' Gauss–Hermite nodes and weights normalised to sum 1: Σ w g(x) ≈ E g(ξ), ξ ~ N(0, 1)."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    return x, w / w.sum()


def tanh_step(q, c, sigma_w, sigma_b, nodes=101):
    """One tanh layer of the (variance, correlation) map, by 2-D Gauss–Hermite quadrature.

    For (u, v) ~ N(0, q [[1, c], [c, 1]]):  q' = σ_w² E[tanh(u)²] + σ_b²,
    c' = (σ_w² E[tanh(u) tanh(v)] + σ_b²) / q'. Returns (q', c') as floats.
    q > 0, c in [-1, 1], σ_w, σ_b >= 0, nodes >= 2 (101 agrees with 201 to ~4e-4 after 16 layers).
    ValueError naming the argument when one is out of range, or if q' is 0 or infinite.
    """
    q = require_real(q, "q", low=0.0)
    if q == 0:
        raise ValueError("q must be > 0, got 0")
    c = min(1.0, max(-1.0, require_real(c, "c", low=-1 - 1e-9, high=1 + 1e-9)))
    sigma_w = require_real(sigma_w, "sigma_w", low=0.0)
    sigma_b = require_real(sigma_b, "sigma_b", low=0.0)
    nodes = require_int(nodes, "nodes", low=2)
    x, w = _hermite(nodes)
    u = math.sqrt(q) * x[:, None]                                                     # (nodes, 1)
    v = math.sqrt(q) * (c * x[:, None] + math.sqrt(max(0.0, 1 - c * c)) * x[None, :])  # (nodes, nodes)
    q_new = sigma_w * sigma_w * float(w @ np.tanh(u[:, 0]) ** 2) + sigma_b * sigma_b
    cov = sigma_w * sigma_w * float(w @ (np.tanh(u) * np.tanh(v)) @ w) + sigma_b * sigma_b
    if not 0 < q_new < math.inf:
        raise ValueError(f"sigma_w = {sigma_w} and sigma_b = {sigma_b} give a next-layer variance of {q_new}")
    return q_new, cov / q_new


# ---------------------------------------------------------------------------------------------
# Samplers: random √2-relu networks at m inputs
# ---------------------------------------------------------------------------------------------
def psd_root(S):
    """A root R of a symmetric PSD matrix (or batch): Rᵀ R = S. R: same shape as S (..., m, m).

    Cholesky (R = Lᵀ) where it succeeds; otherwise R = Λ^{1/2} Uᵀ from S = U Λ Uᵀ (eigh, Λ clamped at 0),
    which also handles rank-deficient S. Any root serves: g R has covariance Rᵀ R = S for g ~ N(0, I).
    NumPy in -> NumPy out (float64); torch in -> torch out (dtype and device kept).
    ValueError if S is not square in its last two axes or not symmetric.
    """
    as_numpy = not isinstance(S, torch.Tensor)
    if as_numpy:
        S = torch.as_tensor(require_array(S, "S"))
    elif not S.is_floating_point():
        S = S.double()
    if S.ndim < 2 or S.shape[-1] != S.shape[-2] or S.numel() == 0:
        raise ValueError(f"S must be a non-empty square matrix (or batch), got shape {tuple(S.shape)}")
    if not torch.isfinite(S).all() or S.abs().max() > 1e150:
        raise ValueError("S must contain only finite numbers below 1e150")
    tol = (1e-5 if S.dtype == torch.float32 else 1e-10) * max(1.0, float(S.abs().max()))
    if (S - S.mT).abs().max() > tol:
        raise ValueError("S must be symmetric")
    R = _root(S)
    return R.numpy() if as_numpy else R


def _root(S):
    """psd_root without the argument checks (the samplers' inner loop)."""
    S64 = S.double()
    L, info = torch.linalg.cholesky_ex(S64)
    R = L.mT.clone()
    bad = info != 0
    if bad.any():
        lam, U = torch.linalg.eigh(S64[bad])
        R[bad] = lam.clamp(min=0).sqrt().unsqueeze(-1) * U.mT
    return R.to(S.dtype)


def _sampler_args(X, width, depth, n_nets, seed, device):
    X = require_array(X, "X", ndim=2)
    if not np.all(np.abs(X) < 1e100):
        raise ValueError("X must have entries below 1e100 in size")
    if isinstance(width, (int, np.integer)) and not isinstance(width, bool):
        widths = [require_int(width, "width", low=1)]
    else:
        widths = require_int_sequence(width, "width", low=1)
    depth = require_int(depth, "depth", low=1)
    n_nets = require_int(n_nets, "n_nets", low=1)
    seed = require_int(seed, "seed", low=0)
    return X, widths, depth, n_nets, seed, resolve_device(device)


def sample_outputs_gram(X, width, depth, n_nets, seed, device=None):
    """Exact joint law of n_nets random √2-relu networks at the m rows of X, by the Gram chain (M7.6).

    Lemma: if W has iid N(0, 1/p) entries and H (p, m) is fixed, then W H has iid rows ~ N(0, HᵀH/p), i.e.
    W H =d G R with G iid N(0, 1) and Rᵀ R = HᵀH/p. Per layer: G (width, m) -> H = √2 relu(G R)
    -> S = HᵀH/width -> readout f = v R(S), v ~ N(0, I_m). Costs O(width·m²) per net and layer instead
    of width² weights. Gaussian weights only.

    X: (m, d0). width: int, or a list of ints for nested widths (width n uses the first n rows of G, so
    all widths share their random numbers). Returns float64 NumPy arrays
      F (n_nets, depth, m): output of an independent readout after each hidden layer 1..depth,
      S (n_nets, depth, m, m): the empirical kernel Σ̂^l = a^lᵀ a^l / width after each layer;
    with a leading axis of len(width) when width is a list.
    ValueError/TypeError naming the argument: X not 2-D or too large, width/depth/n_nets < 1, seed < 0.
    """
    X, widths, depth, n_nets, seed, dev = _sampler_args(X, width, depth, n_nets, seed, device)
    g = torch.Generator(device=dev).manual_seed(seed)
    m, d0 = X.shape
    X = torch.as_tensor(X, dtype=torch.float64, device=dev)
    S0 = (X @ X.T / d0).expand(n_nets, m, m)  # (K, m, m) layer-1 kernel
    if not torch.isfinite(S0).all():
        raise ValueError("X is too large: its Gram matrix overflows")
    R = [_root(S0)] * len(widths)  # (K, m, m) root of the current kernel, per width
    Fs, Ss = [], []
    for _ in range(depth):
        G = torch.randn(n_nets, m, max(widths), generator=g, device=dev)  # (K, m, n_max): units along the last axis
        v = torch.randn(n_nets, 1, m, generator=g, device=dev, dtype=torch.float64)  # (K, 1, m)
        F_l, S_l = [], []
        for i, n in enumerate(widths):
            Ht = SQRT2 * torch.relu(R[i].mT.float() @ G[:, :, :n])  # (K, m, n) = (G R)ᵀ, rows of G R ~ N(0, S)
            S = (Ht @ Ht.mT).double() / n                             # (K, m, m) empirical kernel Σ̂
            R[i] = _root(S)                                           # serves the readout and the next layer
            F_l.append((v @ R[i])[:, 0, :])                           # f | Σ̂ ~ N(0, Σ̂)
            S_l.append(S)
        Fs.append(torch.stack(F_l))
        Ss.append(torch.stack(S_l))
    F = torch.stack(Fs, 2).cpu().numpy()  # (n_widths, K, depth, m)
    S = torch.stack(Ss, 2).cpu().numpy()  # (n_widths, K, depth, m, m)
    return (F[0], S[0]) if isinstance(width, (int, np.integer)) else (F, S)


def sample_outputs_real(X, width, depth, n_nets, seed, chunk=250, kernels=True, device=None):
    """Random √2-relu networks with real Gaussian weight matrices, evaluated at the m rows of X.

    Per net and layer: W ~ N(0, 1/fan-in) of shape (width, fan-in), a = √2 relu(W a_prev); after each
    hidden layer an independent readout f = v·a/√width, v ~ N(0, I). Nets are drawn `chunk` at a time.
    X: (m, d0). width: int, or a list of nested widths (width n uses the top-left n × fan-in block of
    the largest matrix). Returns float64 NumPy arrays F (n_nets, depth, m) and, if `kernels`,
    S (n_nets, depth, m, m) = a^lᵀ a^l / width (else None); a leading width axis when width is a list.
    ValueError/TypeError naming the argument, as for sample_outputs_gram, plus chunk < 1 or a non-bool kernels.
    """
    X, widths, depth, n_nets, seed, dev = _sampler_args(X, width, depth, n_nets, seed, device)
    chunk = require_int(chunk, "chunk", low=1)
    require_bool(kernels, "kernels")
    g = torch.Generator(device=dev).manual_seed(seed)
    m, d0 = X.shape
    n_max = max(widths)
    X = torch.as_tensor(X, dtype=torch.float32, device=dev)
    F = torch.zeros(len(widths), n_nets, depth, m, dtype=torch.float64)
    S = torch.zeros(len(widths), n_nets, depth, m, m, dtype=torch.float64) if kernels else None
    for start in range(0, n_nets, chunk):
        k = min(chunk, n_nets - start)
        A = [X.T.expand(k, d0, m)] * len(widths)  # (k, fan_in, m): inputs as columns
        for l in range(depth):
            W = torch.randn(k, n_max, d0 if l == 0 else n_max, generator=g, device=dev)  # (k, n_max, fan_in)
            v = torch.randn(k, 1, n_max, generator=g, device=dev)                          # (k, 1, n_max)
            for i, n in enumerate(widths):
                fan_in = A[i].shape[1]
                A[i] = SQRT2 * torch.relu(W[:, :n, :fan_in] @ A[i] / math.sqrt(fan_in))  # (k, n, m)
                F[i, start:start + k, l] = (v[:, :, :n] @ A[i])[:, 0, :].double().cpu() / math.sqrt(n)
                if kernels:
                    S[i, start:start + k, l] = (A[i].mT @ A[i]).double().cpu() / n
    F = F.numpy()
    S = S.numpy() if kernels else None
    if isinstance(width, (int, np.integer)):
        return F[0], (S[0] if kernels else None)
    return F, S


def sample_gp(K, n_samples, seed):
    """n_samples draws of N(0, K): Z R with Z (n_samples, m) from np.random.default_rng(seed), Rᵀ R = K.

    K: (m, m) symmetric PSD. Returns (n_samples, m) float64. ValueError naming K (non-square, non-symmetric,
    negative diagonal), n_samples (< 1) or seed (< 0).
    """
    K = _check_gram(K, "K")
    n_samples = require_int(n_samples, "n_samples", low=1)
    seed = require_int(seed, "seed", low=0)
    Z = np.random.default_rng(seed).standard_normal((n_samples, K.shape[0]))
    return Z @ psd_root(K)


# ---------------------------------------------------------------------------------------------
# Diagnostics
# ---------------------------------------------------------------------------------------------
def excess_kurtosis(f):
    """Fisher excess kurtosis m4/m2² - 3 (biased moments, float64) of a 1-D sample; NaN if its variance is 0.

    0 for a Gaussian. Its sampling sd is about sqrt(24/N) for N draws of a near-Gaussian law.
    f: (N,) with N >= 2; ValueError naming f otherwise (or if not finite).
    """
    f = require_array(f, "f", ndim=1, min_size=2)
    d = f - f.mean()
    m2 = np.mean(d**2)
    return float(np.mean(d**4) / m2**2 - 3.0) if m2 > 0 else float("nan")


def conditional_kurtosis(Q):
    """Excess kurtosis of f from the per-net output variances Q: 3 Var[Q] / E[Q]² (M7.1–2).

    Given the last hidden layer, f ~ N(0, Q), so E f⁴ = 3 E Q² and the excess kurtosis is 3 Var Q/(E Q)²:
    the same quantity as the raw kurtosis of f, without the readout's sampling noise.
    Q: (N,) with N >= 2, non-negative (ValueError naming Q otherwise). NaN if every Q is 0 (all nets dead).
    """
    Q = require_array(Q, "Q", ndim=1, min_size=2)
    if Q.min() < 0:
        raise ValueError("Q must be non-negative (they are variances)")
    return float(3.0 * Q.var() / Q.mean() ** 2) if Q.mean() > 0 else float("nan")


def kurtosis_theory(width, depth):
    """Exact excess kurtosis of a √2-relu net's output at any input: 3[(1 + 5/n)^L - 1] ≈ 15 L/n.

    width n >= 1, depth L >= 0 (ValueError naming the argument otherwise). Returns a float.
    """
    width = require_int(width, "width", low=1)
    depth = require_int(depth, "depth", low=0)
    return float(3.0 * np.expm1(depth * np.log1p(5.0 / width)))


def cov_zscores(F, K):
    """z-scores of the raw covariance estimate: (FᵀF/N - K)_ij / SE_ij, SE_ij = sd_k(f_ki f_kj) / sqrt(N).

    F: (N, m) samples of a mean-zero vector whose covariance should be K (m, m). The standard error is
    measured from the sample itself, so it also covers the heavier-than-Gaussian tails of finite-width
    outputs (for Gaussian f it is sqrt((K_ii K_jj + K_ij²)/N)). Returns (m, m).
    ValueError naming F or K on wrong ranks or mismatched sizes.
    """
    F = require_array(F, "F", ndim=2, min_size=2)
    K = _check_gram(K, "K")
    if K.shape[0] != F.shape[1]:
        raise ValueError(f"K must be ({F.shape[1]}, {F.shape[1]}) to match F, got {K.shape}")
    N = F.shape[0]
    P = F[:, :, None] * F[:, None, :]  # (N, m, m) products f_i f_j, one per sample
    return (P.mean(0) - K) / (P.std(0) / math.sqrt(N))


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
def centre_and_scale(X, mean):
    """(X - mean), each row rescaled to norm sqrt(d0) so that xᵀx/d0 = 1. X (n, d0), mean (d0,) -> (n, d0).

    ValueError naming X or mean on wrong shapes, or if a row of X equals mean (it has no direction).
    """
    X = require_array(X, "X", ndim=2)
    mean = require_array(mean, "mean", shape=(X.shape[1],))
    Xc = X - mean
    norms = np.linalg.norm(Xc, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("X has a row equal to mean: it cannot be rescaled")
    return Xc * (math.sqrt(X.shape[1]) / norms)


@functools.lru_cache(maxsize=1)
def _four_inputs():
    from .data import load_digits_arrays

    X, _ = load_digits_arrays()
    Xs = centre_and_scale(X, X.mean(0))[list(FOUR_INPUTS)]
    Xs.setflags(write=False)
    return Xs


def four_inputs():
    """The 4-input set: digits FOUR_INPUTS (labels 0, 0, 1, 7), centred by the mean image of all 1797
    and scaled to norm 8 = sqrt(64). Returns (4, 64) float64 (a copy)."""
    return _four_inputs().copy()


def circle_inputs(M):
    """M equally spaced points x(θ) = √2 (cos θ, sin θ), θ = 2πk/M, so that xᵀx'/d0 = cos(θ - θ').

    Returns (theta (M,), X (M, 2)). ValueError naming M if M < 1.
    """
    M = require_int(M, "M", low=1)
    theta = 2 * np.pi * np.arange(M) / M
    return theta, SQRT2 * np.stack([np.cos(theta), np.sin(theta)], axis=1)


# ---------------------------------------------------------------------------------------------
# The widget: width (log2 slider) and depth of a random √2-relu net
# ---------------------------------------------------------------------------------------------
WIDGET_WIDTHS = tuple(2**k for k in range(11))  # 1, 2, 4, ..., 1024: the width slider is a log2 scale
WIDGET_DEPTH = 16
HIST_EDGES = np.linspace(-4.1, 4.1, 42)  # 41 bins of 0.2, one centred on 0 (where dead nets pile up)


@functools.lru_cache(maxsize=2)
def _widget_data(seed=0, n_nets=1000, n_circle=128):
    """Every frame of NNGPWidget, for all 11 widths × 16 depths, computed once per process (~1.5 s CPU).

    Outputs at the 4-input set come from the Gram chain with nested widths (moving the width slider
    morphs the same random nets); functions on the circle from 4 nets with nested widths (real weight
    matrices below n_circle units, the Gram chain from there on). Returns a SimpleNamespace of read-only float64 arrays (w = width index, l = depth - 1):
      F (11, 16, n_nets, 4)  outputs f(x_i);   Q (11, 16, n_nets)  Σ̂^L(x0, x0), the variance of f(x0) given the net
      C, C_rb (11, 16, 4, 4) raw covariance FᵀF/n_nets and conditional covariance mean(Σ̂^L)
      K (16, 4, 4)           NNGP kernel h^{∘L} on the 4-input set
      hist (11, 16, 41)      density of f(x0) on HIST_EDGES, as a fraction of all n_nets nets
      raw_kurt, cond_kurt, dead, outside (11, 16): excess kurtosis of f(x0), 3 Var Q/(E Q)², fraction of
                             nets with Q == 0 (f ≡ 0), fraction of |f(x0)| > 4
      theta (M,), Fc (11, 16, 4, M) nets on the circle, GPc (16, 4, M) GP samples with the NNGP kernel.
    """
    seed = require_int(seed, "seed", low=0)
    n_nets = require_int(n_nets, "n_nets", low=2)
    n_circle = require_int(n_circle, "n_circle", low=3)
    X4 = four_inputs()
    F, S = sample_outputs_gram(X4, list(WIDGET_WIDTHS), WIDGET_DEPTH, n_nets, seed)  # (11, K, 16, 4), (11, K, 16, 4, 4)
    F, S = F.transpose(0, 2, 1, 3), S.transpose(0, 2, 1, 3, 4)                       # (11, 16, K, ...)
    d = types.SimpleNamespace(F=F, Q=S[..., 0, 0])
    d.C = np.einsum("wlki,wlkj->wlij", F, F) / n_nets
    d.C_rb = S.mean(2)
    d.K = np.stack([nngp_relu(X4, L) for L in range(1, WIDGET_DEPTH + 1)])
    f0 = F[..., 0]
    d.hist = np.apply_along_axis(lambda f: np.histogram(f, HIST_EDGES)[0], -1, f0) / (n_nets * np.diff(HIST_EDGES)[0])
    d.raw_kurt = np.apply_along_axis(excess_kurtosis, -1, f0)
    d.cond_kurt = np.apply_along_axis(conditional_kurtosis, -1, d.Q)
    d.dead = (d.Q == 0).mean(-1)
    d.outside = (np.abs(f0) > 4).mean(-1)
    d.theta, Xc = circle_inputs(n_circle)
    narrow = [n for n in WIDGET_WIDTHS if n < n_circle]  # real weights: cheaper than the chain when n < M
    wide = [n for n in WIDGET_WIDTHS if n >= n_circle]   # Gram chain: M × n draws per layer instead of n²
    Fc_narrow, _ = sample_outputs_real(Xc, narrow, WIDGET_DEPTH, 4, seed, kernels=False)  # (., 4, 16, M)
    Fc_wide, _ = sample_outputs_gram(Xc, wide, WIDGET_DEPTH, 4, seed + 1)                 # (., 4, 16, M)
    d.Fc = np.concatenate([Fc_narrow, Fc_wide]).transpose(0, 2, 1, 3)                      # (11, 16, 4, M)
    Z = np.random.default_rng(seed).standard_normal((4, n_circle))  # one fixed normal matrix for every depth
    Kc, GPc = (Xc @ Xc.T) / 2, []
    for _ in range(WIDGET_DEPTH):
        Kc = 2 * relu_kernel_step(Kc)
        GPc.append(Z @ psd_root(Kc))
    d.GPc = np.stack(GPc)
    for a in vars(d).values():
        a.setflags(write=False)
    return d


READOUT_LABELS = "excess kurtosis: raw, cond., 3[(1+5/n)^L-1]\n\ndead nets, |f| > 4\n"  # static part of the readout


def _readout_text(width, depth, raw, cond, dead, outside):
    """The readout's values, on the blank lines of READOUT_LABELS: raw and conditional kurtosis, the theory
    3[(1+5/n)^L - 1], the fraction of dead nets and of |f(x0)| > 4."""
    if dead == 1.0:
        return f"\nall nets dead (f ≡ 0): P(alive) = 2^-L at width 1\n\n{dead:.1%},  {outside:.1%}"
    return (f"\n{raw:.3g},  {cond:.3g},  {kurtosis_theory(width, depth):.3g}\n\n"
            f"{dead:.1%},  {outside:.1%}")


UPPER = [(i, j) for i in range(4) for j in range(i + 1, 4)]  # the 6 annotated cells of each 4×4 panel


@register_widget("nngp")
class NNGPWidget(LiveFigure):
    """A random √2-relu net of width n (log2 slider) and depth L: how close is it to its Gaussian process?

    Panels: (1) f(x0) over 1000 nets vs the N(0, 1) density of the NNGP, with kurtosis readout;
    (2) empirical covariance FᵀF/K on the 4-input set; (3) NNGP covariance h^{∘L}; (4) 4 nets (colour)
    and 4 GP samples (grey) on a circle of inputs. Every frame is precomputed by `_widget_data`;
    `update` indexes arrays and moves existing artists (blitted by LiveFigure). Text is the costly
    part of a frame, so only the 6 off-diagonal covariances of each matrix are written out.
    """

    def __init__(self, width=64, depth=4, seed=0):
        import ipywidgets as widgets

        width = require_int(width, "width", low=1)
        if width not in WIDGET_WIDTHS:
            raise ValueError(f"width must be one of {WIDGET_WIDTHS}, got {width}")
        depth = require_int(depth, "depth", low=1, high=WIDGET_DEPTH)
        self.data = _widget_data(require_int(seed, "seed", low=0))
        super().__init__({
            "width": widgets.SelectionSlider(options=list(WIDGET_WIDTHS), value=width, description="width n"),
            "depth": widgets.IntSlider(value=depth, min=1, max=WIDGET_DEPTH, description="depth L"),
        })

    def build(self):
        d = self.data
        self.fig, (ax_h, ax_c, ax_k, ax_f) = subplots(1, 4, figsize=(14.5, 3.4))
        u = np.linspace(-4, 4, 201)
        self.hist = self.animate(ax_h.stairs(np.zeros(len(HIST_EDGES) - 1), HIST_EDGES, fill=True, color=PALETTE["sky"]))
        ax_h.plot(u, np.exp(-u**2 / 2) / math.sqrt(2 * math.pi), color=PALETTE["black"], lw=1.5)
        ax_h.set(xlim=(HIST_EDGES[0], HIST_EDGES[-1]), ylim=(0, 1.0), xlabel="f(x₀)")
        ax_h.set_title(f"f(x₀) over {d.F.shape[2]} nets vs N(0, 1)", fontsize=12)
        ax_h.text(0.02, 0.97, READOUT_LABELS, transform=ax_h.transAxes, va="top", fontsize=9, color="0.35")
        self.readout = self.animate(ax_h.text(0.02, 0.97, "", transform=ax_h.transAxes, va="top", fontsize=9))
        self.images, self.cells = [], []
        for ax, title in ((ax_c, ""), (ax_k, "NNGP kernel (n → ∞)")):
            mesh = ax.pcolormesh(np.zeros((4, 4)), cmap="RdBu_r", vmin=-1, vmax=1)
            self.images.append(self.animate(mesh))
            self.cells.append([self.animate(ax.text(j + 0.5, i + 0.5, "", ha="center", va="center", fontsize=10))
                               for i, j in UPPER])
            ax.set_xticks(np.arange(4) + 0.5, ["0", "0′", "1", "7"])
            ax.set_yticks(np.arange(4) + 0.5, ["0", "0′", "1", "7"])
            ax.set(xlim=(0, 4), ylim=(4, 0), aspect="equal")
            ax.grid(False)
            ax.set_title(title, fontsize=12)
        self.title = self.animate(ax_c.title)
        self.fig.colorbar(self.images[1], ax=ax_k, shrink=0.8)
        self.net_lines = [self.animate(ax_f.plot(d.theta, 0 * d.theta, color=c, lw=1.5)[0]) for c in CYCLE[:4]]
        self.gp_lines = [self.animate(ax_f.plot(d.theta, 0 * d.theta, color="0.4", lw=1.2, alpha=0.3)[0])
                         for _ in range(4)]
        ax_f.set(xlim=(0, 2 * np.pi), ylim=(-3, 3), xlabel="θ (input on a circle)")
        ax_f.set_title("nets (colour) vs GP samples (grey)", fontsize=12)

    def update(self, width, depth):
        d, i, l = self.data, WIDGET_WIDTHS.index(width), depth - 1
        self.hist.set_data(d.hist[i, l])
        self.readout.set_text(_readout_text(width, depth, d.raw_kurt[i, l], d.cond_kurt[i, l],
                                            d.dead[i, l], d.outside[i, l]))
        for mesh, cells, M in zip(self.images, self.cells, (d.C[i, l], d.K[l])):
            mesh.set_array(M.ravel())
            for cell, (a, b) in zip(cells, UPPER):
                cell.set_text(f"{M[a, b]:.2f}")
                cell.set_color("white" if abs(M[a, b]) > 0.6 else "black")  # readable on dark cells
        err, err_rb = np.abs(d.C[i, l] - d.K[l]).max(), np.abs(d.C_rb[i, l] - d.K[l]).max()
        self.title.set_text(f"nets: max err {err:.3f} (cond. {err_rb:.3f})")
        for line, y in zip(self.net_lines, d.Fc[i, l]):
            line.set_ydata(y)
        for line, y in zip(self.gp_lines, d.GPc[l]):
            line.set_ydata(y)
