"""course_utils.nngp, each function checked by an independent route: closed form vs quadrature vs sampling,
real weight matrices vs the Gram chain, and the widget's pictures against the maths they show."""
import math
import time

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from course_utils import nngp
from course_utils.nngp import arccos_map, centred_arccos_map

CPU = torch.device("cpu")


def relu_pair_quadrature(t):
    """E[relu(u) relu(v)] for standard normal (u, v) with correlation t, by 2-D quadrature over {u > 0, v > 0}."""
    s = math.sqrt(1 - t * t)
    f = lambda x2, x1: x1 * (t * x1 + s * x2) * math.exp(-(x1 * x1 + x2 * x2) / 2) / (2 * math.pi)
    return integrate.dblquad(f, 0, np.inf, lambda x1: -t * x1 / s, np.inf, epsabs=1e-12, epsrel=1e-12)[0]


def correlated_normals(t, n, seed):
    u1, u2 = np.random.default_rng(seed).standard_normal((2, n))
    return u1, t * u1 + math.sqrt(1 - t * t) * u2


# ---------------------------------------------------------------------------------------------
# kernel maps
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("t", [-0.5, 0.0, 0.5, 0.9])
def test_arccos_map_equals_quadrature(t):
    assert arccos_map(t) == pytest.approx(2 * relu_pair_quadrature(t), abs=1e-9)


@pytest.mark.parametrize("t", [-0.5, 0.5, 0.9])
def test_arccos_map_and_centred_map_match_monte_carlo(t):
    u, v = correlated_normals(t, 10**6, seed=1)
    p = 2 * np.maximum(u, 0) * np.maximum(v, 0)
    assert abs(p.mean() - arccos_map(t)) < 4 * p.std() / 1e3
    cov = np.cov(np.maximum(u, 0), np.maximum(v, 0))  # centred relu: Cov / Var is the centred map
    assert cov[0, 1] / cov[0, 0] == pytest.approx(centred_arccos_map(t), abs=0.01)


def test_map_values_and_shape():
    assert arccos_map([0.0, 1.0, -1.0]) == pytest.approx([1 / np.pi, 1, 0], abs=1e-12)
    assert centred_arccos_map([0.0, 1.0, -1.0]) == pytest.approx([0, 1, -1 / (np.pi - 1)], abs=1e-12)
    t = np.linspace(-1, 1, 2001)
    assert np.all(arccos_map(t) >= t - 1e-12) and np.all(np.diff(arccos_map(t)) > 0)
    assert arccos_map(t) - arccos_map(-t) == pytest.approx(t, abs=1e-12)  # relu(z) - relu(-z) = z
    eps = 1e-9  # slope at 1: 1 for h, π/(π-1) = α*²/2 for h_c (lecture 4's backward factor)
    assert (arccos_map(1.0) - arccos_map(1 - eps)) / eps == pytest.approx(1, abs=1e-4)
    assert (centred_arccos_map(1.0) - centred_arccos_map(1 - eps)) / eps == pytest.approx(nngp.ALPHA_STAR**2 / 2, abs=1e-4)
    assert arccos_map(np.zeros((2, 3))).shape == (2, 3)


def test_maps_reject_values_outside_minus_one_one():
    with pytest.raises(ValueError, match="t"):
        arccos_map(1.1)
    with pytest.raises(TypeError, match="t"):
        centred_arccos_map("0.5")
    assert arccos_map(1 + 1e-12) == pytest.approx(1.0)  # round-off is clipped


def test_relu_kernel_step_matches_monte_carlo_with_unequal_variances():
    K = np.array([[2.0, 0.5, -0.3], [0.5, 1.0, 0.2], [-0.3, 0.2, 0.5]])
    u = np.random.default_rng(2).standard_normal((10**6, 3)) @ np.linalg.cholesky(K).T  # rows ~ N(0, K)
    r = np.maximum(u, 0)
    P = r[:, :, None] * r[:, None, :]
    se = P.std(0) / 1e3
    assert np.all(np.abs(P.mean(0) - nngp.relu_kernel_step(K)) < 4 * se)
    assert np.diag(nngp.relu_kernel_step(K)) == pytest.approx(np.diag(K) / 2)  # E relu(u)² = q/2


def test_relu_kernel_step_zero_variance_gives_zero():
    K = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert nngp.relu_kernel_step(K) == pytest.approx(np.array([[0.5, 0.0], [0.0, 0.0]]))


@pytest.mark.parametrize("K", [np.eye(3)[:2], np.array([[1.0, 0.5], [0.4, 1.0]]), np.array([[-1.0, 0], [0, 1.0]]),
                               np.ones(3)])
def test_relu_kernel_step_rejects_bad_kernels(K):
    with pytest.raises(ValueError, match="K"):
        nngp.relu_kernel_step(K)


def test_nngp_relu_depth0_gain_and_bias():
    X = np.random.default_rng(3).standard_normal((5, 7))
    assert nngp.nngp_relu(X, 0) == pytest.approx(X @ X.T / 7)  # HW3 Q4: the linear neuron's kernel
    for L in (1, 3):  # Gaussian weights: α only rescales, by (α²/2)^L
        assert nngp.nngp_relu(X, L, alpha=nngp.ALPHA_STAR) == pytest.approx(
            (nngp.ALPHA_STAR**2 / 2) ** L * nngp.nngp_relu(X, L), rel=1e-12)
    # with a bias: one hidden layer by sampling the first-layer pre-activations u ~ N(0, K¹)
    K1 = 0.3 + 1.5 * X @ X.T / 7
    u = np.random.default_rng(4).standard_normal((4 * 10**5, 5)) @ np.linalg.cholesky(K1).T
    mc = 0.3 + 1.5 * 2 * (np.maximum(u, 0).T @ np.maximum(u, 0)) / len(u)
    assert nngp.nngp_relu(X, 1, sigma_w2=1.5, sigma_b2=0.3) == pytest.approx(mc, abs=0.03)


def test_nngp_relu_normalised_form_is_the_iterated_map():
    X = nngp.four_inputs()
    cos = X @ X.T / 64
    t = cos.copy()
    for _ in range(4):
        t = arccos_map(t)
    assert nngp.nngp_relu(X, 4) == pytest.approx(t, abs=1e-12)


def test_nngp_relu_rejects_bad_inputs():
    with pytest.raises(ValueError, match="X"):
        nngp.nngp_relu(np.ones(4), 1)
    with pytest.raises(ValueError, match="depth"):
        nngp.nngp_relu(np.ones((2, 2)), -1)
    with pytest.raises(TypeError, match="depth"):
        nngp.nngp_relu(np.ones((2, 2)), 1.5)


def test_tanh_step_is_converged_and_matches_monte_carlo():
    def run(nodes):
        q, c = 2.5**2 + 0.5**2, (2.5**2 * 0.5 + 0.5**2) / (2.5**2 + 0.5**2)
        for _ in range(16):
            q, c = nngp.tanh_step(q, c, 2.5, 0.5, nodes=nodes)
        return q, c

    assert run(101) == pytest.approx(run(201), abs=1e-3)
    u, v = correlated_normals(0.5, 10**6, seed=5)
    a, b = np.tanh(2.5 * u), np.tanh(2.5 * v)  # q = 6.25, c = 0.5
    q_new, c_new = nngp.tanh_step(6.25, 0.5, 2.5, 0.0)
    assert q_new == pytest.approx(6.25 * np.mean(a * a), abs=4 * 6.25 * np.std(a * a) / 1e3)
    assert c_new * q_new == pytest.approx(6.25 * np.mean(a * b), abs=4 * 6.25 * np.std(a * b) / 1e3)


def test_tanh_step_rejects_bad_inputs():
    with pytest.raises(ValueError, match="q"):
        nngp.tanh_step(0.0, 0.5, 1.0, 0.0)
    with pytest.raises(ValueError, match="c"):
        nngp.tanh_step(1.0, 2.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="sigma_w"):
        nngp.tanh_step(1.0, 0.5, 0.0, 0.0)


# ---------------------------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------------------------
def test_psd_root_full_rank_rank_deficient_and_batched():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((5, 4, 4))
    S = A @ A.transpose(0, 2, 1)
    v = rng.standard_normal((4, 1))
    S[2] = v @ v.T  # rank 1: Cholesky fails, the eigh route takes over
    R = nngp.psd_root(S)
    assert isinstance(R, np.ndarray) and R.shape == S.shape
    assert R.transpose(0, 2, 1) @ R == pytest.approx(S, abs=1e-10)
    St = torch.as_tensor(S, dtype=torch.float32)
    Rt = nngp.psd_root(St)
    assert Rt.dtype == torch.float32 and torch.allclose(Rt.mT @ Rt, St, atol=1e-4)


@pytest.mark.parametrize("S, err", [(np.ones((2, 3)), "square"), (np.array([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
                                    (np.array([[np.nan, 0], [0, 1.0]]), "finite")])
def test_psd_root_rejects_bad_matrices(S, err):
    with pytest.raises(ValueError, match=f"S.*{err}|{err}"):
        nngp.psd_root(S)


def test_sample_gp_has_the_kernel_as_covariance():
    K = np.array([[1.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.5]])
    F = nngp.sample_gp(K, 20_000, seed=0)
    assert np.abs(nngp.cov_zscores(F, K)).max() < 4


def test_gram_chain_and_real_weights_have_the_same_kurtosis():
    """Width 4, depth 2 at one input: both samplers vs the exact 3[(1+5/n)^L - 1] = 12.19."""
    X = nngp.four_inputs()[:1]
    _, S_real = nngp.sample_outputs_real(X, 4, 2, 20_000, seed=0, device=CPU)
    _, S_chain = nngp.sample_outputs_gram(X, 4, 2, 20_000, seed=1, device=CPU)
    for S in (S_real, S_chain):
        assert nngp.conditional_kurtosis(S[:, 1, 0, 0]) == pytest.approx(nngp.kurtosis_theory(4, 2), rel=0.1)


def test_gram_chain_and_real_weights_have_the_same_mean_kernel():
    """Width 32, depth 3: the finite-width mean of Σ̂ (bias included) agrees within Monte Carlo error."""
    X = nngp.four_inputs()
    F_real, S_real = nngp.sample_outputs_real(X, 32, 3, 4000, seed=0, device=CPU)
    F_chain, S_chain = nngp.sample_outputs_gram(X, 32, 3, 4000, seed=1, device=CPU)
    assert F_real.shape == F_chain.shape == (4000, 3, 4) and S_real.shape == S_chain.shape == (4000, 3, 4, 4)
    z = (S_real.mean(0) - S_chain.mean(0)) / np.sqrt((S_real.var(0) + S_chain.var(0)) / 4000)
    assert np.abs(z).max() < 4
    # given the last hidden layer, f ~ N(0, Σ̂): the raw covariance of the outputs tracks mean Σ̂
    for F, S in ((F_real, S_real), (F_chain, S_chain)):
        assert np.abs(nngp.cov_zscores(F[:, 2], S[:, 2].mean(0))).max() < 4


def test_kurtosis_formula_matches_the_sampler():
    _, S = nngp.sample_outputs_gram(nngp.four_inputs()[:1], 64, 4, 20_000, seed=2, device=CPU)
    assert nngp.conditional_kurtosis(S[:, 3, 0, 0]) == pytest.approx(nngp.kurtosis_theory(64, 4), rel=0.1)
    assert nngp.kurtosis_theory(1, 0) == 0 and nngp.kurtosis_theory(4, 1) == pytest.approx(15 / 4)


def test_nested_widths_share_draws_and_match_single_width_shapes():
    X = nngp.four_inputs()
    F, S = nngp.sample_outputs_gram(X, [2, 8], 3, 10, seed=0, device=CPU)
    assert F.shape == (2, 10, 3, 4) and S.shape == (2, 10, 3, 4, 4)
    F1, S1 = nngp.sample_outputs_gram(X, 8, 3, 10, seed=0, device=CPU)
    assert F1.shape == (10, 3, 4)
    Fr, Sr = nngp.sample_outputs_real(X, [2, 8], 2, 5, seed=0, kernels=False, device=CPU)
    assert Fr.shape == (2, 5, 2, 4) and Sr is None


def test_width_one_nets_die_with_probability_one_half_per_layer():
    _, S = nngp.sample_outputs_gram(nngp.four_inputs()[:1], 1, 6, 20_000, seed=3, device=CPU)
    alive = (S[:, :, 0, 0] > 0).mean(0)
    assert alive == pytest.approx(0.5 ** np.arange(1, 7), abs=4 * 0.5 / math.sqrt(20_000))


@pytest.mark.parametrize("kw, name", [
    ({"width": 0}, "width"), ({"width": []}, "width"), ({"width": [4, -1]}, "width"), ({"depth": 0}, "depth"),
    ({"n_nets": 0}, "n_nets"), ({"seed": -1}, "seed"), ({"X": np.ones(4)}, "X"), ({"device": "tpu"}, "device"),
])
@pytest.mark.parametrize("sampler", [nngp.sample_outputs_gram, nngp.sample_outputs_real])
def test_samplers_reject_bad_arguments(sampler, kw, name):
    args = {"X": np.ones((2, 3)), "width": 4, "depth": 1, "n_nets": 2, "seed": 0, **kw}
    with pytest.raises((ValueError, TypeError), match=name):
        sampler(**args)


# ---------------------------------------------------------------------------------------------
# diagnostics and inputs
# ---------------------------------------------------------------------------------------------
def test_excess_kurtosis_matches_scipy_and_is_nan_for_constants():
    f = np.random.default_rng(7).standard_t(8, size=5000)
    assert nngp.excess_kurtosis(f) == pytest.approx(stats.kurtosis(f))  # Fisher, biased
    assert math.isnan(nngp.excess_kurtosis(np.zeros(5)))
    with pytest.raises(ValueError, match="f"):
        nngp.excess_kurtosis(np.ones((2, 2)))


def test_conditional_kurtosis_of_a_scale_mixture_equals_its_raw_kurtosis():
    rng = np.random.default_rng(8)
    Q = rng.gamma(4.0, 0.25, size=400_000)  # Var Q / (E Q)² = 1/4: excess kurtosis 3/4
    f = np.sqrt(Q) * rng.standard_normal(Q.size)
    assert nngp.conditional_kurtosis(Q) == pytest.approx(0.75, rel=0.02)
    assert nngp.excess_kurtosis(f) == pytest.approx(0.75, abs=0.05)
    assert math.isnan(nngp.conditional_kurtosis(np.zeros(3)))
    with pytest.raises(ValueError, match="Q"):
        nngp.conditional_kurtosis(np.array([1.0, -1.0]))


def test_cov_zscores_are_standard_for_gaussian_samples():
    K = np.array([[1.0, -0.5], [-0.5, 2.0]])
    F = np.random.default_rng(9).multivariate_normal(np.zeros(2), K, size=50_000)
    z = nngp.cov_zscores(F, K)
    assert z.shape == (2, 2) and np.abs(z).max() < 4
    assert np.abs(nngp.cov_zscores(F, 1.2 * K)).max() > 10  # a wrong kernel is detected
    with pytest.raises(ValueError, match="K"):
        nngp.cov_zscores(F, np.eye(3))


def test_inputs():
    theta, X = nngp.circle_inputs(12)
    assert X @ X.T / 2 == pytest.approx(np.cos(theta[:, None] - theta[None, :]))
    X4 = nngp.four_inputs()
    cos = X4 @ X4.T / 64
    assert np.diag(cos) == pytest.approx(np.ones(4))
    assert cos[np.triu_indices(4, 1)] == pytest.approx([0.7116, -0.6566, -0.2228, -0.4198, -0.1242, 0.0514], abs=1e-4)
    Xc = nngp.centre_and_scale(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), np.array([2.0, 2.0, 2.0]))
    assert np.linalg.norm(Xc, axis=1) == pytest.approx([math.sqrt(3)] * 2)
    with pytest.raises(ValueError, match="mean"):
        nngp.centre_and_scale(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="X"):
        nngp.centre_and_scale(np.ones((2, 3)), np.ones(3))


# ---------------------------------------------------------------------------------------------
# the widget
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def widget():
    return nngp.NNGPWidget()


def test_widget_panels_show_the_maths(widget):
    d = widget.data
    widget.controls["width"].value = 16
    widget.controls["depth"].value = 3
    i, l = nngp.WIDGET_WIDTHS.index(16), 2
    f0 = d.F[i, l, :, 0]
    counts, _ = np.histogram(f0, nngp.HIST_EDGES)
    assert widget.hist.get_data().values == pytest.approx(counts / (len(f0) * 0.2))
    cos = nngp.four_inputs() @ nngp.four_inputs().T / 64
    assert np.asarray(widget.images[1].get_array()).ravel() == pytest.approx(arccos_map(arccos_map(arccos_map(cos))).ravel())
    F = d.F[i, l]  # (nets, 4)
    assert np.asarray(widget.images[0].get_array()).ravel() == pytest.approx((np.einsum("ki,kj->ij", F, F) / len(F)).ravel())
    assert widget.net_lines[2].get_ydata() == pytest.approx(d.Fc[i, l, 2])
    text = widget.readout.get_text()
    theory = 3 * ((1 + 5 / 16) ** 3 - 1)  # excess kurtosis 3((1 + 5/n)^L - 1) at n = 16, L = 3
    assert f"{stats.kurtosis(f0):.3g}" in text and f"{theory:.3g}" in text
    assert widget.cells[0][0].get_text() == f"{d.F[i, l, :, 0] @ d.F[i, l, :, 1] / len(f0):.2f}"  # Ĉ(0, 0′)


def test_widget_data_agrees_with_theory(widget):
    d = widget.data
    assert d.F.shape == (11, 16, 1000, 4) and d.Fc.shape == (11, 16, 4, 128) and d.GPc.shape == (16, 4, 128)
    assert d.dead[0, :8] == pytest.approx(1 - 0.5 ** np.arange(1, 9), abs=4 * 0.5 / math.sqrt(1000))
    assert np.abs(d.C_rb[-1, 3] - d.K[3]).max() < 0.02 and abs(d.raw_kurt[-1, 3]) < 0.5
    assert np.all(d.dead[5:] == 0)  # width >= 32: no dead nets


def test_widget_says_when_all_nets_are_dead(widget):
    widget.controls["width"].value = 1
    widget.controls["depth"].value = 16
    assert ("all nets dead" in widget.readout.get_text()) == (widget.data.dead[0, 15] == 1.0)
    assert "all nets dead" in nngp._readout_text(1, 16, float("nan"), float("nan"), 1.0, 0.0)


def test_widget_rejects_bad_arguments():
    with pytest.raises(ValueError, match="width"):
        nngp.NNGPWidget(width=3)
    with pytest.raises(ValueError, match="depth"):
        nngp.NNGPWidget(depth=17)


def test_blitting_beats_a_full_redraw(widget):
    """The issue's measurement: update + frame with blitting (LiveFigure) vs a full redraw of the figure."""
    blit = widget.time_moves(20)
    full = []
    for k in range(8):
        t0 = time.perf_counter()
        widget.invalidate()
        widget.controls["depth"].value = 1 + (k * 5) % 16
        full.append(time.perf_counter() - t0)
    print(f"nngp widget: blit median {np.median(blit) * 1e3:.1f} ms, full redraw median {np.median(full) * 1e3:.1f} ms")
    assert np.median(blit) < np.median(full)
