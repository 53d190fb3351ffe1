"""course_utils.backprop, each function checked by an independent route.

Threshold and loss curve: explicit GD loops and least squares; manual backward: torch.autograd and central
differences; the batched SGD/Adam sweep: torch.optim on an nn.Module; interpolants: CONTENT.md constants
and a separate np.linalg.solve; widgets: the plotted data against the maths.
"""
import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from course_utils.backprop import (LabelNoiseWidget, LrThresholdWidget, QuadraticGD, central_difference, he_mlp,
                                   interpolant_accuracy, lr_threshold, noisy_labels,
                                   random_feature_problem, sweep_learning_rates, with_bias, zhang_interpolant,
                                   zhang_predict)
from course_utils.data import digits_split, load_digits_arrays, one_hot



@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small matrices: one BLAS/torch thread each (threads spin-wait on a busy 2-core machine); restored after."""
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(torch_threads)


# ---------------------------------------------------------------------------------------------- global view


def gd_loop(Xt, T, eta, steps):
    """Plain gradient descent on ||Xt W^T - T||_F^2 from W = 0: the losses L_0..L_steps."""
    W, out = np.zeros((T.shape[1], Xt.shape[1])), []
    for _ in range(steps + 1):
        R = Xt @ W.T - T
        out.append(np.sum(R**2))
        W = W - eta * 2 * R.T @ Xt
    return np.array(out)


def test_lr_threshold_orthogonal_columns_closed_form():
    # columns orthogonal with squared norms 4, 9, 1 -> H = 2 diag(4, 9, 1), lambda_max = 18
    Xt = np.array([[2.0, 0, 0], [0, 3.0, 0], [0, 0, 1.0], [0, 0, 0]])
    lam, eta_c = lr_threshold(Xt)
    assert lam == pytest.approx(18.0, rel=1e-12) and eta_c == pytest.approx(2 / 18.0, rel=1e-12)


def test_lr_threshold_digits_matches_content_constants():
    X, _ = load_digits_arrays()
    lam, eta_c = lr_threshold(with_bias(X))
    assert lam == pytest.approx(41128.04, rel=1e-6)
    assert eta_c == pytest.approx(4.8629e-5, rel=1e-4)


def test_threshold_separates_convergence_from_divergence():
    rng = np.random.default_rng(3)
    Xt, T = rng.normal(size=(40, 6)), rng.normal(size=(40, 2))
    _, eta_c = lr_threshold(Xt)
    assert np.all(np.diff(gd_loop(Xt, T, 0.99 * eta_c, 300)) <= 1e-9)
    assert gd_loop(Xt, T, 1.05 * eta_c, 300)[-1] > 1e3 * np.sum(T**2)


def test_quadratic_gd_closed_form_equals_gd_loop_and_least_squares():
    rng = np.random.default_rng(0)
    Xt = with_bias(rng.normal(size=(50, 7)))
    Xt[:, 2] = 0.0  # a dead pixel: a null direction of H, as on the digits
    T = rng.normal(size=(50, 3))
    q = QuadraticGD(Xt, T)
    for ratio in (0.5, 0.99, 1.01, 1.1):
        np.testing.assert_allclose(q.curve(ratio * q.eta_c, 60), gd_loop(Xt, T, ratio * q.eta_c, 60), rtol=1e-9)
    W, *_ = np.linalg.lstsq(Xt, T, rcond=None)
    assert q.L_star == pytest.approx(np.sum((Xt @ W - T) ** 2), rel=1e-10)
    assert q.lam_max == pytest.approx(lr_threshold(Xt)[0], rel=1e-12)
    assert q.curve(0.0, 5) == pytest.approx(np.full(6, np.sum(T**2)))


def test_global_view_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="X_tilde"):
        lr_threshold(np.ones(5))
    with pytest.raises(ValueError, match="X_tilde"):
        lr_threshold(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X_tilde"):
        lr_threshold([[1.0, np.nan]])
    with pytest.raises(ValueError, match="T"):
        QuadraticGD(np.ones((4, 2)), np.ones((5, 1)))
    with pytest.raises(ValueError, match="eta"):
        QuadraticGD(np.eye(3), np.ones((3, 1))).curve(-1.0)
    with pytest.raises(TypeError, match="steps"):
        QuadraticGD(np.eye(3), np.ones((3, 1))).curve(0.1, steps=2.5)
    with pytest.raises(ValueError, match="X"):
        with_bias(np.ones(3))


# ----------------------------------------------------------------------------------------------- local view


def test_he_mlp_shapes_variance_and_seed():
    Ws = he_mlp([500, 400, 3], seed=1, device="cpu")
    assert [tuple(W.shape) for W in Ws] == [(400, 500), (3, 400)] and Ws[0].dtype == torch.float64
    assert Ws[0].var().item() == pytest.approx(2 / 500, rel=0.03)  # 200k samples: sd of the estimate ~0.3 %
    assert all(torch.equal(a, b) for a, b in zip(Ws, he_mlp([500, 400, 3], seed=1, device="cpu")))
    with pytest.raises(ValueError, match="widths"):
        he_mlp([5])
    with pytest.raises(ValueError, match="widths"):
        he_mlp([5, 0, 2])
    with pytest.raises(ValueError, match="seed"):
        he_mlp([5, 2], seed=-1)


def test_central_difference_of_a_cubic_and_restores_the_weight():
    W = torch.tensor([[0.5, -1.5], [2.0, 0.25]], dtype=torch.float64)
    before = W.clone()
    fd = central_difference(lambda: (W**3).sum().item(), W, (1, 0), eps=1e-4)
    assert fd == pytest.approx(3 * 2.0**2 + 1e-8, rel=1e-9)  # exact: 3 w^2 + eps^2 for a cubic
    assert torch.equal(W, before)
    with pytest.raises(TypeError, match="loss_fn"):
        central_difference(3.0, W, (0, 0))
    with pytest.raises(TypeError, match="W"):
        central_difference(lambda: 0.0, np.ones((2, 2)), (0, 0))
    with pytest.raises(ValueError, match="index"):
        central_difference(lambda: 0.0, W, (0,))
    with pytest.raises(ValueError, match="eps"):
        central_difference(lambda: 0.0, W, (0, 0), eps=0.0)


# -------------------------------------------------------------------------------------------- optimisers

SMALL = dict(width=8, steps=15, batch=16, seed=3, device="cpu")


def torch_optim_reference(optimizer, lr, X, y, width, steps, batch, seed):
    """The same training run with torch.optim on an nn.Sequential: an independent implementation."""
    init = he_mlp([X.shape[1], width, 10], seed=seed, device="cpu")
    order = torch.randint(0, X.shape[0], (steps, batch), generator=torch.Generator().manual_seed(seed))
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], width), torch.nn.ReLU(), torch.nn.Linear(width, 10)).double()
    with torch.no_grad():
        for layer, W in zip((model[0], model[2]), init):
            layer.weight.copy_(W)
            layer.bias.zero_()
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(model.parameters(), lr=lr)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for idx in order:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
        opt.step()
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(model(Xt), yt).item()


@pytest.fixture(scope="module")
def small_digits():
    X_train, y_train, _, _ = digits_split(200, n_test=10, seed=0)
    return X_train, y_train


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_sweep_matches_torch_optim(optimizer, small_digits):
    X, y = small_digits
    lrs = np.array([1e-3, 3e-2, 0.5])
    got = sweep_learning_rates(optimizer, lrs, X, y, **SMALL)
    kw = {k: v for k, v in SMALL.items() if k != "device"}
    want = [torch_optim_reference(optimizer, lr, X, y, **kw) for lr in lrs]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_sweep_copies_do_not_interact_and_divergence_is_inf(small_digits):
    X, y = small_digits
    both = sweep_learning_rates("sgd", [0.1, 1e6], X, y, **SMALL)
    alone = sweep_learning_rates("sgd", [0.1], X, y, **SMALL)
    assert both[0] == pytest.approx(alone[0], rel=1e-12)
    assert not np.isnan(both).any() and both[1] > both[0]


def test_sweep_bad_input(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match="optimizer"):
        sweep_learning_rates("momentum", [0.1], X, y)
    with pytest.raises(ValueError, match="lrs"):
        sweep_learning_rates("sgd", [0.1, 0.0], X, y)
    with pytest.raises(ValueError, match="y must"):
        sweep_learning_rates("sgd", [0.1], X, y + 10)
    with pytest.raises(ValueError, match="batch"):
        sweep_learning_rates("sgd", [0.1], X, y, batch=10_000)


# ------------------------------------------------------------------------------------------ generalisation


def test_noisy_labels_rates_and_determinism():
    y = np.arange(20000) % 10
    assert np.array_equal(noisy_labels(y, 0.0), y)
    assert np.mean(noisy_labels(y, 1.0) == y) == pytest.approx(0.1, abs=0.01)  # random labels: right 1 in 10
    assert np.mean(noisy_labels(y, 0.5) != y) == pytest.approx(0.45, abs=0.015)  # 0.9 p wrong
    assert np.array_equal(noisy_labels(y, 0.3, seed=4), noisy_labels(y, 0.3, seed=4))
    with pytest.raises(ValueError, match="p"):
        noisy_labels(y, 1.5)
    with pytest.raises(ValueError, match="y"):
        noisy_labels(y.astype(float), 0.5)


@pytest.fixture(scope="module")
def problem():
    return random_feature_problem()


def test_random_feature_problem_split_and_interpolation(problem):
    _, y_train, _, y_test = digits_split(1000, seed=0)
    assert np.array_equal(problem["y_train"], y_train) and np.array_equal(problem["y_test"], y_test)
    assert np.abs(problem["S"] - np.eye(1000)).max() < 1e-6  # K K^{-1} = I: the interpolant fits exactly
    assert not problem["K"].flags.writeable


def test_interpolant_accuracy_matches_a_direct_solve_and_content_values(problem):
    y_rand = np.random.default_rng(1).integers(0, 10, 1000)
    alpha = np.linalg.solve(problem["K"], one_hot(y_rand))  # LU, not the cached Cholesky factor
    test = np.mean(np.argmax(problem["K_test"] @ alpha, 1) == problem["y_test"])
    assert interpolant_accuracy(problem, y_rand) == (1.0, pytest.approx(test, abs=1e-12))
    assert interpolant_accuracy(problem, problem["y_train"])[1] == pytest.approx(0.982, abs=0.01)
    grid = [0.0, 0.25, 0.5, 0.75, 1.0]  # CONTENT.md N2 widget (b)
    train, tests = interpolant_accuracy(problem, np.stack([noisy_labels(problem["y_train"], p) for p in grid]))
    np.testing.assert_array_equal(train, 1.0)
    np.testing.assert_allclose(tests, [0.982, 0.644, 0.360, 0.227, 0.089], atol=0.005)
    with pytest.raises(ValueError, match="labels"):
        interpolant_accuracy(problem, y_rand[:10])
    with pytest.raises(TypeError, match="problem"):
        interpolant_accuracy({"K": problem["K"]}, y_rand)


def test_random_feature_problem_too_few_features_is_singular():
    with pytest.raises(np.linalg.LinAlgError):
        random_feature_problem(n_train=50, width=10, seed=0)
    with pytest.raises(ValueError, match="n_train"):
        random_feature_problem(n_train=5000)


def test_zhang_interpolant_fits_any_targets_with_d_plus_2n_weights():
    rng = np.random.default_rng(5)
    X, targets = rng.normal(size=(40, 6)), rng.normal(size=40) * 3
    a, b, w = zhang_interpolant(X, targets, seed=2)
    assert a.size + b.size + w.size == 6 + 2 * 40
    # evaluate the network neuron by neuron, not through zhang_predict's matrix form
    pred = np.array([sum(wj * max(a @ x - bj, 0.0) for wj, bj in zip(w, b)) for x in X])
    assert np.abs(pred - targets).max() < 1e-8
    np.testing.assert_allclose(zhang_predict(X, a, b, w), pred, atol=1e-9)
    z = np.sort(X @ a)
    assert np.all(b < z) and np.all(z[:-1] < b[1:])  # b_1 < z_(1) < b_2 < z_(2) < ...


def test_zhang_interpolant_digits_content_value():
    X, _ = load_digits_arrays()
    idx = np.random.default_rng(0).choice(len(X), 300, replace=False)
    targets = np.random.default_rng(1).integers(0, 10, 300).astype(float)
    a, b, w = zhang_interpolant(X[idx], targets)
    assert a.size + b.size + w.size == 664
    assert np.abs(zhang_predict(X[idx], a, b, w) - targets).max() < 1e-5


def test_zhang_bad_input():
    with pytest.raises(ValueError, match="X must have distinct rows"):
        zhang_interpolant(np.ones((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="targets"):
        zhang_interpolant(np.eye(3), np.zeros(4))
    with pytest.raises(ValueError, match="w"):
        zhang_predict(np.eye(3), np.ones(3), np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="a"):
        zhang_predict(np.eye(3), np.ones(2), np.ones(2), np.ones(2))


# ------------------------------------------------------------------------------------------------- widgets


def test_lr_threshold_widget_draws_the_gd_loop():
    w = LrThresholdWidget()
    X, y = load_digits_arrays()
    Xt, T = with_bias(X), one_hot(y)
    _, eta_c = lr_threshold(Xt)
    for ratio, verdict in ((1.01, "diverges"), (0.9, "decreases")):
        w.controls["ratio"].value = ratio
        want = gd_loop(Xt, T, ratio * eta_c, 200)
        np.testing.assert_allclose(w.line.get_ydata(), want, rtol=1e-8)
        assert w.marker.get_xdata()[0] == ratio and w.marker.get_ydata()[0] == pytest.approx(want[-1], rel=1e-8)
        assert verdict in w.title.get_text()
    with pytest.raises(ValueError, match="ratio"):
        LrThresholdWidget(ratio=2.0)


def test_label_noise_widget_bars_follow_the_content_values():
    w = LabelNoiseWidget()
    for p, test_acc in ((1.0, 0.089), (0.0, 0.982), (0.5, 0.360)):
        w.controls["p"].value = p
        heights = [bar.get_height() for bar in w.bars]
        assert heights[0] == 1.0 and heights[1] == pytest.approx(test_acc, abs=0.005)
        assert w.marker.get_xdata()[0] == p and w.marker.get_ydata()[0] == heights[1]
    with pytest.raises(ValueError, match="p"):
        LabelNoiseWidget(p=-0.1)
