"""Lecture 3 workshop: the architecture zoo (MLP, CNN, transformer) and two toy flavours of NAS.

Follows CONTENT.md D4 and N3 (experiments E3.1-E3.6):
  * parameter counts -- dense layer d_in*d_out (+d_out), conv k^2*C_in*C_out (+C_out), transformer block
    4 d^2 + 2 d d_ff (+ biases 6d + d_ff, + LayerNorms 4d) = 12 d^2 + 13 d for d_ff = 4d;
  * convolution as a matrix -- a circular k x k convolution on s x s images is a d x d matrix (d = s^2),
    doubly block-circulant, with d*k^2 non-zeros and k^2 distinct values;
  * shifts -- circular (np.roll: conv is exactly equivariant) or with zero fill (a real translation);
  * small model builders and a training loop for the digits (MLP vs CNN with global max/average pooling);
  * NAS toys -- random features + closed-form ridge readout as a cheap inner loop, a counted random search
    as the outer loop (flavour 1), and the softmax mixture of candidate ops of DARTS (flavour 2);
  * two widgets: parameter counts vs image side and filter size, and a digit shifted under conv + pooling.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .backprop import adam_step_
from .checks import (require_array, require_bool, require_choice, require_int, require_int_sequence, require_labels,
                     require_real)
from .device import resolve_device
from .neurons import NONLINEARITIES
from .plotting import PALETTE, LiveFigure, register_widget, subplots

# ---------------------------------------------------------------------------------------------------
# Parameter counts (D4)
# ---------------------------------------------------------------------------------------------------


def dense_params(d_in, d_out, bias=True):
    """Weights of a dense layer R^d_in -> R^d_out: d_in*d_out, plus d_out biases when `bias`.

    An MLP *layer* on d pixels (d -> d) has d^2 weights; one of its *neurons* has d.
    ValueError for non-positive sizes, TypeError for non-integers.
    """
    d_in, d_out = require_int(d_in, "d_in", low=1), require_int(d_out, "d_out", low=1)
    return d_in * d_out + (d_out if require_bool(bias, "bias") else 0)


def conv_params(k, c_in=1, c_out=1, bias=True):
    """Weights of a k x k convolution from c_in to c_out channels: k^2 * c_in * c_out, plus c_out biases.

    Independent of the image side: the same filter is slid over every position (weight sharing).
    ValueError for non-positive sizes, TypeError for non-integers or a non-bool `bias`.
    """
    k = require_int(k, "k", low=1)
    c_in, c_out = require_int(c_in, "c_in", low=1), require_int(c_out, "c_out", low=1)
    return k * k * c_in * c_out + (c_out if require_bool(bias, "bias") else 0)


def mlp_params(widths, bias=True):
    """Weights of an MLP with layer widths (d_0, d_1, ..., d_L): sum_l d_{l-1} d_l (+ sum_l d_l biases).

    ValueError if `widths` has fewer than 2 entries or a non-positive one; TypeError for non-integers.
    """
    w = require_int_sequence(widths, "widths", min_len=2, low=1)  # input and output at least
    return sum(dense_params(a, b, bias) for a, b in zip(w[:-1], w[1:]))


def transformer_block_params(d_model, d_ff=None, bias=True, layernorm=True):
    """Weights of one transformer encoder block (multi-head self-attention + 2-layer feed-forward).

    Matrices: W_Q, W_K, W_V, W_O (4 d^2) and the feed-forward d -> d_ff -> d (2 d d_ff); with d_ff = 4d
    (the default) that is 12 d^2, independent of sequence length and of the number of heads.
    `bias` adds 3d (Q,K,V) + d (O) + d_ff + d (feed-forward); `layernorm` adds 2 x (gain d + shift d).
    ValueError for non-positive sizes, TypeError for non-integers or non-bool flags.
    """
    d = require_int(d_model, "d_model", low=1)
    d_ff = 4 * d if d_ff is None else require_int(d_ff, "d_ff", low=1)
    n = 4 * d * d + 2 * d * d_ff
    if require_bool(bias, "bias"):
        n += 3 * d + d + d_ff + d
    if require_bool(layernorm, "layernorm"):
        n += 4 * d
    return n


def count_params(module):
    """Number of trainable scalars of a torch module: sum of p.numel() over its parameters.

    TypeError if `module` is not a torch.nn.Module.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------------------
# Convolution as a matrix, shifts (E3.2, E3.3)
# ---------------------------------------------------------------------------------------------------


def _require_kernel(kernel, side=None):
    K = require_array(kernel, "kernel", ndim=2)
    k = K.shape[0]
    if K.shape != (k, k) or k % 2 == 0:
        raise ValueError(f"kernel must be square with an odd side, got shape {K.shape}")
    if side is not None and k > side:
        raise ValueError(f"kernel side k={k} must be <= the image side {side}")
    return K


def circular_conv2d(images, kernel):
    """Circular 2-D convolution (cross-correlation, as torch's conv2d): out[i,j] = sum_ab K[a,b] x[i+a-c, j+b-c].

    c = k // 2 and indices wrap modulo the side. `images` (..., s, s), `kernel` (k, k) with odd k <= s.
    Returns (..., s, s) float64. Computed as a sum of k^2 shifted copies of the image (np.roll).
    ValueError if images are not (..., s, s), or the kernel is not square with an odd side k <= s.
    """
    x = require_array(images, "images")
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"images must have shape (..., s, s), got {x.shape}")
    K = _require_kernel(kernel, x.shape[-1])
    c = K.shape[0] // 2
    out = np.zeros_like(x)
    for a in range(K.shape[0]):
        for b in range(K.shape[1]):
            out += K[a, b] * np.roll(x, (c - a, c - b), axis=(-2, -1))  # rolled[i] = x[i + a - c]
    return out


def conv_matrix(kernel, side):
    """The d x d matrix M (d = side^2) of the circular convolution: M @ x.ravel() == circular_conv2d(x, K).ravel().

    Row p = (i, j) holds K[a, b] in column ((i+a-c) mod s, (j+b-c) mod s): d*k^2 non-zeros (k <= side, no
    collisions) but only k^2 distinct values -- a doubly block-circulant matrix. ValueError if k > side.
    """
    s = require_int(side, "side", low=1)
    K = _require_kernel(kernel, s)
    k, c = K.shape[0], K.shape[0] // 2
    M = np.zeros((s * s, s * s))
    i, j = np.divmod(np.arange(s * s), s)  # row p -> pixel (i, j)
    for a in range(k):
        for b in range(k):
            M[i * s + j, ((i + a - c) % s) * s + (j + b - c) % s] += K[a, b]
    return M


def shift_image(images, shift, axis=-1, mode="circular"):
    """Translate images by `shift` pixels along `axis` (positive: towards larger indices).

    mode "circular": np.roll (what leaves left re-enters right; conv is exactly equivariant to it);
    mode "zero": pixels shifted out are lost and zeros come in (a real translation on a finite canvas).
    images (..., n, ...) -> same shape. ValueError for an unknown mode or an axis out of range;
    TypeError for a non-integer shift or axis.
    """
    x = require_array(images, "images")
    shift = require_int(shift, "shift")
    axis = require_int(axis, "axis", low=-x.ndim, high=x.ndim - 1)
    require_choice(mode, "mode", ("circular", "zero"))
    if mode == "circular":
        return np.roll(x, shift, axis=axis)
    n = x.shape[axis]
    out = np.zeros_like(x)
    if abs(shift) < n:
        src = [slice(None)] * x.ndim
        dst = [slice(None)] * x.ndim
        src[axis] = slice(max(0, -shift), n - max(0, shift))
        dst[axis] = slice(max(0, shift), n - max(0, -shift))
        out[tuple(dst)] = x[tuple(src)]
    return out


def place_on_canvas(images, side=12):
    """Put 8 x 8 digits, (n, 64) or (n, 8, 8), in the centre of a side x side canvas of zeros: (n, side, side).

    The margin (side - 8) // 2 lets a shift move a digit instead of cropping it. ValueError if side < 8.
    """
    x = require_array(images, "images")
    if x.ndim == 2 and x.shape[1] == 64:
        x = x.reshape(-1, 8, 8)
    if x.ndim != 3 or x.shape[1:] != (8, 8):
        raise ValueError(f"images must have shape (n, 64) or (n, 8, 8), got {x.shape}")
    side = require_int(side, "side", low=8)
    m = (side - 8) // 2
    out = np.zeros((x.shape[0], side, side))
    out[:, m:m + 8, m:m + 8] = x
    return out


# ---------------------------------------------------------------------------------------------------
# Small models and a training loop (does the assumption pay?)
# ---------------------------------------------------------------------------------------------------

_ACT_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "identity": nn.Identity}


def make_mlp(widths, act="relu"):
    """MLP (d_0 -> ... -> d_L) as nn.Sequential: Flatten, then (Linear, act) per hidden layer, linear output.

    f(x; W) = W_L o phi o W_{L-1} o ... o phi o W_1 (x). Input (n, ...) with prod(...) = d_0 -> (n, d_L).
    ValueError for fewer than 2 widths, a non-positive width or an unknown act ("relu", "tanh", "identity").
    """
    widths = require_int_sequence(widths, "widths", min_len=2, low=1)  # input and output at least
    require_choice(act, "act", tuple(_ACT_MODULES))
    layers = [nn.Flatten()]
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(_ACT_MODULES[act]())
    return nn.Sequential(*layers)


def make_pooled_cnn(channels, n_classes=10, k=3, pool="max", padding_mode="zeros"):
    """CNN for one-channel images: (k x k conv 'same', relu) per entry of channels, global pooling, linear.

    channels = (c_1, ..., c_m): conv 1 -> c_1 -> ... -> c_m, then the max ("max") or the mean ("avg") of
    each channel over all pixels, (n, c_m, s, s) -> (n, c_m), then a linear layer -> n_classes logits.
    Both poolings ignore where a feature is, so the model is shift-invariant (exactly so for circular
    shifts with padding_mode "circular"). Input (n, s, s) or (n, 1, s, s) -> logits (n, n_classes).
    ValueError for empty or non-positive channels, an even k, an unknown pool or padding_mode.
    """
    chans = [1] + require_int_sequence(channels, "channels", min_len=1, low=1)
    n_classes = require_int(n_classes, "n_classes", low=1)
    k = require_int(k, "k", low=1)
    if k % 2 == 0:
        raise ValueError(f"k must be odd (a 'same' convolution), got {k}")
    require_choice(pool, "pool", ("max", "avg"))
    require_choice(padding_mode, "padding_mode", ("zeros", "circular"))
    layers = [_AddChannel()]
    for a, b in zip(chans[:-1], chans[1:]):
        layers += [nn.Conv2d(a, b, k, padding=k // 2, padding_mode=padding_mode), nn.ReLU()]
    layers += [nn.AdaptiveMaxPool2d(1) if pool == "max" else nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Linear(chans[-1], n_classes)]
    return nn.Sequential(*layers)


class _AddChannel(nn.Module):
    """(n, s, s) -> (n, 1, s, s); leaves (n, 1, s, s) alone."""

    def forward(self, x):
        return x.unsqueeze(1) if x.dim() == 3 else x


def fit_classifier(model, X, y, steps=200, batch_size=32, lr=3e-2, seed=0, device=None):
    """Train `model` with Adam on the cross-entropy of mini-batches drawn with torch.Generator().manual_seed(seed).

    Adam (Kingma & Ba, defaults beta = (0.9, 0.999), eps = 1e-8), written out in `backprop.adam_step_`:
    the same update as torch.optim.Adam, without its one-off 1 s import of torch._dynamo.
    X (n, ...) features, y (n,) integer labels. Moves the model to `device` (default get_device()) and
    returns the per-step training losses (steps,) as a NumPy array. Deterministic on CPU for a given seed.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    Xa = require_array(X, "X", min_size=1)
    ya = require_labels(y, "y", n=Xa.shape[0])
    steps = require_int(steps, "steps", low=1)
    batch_size = require_int(batch_size, "batch_size", low=1)
    lr = require_real(lr, "lr", low=0.0)
    seed = require_int(seed, "seed", low=0)
    device = resolve_device(device)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    dtype = params[0].dtype
    Xt = torch.as_tensor(Xa, dtype=dtype, device=device)
    yt = torch.as_tensor(ya, device=device)
    gen = torch.Generator().manual_seed(seed)
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    losses = np.empty(steps)
    for t in range(1, steps + 1):
        idx = torch.randint(len(Xt), (batch_size,), generator=gen).to(device)
        loss = F.cross_entropy(model(Xt[idx]), yt[idx])
        adam_step_(params, torch.autograd.grad(loss, params), m, v, t, lr)
        losses[t - 1] = loss.item()
    return losses


@torch.no_grad()
def accuracy(model, X, y):
    """Fraction of rows of X (n, ...) whose argmax logit equals the label y (n,).

    TypeError if `model` is not a torch.nn.Module; ValueError if y's shape is not (n,) or X is not finite.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    Xa = require_array(X, "X")
    ya = require_labels(y, "y", n=Xa.shape[0])
    p = next(model.parameters())
    pred = model(torch.as_tensor(Xa, dtype=p.dtype, device=p.device)).argmax(1).cpu().numpy()
    return float(np.mean(pred == ya))


# ---------------------------------------------------------------------------------------------------
# Transformer: positions
# ---------------------------------------------------------------------------------------------------


def sinusoidal_positions(n, d_model):
    """Vaswani et al. (2017) positional encodings, (n, d_model) float64:

    E[t, 2i] = sin(t / 10000^(2i/d_model)),  E[t, 2i+1] = cos(t / 10000^(2i/d_model)).
    ValueError for n < 1, d_model < 2 or an odd d_model.
    """
    n, d = require_int(n, "n", low=1), require_int(d_model, "d_model", low=2)
    if d % 2:
        raise ValueError(f"d_model must be even, got {d}")
    t = np.arange(n)[:, None]
    freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    E = np.empty((n, d))
    E[:, 0::2], E[:, 1::2] = np.sin(t * freq), np.cos(t * freq)
    return E


class MeanOverTokens(nn.Module):
    """(batch, n_tokens, d) -> (batch, d): the mean over tokens, a pooling that ignores token order."""

    def forward(self, x):
        return x.mean(dim=1)


# ---------------------------------------------------------------------------------------------------
# NAS flavour 1: outer loop (random search) around a cheap inner loop (random features + ridge)
# ---------------------------------------------------------------------------------------------------

ACTIVATIONS = {name: NONLINEARITIES[name] for name in ("relu", "tanh", "identity")}  # lecture 1's, elementwise


def random_features(X, width, depth, act, seed=0):
    """Features of a random (untrained) MLP: h_0 = X, h_l = act(h_{l-1} W_l^T + b_l), l = 1..depth.

    W_l ~ N(0, 1/fan_in), b_l ~ N(0, 1/4) from np.random.default_rng(seed). X (n, d) -> (n, width).
    With act = "identity" every feature is affine in X: no readout can beat a linear classifier.
    ValueError for a non-2-D or non-finite X, width or depth < 1, an unknown act, a negative seed.
    """
    X = require_array(X, "X", ndim=2)
    width = require_int(width, "width", low=1)
    depth = require_int(depth, "depth", low=1)
    require_choice(act, "act", tuple(ACTIVATIONS))
    rng = np.random.default_rng(require_int(seed, "seed", low=0))
    h = X
    for _ in range(depth):
        W = rng.standard_normal((width, h.shape[1])) / np.sqrt(h.shape[1])
        b = 0.5 * rng.standard_normal(width)
        h = ACTIVATIONS[act](h @ W.T + b)  # (n, fan_in) -> (n, width)
    return h


def ridge_readout(Phi, T, lam=1e-2):
    """Closed-form ridge regression with an intercept: B = argmin ||[Phi 1] B - T||^2 + lam ||B||^2.

    B = ([Phi 1]^T [Phi 1] + lam I)^{-1} [Phi 1]^T T. Phi (n, p), T (n, c) -> B (p + 1, c).
    Predict with `np.c_[Phi, ones] @ B`. ValueError for lam <= 0 or mismatched rows.
    """
    Phi = require_array(Phi, "Phi", ndim=2)
    T = require_array(T, "T", ndim=2)
    if T.shape[0] != Phi.shape[0]:
        raise ValueError(f"T must have {Phi.shape[0]} rows like Phi, got {T.shape[0]}")
    lam = require_real(lam, "lam")
    if lam <= 0:
        raise ValueError(f"lam must be > 0, got {lam}")
    A = np.c_[Phi, np.ones(len(Phi))]
    return np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ T)


class Counted:
    """Wrap a function and count its calls in `.calls` (the cost of an outer-loop search = inner loops run)."""

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


def random_search(space, n_samples, objective, seed=0):
    """Outer loop of NAS flavour 1: draw `n_samples` architectures uniformly from `space`, score each.

    space: {name: list of options}; objective(arch: dict) -> float (higher is better), one inner-loop
    training per call. Returns (best_arch, best_score, history) with history a list of (arch, score).
    TypeError if space is not a non-empty dict or objective is not callable; ValueError for an empty option
    list or n_samples < 1.
    """
    if not isinstance(space, dict) or not space:
        raise TypeError(f"space must be a non-empty dict of option lists, got {type(space).__name__}")
    for name, opts in space.items():
        if isinstance(opts, (str, bytes)) or not hasattr(opts, "__len__") or len(opts) == 0:
            raise ValueError(f"space[{name!r}] must be a non-empty list of options")
    n_samples = require_int(n_samples, "n_samples", low=1)
    if not callable(objective):
        raise TypeError(f"objective must be callable, got {type(objective).__name__}")
    rng = np.random.default_rng(require_int(seed, "seed", low=0))
    history = []
    for _ in range(n_samples):
        arch = {name: opts[rng.integers(len(opts))] for name, opts in space.items()}
        history.append((arch, float(objective(arch))))
    best_arch, best_score = max(history, key=lambda h: h[1])
    return best_arch, best_score, history


# ---------------------------------------------------------------------------------------------------
# NAS flavour 2: DARTS' continuous relaxation
# ---------------------------------------------------------------------------------------------------

DARTS_OPS = {"identity": lambda z: z, "relu": torch.relu, "tanh": torch.tanh, "zero": torch.zeros_like}


def mixed_op(z, alpha, ops=DARTS_OPS):
    """DARTS' mixed operation: o_bar(z) = sum_o softmax(alpha)_o * o(z).

    z any tensor; alpha (len(ops),) architecture logits, in the order of `ops` (a dict name -> function).
    Returns a tensor shaped like z. TypeError for non-tensors or a bad ops dict; ValueError if alpha's shape
    is not (len(ops),).
    """
    if not isinstance(z, torch.Tensor) or not isinstance(alpha, torch.Tensor):
        raise TypeError("z and alpha must be torch tensors")
    if not isinstance(ops, dict) or not ops or not all(callable(f) for f in ops.values()):
        raise TypeError("ops must be a non-empty dict of name -> function")
    if alpha.shape != (len(ops),):
        raise ValueError(f"alpha must have shape ({len(ops)},) (one logit per op), got {tuple(alpha.shape)}")
    p = torch.softmax(alpha, 0)
    return sum(p[i] * op(z) for i, op in enumerate(ops.values()))


def teacher_data(n, d=5, seed=0, act="relu", dtype=torch.float64):
    """Regression data for the DARTS toy: x ~ N(0, I_d), y = act(a^T x) with a ~ N(0, I_d)/sqrt(d) fixed by seed.

    Returns (X (n, d), y (n,), a (d,)) as CPU tensors of `dtype`; draws with torch.Generator().manual_seed(seed),
    so the same seed gives the same teacher a and one call can be split into train and validation parts.
    ValueError for n or d < 1, a negative seed, or act not in ("identity", "relu", "tanh").
    """
    n, d = require_int(n, "n", low=1), require_int(d, "d", low=1)
    require_choice(act, "act", tuple(k for k in DARTS_OPS if k != "zero"))
    g = torch.Generator().manual_seed(require_int(seed, "seed", low=0))
    a = torch.randn(d, generator=g, dtype=dtype) / d ** 0.5
    X = torch.randn(n, d, generator=g, dtype=dtype)
    return X, DARTS_OPS[act](X @ a), a


# ---------------------------------------------------------------------------------------------------
# Widgets
# ---------------------------------------------------------------------------------------------------


@register_widget("zoo_param_counts")
class ParamCountWidget(LiveFigure):
    """Bar chart (log scale): MLP layer d^2, MLP neuron d, conv filter k^2, for an s x s image (d = s^2)."""

    LABELS = ("MLP layer $d^2$", "MLP neuron $d$", "conv filter $k^2$")

    def __init__(self, side=8, k=3):
        import ipywidgets as w

        side, k = require_int(side, "side", low=4, high=64), require_int(k, "k", low=1, high=7)
        super().__init__({
            "side": w.IntSlider(value=side, min=4, max=64, description="side s"),
            "k": w.IntSlider(value=k, min=1, max=7, step=2, description="filter k"),
        })

    @staticmethod
    def counts(side, k):
        d = side * side
        return np.array([dense_params(d, d, bias=False), d, conv_params(k, bias=False)], dtype=float)

    def build(self):
        self.fig, ax = subplots(figsize=(7.0, 4.0))
        colors = [PALETTE["blue"], PALETTE["sky"], PALETTE["orange"]]
        self.bars = ax.bar(range(3), [1, 1, 1], color=colors)
        ax.set_yscale("log")
        ax.set_ylim(0.5, 2e8)  # fixed: up to 64^4 = 1.7e7 plus room for the labels
        ax.set_xticks(range(3), self.LABELS)
        ax.set_ylabel("weights (no biases)")
        self.labels = [ax.text(i, 1, "", ha="center", va="bottom") for i in range(3)]
        self.title = ax.text(0.5, 0.97, "", transform=ax.transAxes, ha="center", va="top")
        self.animate(*self.bars, *self.labels, self.title)

    def update(self, side, k):
        c = self.counts(side, k)
        for bar, label, v in zip(self.bars, self.labels, c):
            bar.set_height(v)
            label.set_y(v * 1.15)
            label.set_text(f"{int(v):,}")
        warn = "  (k > s!)" if k > side else ""
        self.title.set_text(f"d = {side}² = {side * side} pixels,  d²/k² = {c[0] / c[2]:,.0f}{warn}")


@register_widget("zoo_shift")
class ShiftWidget(LiveFigure):
    """A digit on a 12 x 12 canvas shifted sideways; panels: the image, relu(conv) feature map, and the
    responses vs shift of conv -> relu -> global average pool and of a dense neuron matched to the digit.

    The dropdown picks the boundary: "circular" (np.roll, circular padding: the pooled value is exactly
    constant) or "zero" (zero fill and zero padding: constant until the digit reaches the border).
    """

    SIDE, SHIFTS = 12, np.arange(-4, 5)
    KERNEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])  # Sobel: vertical edges

    def __init__(self, digit=0):
        import ipywidgets as w

        from .data import load_digits_arrays

        digit = require_int(digit, "digit", low=0, high=1796)
        X, _ = load_digits_arrays()
        self.x0 = place_on_canvas(X[digit:digit + 1], self.SIDE)[0]
        self.images, self.maps, self.curves = {}, {}, {}
        template = self.x0.ravel() / (self.x0.ravel() @ self.x0.ravel())  # w . x0 = 1
        for mode in ("circular", "zero"):
            imgs = np.stack([shift_image(self.x0, int(s), mode=mode) for s in self.SHIFTS])  # (9, 12, 12)
            maps = np.maximum(self._conv(imgs, mode), 0.0)
            gap = maps.mean(axis=(1, 2))
            self.images[mode], self.maps[mode] = imgs, maps
            self.curves[mode] = (gap / gap[self.SHIFTS == 0], imgs.reshape(len(imgs), -1) @ template)
        super().__init__({
            "shift": w.IntSlider(value=0, min=int(self.SHIFTS[0]), max=int(self.SHIFTS[-1]), description="shift"),
            "boundary": w.Dropdown(options=["circular", "zero"], value="circular", description="boundary"),
        })

    def _conv(self, imgs, mode):
        if mode == "circular":
            return circular_conv2d(imgs, self.KERNEL)
        t = torch.as_tensor(imgs, dtype=torch.float64)[:, None]
        return F.conv2d(t, torch.as_tensor(self.KERNEL)[None, None], padding=len(self.KERNEL) // 2)[:, 0].numpy()

    def build(self):
        self.fig, (a0, a1, a2) = subplots(1, 3, figsize=(10.0, 3.6))
        vmax = max(m.max() for m in self.maps.values())
        self.im = a0.imshow(self.x0, cmap="gray_r", vmin=0, vmax=1)
        unshifted = int(np.flatnonzero(self.SHIFTS == 0)[0])
        self.fm = a1.imshow(self.maps["circular"][unshifted], cmap="viridis", vmin=0, vmax=vmax)
        for ax, t in ((a0, "input (shifted digit)"), (a1, "relu(conv) feature map")):
            ax.set_title(t)
            ax.set_axis_off()
        gap, dense = self.curves["circular"]
        self.gap_line, = a2.plot(self.SHIFTS, gap, "o-", color=PALETTE["orange"], label="conv + GAP")
        self.dense_line, = a2.plot(self.SHIFTS, dense, "s-", color=PALETTE["blue"], label="dense neuron")
        self.gap_dot, = a2.plot([0], [1], "o", ms=14, mfc="none", mec=PALETTE["vermillion"], mew=2.5)
        self.dense_dot, = a2.plot([0], [1], "s", ms=14, mfc="none", mec=PALETTE["vermillion"], mew=2.5)
        a2.set_ylim(-0.05, 1.3)
        a2.set_xlabel("shift (pixels)")
        a2.set_title("response / response at 0")
        a2.legend(loc="lower center", fontsize=9)
        self.animate(self.im, self.fm, self.gap_line, self.dense_line, self.gap_dot, self.dense_dot)

    def update(self, shift, boundary):
        i = int(np.flatnonzero(self.SHIFTS == shift)[0])
        gap, dense = self.curves[boundary]
        self.im.set_data(self.images[boundary][i])
        self.fm.set_data(self.maps[boundary][i])
        self.gap_line.set_ydata(gap)
        self.dense_line.set_ydata(dense)
        self.gap_dot.set_data([shift], [gap[i]])
        self.dense_dot.set_data([shift], [dense[i]])
