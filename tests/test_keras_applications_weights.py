"""Our VGG16/VGG19/ResNet-50 take keras.applications weight files unchanged."""

import keras
import numpy as np
import pytest

import toolkit


@pytest.mark.parametrize("ours, theirs", [("vgg16", "VGG16"), ("vgg19", "VGG19"), ("resnet50", "ResNet50")])
@pytest.mark.slow
def test_keras_applications_weights_load_and_agree(tmp_path, ours, theirs):
    reference = getattr(keras.applications, theirs)(weights=None)
    x = np.random.default_rng(1).uniform(0, 255, size=(2, 224, 224, 3)).astype("float32")
    expected = np.asarray(reference(x))
    path = tmp_path / f"{ours}.weights.h5"
    reference.save_weights(path)
    del reference
    model = toolkit.build_model(ours, weights=str(path))
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-5, atol=1e-6)
