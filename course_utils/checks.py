"""`check`: the assert-and-print that follows every claim in a notebook, and argument validation.

Every public function in course_utils validates its arguments with the `require_*` helpers here, so
a student's mistyped argument gets a ValueError/TypeError that names it, not a traceback from deep
inside NumPy.
"""
import math
import numbers
import sys

import numpy as np


def check(name, value, expected, tol, rel=False):
    """Assert |value - expected| <= tol (or <= tol*|expected| when rel=True), print one line, return value.

    `value`/`expected` may be Python numbers, NumPy scalars/arrays or torch tensors (compared elementwise,
    worst element reported). Raises AssertionError with both numbers when the claim fails.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    tol = require_real(tol, "tol", low=0.0)
    v = _as_numpy(value, "value")
    e = _as_numpy(expected, "expected")
    if not np.all(np.isfinite(v)):
        raise AssertionError(f"{name}: value is not finite: {value}")
    try:
        np.broadcast_shapes(v.shape, e.shape)
    except ValueError:
        raise ValueError(f"{name}: value has shape {v.shape}, expected has shape {e.shape}; they do not match") from None
    err = np.abs(v - e)
    bound = tol * np.abs(e) if rel else tol
    worst = float(np.max(err)) if err.size else 0.0
    kind = "rel" if rel else "abs"
    shown = v.item() if v.size == 1 else f"array{v.shape}"  # .item(): float() refuses shape (1,) in NumPy 2
    want = e.item() if e.size == 1 else f"array{e.shape}"
    ok = bool(np.all(err <= bound))
    line = f"{'ok ' if ok else 'FAIL'} {name}: {shown:.6g} vs {want:.6g} ({kind} tol {tol:g}, |err| {worst:.2g})" \
        if v.size == 1 and e.size == 1 else \
        f"{'ok ' if ok else 'FAIL'} {name}: {shown} vs {want} ({kind} tol {tol:g}, max |err| {worst:.2g})"
    print(line)
    assert ok, line
    return value


def _is_tensor(x):
    """True for a torch tensor, without importing torch (homework kernels never load it unless they use it)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _as_numpy(x, name):
    if _is_tensor(x):
        return x.detach().cpu().double().numpy()
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(x).__name__}") from None


def require_real(x, name, low=None, high=None, finite=True):
    """Return `x` as a Python float; TypeError unless a real number, ValueError if NaN/inf or outside [low, high]."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        if (isinstance(x, np.ndarray) or _is_tensor(x)) and x.ndim == 0:
            x = x.item()
        else:
            raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if finite and not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    if low is not None and x < low:
        raise ValueError(f"{name} must be >= {low}, got {x}")
    if high is not None and x > high:
        raise ValueError(f"{name} must be <= {high}, got {x}")
    return x


def require_int(n, name, low=None, high=None):
    """Return `n` as a Python int; TypeError unless an integer (bools refused), ValueError outside [low, high]."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    n = int(n)
    if low is not None and n < low:
        raise ValueError(f"{name} must be >= {low}, got {n}")
    if high is not None and n > high:
        raise ValueError(f"{name} must be <= {high}, got {n}")
    return n


def require_choice(value, name, choices):
    """Return `value` if it is one of `choices`, else ValueError listing them."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {tuple(choices)}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def require_array(x, name, ndim=None, shape=None, min_size=1, finite=True, dtype=float):
    """Return `x` as a NumPy array of `dtype`, checking rank, shape and finiteness.

    `shape` may contain None for "any length". Torch tensors are accepted (copied to CPU).
    TypeError for non-numeric input, ValueError naming `name` for wrong rank/shape, empty, NaN or inf.
    """
    if _is_tensor(x):
        x = x.detach().cpu().numpy()
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of real numbers, got {type(x).__name__}")
    try:
        raw = np.asarray(x)
        if np.iscomplexobj(raw):
            raise TypeError
        a = raw.astype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of real numbers (not ragged, not complex), got {type(x).__name__}") from None
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if shape is not None:
        if a.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, a.shape)):
            want = tuple("any" if s is None else s for s in shape)
            raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    if a.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} element(s), got shape {a.shape}")
    if finite and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return a


def require_int_sequence(xs, name, min_len=1, low=None):
    """Return `xs` as a list of Python ints (e.g. layer widths); TypeError unless a sequence of integers,
    ValueError if shorter than `min_len` or an entry is below `low` (the message names `name[i]`)."""
    if isinstance(xs, (str, bytes, dict)) or _is_tensor(xs) or (isinstance(xs, np.ndarray) and xs.ndim != 1):
        raise TypeError(f"{name} must be a sequence of ints, got {type(xs).__name__}")
    try:
        items = list(xs)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints, got {type(xs).__name__}") from None
    if len(items) < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries, got {len(items)}")
    return [require_int(v, f"{name}[{i}]", low=low) for i, v in enumerate(items)]


def require_float_dtype(dtype, name="dtype"):
    """Return `dtype` if it is torch.float32 or torch.float64; TypeError naming `name` otherwise."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(dtype, torch.dtype) or dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{name} must be torch.float32 or torch.float64, got {dtype!r}")
    return dtype


def require_bool(b, name):
    """Return `b` if it is a bool (True/False, not 0/1); TypeError naming `name` otherwise."""
    if not isinstance(b, bool):
        raise TypeError(f"{name} must be a bool, got {type(b).__name__}")
    return b


def require_labels(y, name, n=None, n_classes=None, min_size=0):
    """Return `y` as a 1-D integer NumPy array of class labels; ValueError naming `name` unless it has
    `n` entries (when given), at least `min_size`, and every label in [0, n_classes) (when given)."""
    try:
        y = np.asarray(y)
    except ValueError:
        raise ValueError(f"{name} must be a 1-D array of integer labels, got a ragged sequence") from None
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (n is not None and y.shape[0] != n):
        want = f"({n},)" if n is not None else "1-D"
        raise ValueError(f"{name} must be {want} integer labels, got dtype {y.dtype} shape {y.shape}")
    if y.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} labels, got {y.size}")
    if n_classes is not None and y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} must hold labels in [0, {n_classes}), got range [{y.min()}, {y.max()}]")
    return y

