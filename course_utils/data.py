"""Data for the notebooks: scikit-learn's bundled 8x8 digits (no download), loaded once per process.

`load_digits` ships inside scikit-learn: 1797 images of 8x8 pixels with values 0..16, 10 classes.
"""
import functools

import numpy as np
import torch

from .checks import require_bool, require_int, require_labels
from .device import resolve_device

N_DIGITS, N_PIXELS, N_CLASSES = 1797, 64, 10


@functools.lru_cache(maxsize=1)
def _digits():
    from sklearn.datasets import load_digits  # ~1 s the first time; cached for the rest of the kernel

    d = load_digits()
    X = d.data.astype(np.float64)  # (1797, 64), pixel values 0..16
    y = d.target.astype(np.int64)  # (1797,), labels 0..9
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load_digits_arrays(scale=True):
    """Return (X, y): X (1797, 64) float64 pixels, divided by 16 into [0, 1] when `scale`; y (1797,) int labels.

    Both come from one cached, read-only copy (X itself when scale=False, a new array when scale=True):
    copy before changing them.
    """
    require_bool(scale, "scale")
    X, y = _digits()
    return (X / 16.0 if scale else X), y


def digits_sample(n, seed=0, scale=True):
    """The first `n` digits (1 <= n <= 1797) of the shuffle `np.random.default_rng(seed).permutation(1797)`:
    X (n, 64), y (n,). ValueError naming n or seed when out of range."""
    n, seed = require_int(n, "n", low=1, high=N_DIGITS), require_int(seed, "seed", low=0)
    X, y = load_digits_arrays(scale=scale)
    idx = np.random.default_rng(seed).permutation(N_DIGITS)[:n]
    return X[idx], y[idx]


def digits_split(n_train, n_test=None, seed=0, scale=True):
    """Shuffle the digits with `np.random.default_rng(seed)` and split them.

    Returns (X_train, y_train, X_test, y_test): the first `n_train` shuffled examples, then the next
    `n_test` (all the rest when None). ValueError if the sizes are negative or exceed 1797 together.
    """
    n_train = require_int(n_train, "n_train", low=1, high=N_DIGITS - 1)
    if n_test is None:
        n_test = N_DIGITS - n_train
    n_test = require_int(n_test, "n_test", low=1, high=N_DIGITS - n_train)
    X, y = digits_sample(n_train + n_test, seed, scale)  # one shuffle: train first, then test
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def to_tensor(a, device=None, dtype=torch.float32):
    """NumPy array -> torch tensor on `device` (default: `get_device()`) with `dtype`.

    TypeError for non-numeric `a` or a bad `device`/`dtype` type; ValueError for an unavailable device.
    """
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float64, got {type(dtype).__name__}")
    device = resolve_device(device)
    if isinstance(a, torch.Tensor):
        t = a
    else:
        try:
            t = torch.as_tensor(np.asarray(a))
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"a must be an array of numbers, got {type(a).__name__}") from None
    return t.to(device=device, dtype=dtype)


def one_hot(y, n_classes=N_CLASSES):
    """Integer labels (n,) -> float64 one-hot targets (n, n_classes); ValueError for labels outside [0, n_classes)."""
    n_classes = require_int(n_classes, "n_classes", low=1)
    y = require_labels(y, "y", n_classes=n_classes)
    T = np.zeros((y.size, n_classes))
    T[np.arange(y.size), y] = 1.0
    return T
