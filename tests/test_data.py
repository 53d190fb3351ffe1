import numpy as np
import pytest

from course_utils.data import digits_sample, digits_split, load_digits_arrays, one_hot


def test_digits_shape_range_and_classes():
    X, y = load_digits_arrays()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.min() >= 174 and counts.max() <= 183
    assert load_digits_arrays(scale=False)[0].max() == 16.0


def test_split_is_a_seeded_partition():
    a = digits_split(1000, seed=0)
    b = digits_split(1000, seed=0)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    Xtr, ytr, Xte, yte = a
    assert len(Xtr) + len(Xte) == 1797
    rows = {r.tobytes() for r in Xtr}
    assert not any(r.tobytes() in rows for r in Xte)  # the digits have no duplicate images


def test_sample_is_the_head_of_the_seeded_shuffle_and_the_split_continues_it():
    X, y = load_digits_arrays()
    perm = np.random.default_rng(3).permutation(1797)
    Xs, ys = digits_sample(50, seed=3)
    assert np.array_equal(Xs, X[perm[:50]]) and np.array_equal(ys, y[perm[:50]])
    Xtr, ytr, Xte, yte = digits_split(40, 10, seed=3)
    assert np.array_equal(Xtr, X[perm[:40]]) and np.array_equal(yte, y[perm[40:50]])


def test_one_hot_rows_sum_to_one():
    T = one_hot(np.array([0, 9, 3]))
    assert T.shape == (3, 10) and np.array_equal(T.sum(1), np.ones(3)) and T[1, 9] == 1


@pytest.mark.parametrize("kw, name", [({"n_train": 0}, "n_train"), ({"n_train": 1797}, "n_train"),
                                      ({"n_train": 10, "n_test": 5000}, "n_test"), ({"n_train": 10, "seed": -1}, "seed")])
def test_split_rejects_bad_sizes(kw, name):
    with pytest.raises(ValueError, match=name):
        digits_split(**kw)


def test_one_hot_rejects_bad_labels():
    with pytest.raises(ValueError, match="y"):
        one_hot(np.array([0, 10]))
    with pytest.raises(ValueError, match="y"):
        one_hot(np.array([0.5]))
