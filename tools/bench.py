"""`make bench`: wall time to execute each notebook (kernel start included) and widget update latency.

Notebooks run one after another in fresh kernels (nbclient), so each time is what a student waits for
"Restart kernel and run all". Widgets: 50 simulated slider moves each (update + frame), median and p95.
Usage: python tools/bench.py [notebook ...]
"""
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from nbrun import execute  # noqa: E402
from notebooks import homework_notebooks, lecture_notebooks  # noqa: E402


def source_notebooks():
    return lecture_notebooks() + homework_notebooks(folders=("source",))


def main(args):
    paths = [pathlib.Path(a).resolve() for a in args] or source_notebooks()
    print(f"{'notebook':70s} {'seconds':>8s}")
    total = 0.0
    for p in paths:
        _, dt = execute(p)
        total += dt
        print(f"{str(p.relative_to(ROOT)):70s} {dt:8.2f}", flush=True)
    print(f"{'all notebooks, one after another':70s} {total:8.2f}\n")

    from course_utils.plotting import all_widgets

    print(f"{'widget (50 moves: update + frame)':40s} {'median ms':>10s} {'p95 ms':>8s} {'max ms':>8s}")
    for name, cls in all_widgets().items():
        w = cls()
        w.time_moves(5)  # warm caches
        t = w.time_moves(50) * 1e3
        print(f"{name:40s} {np.median(t):10.1f} {np.percentile(t, 95):8.1f} {t.max():8.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
