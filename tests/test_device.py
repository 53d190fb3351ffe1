import numpy as np
import pytest
import torch

from course_utils.device import get_device, seed_everything


def test_default_follows_cuda_availability(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert get_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_env_forces_cpu(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "CPU ")
    assert get_device() == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="COURSE_DEVICE=cuda"):
        get_device()


def test_unknown_device_names_the_variable(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="COURSE_DEVICE"):
        get_device()
    with pytest.raises(ValueError, match="prefer"):
        get_device("gpu")
    with pytest.raises(TypeError, match="prefer"):
        get_device(0)


def test_seed_everything_makes_all_three_generators_repeat():
    def draw():
        import random
        rng = seed_everything(123)
        return random.random(), np.random.rand(), torch.rand(1).item(), rng.random()

    assert draw() == draw()
    assert seed_everything(1).random() != seed_everything(2).random()


@pytest.mark.parametrize("bad, err", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError)])
def test_seed_rejects_bad_input(bad, err):
    with pytest.raises(err, match="seed"):
        seed_everything(bad)


def test_resolve_device_accepts_names_and_refuses_garbage(monkeypatch):
    from course_utils.device import resolve_device

    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert resolve_device(None) == get_device()
    assert resolve_device("cpu") == torch.device("cpu") == resolve_device(torch.device("cpu"))
    with pytest.raises(TypeError, match="device"):
        resolve_device(0)
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            resolve_device("cuda")
