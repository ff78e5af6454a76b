"""LeNet-5, as in the lecture's table and as published in 1998.

Reference: LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to document
recognition", Proceedings of the IEEE 86(11), 1998.

Preprocessing: 32x32 single-channel images; MNIST's 28x28 digits padded by 2 pixels.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, check_pooling, finish, global_pool
from toolkit.registry import register

_LENET = dict(
    family="lenet",
    year=1998,
    authors="LeCun, Bottou, Bengio, Haffner",
    paper="Gradient-based learning applied to document recognition",
    tasks=("digits", "folder"),
    input_shape=(32, 32, 1),
    min_input_size=32,
    errors={"mnist_test_error": 0.0095, "mnist_test_error_distortions": 0.008},
)


@register(published_params=61_706, published_macs=0.42e6, params_basis="the lecture's table, computed",
          paper_params=60_000, lecture_params=60_000, **_LENET)  # fmt: skip
def lenet5(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=10,
    classifier_activation="softmax",
    activation="tanh",
    pool_activation=None,
    name="lenet5",
):
    """LeNet-5 as in the lecture's table (32x32 input, tanh, softmax output): 61,706 parameters.

    C1 6@5x5, S2 2x2 average pooling, C3 16@5x5 (fully connected to S2), S4, C5 120@5x5
    (a convolution, so larger inputs give a feature map), F6 84, output `num_classes` softmax;
    tanh after each convolution and F6. `pool_activation="tanh"` squashes S2 and S4 too, as
    the lecture's table does (and the paper, with its scaled tanh); the shipped weights were
    trained without it.

    Departs from the paper: C3 sees all six S2 maps (no connection table), pooling has no
    trainable coefficients, the output is softmax rather than RBF (see `lenet5_1998`).
    """
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (32, 32, 1), name=name, min_size=32)
    inputs = keras.Input(shape, name="inputs")
    x = keras.layers.Conv2D(6, 5, activation=activation, name="c1")(inputs)
    x = keras.layers.AveragePooling2D(2, name="s2")(x)
    if pool_activation:
        x = keras.layers.Activation(pool_activation, name="s2_activation")(x)
    x = keras.layers.Conv2D(16, 5, activation=activation, name="c3")(x)
    x = keras.layers.AveragePooling2D(2, name="s4")(x)
    if pool_activation:
        x = keras.layers.Activation(pool_activation, name="s4_activation")(x)
    x = keras.layers.Conv2D(120, 5, activation=activation, name="c5")(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(84, activation=activation, name="f6")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights)


@register(published_params=60_840, params_basis="LeCun et al. 1998 (0.34 M connections)", paper_params=60_000,
          **_LENET)  # fmt: skip
def lenet5_1998(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=10,
    classifier_activation="softmax",
    name="lenet5_1998",
):
    """LeNet-5 as published in 1998 (trainable subsampling, sparse C3, RBF output): 60,840 parameters.

    C1 156, S2 12 (trainable subsampling), C3 1,516 (Table I's sparse connections), S4 32,
    C5 48,120, F6 10,164, RBF output 840; squashing f(a) = 1.7159 tanh(2a/3).

    Departs from the paper: the RBF centres are trainable from random +/-1 codes rather than
    fixed bitmaps; `classifier_activation` is applied to the negated RBF penalties, so softmax
    plus cross-entropy stands in for the paper's MAP criterion (the same log-sum-exp form,
    without its constant j term).
    """
    from toolkit.layers import RBFOutput, ScaledTanh, SparseConv2D, Subsampling

    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (32, 32, 1), name=name, min_size=32)
    inputs = keras.Input(shape, name="inputs")
    x = keras.layers.Conv2D(6, 5, name="c1")(inputs)
    x = ScaledTanh(name="c1_squash")(x)
    x = Subsampling(name="s2")(x)
    x = ScaledTanh(name="s2_squash")(x)
    x = SparseConv2D(5, name="c3")(x)
    x = ScaledTanh(name="c3_squash")(x)
    x = Subsampling(name="s4")(x)
    x = ScaledTanh(name="s4_squash")(x)
    x = keras.layers.Conv2D(120, 5, name="c5")(x)
    x = ScaledTanh(name="c5_squash")(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(84, name="f6")(x)
        x = ScaledTanh(name="f6_squash")(x)
        x = RBFOutput(num_classes, name="rbf")(x)
        x = keras.layers.Rescaling(-1.0, name="negate")(x)
        x = keras.layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights)
