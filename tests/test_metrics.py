"""Evaluation measures on sets whose answers are known."""
import numpy as np
import pytest

from training.metrics import (class_shares, frechet_distance, inception_score, kernel_distance,
                              memorisation, nearest_distances, precision_recall, total_variation)

rng = np.random.default_rng(0)
A = rng.normal(size=(2000, 8))
B = rng.normal(size=(2000, 8))


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    assert frechet_distance(A, A) == pytest.approx(0.0, abs=1e-6)
    shifts = [frechet_distance(A, A + s) for s in (0.5, 1.0, 2.0)]
    # Shifting every feature by s adds exactly 8 s^2.
    assert shifts == pytest.approx([8 * 0.25, 8 * 1.0, 8 * 4.0], rel=1e-6)
    assert frechet_distance(A, 2 * A) > frechet_distance(A, 1.2 * A) > 0


def test_kid_is_unbiased_on_sets_from_one_distribution():
    mean, se = kernel_distance(A, B, subsets=30, subset_size=500)
    assert abs(mean) < 3 * se + 1e-4
    shifted, _ = kernel_distance(A, B + 0.5, subsets=30, subset_size=500)
    assert shifted > 10 * max(se, 1e-4)


def test_inception_score_bounds():
    k = 10
    confident_diverse = np.eye(k)[np.arange(1000) % k]
    assert inception_score(confident_diverse)[0] == pytest.approx(k, rel=1e-6)
    one_class = np.eye(k)[np.zeros(1000, int)]
    assert inception_score(one_class)[0] == pytest.approx(1.0, abs=1e-6)
    uniform = np.full((1000, k), 1 / k)
    assert inception_score(uniform)[0] == pytest.approx(1.0, abs=1e-6)


def test_precision_and_recall_of_identical_sets_are_one_and_fall_for_dropped_modes():
    assert precision_recall(A[:500], A[:500]) == (1.0, 1.0)
    far = A[:500] + 100.0
    p, r = precision_recall(A[:500], np.concatenate([A[:250], far[:250]]))
    assert p == pytest.approx(0.5, abs=0.05)  # half the samples lie off the real manifold
    half = A[:500][A[:500, 0] > 0]  # a generator that drops half of the data
    p, r = precision_recall(A[:500], half)
    assert p > 0.95 and r < 0.75


def test_class_shares_and_total_variation():
    shares = class_shares(np.array([0, 0, 1, 3]), 4)
    assert shares.tolist() == [0.5, 0.25, 0.0, 0.25]
    assert total_variation(shares, np.full(4, 0.25)) == pytest.approx(0.25)


def test_nearest_distances_exclude_self():
    pts = np.array([[0.0], [1.0], [3.0]])
    d, i = nearest_distances(pts, pts, exclude_self=True)
    assert d.tolist() == [1.0, 1.0, 2.0] and i.tolist() == [1, 0, 1]


def test_memorisation_flags_copies_of_training_images():
    train = rng.normal(size=(500, 16))
    test = rng.normal(size=(200, 16))
    new = rng.normal(size=(100, 16))
    copies = train[:100] + rng.normal(scale=1e-3, size=(100, 16))
    assert memorisation(new, train, test)["share"] < 0.05
    assert memorisation(copies, train, test)["share"] == 1.0
