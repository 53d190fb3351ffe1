"""Device choice and seeding, so that no notebook hard-codes `cuda` or reaches for global RNG state.

`COURSE_DEVICE=cpu|cuda` (environment) overrides the automatic choice (CUDA when present, else CPU).
"""
import contextlib
import functools
import os
import random

import numpy as np
import torch

from .checks import require_int

ENV_VAR = "COURSE_DEVICE"
_CHOICES = ("cpu", "cuda")


def get_device(prefer=None):
    """Return the `torch.device` the course computes on.

    Order: `prefer` argument, then the environment variable COURSE_DEVICE, then CUDA if
    `torch.cuda.is_available()`, else CPU.

    Raises ValueError for a name other than 'cpu'/'cuda', RuntimeError when 'cuda' is asked for
    on a machine without a CUDA device.
    """
    if prefer is not None and not isinstance(prefer, str):
        raise TypeError(f"prefer must be 'cpu', 'cuda' or None, got {type(prefer).__name__}")
    name = prefer if prefer is not None else os.environ.get(ENV_VAR, "").strip().lower() or None
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = name.strip().lower()
    if name not in _CHOICES:
        source = "prefer" if prefer is not None else ENV_VAR
        raise ValueError(f"{source} must be one of {_CHOICES}, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"{ENV_VAR}=cuda was asked for, but torch sees no CUDA device on this machine "
            "(unset it, or set it to 'cpu')."
        )
    return torch.device(name)


def seed_everything(seed=0):
    """Seed Python's `random`, NumPy's legacy global state and torch (CPU and CUDA) with `seed`.

    Returns a fresh `numpy.random.Generator` (`np.random.default_rng(seed)`): notebooks draw from
    it rather than from global state.
    """
    seed = require_int(seed, "seed", low=0, high=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return np.random.default_rng(seed)


def resolve_device(device=None):
    """Turn a `device` argument into a `torch.device`: None -> `get_device()`; 'cpu', 'cuda', 'cuda:0' or a
    `torch.device` as given. TypeError for other types, ValueError for an unknown or absent device."""
    if device is None:
        return get_device()
    if isinstance(device, bool) or not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be None, a str like 'cpu' or a torch.device, got {type(device).__name__}")
    try:
        device = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', got {device!r}") from None
    if device.type not in _CHOICES:
        raise ValueError(f"device must be a cpu or cuda device, got {device}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device} was asked for, but torch sees no CUDA device on this machine")
    return device


@functools.lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController  # installed with scikit-learn

    return ThreadpoolController()


@contextlib.contextmanager
def _one_thread():
    """Run torch and NumPy's BLAS on one thread inside the block, then restore both. Small matmuls gain nothing
    from more threads, and on a loaded 2-core machine a second spinning thread can cost 10x (measured)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with _blas_controller().limit(limits=1, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(n)
