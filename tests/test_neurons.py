"""course_utils.neurons, each function checked by an independent route (torch, autograd, brute force, closed forms)."""
import itertools
import math
from fractions import Fraction

import matplotlib
import numpy as np
import pytest
import torch

from course_utils.neurons import (NONLINEARITIES, ReluNeuronWidget, ReluRegionsWidget, activation_patterns,
                                  count_regions, general_position_count, kinks_1d, neuron, op_norm_product,
                                  signed_distance)

TORCH_PHI = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda z: z}


# -- the neuron -------------------------------------------------------------------------------------

@pytest.mark.parametrize("phi", sorted(NONLINEARITIES))
def test_neuron_matches_torch(phi):
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(50, 4)) * 3, rng.normal(size=4), -0.4
    z = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w)[None], torch.tensor([b], dtype=torch.float64))
    y_torch = TORCH_PHI[phi](z)
    np.testing.assert_allclose(neuron(x, w, b, phi), y_torch[:, 0].numpy(), rtol=1e-14, atol=1e-15)
    single = neuron(x[0], w, b, phi)
    assert isinstance(single, float) and single == pytest.approx(float(y_torch[0, 0]), abs=1e-15)


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise"):
        s = NONLINEARITIES["sigmoid"](np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])


def test_neuron_rejects_bad_input():
    with pytest.raises(ValueError, match="phi"):
        neuron([1.0, 2.0], [1.0, 1.0], phi="gelu")
    with pytest.raises(TypeError, match="phi"):
        neuron([1.0, 2.0], [1.0, 1.0], phi=None)
    with pytest.raises(ValueError, match="x"):
        neuron([1.0, 2.0, 3.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="w"):
        neuron([1.0, 2.0], [[1.0, 1.0]])
    with pytest.raises(ValueError, match="x"):
        neuron([np.nan, 2.0], [1.0, 1.0])
    with pytest.raises(TypeError, match="b"):
        neuron([1.0, 2.0], [1.0, 1.0], b="1")


# -- geometry ---------------------------------------------------------------------------------------

def test_signed_distance_is_the_distance_to_the_nearest_point_of_the_plane():
    rng = np.random.default_rng(2)
    w, b = rng.normal(size=3), 0.8
    x = rng.normal(size=(20, 3))
    d = signed_distance(x, w, b)
    # brute force: the nearest of many points on the plane (orthonormal basis of the plane via SVD)
    basis = np.linalg.svd(w[None, :])[2][1:]  # (2, 3) spans w-perp
    p0 = -b * w / (w @ w)
    uv = np.stack(np.meshgrid(*[np.linspace(-6, 6, 601)] * 2), -1).reshape(-1, 2)
    plane = p0 + uv @ basis  # (601^2, 3)
    for xi, di in zip(x, d):
        nearest = np.sqrt(((plane - xi) ** 2).sum(1).min())
        # the true nearest point is within half a grid diagonal (0.02 / sqrt 2) of some grid point
        assert abs(di) - 1e-12 <= nearest <= math.sqrt(di**2 + 0.02**2 / 2)
        assert np.sign(di) == np.sign(w @ xi + b)


def test_relu_equals_norm_times_positive_distance():
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=5) * 2, -1.3
    x = rng.normal(size=(1000, 5))
    lhs = neuron(x, w, b, "relu")
    rhs = np.linalg.norm(w) * np.maximum(0, signed_distance(x, w, b))
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)


def test_signed_distance_rejects_bad_input():
    with pytest.raises(ValueError, match="w must be nonzero"):
        signed_distance([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="x"):
        signed_distance(np.ones((4, 3)), [1.0, 0.0])
    with pytest.raises(ValueError, match="w"):
        signed_distance([1.0, 2.0], [np.inf, 0.0])
    with pytest.raises(ValueError, match="b"):
        signed_distance([1.0, 2.0], [1.0, 0.0], b=np.nan)


# -- kinks in one dimension -------------------------------------------------------------------------

def test_kinks_match_autograd_slopes():
    rng = np.random.default_rng(4)
    a, c, v = rng.normal(size=(3, 9))
    kinks, jumps = kinks_1d(a, c, v)
    assert np.all(np.diff(kinks) > 0)

    def slope(x):  # f'(x) by autograd at points away from every kink
        xt = torch.tensor(x, requires_grad=True)
        f = (torch.relu(xt[:, None] * torch.tensor(a) + torch.tensor(c)) @ torch.tensor(v)).sum()
        (g,) = torch.autograd.grad(f, xt)
        return g.numpy()

    delta = 1e-7  # kinks are >= 1e-3 apart for this seed
    assert np.min(np.diff(kinks)) > 1e-3
    np.testing.assert_allclose(slope(kinks + delta) - slope(kinks - delta), jumps, atol=1e-12)


def test_kinks_reject_bad_input():
    with pytest.raises(ValueError, match="a must have no zero"):
        kinks_1d([1.0, 0.0], [0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="c"):
        kinks_1d([1.0, 2.0], [0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="v"):
        kinks_1d([1.0, 2.0], [0.0, 1.0], [[1.0, 1.0]])
    with pytest.raises(TypeError, match="a"):
        kinks_1d("ab", [0.0], [1.0])


# -- regions ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", range(0, 13))
def test_random_lines_give_the_general_position_count(n):
    rng = np.random.default_rng(10 + n)
    W, b = rng.normal(size=(n, 2)), rng.normal(size=n)
    assert count_regions(W, b) == 1 + n + math.comb(n, 2) == general_position_count(n)


def regions_by_vertex_multiplicity(lines):
    """Independent route for any arrangement of distinct lines: R = 1 + n + sum_v (m_v - 1),
    m_v = number of lines through crossing point v (lines given as (A, B, C): A x + B y = C, integers)."""
    crossings = {}
    for (i, l1), (j, l2) in itertools.combinations(enumerate(lines), 2):
        det = l1[0] * l2[1] - l1[1] * l2[0]
        if det == 0:
            continue
        p = (Fraction(l1[2] * l2[1] - l1[1] * l2[2], det), Fraction(l1[0] * l2[2] - l1[2] * l2[0], det))
        crossings.setdefault(p, set()).update((i, j))
    return 1 + len(lines) + sum(len(s) - 1 for s in crossings.values())


@pytest.mark.parametrize("lines", [
    [(1, 0, 0), (0, 1, 0), (1, 1, 0)],                          # 3 concurrent: 6
    [(1, 0, 0), (1, 0, 1), (1, 0, 3)],                          # 3 parallel: 4
    [(1, 0, 0), (1, 0, 1), (0, 1, 0), (0, 1, 2), (0, 1, -1)],   # grid 2 x 3: 12
    [(1, 0, 0), (0, 1, 0), (1, 1, 1), (1, -1, 0), (2, 1, 3)],   # mixed: some triple points
    [(1, 2, 0), (2, 4, 1), (1, -1, 0), (3, 1, 2), (0, 1, 0)],
])
def test_degenerate_arrangements_match_the_vertex_formula(lines):
    L = np.array(lines, dtype=float)
    W, b = L[:, :2], -L[:, 2]
    assert count_regions(W, b) == regions_by_vertex_multiplicity(lines)


def test_exact_count_is_at_least_what_a_fine_grid_sees():
    rng = np.random.default_rng(5)
    W, b = rng.normal(size=(4, 2)), rng.normal(size=4) * 0.3
    t = np.linspace(-40, 40, 1500)
    grid = np.stack(np.meshgrid(t, t), -1).reshape(-1, 2)
    seen = len(np.unique(activation_patterns(grid, W, b), axis=0))
    assert seen <= count_regions(W, b) == 11


def test_activation_patterns_by_hand():
    W, b = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, -1.0])
    P = activation_patterns(np.array([[1.0, 2.0], [-1.0, 0.0]]), W, b)
    np.testing.assert_array_equal(P, [[True, True], [False, False]])


def test_region_functions_reject_bad_input():
    with pytest.raises(ValueError, match="W must have no zero row"):
        count_regions([[1.0, 0.0], [0.0, 0.0]], [0.0, 0.0])
    with pytest.raises(ValueError, match="W"):
        count_regions(np.ones((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="b"):
        count_regions(np.ones((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="eps"):
        count_regions(np.eye(2), np.zeros(2), eps=0.0)
    with pytest.raises(ValueError, match="x"):
        activation_patterns(np.ones((3, 3)), np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match="n"):
        general_position_count(-1)
    with pytest.raises(TypeError, match="n"):
        general_position_count(2.0)


# -- Lipschitz bound --------------------------------------------------------------------------------

def test_op_norm_product_against_power_iteration():
    g = torch.Generator().manual_seed(0)
    mats = [torch.randn(7, 5, generator=g, dtype=torch.float64), torch.randn(3, 7, generator=g, dtype=torch.float64)]
    expected = 1.0
    for W in mats:  # power iteration on W^T W, an independent route to the top singular value
        v = torch.ones(W.shape[1], dtype=torch.float64)
        for _ in range(2000):
            v = W.T @ (W @ v)
            v = v / v.norm()
        expected *= float((W @ v).norm())
    assert op_norm_product(mats) == pytest.approx(expected, rel=1e-10)
    assert op_norm_product([m.numpy() for m in mats]) == pytest.approx(expected, rel=1e-10)


def test_bound_is_attained_by_one_linear_layer_and_holds_for_a_relu_net():
    torch.manual_seed(0)
    layer = torch.nn.Linear(6, 4).double()
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    u = torch.linalg.svd(layer.weight.detach())[0][:, 0]  # top left singular vector
    (grad,) = torch.autograd.grad(layer(x) @ u, x)       # gradient of u^T W x is W^T u, norm ||W||_op
    assert float(grad.norm()) == pytest.approx(op_norm_product(layer), rel=1e-12)

    net = torch.nn.Sequential(torch.nn.Linear(6, 20), torch.nn.ReLU(), torch.nn.Linear(20, 2)).double()
    x = torch.randn(500, 6, dtype=torch.float64, requires_grad=True)
    jac_rows = [torch.autograd.grad(net(x)[:, k].sum(), x)[0] for k in range(2)]  # (500, 6) each
    J = torch.stack(jac_rows, dim=1)                                                # (500, 2, 6)
    assert float(torch.linalg.matrix_norm(J, ord=2).max()) <= op_norm_product(net)


def test_op_norm_product_rejects_bad_input():
    with pytest.raises(TypeError, match="weights"):
        op_norm_product("W")
    conv_net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    with pytest.raises(TypeError, match=r"weights.*Conv2d"):  # leaving the conv out would give a wrong bound
        op_norm_product(conv_net)
    with pytest.raises(ValueError, match="weights"):
        op_norm_product([])
    with pytest.raises(ValueError, match=r"weights\[1\]"):
        op_norm_product([np.ones((3, 2)), np.ones((4, 2))])
    with pytest.raises(ValueError, match=r"weights\[0\]"):
        op_norm_product([np.ones(3)])
    with pytest.raises(ValueError, match=r"weights\[0\]"):
        op_norm_product([torch.ones(3)])


# -- widgets ----------------------------------------------------------------------------------------

def test_neuron_widget_draws_the_formula():
    w = ReluNeuronWidget()
    arrow = w.arrow
    w.controls["w1"].value, w.controls["w2"].value, w.controls["b"].value = -1.5, 0.5, 1.0
    w1, w2, b = -1.5, 0.5, 1.0
    # the heat-map pixel colours are matplotlib's viridis of relu(w1 x1 + w2 x2 + b) at the pixel centres,
    # on the colour bar's scale [0, 14] (14 = 2*3 + 2*3 + 2, the largest value on the square)
    rgba = np.asarray(w.heat.get_array())
    t = np.linspace(-3, 3, 121)
    x1, x2 = np.meshgrid(t, t)  # rows: x2 (origin lower), columns: x1
    value = np.maximum(0, w1 * x1 + w2 * x2 + b)
    expected = matplotlib.colormaps["viridis"](matplotlib.colors.Normalize(0, 14)(value), bytes=True)
    np.testing.assert_array_equal(rgba, expected)
    assert rgba[0, 0].tolist() != rgba[-1, -1].tolist()
    # the line lies on w.x + b = 0; the arrow is w, based on the line
    xs, ys = w.line.get_data()
    np.testing.assert_allclose(w1 * np.asarray(xs) + w2 * np.asarray(ys) + b, 0, atol=1e-12)
    assert w.arrow is arrow
    np.testing.assert_allclose([arrow.U[0], arrow.V[0]], [w1, w2])
    base = arrow.get_offsets()[0]
    assert w1 * base[0] + w2 * base[1] + b == pytest.approx(0, abs=1e-12)
    assert f"{math.hypot(w1, w2):.2f}" in w.readout.get_text()


def test_neuron_widget_with_zero_weights_hides_the_line():
    w = ReluNeuronWidget(w1=0.0, w2=0.0, b=0.5)
    assert not w.line.get_visible() and not w.arrow.get_visible()
    w.controls["w1"].value = 1.0
    assert w.line.get_visible() and w.arrow.get_visible()


def test_regions_widget_counts_and_shows_n_lines():
    w = ReluRegionsWidget()
    for n in (1, 2, 7, 12):
        w.controls["n"].value = n
        assert sum(ln.get_visible() for ln in w.lines) == n
        assert f"regions = {1 + n + n * (n - 1) // 2}" in w.title.get_text()
        colours = np.unique(np.ascontiguousarray(w.regions.get_array()).view(np.uint32))  # one int per RGBA
        assert 2 <= len(colours) <= 1 + n + n * (n - 1) // 2  # a region never gets two colours
    w.controls["n"].value = 1
    assert len(np.unique(np.ascontiguousarray(w.regions.get_array()).view(np.uint32))) == 2


def test_widgets_reject_bad_input():
    with pytest.raises(ValueError, match="w1"):
        ReluNeuronWidget(w1=3.0)
    with pytest.raises(TypeError, match="b"):
        ReluNeuronWidget(b="0")
    with pytest.raises(ValueError, match="n"):
        ReluRegionsWidget(n=13)
    with pytest.raises(TypeError, match="seed"):
        ReluRegionsWidget(seed=0.5)
