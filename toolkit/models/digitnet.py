"""DigitNet: the toolkit's own best single digit classifier (shipped as `digits.best`).

Design: two convolutional stages in the VGG manner (3x3, 3x3, then a strided 5x5 in place of
pooling), batch normalisation and dropout, then a 4x4 convolution to a 128-vector. Trained
with affine and elastic distortions (Simard, Steinkraus & Platt, "Best practices for
convolutional neural networks applied to visual document analysis", ICDAR 2003), the
regime in which single CNNs reach about 0.3 % MNIST test error.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, finish
from toolkit.registry import register


def _conv_bn(x, filters, kernel, name, strides=1, padding="valid"):
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False, name=name)(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


@register(
    family="digitnet",
    preprocessing="tf",
    year=2026,
    authors="the toolkit (after Simard et al. 2003 and VGG)",
    paper="Best practices for convolutional neural networks applied to visual document analysis",
    tasks=("digits",),
    input_shape=(28, 28, 1),
    min_input_size=28,
    params_basis="computed",
    errors={"mnist_test_error_best_single_cnns": 0.003},
)
def digitnet(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    num_classes=10,
    classifier_activation="softmax",
    dropout=0.4,
    name="digitnet",
):
    """DigitNet for 28x28 digits: about 330 K parameters, 15 M multiply-adds."""
    shape = check_input_shape(input_shape, (28, 28, 1), name=name, min_size=28)
    inputs = keras.Input(shape, name="inputs")
    x = inputs
    for stage, filters in ((1, 32), (2, 64)):
        x = _conv_bn(x, filters, 3, f"conv{stage}_1")
        x = _conv_bn(x, filters, 3, f"conv{stage}_2")
        x = _conv_bn(x, filters, 5, f"conv{stage}_3", strides=2, padding="same")
        x = keras.layers.Dropout(dropout, name=f"stage{stage}_dropout")(x)
    x = _conv_bn(x, 128, 4, "conv3")
    x = keras.layers.Flatten(name="flatten")(x)
    if include_top:
        x = keras.layers.Dropout(dropout, name="top_dropout")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    return finish(inputs, x, name=name, weights=weights)
