"""Lecture 4 workshop: keep every neuron on one scale (wiring constraints, scaled relu, depth, backward pass).

Follows CONTENT.md D5-D7 (after Arpit et al. 2016, Normalization Propagation; Huang et al. 2017, Centered
Weight Normalization). For x ~ N(0, 1) and r = relu(x):

    E r = 1/sqrt(2 pi) = 0.3989423,   E r^2 = 1/2,   Var r = (1 - 1/pi)/2 = 0.3408451,

so Var[alpha * r] = 0.3408 alpha^2 and alpha* = sqrt(2 / (1 - 1/pi)) = 1.712859 keeps the variance at 1.
Through a layer whose rows are centred and unit-norm (`balance`) the pre-activation variance is multiplied
by 0.3408 alpha^2; with Gaussian N(0, 1/n) weights the second moment is multiplied by alpha^2 / 2; on the way
back the gradient second moment is multiplied by alpha^2 / 2 either way.

`AlphaWidget` is the lecture's live alpha slider.
"""
import math

import numpy as np
import torch

from .checks import require_array, require_choice, require_float_dtype, require_int, require_real
from .device import get_device, resolve_device
from .plotting import PALETTE, LiveFigure, register_widget, subplots

SCHEMES = ("centred", "gaussian")  # centred unit-norm rows (balance) | iid N(0, 1/fan_in) (He / lecun)
ACTIVATIONS = ("relu", "selu")


def relu_moments():
    """(E r, E r^2, Var r) for r = relu(x), x ~ N(0, 1): (1/sqrt(2 pi), 1/2, (1 - 1/pi)/2) = (0.39894, 0.5, 0.34085)."""
    mean = 1.0 / math.sqrt(2.0 * math.pi)
    second = 0.5
    return mean, second, second - mean**2


def alpha_star():
    """The variance-preserving relu scale alpha* = sqrt(2 / (1 - 1/pi)) = 1.712859: Var[alpha* relu(x)] = 1."""
    return math.sqrt(2.0 / (1.0 - 1.0 / math.pi))


def predicted_factors(alpha, scheme="centred"):
    """Per-layer (forward, backward) factors for alpha * relu, from the moments above.

    forward: centred weights multiply the pre-activation *variance* by Var[alpha r] = 0.3408 alpha^2;
             Gaussian N(0, 1/n) weights multiply the *second moment* by E[(alpha r)^2] = alpha^2 / 2.
    backward: the gradient second moment is multiplied by alpha^2 * P(z > 0) = alpha^2 / 2 (unit-norm rows,
             or N(0, 1/n) columns, pass the squared norm through on average).
    Raises TypeError/ValueError for a non-real, non-finite or negative alpha, or an unknown scheme.
    """
    alpha = require_real(alpha, "alpha", low=0.0, high=1e150)  # alpha^2 must stay a finite float
    require_choice(scheme, "scheme", SCHEMES)
    mean, second, var = relu_moments()
    forward = alpha**2 * (var if scheme == "centred" else second)
    return forward, alpha**2 / 2.0


def scaled_relu(x, alpha):
    """alpha * max(0, x), elementwise; x a NumPy array (or number / nested list) or a torch tensor.

    Returns the same kind as `x` (torch tensors keep device and dtype; everything else becomes a float
    NumPy array). Raises ValueError if alpha is negative or not finite, or x contains NaN/inf;
    TypeError if alpha is not a real number or x is not numeric.
    """
    alpha = require_real(alpha, "alpha", low=0.0)
    if isinstance(x, torch.Tensor):
        if x.dtype == torch.bool or x.is_complex():
            raise TypeError(f"x must be a real-valued tensor, got dtype {x.dtype}")
        if x.is_floating_point() and not bool(torch.isfinite(x).all()):
            raise ValueError("x must contain only finite numbers (no NaN or inf)")
        return alpha * torch.relu(x)
    x = require_array(x, "x", min_size=0)
    return alpha * np.maximum(x, 0.0)


def balance(W):
    """Project each row w of W onto the wiring constraints: sum_i w_i = 0 and sum_i w_i^2 = 1.

    w -> (w - mean(w)) / ||w - mean(w)||. W: (fan_in,) for one neuron or (fan_out, fan_in) for a layer,
    a NumPy array or a torch tensor (same kind returned; other input becomes a float NumPy array).
    Raises ValueError for another number of dimensions, rows of length 1 (centring forces w = 0),
    constant rows (nothing is left after centring), NaN/inf; TypeError for non-numeric input.
    """
    if isinstance(W, torch.Tensor):
        if W.is_complex() or W.dtype == torch.bool:
            raise TypeError(f"W must be a real tensor, got dtype {W.dtype}")
        W = W if W.is_floating_point() else W.double()
        if not bool(torch.isfinite(W).all()):
            raise ValueError("W must contain only finite numbers (no NaN or inf)")
        reduce = {"dim": -1, "keepdim": True}
    else:
        W = require_array(W, "W", min_size=0)
        reduce = {"axis": -1, "keepdims": True}
    if W.ndim not in (1, 2):
        raise ValueError(f"W must have 1 or 2 dimensions, (fan_in,) or (fan_out, fan_in), got shape {tuple(W.shape)}")
    if W.shape[-1] < 2 or W.shape[0] == 0:
        raise ValueError(f"W: rows need at least 2 entries to be balanced (sum 0 and norm 1), got shape {tuple(W.shape)}")
    # balance(c w) = balance(w) for c > 0: divide each row by its largest |entry| first, so nothing overflows
    peak = W.abs().amax(**reduce) if isinstance(W, torch.Tensor) else np.abs(W).max(**reduce)
    if bool((peak == 0).any()):
        raise ValueError("W: a row is all zeros, so it has no direction and cannot be balanced")
    W = W / peak
    centred = W - W.mean(**reduce)
    norm = (centred**2).sum(**reduce) ** 0.5
    if bool((norm <= 1e-12 * W.shape[-1] ** 0.5).any()):
        raise ValueError("W: a row is constant, so nothing is left after centring and it cannot be balanced")
    return centred / norm


def random_weights(scheme, width=128, depth=30, seed=0, device=None, dtype=torch.float64):
    """`depth` square weight matrices, shape (depth, width, width), drawn on the CPU from `seed`.

    scheme 'centred': rows of a standard Gaussian matrix, balanced (zero mean, unit norm per neuron);
    scheme 'gaussian': iid N(0, 1/width) entries (He's and lecun's initialisation; E ||row||^2 = 1).
    seed: an int (a fresh torch.Generator().manual_seed(seed)) or a CPU torch.Generator, which is advanced,
    so that inputs drawn from it next are independent of the weights (never reuse the weights' seed for
    inputs: the inputs would then equal the first rows of W_1).
    Drawing on the CPU and then moving to `device` (None: `get_device()`) gives the same weights on CPU and GPU.
    Raises ValueError/TypeError for an unknown scheme, width < 2, depth < 1, a bad seed, dtype or device.
    """
    require_choice(scheme, "scheme", SCHEMES)
    width = require_int(width, "width", low=2)
    depth = require_int(depth, "depth", low=1)
    if depth * width**2 > 2**26:
        raise ValueError(f"width and depth: {depth} x {width} x {width} weights is more than this course needs (2**26)")
    if isinstance(seed, torch.Generator):
        if seed.device.type != "cpu":
            raise ValueError(f"seed must be a CPU generator, got one on {seed.device}")
        g = seed
    else:
        g = torch.Generator().manual_seed(require_int(seed, "seed", low=0, high=2**63 - 1))
    dtype, device = require_float_dtype(dtype), resolve_device(device)
    W = torch.randn(depth, width, width, generator=g, dtype=torch.float64)
    W = balance(W.reshape(-1, width)).reshape(depth, width, width) if scheme == "centred" else W / math.sqrt(width)
    return W.to(device=device, dtype=dtype)


def propagate(weights, x, alpha=1.0, activation="relu", grad_out=None):
    """Run x through the layers z_l = h_{l-1} W_l^T, h_l = alpha * act(z_l) (h_0 = x) and return per-layer statistics.

    weights: (depth, n, n) tensor (or a sequence of (n_out, n_in) tensors); x: (batch, n_in) tensor, same
    device. activation 'relu' or 'selu' (torch's SELU, lambda = 1.0507, alpha = 1.6733; use alpha=1 with it).
    Returns a dict of float64 NumPy arrays, statistics pooled over batch and units:
      'mean', 'var', 'second' (depth,)  : mean, variance and second moment E z^2 of the pre-activation z_l;
      'grad_second' (depth + 1,)         : only with grad_out, E (dL/dh_l)^2 for l = 0..depth, where
                                           L = sum(h_depth * grad_out), by autograd.
    Raises TypeError/ValueError (naming the argument) for non-tensors, mismatched shapes or devices,
    NaN/inf, a negative alpha, or an unknown activation.
    """
    alpha = require_real(alpha, "alpha", low=0.0)
    require_choice(activation, "activation", ACTIVATIONS)
    Ws = _weight_list(weights)
    x = _tensor(x, "x", ndim=2)
    if x.shape[1] != Ws[0].shape[1]:
        raise ValueError(f"x must have shape (batch, {Ws[0].shape[1]}) to match weights, got {tuple(x.shape)}")
    for W in Ws:
        if W.device != x.device:
            raise ValueError(f"weights and x must be on the same device, got {W.device} and {x.device}")
    if grad_out is not None:
        grad_out = _tensor(grad_out, "grad_out", ndim=2)
        if grad_out.shape != (x.shape[0], Ws[-1].shape[0]):
            raise ValueError(f"grad_out must have shape {(x.shape[0], Ws[-1].shape[0])}, got {tuple(grad_out.shape)}")
    act = torch.relu if activation == "relu" else torch.nn.functional.selu
    stats = {"mean": [], "var": [], "second": []}
    with torch.set_grad_enabled(grad_out is not None):
        hs = [x.detach().clone().requires_grad_(grad_out is not None)]
        for W in Ws:
            z = hs[-1] @ W.T.to(x.dtype)  # (batch, n_in) -> (batch, n_out)
            stats["mean"].append(z.mean())
            stats["var"].append(z.var())
            stats["second"].append((z**2).mean())
            h = alpha * act(z)
            if grad_out is not None:
                h.retain_grad()
            hs.append(h)
        if grad_out is not None:
            (hs[-1] * grad_out.to(x.dtype)).sum().backward()
            stats["grad_second"] = [(h.grad**2).mean() for h in hs]
    return {k: torch.stack(v).detach().cpu().double().numpy() for k, v in stats.items()}


def fit_factor(values):
    """Per-layer growth factor of a positive sequence v_l ~ c * f^l: f = exp(least-squares slope of log v_l on l).

    values: 1-D, at least 2 positive finite entries. Raises ValueError/TypeError otherwise.
    """
    v = require_array(values, "values", ndim=1, min_size=2)
    if np.any(v <= 0):
        raise ValueError("values must all be positive (the fit is on their logarithm)")
    slope = np.polyfit(np.arange(v.size), np.log(v), 1)[0]
    return float(np.exp(slope))


def _tensor(t, name, ndim):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {type(t).__name__}")
    if not t.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}")
    if t.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return t


def _weight_list(weights):
    if isinstance(weights, torch.Tensor):
        _tensor(weights, "weights", ndim=3)
        Ws = list(weights)
    elif isinstance(weights, (list, tuple)) and weights:
        Ws = [_tensor(W, f"weights[{i}]", ndim=2) for i, W in enumerate(weights)]
    else:
        raise TypeError(f"weights must be a (depth, n, n) tensor or a non-empty list of 2-D tensors, got {type(weights).__name__}")
    for i in range(1, len(Ws)):
        if Ws[i].shape[1] != Ws[i - 1].shape[0]:
            raise ValueError(f"weights[{i}] has fan-in {Ws[i].shape[1]} but weights[{i - 1}] has fan-out {Ws[i - 1].shape[0]}")
    return Ws


@register_widget("alpha")
class AlphaWidget(LiveFigure):
    """The alpha slider: alpha * relu(x) on fixed samples, and through 30 fixed layers forwards and backwards.

    Panels: (1) histogram of y = alpha * relu(x) for `samples` fixed x ~ N(0, 1) (its positive part; half
    the mass sits at 0) with the density phi(y / alpha) / alpha, measured vs predicted mean 0.3989 alpha,
    variance 0.3408 alpha^2 and second moment alpha^2 / 2; (2) per-layer pre-activation variance (centred
    weights) or second moment (Gaussian weights), measured vs predicted forward_factor^(l - 1); (3) the
    gradient second moment E (dL/dh_l)^2, measured vs predicted (alpha^2 / 2)^(depth - l).

    Weights, inputs and output gradient are drawn once (seed) and propagated once at alpha = 1. relu is
    positively homogeneous, relu(a z) = a relu(z) for a >= 0, so at any alpha > 0 exactly
    z_l(alpha) = alpha^(l - 1) z_l(1) and dL/dh_l(alpha) = alpha^(depth - l) dL/dh_l(1): the measured curves
    are the alpha = 1 measurements times alpha^(2(l - 1)) and alpha^(2(depth - l)), with no new pass per move.
    Buttons set the slider to alpha* = 1.7129 and He's sqrt(2) = 1.4142.
    """

    ALPHA_MIN, ALPHA_MAX = 0.5, 2.5
    Y_LIMITS = (1e-16, 1e16)  # fixed, so a move never redraws the axes

    def __init__(self, alpha=1.0, weights="centred", width=128, depth=30, samples=20_000, seed=0):
        import ipywidgets as widgets

        alpha = require_real(alpha, "alpha", low=self.ALPHA_MIN, high=self.ALPHA_MAX)
        require_choice(weights, "weights", SCHEMES)
        self.depth = require_int(depth, "depth", low=2, high=200)
        width = require_int(width, "width", low=2, high=4096)
        samples = require_int(samples, "samples", low=100, high=10**7)
        seed = require_int(seed, "seed", low=0, high=2**32 - 1)

        x = np.random.default_rng(seed).standard_normal(samples)
        self.r = np.maximum(x, 0.0)  # (samples,) relu(x); y = alpha * r on every move
        self.edges = np.linspace(0.0, 4.0, 41)  # bins in units of x; y's bins are alpha * edges
        counts = np.histogram(x[x > 0], self.edges)[0]
        self.density1 = counts / (samples * np.diff(self.edges))  # density of relu(x) on (0, 4] at alpha = 1

        device = get_device()
        self.base = {}  # scheme -> (forward statistic (depth,), gradient second moment (depth + 1,)) at alpha = 1
        for scheme in SCHEMES:
            g = torch.Generator().manual_seed(seed)
            W = random_weights(scheme, width, self.depth, seed=g, device=device)
            inp = torch.randn(256, width, generator=g, dtype=torch.float64).to(device)  # (batch, width)
            grad_out = torch.randn(256, width, generator=g, dtype=torch.float64).to(device)
            st = propagate(W, inp, alpha=1.0, grad_out=grad_out)
            self.base[scheme] = (st["var"] if scheme == "centred" else st["second"], st["grad_second"])

        controls = {
            "alpha": widgets.FloatSlider(value=alpha, min=self.ALPHA_MIN, max=self.ALPHA_MAX, step=0.005,
                                         description="α", readout_format=".4f", continuous_update=True),
            "weights": widgets.Dropdown(options=[("centred unit-norm", "centred"), ("Gaussian 1/n", "gaussian")],
                                        value=weights, description="weights"),
        }
        super().__init__(controls)
        self.buttons = {}
        for key, label, value in (("alpha_star", f"α* = {alpha_star():.4f}", alpha_star()),
                                  ("he", f"He √2 = {math.sqrt(2):.4f}", math.sqrt(2))):
            button = widgets.Button(description=label)
            # the handler holds the slider, not self, so that close() lets the widget go
            button.on_click(lambda _b, v=value, slider=controls["alpha"]: setattr(slider, "value", v))
            self.buttons[key] = button
        bar = self.widget.children[0]
        bar.children = tuple(bar.children) + tuple(self.buttons.values())

    def build(self):
        self.fig, (ax_h, ax_f, ax_b) = subplots(1, 3, figsize=(12, 4.2))  # 960 x 336 px
        blue, orange, black = PALETTE["blue"], PALETTE["orange"], PALETTE["black"]

        ax_h.set(xlim=(0, 7), ylim=(0, 0.85), xlabel="y = α·relu(x)", ylabel="density (y > 0)")
        self.bars = self.animate(ax_h.stairs(self.density1, self.edges, fill=True, color=blue, alpha=0.45,
                                             label="samples"))
        (self.pdf,) = ax_h.plot([], [], color=orange, label="φ(y/α)/α")
        self.animate(self.pdf)
        ax_h.text(0.04, 0.96, "P(y = 0) = ½\n(not drawn)", transform=ax_h.transAxes, va="top", fontsize=10)
        table = {"transform": ax_h.transAxes, "va": "top", "family": "monospace", "fontsize": 10}
        ax_h.text(0.38, 0.70, "     sample theory\nmean\nvar\nE y²", **table)  # static labels
        self.moments = self.animate(ax_h.text(0.55, 0.70, "", **table))  # numbers only: glyphs are costly to draw
        ax_h.legend(loc="upper right", fontsize=10)

        L = self.depth
        self.layers_f = np.arange(1, L + 1)  # pre-activations z_1 .. z_L
        self.layers_b = np.arange(0, L + 1)  # gradients at h_0 = x .. h_L
        for ax, ylabel in ((ax_f, "forward: Var z_l or E z_l²"), (ax_b, "backward: E (∂L/∂h_l)²")):
            ax.set(yscale="log", ylim=self.Y_LIMITS, xlim=(0, L + 0.5), xlabel="layer l", ylabel=ylabel,
                   yticks=10.0 ** np.arange(-15, 16, 5))
            ax.axhline(1.0, color="0.6", lw=1)
        (self.fwd,) = ax_f.plot(self.layers_f, np.ones(L), "o-", ms=3, color=blue, label="measured")
        (self.fwd_pred,) = ax_f.plot(self.layers_f, np.ones(L), "--", color=black, label="predicted factor^(l−1)")
        (self.bwd,) = ax_b.plot(self.layers_b, np.ones(L + 1), "o-", ms=3, color=orange, label="measured")
        (self.bwd_pred,) = ax_b.plot(self.layers_b, np.ones(L + 1), "--", color=black, label="(α²/2)^(L−l)")
        ax_f.legend(loc="upper left", fontsize=10)
        ax_b.legend(loc="upper right", fontsize=10)
        self.animate(self.fwd, self.fwd_pred, self.bwd, self.bwd_pred)
        # Title "α = a: forward ×f, backward ×b per layer": the words are static, only the numbers are drawn
        # per move, into blanks of figure spaces (the width of a digit) and a punctuation space (of a '.').
        words = ("α = ", ": forward ×", ", backward ×", " per layer")
        blank = "\u2007\u2008\u2007\u2007\u2007\u2007"  # as wide as "0.0000"
        title = self.fig.suptitle(blank.join(words))
        self.fig.canvas.draw()  # let the constrained layout place the title before measuring it
        renderer = self.fig.canvas.get_renderer()
        to_fig = self.fig.transFigure.inverted()
        x0 = title.get_window_extent(renderer).x0
        self.title_numbers = []
        for k in range(1, len(words)):
            probe = self.fig.text(0, 0, blank.join(words[:k]), fontproperties=title.get_fontproperties())
            width = probe.get_window_extent(renderer).width
            probe.remove()
            x, y = to_fig.transform((x0 + width, 0))[0], title.get_position()[1]
            self.title_numbers.append(self.animate(self.fig.text(x, y, "", va=title.get_va(),
                                                                 fontproperties=title.get_fontproperties())))

    def update(self, alpha=1.0, weights="centred"):
        """Move the artists to slider value `alpha` and weight scheme `weights` ('centred' | 'gaussian')."""
        alpha = require_real(alpha, "alpha", low=self.ALPHA_MIN, high=self.ALPHA_MAX)
        require_choice(weights, "weights", SCHEMES)
        mean1, second1, var1 = relu_moments()

        y = scaled_relu(self.r, alpha)  # the fixed samples, rescaled
        self.bars.set_data(self.density1 / alpha, self.edges * alpha)
        grid = np.linspace(1e-3, 4.0, 200)
        self.pdf.set_data(alpha * grid, np.exp(-grid**2 / 2) / math.sqrt(2 * math.pi) / alpha)
        self.moments.set_text(f"\n{y.mean():.3f} {mean1 * alpha:.3f}\n{y.var():.3f} {var1 * alpha**2:.3f}"
                              f"\n{(y * y).mean():.3f} {second1 * alpha**2:.3f}")

        forward, backward = predicted_factors(alpha, weights)
        base_f, base_b = self.base[weights]
        L = self.depth
        self.fwd.set_ydata(base_f * alpha ** (2 * (self.layers_f - 1)))
        self.fwd_pred.set_ydata(forward ** (self.layers_f - 1.0))
        self.bwd.set_ydata(base_b * alpha ** (2 * (L - self.layers_b)))
        self.bwd_pred.set_ydata(backward ** (L - self.layers_b * 1.0))
        for text, value in zip(self.title_numbers, (alpha, forward, backward)):
            text.set_text(f"{value:.4f}")
