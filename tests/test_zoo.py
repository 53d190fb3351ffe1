"""course_utils.zoo: every function checked by an independent route (torch modules, explicit loops, lstsq)."""
import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_utils import zoo

RNG = np.random.default_rng(0)


# -- parameter counts vs real torch.nn modules ------------------------------------------------------
@pytest.mark.parametrize("d_in,d_out", [(64, 64), (784, 10), (3, 7)])
def test_dense_params_match_nn_linear(d_in, d_out):
    assert zoo.dense_params(d_in, d_out) == zoo.count_params(nn.Linear(d_in, d_out))
    assert zoo.dense_params(d_in, d_out, bias=False) == zoo.count_params(nn.Linear(d_in, d_out, bias=False))


@pytest.mark.parametrize("k,c_in,c_out", [(3, 1, 1), (5, 3, 16), (1, 8, 4)])
def test_conv_params_match_nn_conv2d(k, c_in, c_out):
    assert zoo.conv_params(k, c_in, c_out) == zoo.count_params(nn.Conv2d(c_in, c_out, k))
    assert zoo.conv_params(k, c_in, c_out, bias=False) == nn.Conv2d(c_in, c_out, k, bias=False).weight.numel()


def test_d4_table_integers():  # CONTENT.md D4
    assert zoo.dense_params(64, 64, bias=False) == 4096 and zoo.conv_params(3, bias=False) == 9
    assert zoo.dense_params(784, 784, bias=False) == 614_656
    assert zoo.dense_params(1024, 1024, bias=False) // zoo.conv_params(3, bias=False) == 116_508


@pytest.mark.parametrize("d_model,nhead,d_ff", [(16, 4, None), (32, 2, 48), (64, 8, None)])
def test_transformer_block_params_match_torch(d_model, nhead, d_ff):
    layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=d_ff or 4 * d_model)
    assert zoo.transformer_block_params(d_model, d_ff) == zoo.count_params(layer)


def test_transformer_block_matrices_only_is_12_d_squared():
    for d, expected in ((512, 3_145_728), (768, 7_077_888)):  # CONTENT.md D4
        assert zoo.transformer_block_params(d, bias=False, layernorm=False) == expected == 12 * d * d
    assert zoo.transformer_block_params(512) - 12 * 512 ** 2 == 13 * 512  # biases 9d + LayerNorms 4d


def test_mlp_params_and_make_mlp():
    widths = [64, 32, 16, 10]
    net = zoo.make_mlp(widths, act="tanh")
    assert zoo.mlp_params(widths) == zoo.count_params(net) == 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    x = RNG.standard_normal((5, 8, 8))
    h = x.reshape(5, -1)
    lins = [m for m in net if isinstance(m, nn.Linear)]
    for i, lin in enumerate(lins):  # manual forward in NumPy: tanh on hidden layers, linear output
        h = h @ lin.weight.detach().double().numpy().T + lin.bias.detach().double().numpy()
        h = np.tanh(h) if i < len(lins) - 1 else h
    got = net.double()(torch.as_tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, h, atol=1e-12)


def test_count_params_bad_input():
    with pytest.raises(TypeError, match="module"):
        zoo.count_params("net")
    with pytest.raises(ValueError, match="d_in"):
        zoo.dense_params(0, 3)
    with pytest.raises(TypeError, match="bias"):
        zoo.conv_params(3, bias=1)
    with pytest.raises(ValueError, match="widths"):
        zoo.mlp_params([5])
    with pytest.raises(ValueError, match="d_model"):
        zoo.transformer_block_params(-1)


# -- convolution as a matrix ------------------------------------------------------------------------
def torch_circular_conv(x, K):
    t = torch.as_tensor(x)[None, None]
    c = K.shape[0] // 2
    return F.conv2d(F.pad(t, (c, c, c, c), mode="circular"), torch.as_tensor(K)[None, None])[0, 0].numpy()


@pytest.mark.parametrize("k,side", [(3, 8), (5, 8), (3, 5), (1, 4)])
def test_circular_conv2d_matches_torch(k, side):
    x, K = RNG.standard_normal((side, side)), RNG.standard_normal((k, k))
    np.testing.assert_allclose(zoo.circular_conv2d(x, K), torch_circular_conv(x, K), atol=1e-12)


@pytest.mark.parametrize("k,side", [(3, 8), (5, 6), (3, 3)])
def test_conv_matrix_is_the_convolution(k, side):
    x, K = RNG.standard_normal((side, side)), RNG.standard_normal((k, k))
    M = zoo.conv_matrix(K, side)
    d = side * side
    assert M.shape == (d, d)
    np.testing.assert_allclose(M @ x.ravel(), torch_circular_conv(x, K).ravel(), atol=1e-12)
    assert np.count_nonzero(M) == d * k * k
    assert len(np.unique(M[M != 0])) == k * k


def test_conv_matrix_bad_input():
    with pytest.raises(ValueError, match="kernel"):
        zoo.conv_matrix(np.ones((5, 5)), 4)
    with pytest.raises(ValueError, match="kernel"):
        zoo.conv_matrix(np.ones((2, 2)), 8)
    with pytest.raises(ValueError, match="side"):
        zoo.conv_matrix(np.ones((3, 3)), 0)
    with pytest.raises(ValueError, match="images"):
        zoo.circular_conv2d(np.ones((3, 4)), np.ones((3, 3)))


def test_shift_image_against_explicit_loops():
    x = RNG.standard_normal((2, 6, 6))
    for s in (-7, -2, 0, 1, 3, 6):
        want = np.zeros_like(x)
        for j in range(6):
            if 0 <= j - s < 6:
                want[..., j] = x[..., j - s]
        np.testing.assert_array_equal(zoo.shift_image(x, s, mode="zero"), want)
        np.testing.assert_array_equal(zoo.shift_image(x, s, axis=1), np.roll(x, s, axis=1))
    with pytest.raises(ValueError, match="mode"):
        zoo.shift_image(x, 1, mode="reflect")
    with pytest.raises(TypeError, match="shift"):
        zoo.shift_image(x, 1.5)


def test_place_on_canvas():
    X = RNG.random((3, 64))
    C = zoo.place_on_canvas(X, 12)
    assert C.shape == (3, 12, 12)
    np.testing.assert_array_equal(C[:, 2:10, 2:10], X.reshape(3, 8, 8))
    np.testing.assert_allclose(C.sum(axis=(1, 2)), X.sum(1))
    with pytest.raises(ValueError, match="side"):
        zoo.place_on_canvas(X, 7)
    with pytest.raises(ValueError, match="images"):
        zoo.place_on_canvas(np.ones((3, 10)))


# -- models and training -----------------------------------------------------------------------------
@pytest.mark.parametrize("pool", ["avg", "max"])
def test_pooled_cnn_circular_is_exactly_shift_invariant(pool):
    torch.manual_seed(0)
    net = zoo.make_pooled_cnn([4, 6], k=3, pool=pool, padding_mode="circular").double()
    assert zoo.count_params(net) == zoo.conv_params(3, 1, 4) + zoo.conv_params(3, 4, 6) + zoo.dense_params(6, 10)
    x = torch.as_tensor(RNG.random((3, 8, 8)))
    for shift in ((1, 0), (3, 5)):
        err = (net(torch.roll(x, shift, dims=(1, 2))) - net(x)).abs().max().item()
        assert err < 1e-12
    with pytest.raises(ValueError, match="pool"):
        zoo.make_pooled_cnn([4], pool="sum")
    with pytest.raises(ValueError, match="k"):
        zoo.make_pooled_cnn([4], k=4)


def test_fit_classifier_adam_matches_torch_optim_adam():
    torch.manual_seed(0)
    net = zoo.make_mlp([6, 5, 3]).double()
    ref = copy.deepcopy(net)
    X, y = RNG.standard_normal((40, 6)), RNG.integers(0, 3, 40)
    losses = zoo.fit_classifier(net, X, y, steps=7, batch_size=8, lr=0.05, seed=3, device=torch.device("cpu"))
    opt = torch.optim.Adam(ref.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(3)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for t in range(7):
        idx = torch.randint(40, (8,), generator=gen)
        loss = F.cross_entropy(ref(Xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert abs(loss.item() - losses[t]) < 1e-12
    for p, q in zip(net.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, atol=1e-12, rtol=0)


def test_accuracy_and_fit_bad_input():
    net = zoo.make_mlp([4, 2])
    X = RNG.standard_normal((10, 4))
    with torch.no_grad():
        pred = (torch.as_tensor(X, dtype=torch.float32) @ net[1].weight.T + net[1].bias).argmax(1).numpy()
    y = np.arange(10) % 2
    assert zoo.accuracy(net, X, y) == pytest.approx(np.mean(pred == y))
    with pytest.raises(ValueError, match="y"):
        zoo.fit_classifier(net, X, y[:5])
    with pytest.raises(ValueError, match="steps"):
        zoo.fit_classifier(net, X, y, steps=0)


# -- transformer positions ---------------------------------------------------------------------------
def test_sinusoidal_positions():
    E = zoo.sinusoidal_positions(7, 6)
    for t in range(7):
        for i in range(3):
            assert E[t, 2 * i] == pytest.approx(np.sin(t / 10000 ** (2 * i / 6)))
            assert E[t, 2 * i + 1] == pytest.approx(np.cos(t / 10000 ** (2 * i / 6)))
    np.testing.assert_allclose((E ** 2).sum(1), 3.0)  # sin^2 + cos^2 per pair
    with pytest.raises(ValueError, match="d_model"):
        zoo.sinusoidal_positions(4, 5)


# -- NAS toys ----------------------------------------------------------------------------------------
def test_random_features_identity_is_affine_and_relu_nonnegative():
    X = RNG.standard_normal((50, 4))
    Phi = zoo.random_features(X, 16, 3, "identity", seed=1)
    A = np.c_[X, np.ones(50)]
    resid = Phi - A @ np.linalg.lstsq(A, Phi, rcond=None)[0]
    assert np.abs(resid).max() < 1e-10  # every identity feature is an affine function of x
    assert zoo.random_features(X, 16, 2, "relu").min() >= 0
    np.testing.assert_array_equal(zoo.random_features(X, 8, 1, "tanh", seed=2), zoo.random_features(X, 8, 1, "tanh", seed=2))
    with pytest.raises(ValueError, match="act"):
        zoo.random_features(X, 8, 1, "gelu")
    with pytest.raises(ValueError, match="width"):
        zoo.random_features(X, 0, 1, "relu")


def test_ridge_readout_matches_augmented_lstsq():
    Phi, T, lam = RNG.standard_normal((30, 5)), RNG.standard_normal((30, 2)), 0.3
    A = np.c_[Phi, np.ones(30)]
    B_ref = np.linalg.lstsq(np.r_[A, np.sqrt(lam) * np.eye(6)], np.r_[T, np.zeros((6, 2))], rcond=None)[0]
    np.testing.assert_allclose(zoo.ridge_readout(Phi, T, lam), B_ref, atol=1e-12)
    with pytest.raises(ValueError, match="lam"):
        zoo.ridge_readout(Phi, T, 0.0)
    with pytest.raises(ValueError, match="T"):
        zoo.ridge_readout(Phi, T[:5])


def test_random_search_counts_inner_loops_and_returns_the_best():
    space = {"width": [1, 2, 3], "act": ["a", "b"]}
    obj = zoo.Counted(lambda arch: arch["width"] + (arch["act"] == "b"))
    best, score, hist = zoo.random_search(space, 9, obj, seed=4)
    assert obj.calls == len(hist) == 9
    assert score == max(s for _, s in hist) and obj.fn(best) == score
    assert all(a["width"] in space["width"] and a["act"] in space["act"] for a, _ in hist)
    assert zoo.random_search(space, 9, obj.fn, seed=4)[2] == hist  # same seed, same draws
    with pytest.raises(ValueError, match="space"):
        zoo.random_search({"width": []}, 3, obj)
    with pytest.raises(TypeError, match="objective"):
        zoo.random_search(space, 3, None)
    with pytest.raises(TypeError, match="fn"):
        zoo.Counted(3)


def test_mixed_op_is_the_softmax_mixture():
    z = torch.linspace(-2, 2, 9, dtype=torch.float64)
    alpha = torch.tensor([0.3, -1.0, 2.0, 0.1], dtype=torch.float64)
    p = np.exp(alpha.numpy()) / np.exp(alpha.numpy()).sum()
    zn = z.numpy()
    want = p[0] * zn + p[1] * np.maximum(zn, 0) + p[2] * np.tanh(zn) + p[3] * 0
    np.testing.assert_allclose(zoo.mixed_op(z, alpha).numpy(), want, atol=1e-14)
    one_hot = torch.tensor([0.0, 50.0, 0.0, 0.0], dtype=torch.float64)  # softmax -> relu only
    np.testing.assert_allclose(zoo.mixed_op(z, one_hot).numpy(), np.maximum(zn, 0), atol=1e-12)
    with pytest.raises(ValueError, match="alpha"):
        zoo.mixed_op(z, alpha[:3])


def test_teacher_data():
    X, y, a = zoo.teacher_data(20, d=5, seed=3)
    assert X.shape == (20, 5) and y.shape == (20,) and a.shape == (5,)
    np.testing.assert_allclose(y.numpy(), np.maximum(X.numpy() @ a.numpy(), 0))
    X2, _, a2 = zoo.teacher_data(20, d=5, seed=3)
    assert torch.equal(X, X2) and torch.equal(a, a2)
    with pytest.raises(ValueError, match="act"):
        zoo.teacher_data(5, act="zero")


# -- widgets (headless) ------------------------------------------------------------------------------
def test_param_count_widget_bars_follow_the_formula():
    w = zoo.ParamCountWidget()
    w.controls["side"].value = 10
    w.controls["k"].value = 5
    assert [b.get_height() for b in w.bars] == [10_000, 100, 25]
    assert "400" in w.title.get_text()  # d^2 / k^2 = 10000 / 25
    with pytest.raises(ValueError, match="side"):
        zoo.ParamCountWidget(side=100)


def test_shift_widget_feature_map_moves_and_pool_stays():
    w = zoo.ShiftWidget()
    base = np.array(w.fm.get_array())
    w.controls["shift"].value = 2
    np.testing.assert_allclose(np.array(w.fm.get_array()), np.roll(base, 2, axis=1), atol=1e-12)  # equivariance
    np.testing.assert_allclose(w.gap_line.get_ydata(), 1.0, atol=1e-12)  # invariance after pooling
    assert w.dense_dot.get_ydata()[0] < 0.9  # the matched dense neuron does not survive the shift
    w.controls["boundary"].value = "zero"
    want = np.zeros_like(w.x0)
    want[:, 2:] = w.x0[:, :-2]  # two columns to the right, zeros coming in: built by hand, not by shift_image
    np.testing.assert_array_equal(np.array(w.im.get_array()), want)
    np.testing.assert_allclose(w.maps["zero"][4], w.maps["circular"][4], atol=1e-12)  # shift 0: same map
    with pytest.raises(ValueError, match="digit"):
        zoo.ShiftWidget(digit=5000)
