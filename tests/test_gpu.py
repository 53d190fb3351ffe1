"""CPU/GPU consistency gate: every lecture runs with COURSE_DEVICE=cuda and agrees with its CPU run.

Marked `gpu`, skipped where torch sees no CUDA device. Run it on a GPU machine with
    .venv/bin/python -m pytest -m gpu tests/test_gpu.py
Each notebook's `check(...)` lines are compared: a quantity measured on the GPU must match the CPU
value within the tolerance the notebook states for that check.
"""
import pytest
import torch

from nbrun import cell_texts, checked_values, execute
from notebooks import ROOT, lecture_notebooks

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: the GPU gate needs one")]

LECTURES = lecture_notebooks()


def checks_of(nb):
    found = {}
    for _, text in cell_texts(nb):
        found.update(checked_values(text))
    return found


@pytest.mark.parametrize("path", LECTURES, ids=[p.name for p in LECTURES])
def test_lecture_agrees_between_cpu_and_gpu(path):
    cpu, _ = execute(path, env={"COURSE_DEVICE": "cpu"})
    gpu, _ = execute(path, env={"COURSE_DEVICE": "cuda"})  # any failing assert in a cell fails here
    a, b = checks_of(cpu), checks_of(gpu)
    assert a.keys() == b.keys(), f"checks differ: {sorted(a.keys() ^ b.keys())}"
    bad = []
    for name, (v_cpu, tol, kind) in a.items():
        v_gpu = b[name][0]
        bound = tol * abs(v_cpu) if kind == "rel" else tol
        if abs(v_gpu - v_cpu) > bound:
            bad.append(f"{name}: cpu {v_cpu:.6g}, gpu {v_gpu:.6g}, {kind} tol {tol:g}")
    assert not bad, f"{path.relative_to(ROOT)}: " + "; ".join(bad)
