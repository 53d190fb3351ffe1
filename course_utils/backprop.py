"""Lecture 2 (backprop): the global view (gradient descent on a quadratic, the learning-rate threshold),
the local view (a manual backward pass), and the two motivating questions (optimiser choice, random labels).

Follows CONTENT.md D2, D3 and N2 (experiments E2.1-E2.5). The notebook keeps the lines it teaches visible
(forward pass, the two backward equations, the min-norm fit); this module holds what is used twice or drawn.

    with_bias(X)                           X~ = [X, 1]
    lr_threshold(X_tilde)                  (lambda_max, eta_c) of L(W) = ||X~ W^T - T||_F^2:  H = 2 X~^T X~, eta_c = 2/lambda_max
    QuadraticGD(X_tilde, T)                the GD loss curve on that quadratic, in closed form (eigenbasis)
    he_mlp(widths, seed)                   bias-free relu MLP weights W_l ~ N(0, 2/fan_in), shapes (fan_out, fan_in)
    central_difference(loss_fn, W, index)  (L(W + eps e) - L(W - eps e)) / (2 eps) for one entry of W
    sweep_learning_rates(...)              final training loss of one small MLP trained with SGD or Adam, per learning rate
    noisy_labels(y, p, seed)               replace a fraction ~p of labels by uniformly random ones
    random_feature_problem(...)            digits split + frozen random relu features + kernel K = F F^T (cached)
    zhang_interpolant(X, y, seed)          Zhang et al. (2017) Thm 1: d + 2n weights that fit any n labels exactly
"""
import functools

import numpy as np
import torch

from .checks import require_array, require_choice, require_int, require_int_sequence, require_labels, require_real
from .data import N_CLASSES, N_DIGITS, load_digits_arrays, one_hot
from .device import _one_thread, resolve_device
from .plotting import PALETTE, LiveFigure, register_widget, subplots

# ----------------------------------------------------------------------------------------------------
# Global view: gradient descent on the squared loss of a linear model, and how small eta must be
# ----------------------------------------------------------------------------------------------------


def with_bias(X):
    """Append a column of ones: X (N, d) -> X~ = [X, 1] (N, d+1), so that W X~^T includes a bias.

    Raises ValueError naming `X` unless X is a finite 2-D array.
    """
    X = require_array(X, "X", ndim=2)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def lr_threshold(X_tilde):
    """Largest Hessian eigenvalue and the GD stability threshold of L(W) = ||X~ W^T - T||_F^2 (sum, no 1/N).

    The Hessian (per output row of W) is H = 2 X~^T X~, so GD W <- W - eta grad L multiplies the error's
    component along the eigenvector of eigenvalue lambda by (1 - eta lambda) each step. Components with
    lambda = 0 (e.g. always-blank pixels) do not change the loss; every other one contracts iff
    |1 - eta lambda| < 1 for all lambda > 0, i.e. eta < eta_c = 2 / lambda_max.
    X_tilde: (N, p) design matrix (bias column included if wanted). Returns (lambda_max, eta_c) as floats.
    Raises ValueError naming `X_tilde` if it is not a finite 2-D array or is all zeros.
    """
    X_tilde = require_array(X_tilde, "X_tilde", ndim=2)
    lam_max = float(np.linalg.eigvalsh(2.0 * X_tilde.T @ X_tilde)[-1])
    if lam_max <= 0.0:
        raise ValueError("X_tilde must not be all zeros (the loss would be flat: no threshold)")
    return lam_max, 2.0 / lam_max


class QuadraticGD:
    """Gradient descent on L(W) = ||X~ W^T - T||_F^2 from W_0 = 0, evaluated in closed form.

    With the thin SVD X~ = U S V^T and lambda_k = 2 s_k^2 (the nonzero eigenvalues of H = 2 X~^T X~), the
    residual R_t = X~ W_t^T - T obeys u_k^T R_t = (1 - eta lambda_k)^t u_k^T R_0 with R_0 = -T, while the part
    of T outside the column space of X~ never changes. Hence, with g_k = ||u_k^T T||^2,

        L_t = L_* + sum_k g_k (1 - eta lambda_k)^(2t),      L_* = ||T||_F^2 - sum_k g_k   (the minimum).

    One curve costs O(rank * steps), not a GD run: cheap enough for a slider.
    X_tilde: (N, p); T: (N, k) targets. Attributes: lam (rank,) descending, g (rank,), L_star, lam_max, eta_c.
    Raises ValueError naming `X_tilde` or `T` for bad shapes or non-finite entries.
    """

    def __init__(self, X_tilde, T):
        X_tilde = require_array(X_tilde, "X_tilde", ndim=2)
        T = require_array(T, "T", ndim=2)
        if T.shape[0] != X_tilde.shape[0]:
            raise ValueError(f"T must have {X_tilde.shape[0]} rows like X_tilde, got shape {T.shape}")
        U, s, _ = np.linalg.svd(X_tilde, full_matrices=False)  # U: (N, p), s: (p,) descending
        keep = s > s[0] * max(X_tilde.shape) * np.finfo(float).eps  # drop the null space (always-zero pixels)
        U, s = U[:, keep], s[keep]
        if s.size == 0:
            raise ValueError("X_tilde must not be all zeros")
        self.lam = 2.0 * s**2  # (rank,) nonzero eigenvalues of H
        self.g = np.sum((U.T @ T) ** 2, axis=1)  # (rank,) energy of the targets along each eigendirection
        self.L0 = float(np.sum(T**2))
        self.L_star = self.L0 - float(self.g.sum())
        self.lam_max = float(self.lam[0])
        self.eta_c = 2.0 / self.lam_max

    def curve(self, eta, steps=200):
        """Losses L_0, ..., L_steps (an array of steps+1 values) for learning rate eta >= 0."""
        eta = require_real(eta, "eta", low=0.0)
        steps = require_int(steps, "steps", low=0)
        t = np.arange(steps + 1)
        log_factor = np.log(np.abs(1.0 - eta * self.lam) + 1e-300)  # (rank,); 1e-300: eta*lambda == 1 exactly
        return self.L_star + np.exp(2.0 * np.outer(t, log_factor)) @ self.g


# ----------------------------------------------------------------------------------------------------
# Local view: the two backward equations, checked against autograd and finite differences
# ----------------------------------------------------------------------------------------------------


def he_mlp(widths, seed=0, dtype=torch.float64, device=None):
    """Weights of a bias-free relu MLP with He initialisation: W_l ~ N(0, 2 / fan_in), shape (fan_out, fan_in).

    widths: [d_0, d_1, ..., d_L] (at least two ints >= 1). Drawn on the CPU from torch.Generator(seed) and
    then moved to `device` (default: get_device()), so every device starts from the same numbers.
    Returns a list of L tensors. Raises TypeError/ValueError naming `widths` or `seed`.
    """
    widths = require_int_sequence(widths, "widths", min_len=2, low=1)
    seed = require_int(seed, "seed", low=0)
    g = torch.Generator().manual_seed(seed)
    device = resolve_device(device)
    return [(torch.randn(n_out, n_in, generator=g, dtype=torch.float64) * (2.0 / n_in) ** 0.5).to(device, dtype)
            for n_in, n_out in zip(widths[:-1], widths[1:])]


def central_difference(loss_fn, W, index, eps=1e-6):
    """Central finite difference (L(W + eps E) - L(W - eps E)) / (2 eps), E the unit matrix at `index`.

    Error O(eps^2) for a smooth loss (plus rounding ~ 1e-16 L / eps). `W` is perturbed in place and
    restored. loss_fn: () -> float; W: a torch tensor that loss_fn reads; index: a tuple into W.
    Raises TypeError naming `loss_fn` or `W`, ValueError naming `index` or `eps`.
    """
    if not callable(loss_fn):
        raise TypeError("loss_fn must be a callable () -> float")
    if not isinstance(W, torch.Tensor):
        raise TypeError(f"W must be a torch tensor, got {type(W).__name__}")
    if not isinstance(index, tuple) or len(index) != W.ndim:
        raise ValueError(f"index must be a tuple of {W.ndim} ints, got {index!r}")
    eps = require_real(eps, "eps", low=0.0)
    if eps == 0.0:
        raise ValueError("eps must be > 0")
    with torch.no_grad():
        old = W[index].item()
        W[index] = old + eps
        up = float(loss_fn())
        W[index] = old - eps
        down = float(loss_fn())
        W[index] = old
    return (up - down) / (2.0 * eps)


# ----------------------------------------------------------------------------------------------------
# Motivating question 1: the optimiser is itself a design choice (SGD vs Adam over a learning-rate sweep)
# ----------------------------------------------------------------------------------------------------

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults


@torch.no_grad()
def adam_step_(params, grads, m, v, t, lr):
    """One Adam update, in place, for step t = 1, 2, ... (Kingma & Ba; torch.optim.Adam's defaults):
        m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,  p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    params, grads, m, v: lists of tensors of matching shapes (m, v start at zero); lr: a float, or a tensor
    that broadcasts against each parameter (one learning rate per batched copy).
    TypeError naming params, grads, m, v unless they are equally long lists of tensors; t must be an int >= 1."""
    groups = (params, grads, m, v)
    if (not all(isinstance(gr, (list, tuple)) for gr in groups) or len({len(gr) for gr in groups}) != 1
            or not all(isinstance(x, torch.Tensor) for gr in groups for x in gr)):
        raise TypeError("params, grads, m and v must be lists of tensors of the same length")
    t = require_int(t, "t", low=1)
    if not isinstance(lr, torch.Tensor):
        lr = require_real(lr, "lr", low=0.0)
    (b1, b2), eps = ADAM_BETAS, ADAM_EPS
    for p, g, m_p, v_p in zip(params, grads, m, v):
        m_p.mul_(b1).add_(g, alpha=1 - b1)
        v_p.mul_(b2).addcmul_(g, g, value=1 - b2)
        p.sub_(lr / (1 - b1 ** t) * m_p / ((v_p / (1 - b2 ** t)).sqrt() + eps))


def sweep_learning_rates(optimizer, lrs, X, y, width=32, steps=200, batch=64, seed=0, device=None):
    """Train one 64-width-10 relu MLP (with biases, cross-entropy) once per learning rate; return final losses.

    Every learning rate starts from the same He initialisation (`he_mlp(..., seed)`) and sees the same
    minibatches (from a second torch.Generator(seed) on the CPU, so both streams start from the same seed). The copies are trained side by side as one batched tensor, so a sweep
    costs about one training run. Updates, with g the minibatch gradient and step t = 1, 2, ...:
        "sgd":   W <- W - eta g
        "adam":  m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,
                 W <- W - eta (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)     (b1, b2, eps = torch defaults)
    Non-finite losses are reported as inf.
    optimizer: "sgd" | "adam"; lrs: (K,) positive; X: (N, d) features; y: (N,) labels in [0, 10).
    Returns a (K,) float64 NumPy array: the full-batch mean cross-entropy on (X, y) after `steps` updates.
    Raises ValueError/TypeError naming the bad argument.
    """

    optimizer = require_choice(optimizer, "optimizer", ("sgd", "adam"))
    lrs = require_array(lrs, "lrs", ndim=1)
    if np.any(lrs <= 0):
        raise ValueError("lrs must all be > 0")
    X = require_array(X, "X", ndim=2)
    y = require_labels(y, "y", n=X.shape[0], n_classes=N_CLASSES)
    width, steps = require_int(width, "width", low=1), require_int(steps, "steps", low=1)
    batch, seed = require_int(batch, "batch", low=1, high=X.shape[0]), require_int(seed, "seed", low=0)
    device = resolve_device(device)

    K, d = lrs.size, X.shape[1]
    g = torch.Generator().manual_seed(seed)
    init = he_mlp([d, width, N_CLASSES], seed=seed, device="cpu")
    order = torch.randint(0, X.shape[0], (steps, batch), generator=g)  # the minibatch indices, step by step
    params = [init[0].expand(K, -1, -1).clone(), torch.zeros(K, 1, width, dtype=torch.float64),
              init[1].expand(K, -1, -1).clone(), torch.zeros(K, 1, N_CLASSES, dtype=torch.float64)]
    params = [p.to(device).requires_grad_(True) for p in params]  # K copies: (K, fan_out, fan_in), (K, 1, fan_out)
    Xt, yt = torch.as_tensor(X, device=device), torch.as_tensor(y, device=device)
    eta = torch.as_tensor(lrs, device=device).view(K, 1, 1)
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]

    def logits(x):  # (n, d) -> (K, n, 10)
        return torch.relu(x @ params[0].mT + params[1]) @ params[2].mT + params[3]

    def mean_ce(z, labels):  # (K, n, 10), (n,) -> (K,)
        return torch.nn.functional.cross_entropy(z.mT, labels.expand(K, -1), reduction="none").mean(dim=1)

    for t in range(1, steps + 1):
        idx = order[t - 1].to(device)
        grads = torch.autograd.grad(mean_ce(logits(Xt[idx]), yt[idx]).sum(), params)  # copies do not interact
        if optimizer == "adam":
            adam_step_(params, grads, m, v, t, eta)
        else:
            with torch.no_grad():
                for p, gr in zip(params, grads):
                    p -= eta * gr
    with torch.no_grad():
        final = mean_ce(logits(Xt), yt).cpu().numpy()
    return np.where(np.isfinite(final), final, np.inf)


# ----------------------------------------------------------------------------------------------------
# Motivating question 2: generalisation, when the model can fit any labelling
# ----------------------------------------------------------------------------------------------------


def noisy_labels(y, p, n_classes=N_CLASSES, seed=1):
    """Replace each label, independently with probability p, by a uniformly random class.

    With rng = np.random.default_rng(seed): mask = rng.random(n) < p, then the masked labels are redrawn
    with rng.integers(0, n_classes). The masks are nested in p (same uniforms), and a redrawn label equals
    the true one with probability 1/n_classes, so a fraction ~0.9 p of labels end up wrong.
    y: (n,) integer labels; p in [0, 1]. Returns a new (n,) int64 array.
    Raises ValueError naming `y`, `p`, `n_classes` or `seed`.
    """
    y = require_labels(y, "y", min_size=1)
    p = require_real(p, "p", low=0.0, high=1.0)
    n_classes = require_int(n_classes, "n_classes", low=2)
    seed = require_int(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    out = y.astype(np.int64).copy()
    mask = rng.random(y.size) < p
    out[mask] = rng.integers(0, n_classes, int(mask.sum()))
    return out


@functools.lru_cache(maxsize=2)
def random_feature_problem(n_train=1000, width=2000, seed=0):
    """The random-label experiment's data (CONTENT.md E2.4), built once per process and cached.

    One generator np.random.default_rng(seed) draws, in this order, the train/test split (the same
    permutation as course_utils.data.digits_split(n_train, seed=seed)), then a frozen first layer
    W_f ~ N(0, 4/64) (width, 64) and b ~ N(0, 0.25) (width,). Features F = relu(X W_f^T + b) on pixels/16.
    The trained part is the readout V (width, 10): width * 10 parameters, far more than n_train.
    Returns a dict of read-only arrays: y_train (n,), y_test (m,), K = F F^T (n, n), K_test = F_test F^T (m, n),
    and the two linear smoothers S = K K^{-1} (n, n) and S_test = K_test K^{-1} (m, n): the interpolant of any
    targets T predicts S T on the training points (= T up to rounding) and S_test T on the test points.
    K^{-1} is applied by Cholesky (scipy.linalg.cho_factor raises LinAlgError if K is singular, e.g. when
    width < n_train). Raises ValueError naming `n_train`, `width` or `seed`.
    """
    import scipy.linalg

    n_train = require_int(n_train, "n_train", low=2, high=N_DIGITS - 1)
    width = require_int(width, "width", low=1)
    seed = require_int(seed, "seed", low=0)
    X, y = load_digits_arrays()
    rng = np.random.default_rng(seed)
    perm = rng.permutation(N_DIGITS)
    tr, te = perm[:n_train], perm[n_train:]
    W_f = rng.normal(0.0, 0.25, (width, X.shape[1]))  # std 0.25 = sqrt(4/64)
    b = rng.normal(0.0, 0.5, width)  # std 0.5 = sqrt(0.25)
    F, F_test = np.maximum(X[tr] @ W_f.T + b, 0.0), np.maximum(X[te] @ W_f.T + b, 0.0)  # (n, width), (m, width)
    out = {"y_train": y[tr], "y_test": y[te], "K": F @ F.T, "K_test": F_test @ F.T}
    factor = scipy.linalg.cho_factor(out["K"], lower=True)
    out["S"] = scipy.linalg.cho_solve(factor, out["K"]).T  # (K^{-1} K)^T = K K^{-1}, K symmetric
    out["S_test"] = scipy.linalg.cho_solve(factor, out["K_test"].T).T  # (m, n)
    for a in out.values():
        a.setflags(write=False)
    return out


def interpolant_accuracy(problem, labels):
    """Train and test accuracy of the min-norm interpolant of T = one_hot(labels) on a random_feature_problem.

    Predictions S T (train) and S_test T (test), i.e. K alpha and K_test alpha with alpha = K^{-1} T, read by
    argmax. `labels` may be (n,) for one labelling or (r, n) for r labellings at once. Train accuracy is
    measured against `labels`, test accuracy against the TRUE test labels. Returns (train_acc, test_acc) as
    floats, or as (r,) arrays for (r, n) labels. Raises TypeError naming `problem` if it is not that dict,
    ValueError naming `labels` for a wrong shape.
    """
    if not isinstance(problem, dict) or not {"S", "S_test", "y_train", "y_test"} <= problem.keys():
        raise TypeError("problem must be the dict random_feature_problem() returns")
    try:
        labels = np.asarray(labels)
    except ValueError:
        raise ValueError("labels must be integer labels of shape (n,) or (r, n), got a ragged sequence") from None
    n = problem["y_train"].size
    if labels.ndim not in (1, 2) or labels.shape[-1] != n:
        raise ValueError(f"labels must have shape ({n},) or (r, {n}), got {labels.shape}")
    L = labels.reshape(-1, n)
    T = np.concatenate([one_hot(row) for row in L], axis=1)  # (n, 10 r): the r one-hot blocks side by side
    with _one_thread():  # ~36 MFLOP per labelling: threads cost more than they save, on a busy machine far more
        pred = np.argmax((problem["S"] @ T).reshape(n, -1, N_CLASSES), axis=2).T  # (r, n)
        pred_test = np.argmax((problem["S_test"] @ T).reshape(len(problem["y_test"]), -1, N_CLASSES), axis=2).T
    train, test = np.mean(pred == L, axis=1), np.mean(pred_test == problem["y_test"], axis=1)
    return (float(train[0]), float(test[0])) if labels.ndim == 1 else (train, test)


def zhang_interpolant(X, targets, seed=0):
    """Zhang et al. (2017), Theorem 1: a depth-2 relu net with d + 2n weights that fits any n targets exactly.

        c(x) = sum_j w_j relu(a^T x - b_j),   a in R^d, b in R^n, w in R^n.
    Draw a ~ N(0, I) (np.random.default_rng(seed)) so the projections z_i = a^T x_i are distinct, sort them,
    and interleave the thresholds: b_1 < z_(1) < b_2 < z_(2) < ... (b_j midway between neighbours). Then
    A_ij = relu(z_(i) - b_j) is lower triangular with a positive diagonal, so w = A^{-1} y exists for ANY y.
    X: (n, d) distinct points; targets: (n,) reals. Returns (a (d,), b (n,), w (n,)).
    Raises ValueError naming `X` or `targets` for bad shapes, and `X` if two projections coincide.
    """
    import scipy.linalg

    X = require_array(X, "X", ndim=2)
    targets = require_array(targets, "targets", shape=(X.shape[0],))
    seed = require_int(seed, "seed", low=0)
    a = np.random.default_rng(seed).standard_normal(X.shape[1])
    z = X @ a
    order = np.argsort(z)
    zs = z[order]
    if np.any(np.diff(zs) <= 0):
        raise ValueError("X must have distinct rows (two points project to the same a^T x)")
    b = np.empty_like(zs)
    b[0] = zs[0] - 1.0
    b[1:] = 0.5 * (zs[1:] + zs[:-1])
    A = np.maximum(zs[:, None] - b[None, :], 0.0)  # (n, n) lower triangular: z_(i) > b_j iff j <= i
    w = scipy.linalg.solve_triangular(A, targets[order], lower=True)
    return a, b, w


def zhang_predict(X, a, b, w):
    """Evaluate c(x) = sum_j w_j relu(a^T x - b_j) at every row of X.

    X: (n, d); a: (d,); b: (m,); w: (m,). Returns (n,).
    Raises ValueError naming `X`, `a`, `b` or `w` for non-finite entries or shapes that do not match.
    """
    X = require_array(X, "X", ndim=2)
    a = require_array(a, "a", shape=(X.shape[1],))
    b = require_array(b, "b", ndim=1)
    w = require_array(w, "w", shape=b.shape)
    return np.maximum((X @ a)[:, None] - b[None, :], 0.0) @ w


# ----------------------------------------------------------------------------------------------------
# Widgets
# ----------------------------------------------------------------------------------------------------


def _float_slider(value, name, low, high, step, description):
    """An ipywidgets FloatSlider on [low, high]; ValueError naming `name` if `value` lies outside."""
    import ipywidgets as widgets

    value = require_real(value, name, low=low, high=high)
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                               continuous_update=True)


@functools.lru_cache(maxsize=1)
def digits_quadratic():
    """QuadraticGD for the lecture's instance: X~ = [pixels/16, 1] on all 1797 digits, T = one-hot labels."""
    X, y = load_digits_arrays()
    return QuadraticGD(with_bias(X), one_hot(y))


@register_widget("lr_threshold")
class LrThresholdWidget(LiveFigure):
    """Slider eta/eta_c in [0.5, 1.2]: the GD loss curve on digits (200 steps, closed form), threshold marked.

    Left: L_t against t (log scale, fixed limits). Right: the final loss L_200 against eta/eta_c, with the
    threshold eta = eta_c = 2/lambda_max marked and a marker at the slider's value.
    """

    STEPS = 200
    RATIOS = np.linspace(0.5, 1.2, 141)

    def __init__(self, ratio=0.99):
        self.quad = digits_quadratic()
        super().__init__({"ratio": _float_slider(ratio, "ratio", 0.5, 1.2, 0.01, "η / η_c")})

    def build(self):
        q = self.quad
        self.fig, (ax, ax2) = subplots(1, 2, figsize=(9.5, 4.0))
        t = np.arange(self.STEPS + 1)
        ax.axhline(q.L_star, color=PALETTE["black"], lw=1, ls=":", label=r"minimum $L_*$")
        self.line, = ax.plot(t, q.curve(q.eta_c, self.STEPS), color=PALETTE["blue"], label="GD loss")
        self.animate(self.line)
        ax.set(yscale="log", ylim=(3e2, 1e7), xlim=(0, self.STEPS), xlabel="step $t$", ylabel=r"loss $L_t$")
        ax.legend(loc="upper left")
        finals = np.array([q.curve(r * q.eta_c, self.STEPS)[-1] for r in self.RATIOS])
        ax2.plot(self.RATIOS, finals, color=PALETTE["sky"])
        ax2.axvline(1.0, color=PALETTE["vermillion"], ls="--", lw=1.5)
        ax2.text(1.01, 1e40, r"$\eta_c=2/\lambda_{\max}$", color=PALETTE["vermillion"])
        ax2.axvspan(1.0, 1.2, color=PALETTE["vermillion"], alpha=0.08)
        self.marker, = ax2.plot([1.0], [finals[0]], "o", color=PALETTE["blue"], ms=9)
        self.animate(self.marker)
        ax2.set(yscale="log", xlim=(0.5, 1.2), xlabel=r"$\eta/\eta_c$", ylabel=f"loss after {self.STEPS} steps")
        self.title = self.fig.suptitle(" ")
        self.animate(self.title)

    def update(self, ratio):
        q = self.quad
        curve = q.curve(ratio * q.eta_c, self.STEPS)
        self.line.set_ydata(curve)
        self.marker.set_data([ratio], [curve[-1]])
        verdict = "decreases" if np.all(np.diff(curve) < 0) else "diverges" if curve[-1] > curve[0] else "oscillates"
        self.title.set_text(f"η = {ratio:.2f} η_c:  loss {curve[0]:.0f} → {curve[-1]:.4g} ({verdict})")  # plain text: mathtext caches grow per string


@register_widget("label_noise")
class LabelNoiseWidget(LiveFigure):
    """Slider p in [0, 1]: replace a fraction ~p of the 1000 training labels by random ones (noisy_labels, seed 1),
    refit the min-norm random-feature interpolant, and show its train and test accuracy.

    Left: the two accuracies as bars, with chance (0.1) marked. Right: test accuracy against p (precomputed on a
    grid) with a marker at the slider's p. The smoothers K K^{-1} and K_test K^{-1} are cached: a move is two
    matrix products (about 36 MFLOP).
    """

    P_GRID = np.linspace(0.0, 1.0, 21)

    def __init__(self, p=0.25):
        self.problem = random_feature_problem()
        super().__init__({"p": _float_slider(p, "p", 0.0, 1.0, 0.05, "noise p")})

    def accuracies(self, p):
        """(train, test) accuracy of the interpolant fitted to noisy_labels(y_train, p)."""
        return interpolant_accuracy(self.problem, noisy_labels(self.problem["y_train"], p))

    def build(self):
        self.fig, (ax, ax2) = subplots(1, 2, figsize=(9.5, 4.0), gridspec_kw={"width_ratios": [1, 1.6]})
        self.bars = ax.bar(["train", "test"], [1.0, 1.0], color=[PALETTE["blue"], PALETTE["orange"]])
        self.labels = [ax.text(i, 0.5, "", ha="center", va="bottom", fontsize=13) for i in range(2)]
        self.animate(*self.bars, *self.labels)
        ax.axhline(1 / N_CLASSES, color=PALETTE["black"], ls=":", lw=1)
        ax.set(ylim=(0, 1.12), ylabel="accuracy")
        y = self.problem["y_train"]
        tests = interpolant_accuracy(self.problem, np.stack([noisy_labels(y, p) for p in self.P_GRID]))[1]
        ax2.plot(self.P_GRID, tests, color=PALETTE["orange"], marker=".", label="test accuracy")
        ax2.axhline(1 / N_CLASSES, color=PALETTE["black"], ls=":", lw=1, label="chance")
        self.marker, = ax2.plot([0.0], [tests[0]], "o", color=PALETTE["vermillion"], ms=9)
        self.animate(self.marker)
        ax2.set(xlim=(-0.02, 1.02), ylim=(0, 1.05), xlabel="fraction of labels randomised $p$")
        ax2.legend(loc="upper right")
        self.title = self.fig.suptitle(" ")
        self.animate(self.title)

    def update(self, p):
        train, test = self.accuracies(p)
        for bar, label, acc in zip(self.bars, self.labels, (train, test)):
            bar.set_height(acc)
            label.set_position((bar.get_x() + bar.get_width() / 2, acc + 0.01))
            label.set_text(f"{acc:.3f}")
        self.marker.set_data([p], [test])
        self.title.set_text(f"p = {p:.2f}: the interpolant fits every training label; test accuracy {test:.3f}")
