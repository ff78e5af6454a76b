"""The benchmark scripts' own pieces: the CIFAR-10 augmentation and learning-rate schedule."""

import importlib.util

import numpy as np

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("cifar10_benchmark", ROOT / "benchmarks" / "cifar10.py")
cifar10 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cifar10)


def test_augment_crops_and_flips_within_the_padding():
    images = np.random.default_rng(0).integers(1, 255, (64, 32, 32, 3)).astype("uint8")
    out = cifar10.augment(images, np.random.default_rng(1), pad=4)
    assert out.shape == images.shape
    for original, crop in zip(images, out):
        padded = np.pad(original, [(4, 4), (4, 4), (0, 0)])
        windows = [padded[y : y + 32, x : x + 32] for y in range(9) for x in range(9)]
        assert any(np.array_equal(crop, w) or np.array_equal(crop, w[:, ::-1]) for w in windows)
    changed = sum(not np.array_equal(o, c) for o, c in zip(images, out))
    assert changed > 0  # not every image is left as it was


def test_learning_rate_warms_up_then_decays():
    rates = [cifar10.learning_rate(e, 10, 0.1) for e in range(10)]
    assert rates[0] == 0.1 * 0.1 and rates[1] == 0.1
    assert all(a > b for a, b in zip(rates[1:], rates[2:])) and rates[-1] < 0.05 * 0.1
