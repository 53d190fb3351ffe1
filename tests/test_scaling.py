"""course_utils.scaling, each quantity by an independent route: closed form vs scipy quadrature vs sampling,
autograd vs a hand-written NumPy backward pass, the widget's rescaled curves vs a fresh forward pass."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate

from course_utils.scaling import (AlphaWidget, alpha_star, balance, fit_factor, predicted_factors, propagate,
                                  random_weights, relu_moments, scaled_relu)

GAUSS = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731


def quad(f):
    return integrate.quad(lambda x: f(x) * GAUSS(x), -np.inf, np.inf, epsabs=1e-13, epsrel=1e-13)[0]


# -- moments and alpha* ------------------------------------------------------------------------------
def test_relu_moments_match_quadrature():
    mean, second, var = relu_moments()
    m1, m2 = quad(lambda x: max(x, 0.0)), quad(lambda x: max(x, 0.0) ** 2)
    assert mean == pytest.approx(m1, abs=1e-10)
    assert second == pytest.approx(m2, abs=1e-10)
    assert var == pytest.approx(m2 - m1**2, abs=1e-10)
    assert (mean, second, var) == pytest.approx((0.3989423, 0.5, 0.3408451), abs=1e-7)  # CONTENT.md §3


def test_relu_moments_match_sampling_within_standard_errors():
    r = np.maximum(np.random.default_rng(1).standard_normal(1_000_000), 0.0)
    mean, second, var = relu_moments()
    n = r.size
    assert abs(r.mean() - mean) < 4 * r.std() / math.sqrt(n)
    assert abs((r**2).mean() - second) < 4 * (r**2).std() / math.sqrt(n)
    se_var = math.sqrt(((r - r.mean()) ** 4).mean() - r.var() ** 2) / math.sqrt(n)
    assert abs(r.var() - var) < 4 * se_var


def test_alpha_star_gives_unit_variance():
    a = alpha_star()
    assert a == pytest.approx(1.712859, abs=1e-6)
    m1, m2 = quad(lambda x: a * max(x, 0.0)), quad(lambda x: (a * max(x, 0.0)) ** 2)
    assert m2 - m1**2 == pytest.approx(1.0, abs=1e-10)


def test_predicted_factors():
    assert predicted_factors(alpha_star(), "centred") == pytest.approx((1.0, 1.466942), abs=1e-6)  # CONTENT §3
    assert predicted_factors(math.sqrt(2), "gaussian") == pytest.approx((1.0, 1.0), abs=1e-12)
    assert predicted_factors(1.0, "centred")[0] == pytest.approx(0.5 * (1 - 1 / math.pi))
    with pytest.raises(ValueError, match="alpha"):
        predicted_factors(-1.0)
    with pytest.raises(ValueError, match="scheme"):
        predicted_factors(1.0, "uniform")


# -- scaled_relu ---------------------------------------------------------------------------------------
def test_scaled_relu_numpy_torch_and_where_agree():
    x = np.random.default_rng(2).standard_normal((7, 5))
    ref = np.where(x > 0, 1.7 * x, 0.0)
    np.testing.assert_array_equal(scaled_relu(x, 1.7), ref)
    t = scaled_relu(torch.tensor(x, dtype=torch.float32), 1.7)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-6)
    assert scaled_relu([-1, 2], 2.0).tolist() == [0.0, 4.0]
    assert scaled_relu(3.0, 0.0) == 0.0


@pytest.mark.parametrize("alpha, exc", [(-0.5, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
                                        ("1", TypeError), (None, TypeError), (True, TypeError)])
def test_scaled_relu_rejects_bad_alpha(alpha, exc):
    with pytest.raises(exc, match="alpha"):
        scaled_relu(np.ones(3), alpha)


def test_scaled_relu_rejects_bad_x():
    with pytest.raises(ValueError, match="x"):
        scaled_relu(np.array([1.0, np.nan]), 1.0)
    with pytest.raises(ValueError, match="x"):
        scaled_relu(torch.tensor([1.0, float("inf")]), 1.0)
    with pytest.raises(TypeError, match="x"):
        scaled_relu("abc", 1.0)
    with pytest.raises(TypeError, match="x"):
        scaled_relu(torch.tensor([True, False]), 1.0)
    with pytest.raises(TypeError, match="x"):
        scaled_relu(torch.tensor([1j]), 1.0)


# -- balance -----------------------------------------------------------------------------------------
def test_balance_meets_both_constraints_and_is_a_projection():
    V = np.random.default_rng(3).standard_normal((6, 9)) * 5 + 2
    W = balance(V)
    np.testing.assert_allclose(W.sum(1), 0.0, atol=1e-12)
    np.testing.assert_allclose((W**2).sum(1), 1.0, atol=1e-12)
    np.testing.assert_allclose(balance(W), W, atol=1e-14)  # idempotent
    np.testing.assert_allclose(balance(3.0 * V + 11.0), W, atol=1e-12)  # blind to shifts and positive scales
    # the independent route: the unit vector along the projection of v onto the complement of (1, ..., 1)
    v = V[0]
    P = np.eye(9) - np.ones((9, 9)) / 9
    np.testing.assert_allclose(balance(v), P @ v / np.linalg.norm(P @ v), atol=1e-12)
    huge = balance(np.array([1e308, -1e308, 0.0, 5e307]))  # no overflow in the squares
    assert np.isfinite(huge).all() and abs(huge.sum()) < 1e-12 and abs((huge**2).sum() - 1) < 1e-12


def test_balance_torch_in_torch_out():
    V = torch.randn(4, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    W = balance(V)
    assert isinstance(W, torch.Tensor) and W.dtype == torch.float64
    np.testing.assert_allclose(W.numpy(), balance(V.numpy()), atol=1e-14)
    assert balance(torch.tensor([1, 2, 4])).dtype == torch.float64


@pytest.mark.parametrize("W, exc, pattern", [
    (np.ones((3, 1)), ValueError, "2 entries"),            # a row of length 1: centring leaves 0
    (np.array([5.0]), ValueError, "2 entries"),
    (np.array([[1.0, 2.0], [3.0, 3.0]]), ValueError, "constant"),
    (np.zeros(4), ValueError, "zeros"),
    (np.array([1.0, np.nan, 2.0]), ValueError, "W"),
    (np.ones((2, 2, 2)), ValueError, "dimensions"),
    (np.ones(()), ValueError, "dimensions"),
    (np.ones((0, 3)), ValueError, "W"),
    (torch.tensor([[1.0, float("nan")]]), ValueError, "W"),
    (torch.ones(2, 2, 2), ValueError, "dimensions"),
    ("weights", TypeError, "W"),
    (torch.tensor([1 + 1j, 2j]), TypeError, "W"),
])
def test_balance_rejects_bad_input(W, exc, pattern):
    with pytest.raises(exc, match=pattern):
        balance(W)


# -- random_weights, propagate, fit_factor --------------------------------------------------------------
def test_random_weights_schemes():
    Wc = random_weights("centred", width=16, depth=3, seed=0, device="cpu")
    assert Wc.shape == (3, 16, 16) and Wc.dtype == torch.float64
    np.testing.assert_allclose(Wc.sum(-1).numpy(), 0.0, atol=1e-12)
    np.testing.assert_allclose((Wc**2).sum(-1).numpy(), 1.0, atol=1e-12)
    Wg = random_weights("gaussian", width=64, depth=20, seed=0, device="cpu")
    assert (Wg**2).mean().item() == pytest.approx(1 / 64, rel=0.03)  # 81,920 entries: se 0.5 %
    same = [random_weights("gaussian", 8, 2, seed=5, device="cpu") for _ in range(2)]
    assert torch.equal(*same)
    g = torch.Generator().manual_seed(0)
    random_weights("centred", 8, 2, seed=g, device="cpu")
    x = torch.randn(8, 8, generator=g, dtype=torch.float64)
    raw = torch.randn(2, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert not torch.equal(x, raw[0])  # inputs drawn after the weights are not the weights' raw draws
    assert random_weights("centred", 8, 2, dtype=torch.float32, device="cpu").dtype == torch.float32


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"scheme": "orthogonal"}, ValueError, "scheme"), ({"width": 1}, ValueError, "width"),
    ({"depth": 0}, ValueError, "depth"), ({"width": 2.5}, TypeError, "width"), ({"seed": -1}, ValueError, "seed"),
    ({"dtype": torch.int64}, TypeError, "dtype"), ({"device": "tpu"}, ValueError, "device"),
    ({"device": 3.5}, TypeError, "device"), ({"width": 4096, "depth": 30}, ValueError, "width"),
])
def test_random_weights_rejects_bad_input(kwargs, exc, pattern):
    args = {"scheme": "centred", "width": 8, "depth": 2, **kwargs}
    with pytest.raises(exc, match=pattern):
        random_weights(**args)


def numpy_reference(Ws, x, alpha, grad_out):
    """Forward and backward by hand in NumPy: z_l = h W_l^T, h_l = alpha relu(z_l); g_{l-1} = (alpha [z>0] g_l) W_l."""
    zs, h = [], x
    for W in Ws:
        zs.append(h @ W.T)
        h = alpha * np.maximum(zs[-1], 0.0)
    g, grads = grad_out, [grad_out]
    for W, z in zip(Ws[::-1], zs[::-1]):
        g = (alpha * (z > 0) * g) @ W
        grads.append(g)
    return zs, grads[::-1]


def test_propagate_matches_a_numpy_forward_and_backward():
    gen = torch.Generator().manual_seed(4)
    W = random_weights("gaussian", width=12, depth=5, seed=gen, device="cpu")
    x = torch.randn(9, 12, generator=gen, dtype=torch.float64)
    go = torch.randn(9, 12, generator=gen, dtype=torch.float64)
    st = propagate(W, x, alpha=1.3, grad_out=go)
    zs, grads = numpy_reference(W.numpy(), x.numpy(), 1.3, go.numpy())
    np.testing.assert_allclose(st["mean"], [z.mean() for z in zs], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(st["var"], [z.var(ddof=1) for z in zs], rtol=1e-12)
    np.testing.assert_allclose(st["second"], [(z**2).mean() for z in zs], rtol=1e-12)
    np.testing.assert_allclose(st["grad_second"], [(g**2).mean() for g in grads], rtol=1e-12)
    assert "grad_second" not in propagate(W, x, 1.3)


def test_propagate_backward_matches_finite_differences():
    """d/dx_j of L = sum(h_L * grad_out), by central differences, has the second moment propagate reports at l = 0."""
    gen = torch.Generator().manual_seed(5)
    W = random_weights("centred", width=6, depth=3, seed=gen, device="cpu")
    x = torch.randn(2, 6, generator=gen, dtype=torch.float64)
    go = torch.randn(2, 6, generator=gen, dtype=torch.float64)
    Ws, xn, gn = W.numpy(), x.numpy(), go.numpy()

    def loss(xx):
        h = xx
        for Wl in Ws:
            h = 1.5 * np.maximum(h @ Wl.T, 0.0)
        return (h * gn).sum()

    eps, fd = 1e-6, np.zeros_like(xn)
    for idx in np.ndindex(*xn.shape):
        e = np.zeros_like(xn)
        e[idx] = eps
        fd[idx] = (loss(xn + e) - loss(xn - e)) / (2 * eps)
    st = propagate(W, x, alpha=1.5, grad_out=go)
    assert st["grad_second"][0] == pytest.approx((fd**2).mean(), rel=1e-6)


def test_relu_homogeneity_through_depth():
    """relu(a z) = a relu(z): at alpha the layer-l variance is alpha^(2(l-1)) times that at alpha = 1."""
    gen = torch.Generator().manual_seed(6)
    W = random_weights("centred", width=16, depth=6, seed=gen, device="cpu")
    x = torch.randn(32, 16, generator=gen, dtype=torch.float64)
    v1, va = propagate(W, x, 1.0)["var"], propagate(W, x, 2.2)["var"]
    np.testing.assert_allclose(va, v1 * 2.2 ** (2 * np.arange(6)), rtol=1e-10)


def test_depth_factors_follow_the_moments():
    """CONTENT E4.3/E4.5 on a smaller net: centred + alpha=1 loses 0.3408 per layer, gradients gain alpha^2/2."""
    gen = torch.Generator().manual_seed(0)
    W = random_weights("centred", width=128, depth=12, seed=gen, device="cpu")
    x = torch.randn(256, 128, generator=gen, dtype=torch.float64)
    go = torch.randn(256, 128, generator=gen, dtype=torch.float64)
    st = propagate(W, x, 1.0, grad_out=go)
    assert fit_factor(st["var"]) == pytest.approx(relu_moments()[2], abs=0.02)
    assert 1 / fit_factor(st["grad_second"]) == pytest.approx(0.5, abs=0.05)
    selu = propagate(random_weights("gaussian", 128, 12, seed=gen, device="cpu"), x, 1.0, activation="selu")
    assert 0.7 < selu["var"][-1] < 1.4 and abs(selu["mean"][-1]) < 0.1


def test_propagate_accepts_a_list_of_rectangular_layers():
    gen = torch.Generator().manual_seed(7)
    Ws = [torch.randn(5, 3, generator=gen, dtype=torch.float64), torch.randn(2, 5, generator=gen, dtype=torch.float64)]
    st = propagate(Ws, torch.randn(4, 3, generator=gen, dtype=torch.float64), grad_out=torch.ones(4, 2, dtype=torch.float64))
    assert st["var"].shape == (2,) and st["grad_second"].shape == (3,)


@pytest.mark.parametrize("case, exc, pattern", [
    ("x_numpy", TypeError, "x"), ("x_shape", ValueError, "x"), ("x_nan", ValueError, "x"),
    ("x_int", TypeError, "x"), ("alpha", ValueError, "alpha"), ("activation", ValueError, "activation"),
    ("weights_2d", ValueError, "weights"), ("weights_empty", TypeError, "weights"),
    ("weights_chain", ValueError, r"weights\[1\]"), ("grad_out", ValueError, "grad_out"),
])
def test_propagate_rejects_bad_input(case, exc, pattern):
    W, x = torch.eye(3, dtype=torch.float64).repeat(2, 1, 1), torch.ones(4, 3, dtype=torch.float64)
    kwargs = {"weights": W, "x": x}
    if case == "x_numpy":
        kwargs["x"] = np.ones((4, 3))
    elif case == "x_shape":
        kwargs["x"] = torch.ones(4, 5, dtype=torch.float64)
    elif case == "x_nan":
        kwargs["x"] = torch.full((4, 3), float("nan"), dtype=torch.float64)
    elif case == "x_int":
        kwargs["x"] = torch.ones(4, 3, dtype=torch.int64)
    elif case == "alpha":
        kwargs["alpha"] = -1.0
    elif case == "activation":
        kwargs["activation"] = "tanh"
    elif case == "weights_2d":
        kwargs["weights"] = torch.eye(3, dtype=torch.float64)
    elif case == "weights_empty":
        kwargs["weights"] = []
    elif case == "weights_chain":
        kwargs["weights"] = [torch.ones(3, 3, dtype=torch.float64), torch.ones(3, 4, dtype=torch.float64)]
    elif case == "grad_out":
        kwargs["grad_out"] = torch.ones(4, 2, dtype=torch.float64)
    with pytest.raises(exc, match=pattern):
        propagate(**kwargs)


def test_fit_factor():
    assert fit_factor(3.0 * 0.7 ** np.arange(10)) == pytest.approx(0.7, rel=1e-12)
    with pytest.raises(ValueError, match="values"):
        fit_factor([1.0, -1.0])
    with pytest.raises(ValueError, match="values"):
        fit_factor([1.0])
    with pytest.raises(ValueError, match="values"):
        fit_factor(np.ones((2, 2)))


# -- the alpha widget ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def widget():
    return AlphaWidget()


def fresh_pass(scheme, alpha, seed=0):
    """The widget's weights and data, drawn again, propagated at alpha directly (no rescaling)."""
    g = torch.Generator().manual_seed(seed)
    W = random_weights(scheme, 128, 30, seed=g, device="cpu")
    x = torch.randn(256, 128, generator=g, dtype=torch.float64)
    go = torch.randn(256, 128, generator=g, dtype=torch.float64)
    return propagate(W, x, alpha, grad_out=go)


@pytest.mark.parametrize("scheme, stat", [("centred", "var"), ("gaussian", "second")])
def test_widget_curves_equal_a_fresh_pass(widget, scheme, stat):
    widget.controls["weights"].value = scheme
    widget.controls["alpha"].value = 1.9
    fresh = fresh_pass(scheme, 1.9)
    np.testing.assert_allclose(widget.fwd.get_ydata(), fresh[stat], rtol=1e-9)
    np.testing.assert_allclose(widget.bwd.get_ydata(), fresh["grad_second"], rtol=1e-9)
    forward = 1.9**2 * (0.5 * (1 - 1 / math.pi) if scheme == "centred" else 0.5)
    np.testing.assert_allclose(widget.fwd_pred.get_ydata(), forward ** np.arange(30), rtol=1e-12)
    np.testing.assert_allclose(widget.bwd_pred.get_ydata(), (1.9**2 / 2) ** np.arange(30, -1, -1), rtol=1e-12)
    assert [t.get_text() for t in widget.title_numbers] == ["1.9000", f"{forward:.4f}", f"{1.9**2 / 2:.4f}"]


def test_widget_histogram_and_moments(widget):
    widget.controls["alpha"].value = 0.8
    values, edges = widget.bars.get_data().values, widget.bars.get_data().edges
    np.testing.assert_allclose(edges, 0.8 * np.linspace(0, 4, 41))
    y = 0.8 * widget.r
    in_range = ((y > 0) & (y <= edges[-1])).mean()  # the drawn bars hold the positive samples below 3.2
    assert (values * np.diff(edges)).sum() == pytest.approx(in_range, abs=1e-12)
    x_pdf, y_pdf = widget.pdf.get_data()
    np.testing.assert_allclose(y_pdf, np.exp(-(x_pdf / 0.8) ** 2 / 2) / math.sqrt(2 * math.pi) / 0.8)
    numbers = [float(s) for s in widget.moments.get_text().split()]
    mean, second, var = 1 / math.sqrt(2 * math.pi), 0.5, 0.5 * (1 - 1 / math.pi)  # closed forms, not relu_moments
    assert numbers == pytest.approx([y.mean(), 0.8 * mean, y.var(), 0.64 * var, (y**2).mean(), 0.64 * second],
                                    abs=5e-4)


def test_widget_buttons_set_the_slider(widget):
    widget.controls["weights"].value = "centred"  # the fixture is shared: set the scheme the check needs
    widget.buttons["alpha_star"].click()
    assert widget.controls["alpha"].value == pytest.approx(alpha_star())
    assert widget.title_numbers[1].get_text() == "1.0000"  # forward factor 0.3408 alpha*^2 = 1
    widget.controls["weights"].value = "gaussian"
    widget.buttons["he"].click()
    assert widget.controls["alpha"].value == pytest.approx(math.sqrt(2))
    assert [t.get_text() for t in widget.title_numbers[1:]] == ["1.0000", "1.0000"]  # alpha^2 / 2 = 1 both ways
    bar = widget.widget.children[0]
    assert widget.controls["alpha"] in bar.children and widget.buttons["he"] in bar.children


def test_widget_rejects_bad_values(widget):
    with pytest.raises(ValueError, match="alpha"):
        widget.update(alpha=3.0, weights="centred")
    with pytest.raises(ValueError, match="weights"):
        widget.update(alpha=1.0, weights="orthogonal")
    with pytest.raises(ValueError, match="alpha"):
        AlphaWidget(alpha=0.1)
    with pytest.raises(ValueError, match="samples"):
        AlphaWidget(samples=10)
