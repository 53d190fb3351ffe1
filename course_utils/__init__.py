"""course_utils: the small workshop every notebook of the Neural Architecture Design course imports.

One module per lecture topic (neurons, ...) plus a few shared ones:
  device   -- CPU/GPU choice (env COURSE_DEVICE) and seeding
  checks   -- `check(...)`, the assert-and-print used after every claim, and argument validation
  plotting -- the course figure style and `LiveFigure`, the base of every slider widget
  data     -- the bundled scikit-learn digits, loaded once and cached (no downloads)
"""
from .checks import check

__all__ = ["check", "get_device", "seed_everything"]


def __getattr__(name):
    # get_device/seed_everything import torch (~1 s): load it only when a notebook asks for them.
    if name in ("get_device", "seed_everything"):
        from . import device

        return getattr(device, name)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
