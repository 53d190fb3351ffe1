"""course_utils.perturbation, each quantity checked by an independent route.

Closed forms against brute-force subset expansions, first-order formulas against exact eigen/singular
values and finite differences, backprop against torch.autograd, the widget's curves against formulas.
"""
import itertools

import numpy as np
import pytest
import torch

from course_utils.backprop import he_mlp
from course_utils.perturbation import (
    MODELS, DeltaWLab, DeltaWWidget, EigenErrorWidget, centred_digits, chain_descent_direction, chain_product,
    first_order_eigenvalues, first_order_singular_values, matrix_norm, orthogonal_chain, product_bound,
    product_gap, relative_change_scalar, relative_step, relu_mlp)


def random_chain(rng, dims):
    Ws = [rng.standard_normal((dims[l + 1], dims[l])) for l in range(len(dims) - 1)]
    dWs = [0.3 * rng.standard_normal(W.shape) for W in Ws]
    return Ws, dWs


def subset_expansion(Ws, dWs):
    """P' − P = Σ over non-empty subsets S of layers of the ordered product with ΔW_l for l in S."""
    L, total = len(Ws), 0.0
    for S in itertools.product([False, True], repeat=L):
        if any(S):
            M = np.eye(Ws[0].shape[1])
            for l in range(L):
                M = (dWs[l] if S[l] else Ws[l]) @ M
            total = total + M
    return total


# -- deep scalar identity --------------------------------------------------------------------------
def test_scalar_identity_equals_network_ratio_and_subset_sum():
    rng = np.random.default_rng(0)
    for d in (1, 3, 8):
        a = rng.choice([-1.0, 1.0], d) * rng.uniform(0.5, 2, d)
        da = rng.standard_normal(d)
        x = -1.7
        network = (np.prod(a + da) * x - np.prod(a) * x) / (np.prod(a) * x)
        r = da / a
        subsets = sum(np.prod(r[list(S)]) for k in range(1, d + 1) for S in itertools.combinations(range(d), k))
        assert relative_change_scalar(a, da) == pytest.approx(network, abs=1e-12)
        assert relative_change_scalar(a, da) == pytest.approx(subsets, abs=1e-12)


def test_scalar_identity_is_signed():
    assert relative_change_scalar([2.0, -1.0], [-1.0, 0.0]) == pytest.approx(-0.5)  # f halves


def test_scalar_identity_rejects_bad_input():
    with pytest.raises(ValueError, match="a must have no zero"):
        relative_change_scalar([1.0, 0.0], [0.1, 0.1])
    with pytest.raises(ValueError, match="da"):
        relative_change_scalar([1.0, 2.0], [0.1])
    with pytest.raises(ValueError, match="a"):
        relative_change_scalar([], [])
    with pytest.raises(TypeError, match="a"):
        relative_change_scalar("abc", [1.0])


# -- matrix chains ---------------------------------------------------------------------------------
def test_chain_product_order_with_non_square_chain():
    rng = np.random.default_rng(1)
    W1, W2, W3 = rng.standard_normal((5, 2)), rng.standard_normal((4, 5)), rng.standard_normal((3, 4))
    x = rng.standard_normal(2)
    assert chain_product([W1, W2, W3]).shape == (3, 2)
    np.testing.assert_allclose(chain_product([W1, W2, W3]) @ x, W3 @ (W2 @ (W1 @ x)), atol=1e-12)


@pytest.mark.parametrize("norm", ["op", "fro"])
def test_product_gap_and_bound_against_subset_expansion(norm):
    rng = np.random.default_rng(2)
    for dims in [(3, 4, 5, 2), (2, 6), (4, 4, 4, 4, 4)]:
        Ws, dWs = random_chain(rng, dims)
        assert product_gap(Ws, dWs, norm) == pytest.approx(matrix_norm(subset_expansion(Ws, dWs), norm), rel=1e-10)
        L = len(Ws)
        by_subsets = sum(
            np.prod([matrix_norm(dWs[l], norm) if S[l] else matrix_norm(Ws[l], norm) for l in range(L)])
            for S in itertools.product([False, True], repeat=L) if any(S))
        assert product_bound(Ws, dWs, norm) == pytest.approx(by_subsets, rel=1e-10)
        assert product_gap(Ws, dWs, norm) <= product_bound(Ws, dWs, norm) + 1e-12


def test_bound_is_tight_for_aligned_steps_on_orthogonal_chain():
    Ws = orthogonal_chain(5, 6, seed=3)
    for W in Ws:
        np.testing.assert_allclose(W.T @ W, np.eye(6), atol=1e-12)
    eps = [0.1, 0.2, 0.05, 0.3, 0.01]
    dWs = [e * W for e, W in zip(eps, Ws)]
    assert product_gap(Ws, dWs) == pytest.approx(np.prod(1 + np.array(eps)) - 1, rel=1e-12)
    assert product_gap(Ws, dWs) == pytest.approx(product_bound(Ws, dWs), rel=1e-12)


def test_chain_functions_reject_bad_input():
    W = np.eye(3)
    with pytest.raises(ValueError, match="norm"):
        product_gap([W], [W], norm="nuclear")
    with pytest.raises(ValueError, match="empty"):
        product_bound([], [])
    with pytest.raises(ValueError, match=r"Ws\[1\]"):
        chain_product([np.ones((4, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"dWs\[0\]"):
        product_gap([W], [np.eye(2)])
    with pytest.raises(ValueError, match="dWs"):
        product_gap([W, W], [W])
    with pytest.raises(TypeError, match="Ws"):
        chain_product(np.eye(3))
    with pytest.raises(ValueError, match="eta"):
        relative_step([W], [W], -0.1)
    with pytest.raises(ValueError, match=r"Ds\[0\]"):
        relative_step([W], [np.zeros((3, 3))], 0.1)


def test_relative_step_sets_every_layer_to_eta():
    rng = np.random.default_rng(4)
    Ws, Ds = random_chain(rng, (3, 5, 4))
    for norm in ("op", "fro"):
        for W, dW in zip(Ws, relative_step(Ws, Ds, 0.07, norm)):
            assert matrix_norm(dW, norm) / matrix_norm(W, norm) == pytest.approx(0.07, rel=1e-12)


def test_chain_descent_direction_matches_autograd():
    rng = np.random.default_rng(5)
    Ws = [rng.standard_normal(s) for s in [(4, 3), (5, 4), (2, 5)]]
    x, y = rng.standard_normal(3), rng.standard_normal(2)
    leaves = [torch.tensor(W, requires_grad=True) for W in Ws]
    residual = leaves[2] @ leaves[1] @ leaves[0] @ torch.tensor(x) - torch.tensor(y)
    grads = torch.autograd.grad(0.5 * (residual ** 2).sum(), leaves)
    for D, g in zip(chain_descent_direction(Ws, x, y), grads):
        np.testing.assert_allclose(D, -g.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="x"):
        chain_descent_direction(Ws, np.ones(4), y)


# -- first-order expansions ------------------------------------------------------------------------
def test_first_order_eigenvalues_error_is_second_order_and_matches_finite_differences():
    rng = np.random.default_rng(6)
    Q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    A = Q @ np.diag(np.arange(1.0, 9)) @ Q.T
    E = rng.standard_normal((8, 8))
    E = (E + E.T) / 2
    errs = [np.abs(np.linalg.eigvalsh(A + e * E) - first_order_eigenvalues(A, e * E)).max() for e in (1e-2, 5e-3)]
    assert 3.5 < errs[0] / errs[1] < 4.5
    h = 1e-6  # central difference of the exact eigenvalues = the first-order coefficient u_iᵀ E u_i
    fd = (np.linalg.eigvalsh(A + h * E) - np.linalg.eigvalsh(A - h * E)) / (2 * h)
    np.testing.assert_allclose(first_order_eigenvalues(A, E) - np.linalg.eigvalsh(A), fd, atol=1e-7)


def test_first_order_singular_values_matches_finite_differences():
    rng = np.random.default_rng(7)
    B, dB = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    h = 1e-6
    fd = (np.linalg.svd(B + h * dB, compute_uv=False) - np.linalg.svd(B - h * dB, compute_uv=False)) / (2 * h)
    np.testing.assert_allclose(first_order_singular_values(B, dB) - np.linalg.svd(B, compute_uv=False), fd, atol=1e-7)


def test_first_order_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="A must be a symmetric"):
        first_order_eigenvalues(np.array([[1.0, 2.0], [0.0, 3.0]]), np.eye(2))
    with pytest.raises(ValueError, match="dA"):
        first_order_eigenvalues(np.diag([1.0, 2.0]), np.eye(3))
    with pytest.raises(ValueError, match="simple"):
        first_order_eigenvalues(np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match="dB"):
        first_order_singular_values(np.ones((3, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="distinct"):
        first_order_singular_values(np.eye(2), np.ones((2, 2)))


# -- relu MLP --------------------------------------------------------------------------------------
def test_relu_mlp_matches_torch_sequential():
    Ws = he_mlp([5, 7, 7, 7, 3], seed=0, device="cpu")
    seq = torch.nn.Sequential(*[m for W in Ws for m in (torch.nn.Linear(W.shape[1], W.shape[0], bias=False),
                                                         torch.nn.ReLU())][:-1]).double()
    with torch.no_grad():
        for lin, W in zip(seq[::2], Ws):
            lin.weight.copy_(W)
    X = torch.randn(10, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    torch.testing.assert_close(relu_mlp(Ws, X), seq(X))
    with pytest.raises(ValueError, match=r"Ws\[0\]"):
        relu_mlp(Ws, torch.zeros(2, 6, dtype=torch.float64))
    with pytest.raises(TypeError, match="Ws"):
        relu_mlp([], X)
    with pytest.raises(TypeError, match="X"):
        relu_mlp(Ws, X.numpy())


def test_centred_digits_are_centred_on_the_full_set():
    X, y = centred_digits(1797, seed=3, device="cpu")
    assert X.shape == (1797, 64) and y.shape == (1797,) and X.dtype == torch.float64
    assert X.mean(dim=0).abs().max().item() < 1e-12  # all 1797 images: mean image subtracted exactly
    with pytest.raises(TypeError, match="dtype"):
        centred_digits(4, dtype=torch.int64)
    with pytest.raises(ValueError, match="n"):
        centred_digits(0)


# -- the Δw lab and widget -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lab():
    return DeltaWLab()


def test_lab_aligned_curves_equal_the_product_form(lab):
    e = lab.etas
    assert e.size == 60 and e[0] > 0 and e[-1] == pytest.approx(0.3)
    for model in MODELS:
        for L in (1, 7, 50):
            np.testing.assert_allclose(lab.curve(model, "aligned", L), (1 + e) ** L - 1, rtol=1e-4)


def test_lab_scalar_random_matches_sign_product(lab):
    L = 12
    signs = lab.random_signs[:L]
    expected = np.abs(np.prod(1 + np.outer(lab.etas, signs), axis=1) - 1)
    np.testing.assert_allclose(lab.curve(MODELS[0], "random", L), expected, rtol=1e-10, atol=1e-14)  # round-off of 1 − 1


def test_lab_orthogonal_chain_matches_product_gap_route(lab):
    L, eta = 9, 0.13
    Ws, _ = lab.directions(MODELS[1], "gradient", L)
    dWs = relative_step(Ws, chain_descent_direction(Ws, lab.x, lab.y), eta)
    Px = chain_product(Ws) @ lab.x
    direct = np.linalg.norm(chain_product([W + d for W, d in zip(Ws, dWs)]) @ lab.x - Px) / np.linalg.norm(Px)
    assert lab.measure(MODELS[1], "gradient", L, np.array([eta]))[0] == pytest.approx(direct, rel=1e-10)


def test_lab_mlp_prefix_curves_match_a_direct_float64_forward(lab):
    L, k = 6, 17  # η = lab.etas[17]
    Ws, Ds = lab.directions(MODELS[2], "random", L)
    W64 = [W.double().cpu() for W in Ws]
    P64 = [(W + lab.etas[k] * D).double().cpu() for W, D in zip(Ws, Ds)]
    X = lab.X.double().cpu()
    f, g = relu_mlp(W64, X), relu_mlp(P64, X)
    direct = (torch.linalg.norm(g - f) / torch.linalg.norm(f)).item()
    assert lab.curve(MODELS[2], "random", L)[k] == pytest.approx(direct, rel=1e-4)
    for W, D in zip(Ws, Ds):  # relative size 1 in the spectral norm
        assert torch.linalg.matrix_norm(D, 2).item() == pytest.approx(torch.linalg.matrix_norm(W, 2).item(), rel=1e-4)


def test_lab_gradient_direction_beats_random_and_mlp_exceeds_product_form(lab):
    e = lab.etas
    for model in MODELS[1:]:
        assert np.all(lab.curve(model, "gradient", 10)[:4] > lab.curve(model, "random", 10)[:4])
    assert lab.measure(MODELS[2], "gradient", 16, np.array([0.01]))[0] > 1.01 ** 16 - 1
    np.testing.assert_allclose(lab.curve(MODELS[0], "gradient", 20), (1 + e) ** 20 - 1, rtol=1e-12)
    with pytest.raises(ValueError, match="model"):
        lab.measure("cnn", "aligned", 3, e)
    with pytest.raises(ValueError, match="direction"):
        lab.measure(MODELS[0], "sideways", 3, e)
    with pytest.raises(ValueError, match="L"):
        lab.measure(MODELS[0], "aligned", 51, e)


def test_delta_w_widget_moves_follow_the_formulas(lab):
    w = DeltaWWidget(lab=lab)
    measured, bound = w.measured, w.bound
    w.controls["model"].value = MODELS[1]
    w.controls["direction"].value = "random"
    w.controls["L"].value = 33
    w.controls["eta"].value = 0.12
    e = lab.etas
    np.testing.assert_allclose(w.bound.get_ydata(), (1 + e) ** 33 - 1, rtol=1e-12)
    np.testing.assert_allclose(w.linear.get_ydata(), 33 * e, rtol=1e-12)
    np.testing.assert_allclose(w.measured.get_ydata(), lab.curve(MODELS[1], "random", 33))
    assert w.last["bound"] == pytest.approx(1.12 ** 33 - 1) and w.last["linear"] == pytest.approx(33 * 0.12)
    assert w.marker.get_xdata()[0] == pytest.approx(0.12) and w.marker.get_ydata()[0] == pytest.approx(w.last["measured"])
    assert f"bound {1.12 ** 33 - 1:.3g}" in w.readout.get_text()
    w.controls["direction"].value = "aligned"
    assert w.last["measured"] == pytest.approx(w.last["bound"], rel=1e-10)
    w.controls["eta"].value = 0.0
    assert not w.marker.get_visible() and w.last["measured"] == 0.0
    assert w.measured is measured and w.bound is bound
    with pytest.raises(ValueError, match="direction"):
        DeltaWWidget(direction="up", lab=lab)


def test_eigen_widget_error_has_slope_two():
    w = EigenErrorWidget()
    w.controls["index"].value = 5
    err = w.line.get_ydata()
    small = w.eps < 1e-2
    slope = np.polyfit(np.log(w.eps[small & (err > 1e-12)]), np.log(err[small & (err > 1e-12)]), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.1)
    w.controls["log10_eps"].value = -1.5
    exact = np.linalg.eigvalsh(w.A + 10 ** -1.5 * w.E)[4]
    lam, U = np.linalg.eigh(w.A)
    first = lam[4] + 10 ** -1.5 * U[:, 4] @ w.E @ U[:, 4]  # λ_5 + ε u_5ᵀ E u_5, by hand
    assert w.last_error == pytest.approx(abs(exact - first), rel=1e-8)
    with pytest.raises(ValueError, match="index"):
        EigenErrorWidget(index=31)
