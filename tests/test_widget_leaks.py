"""An hour of slider dragging, compressed: 1,000 moves per widget with flat memory and steady latency."""
import gc
import time

import matplotlib.pyplot as plt
import numpy as np
import psutil
import pytest

from course_utils.plotting import all_widgets

WIDGETS = all_widgets()
MOVES = 1000
RSS_GROWTH_MB = 20


@pytest.mark.parametrize("name", list(WIDGETS))
def test_thousand_moves_do_not_leak(name):
    proc = psutil.Process()
    figs_before = set(plt.get_fignums())
    w = WIDGETS[name]()
    # CPU time per move: the other worker (browser tests, kernels) shares the 2 cores and skews wall time
    first = w.time_moves(50, clock=time.process_time)  # warm-up moves; also the cost at the start
    gc.collect()
    rss0 = proc.memory_info().rss
    w.time_moves(MOVES - 100)
    last = w.time_moves(50, clock=time.process_time)
    gc.collect()
    growth_mb = (proc.memory_info().rss - rss0) / 2**20  # measured with the widget still open
    w.close()  # frees its figure before the next widget's run in this worker
    print(f"{name}: RSS growth {growth_mb:.1f} MB over {MOVES} moves; "
          f"median {np.median(first)*1e3:.1f} ms at start, {np.median(last)*1e3:.1f} ms at end")
    assert growth_mb < RSS_GROWTH_MB, f"{name}: RSS grew {growth_mb:.1f} MB"
    assert set(plt.get_fignums()) == figs_before, f"{name}: left pyplot figures open"
    assert np.median(last) <= 1.5 * np.median(first) + 0.005, f"{name}: updates slowed down"
