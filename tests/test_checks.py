import numpy as np
import pytest
import torch

from course_utils.checks import (check, require_array, require_bool, require_choice, require_float_dtype, require_int,
                                 require_labels, require_real)


def test_check_passes_and_returns_value(capsys):
    assert check("pi", 3.14159, np.pi, 1e-5) == 3.14159
    assert capsys.readouterr().out.startswith("ok")


def test_check_fails_outside_tolerance():
    with pytest.raises(AssertionError, match="pi"):
        check("pi", 3.0, np.pi, 1e-3)


def test_check_relative_and_arrays_and_tensors():
    check("rel", 101.0, 100.0, 0.011, rel=True)
    with pytest.raises(AssertionError):
        check("rel", 102.0, 100.0, 0.011, rel=True)
    check("arr", torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), 1e-8)


def test_check_refuses_nan_and_bad_tolerance():
    with pytest.raises(AssertionError, match="not finite"):
        check("nan", float("nan"), 0.0, 1.0)
    with pytest.raises(ValueError, match="tol"):
        check("x", 1.0, 1.0, -1.0)
    with pytest.raises(TypeError, match="name"):
        check(3, 1.0, 1.0, 0.1)


def test_require_helpers_name_the_argument():
    with pytest.raises(ValueError, match="width"):
        require_int(-3, "width", low=0)
    with pytest.raises(TypeError, match="width"):
        require_int(2.0, "width")
    with pytest.raises(ValueError, match="alpha"):
        require_real(float("nan"), "alpha")
    with pytest.raises(ValueError, match="mode"):
        require_choice("x", "mode", ("a", "b"))
    with pytest.raises(ValueError, match="W"):
        require_array(np.ones(3), "W", ndim=2)
    with pytest.raises(ValueError, match="W"):
        require_array(np.ones((2, 3)), "W", shape=(None, 4))
    with pytest.raises(ValueError, match="x"):
        require_array([1.0, np.inf], "x")
    with pytest.raises(ValueError, match="x"):
        require_array([], "x")
    with pytest.raises(TypeError, match="x"):
        require_array("abc", "x")
    assert require_array(torch.ones(2, 2), "W", shape=(2, None)).shape == (2, 2)


def test_require_int_sequence():
    from course_utils.checks import require_int_sequence

    assert require_int_sequence((64, np.int64(10)), "widths", min_len=2) == [64, 10]
    for bad, err in [(np.array(0.0), TypeError), ("12", TypeError), (None, TypeError), ([3], ValueError),
                     ([3, 0], ValueError), ([3, 2.5], TypeError)]:
        with pytest.raises(err, match="widths"):
            require_int_sequence(bad, "widths", min_len=2, low=1)


def test_check_takes_one_element_arrays_and_names_shape_mismatches(capsys):
    assert check("shape (1,)", np.array([1.0]), 1.0, 0.1)[0] == 1.0
    check("tensor (1,)", torch.tensor([2.0]), np.array([[2.05]]), 0.1)
    assert "2 vs 2.05" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="shape"):
        check("shape", np.array([1.0]), 3.0, 0.1)
    with pytest.raises(ValueError, match=r"mismatch: value has shape \(3,\), expected has shape \(2,\)"):
        check("mismatch", np.zeros(3), np.zeros(2), 0.1)



def test_require_float_dtype():
    assert require_float_dtype(torch.float32) is torch.float32
    for bad in (torch.int64, "float64", np.float64, np.array([]), None):
        with pytest.raises(TypeError, match="dtype must be torch.float32 or torch.float64"):
            require_float_dtype(bad)


def test_require_bool_and_labels_name_the_argument():
    assert require_bool(False, "flag") is False
    with pytest.raises(TypeError, match="flag must be a bool"):
        require_bool(1, "flag")
    assert require_labels([0, 2, 1], "y", n=3, n_classes=3).tolist() == [0, 2, 1]
    for bad, kwargs, pattern in (([0.0, 1.0], {}, r"y must be 1-D integer"), ([0, 1], {"n": 3}, r"y must be \(3,\)"),
                                 ([[0, 1]], {}, "y must be"), ([0, 5], {"n_classes": 5}, r"\[0, 5\)"),
                                 (np.array([], dtype=int), {"min_size": 1}, "at least 1"), ([[0], [1, 2]], {}, "ragged")):
        with pytest.raises(ValueError, match=pattern):
            require_labels(bad, "y", **kwargs)
