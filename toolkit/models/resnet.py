"""Residual networks and their plain twins (the paper's plain-vs-residual comparison).

Reference: He, Zhang, Ren & Sun, "Deep residual learning for image recognition", CVPR 2016.

Layer names and weight order follow keras.applications (`conv1_conv`, `conv2_block1_0_conv`,
..., `avg_pool`, `predictions`), so its ResNet50/101/152 weight files load unchanged; ResNet-18
and 34 use the same scheme for their basic blocks. Preprocessing: "caffe" mode, 224x224.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, check_pooling, finish, global_pool
from toolkit.registry import register

BN_EPSILON = 1.001e-5  # keras.applications' value; its weight files were made with it


def _bn(x, name):
    return keras.layers.BatchNormalization(axis=3, epsilon=BN_EPSILON, name=name)(x)


def basic_block(x, filters, stride=1, shortcut="identity", name=None):
    """Two 3x3 convolutions (ResNet-18/34). `shortcut` is "identity", "projection" or None (plain)."""
    if shortcut == "projection":
        skip = keras.layers.Conv2D(filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        skip = _bn(skip, f"{name}_0_bn")
    else:
        skip = x
    x = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", name=f"{name}_1_conv")(x)
    x = _bn(x, f"{name}_1_bn")
    x = keras.layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = _bn(x, f"{name}_2_bn")
    if shortcut is not None:
        x = keras.layers.Add(name=f"{name}_add")([skip, x])
    return keras.layers.Activation("relu", name=f"{name}_out")(x)


def bottleneck_block(x, filters, stride=1, shortcut="identity", name=None):
    """1x1, 3x3, 1x1 convolutions with 4x expansion (ResNet-50/101/152), as keras.applications' block1."""
    if shortcut == "projection":
        skip = keras.layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        skip = _bn(skip, f"{name}_0_bn")
    else:
        skip = x
    x = keras.layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _bn(x, f"{name}_1_bn")
    x = keras.layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = _bn(x, f"{name}_2_bn")
    x = keras.layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = keras.layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _bn(x, f"{name}_3_bn")
    if shortcut is not None:
        x = keras.layers.Add(name=f"{name}_add")([skip, x])
    return keras.layers.Activation("relu", name=f"{name}_out")(x)


def stack(x, block, filters, blocks, stride, residual, name):
    """`blocks` blocks; the first changes resolution/width with a projection shortcut if needed."""
    expansion = 4 if block is bottleneck_block else 1
    changes = stride != 1 or x.shape[-1] != filters * expansion
    first = ("projection" if changes else "identity") if residual else None
    x = block(x, filters, stride=stride, shortcut=first, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = block(x, filters, shortcut="identity" if residual else None, name=f"{name}_block{i}")
    return x


def resnet(
    depths,
    block,
    *,
    residual=True,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=1000,
    classifier_activation="softmax",
    name="resnet",
):
    """A ResNet (or, with `residual=False`, its plain twin) with `depths` blocks per stage."""
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (224, 224, 3), name=name, min_size=32)
    inputs = keras.Input(shape, name="inputs")
    x = keras.layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = keras.layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = _bn(x, "conv1_bn")
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (blocks, filters) in enumerate(zip(depths, (64, 128, 256, 512)), start=2):
        x = stack(x, block, filters, blocks, 1 if stage == 2 else 2, residual, f"conv{stage}")
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights)


_RESNET = dict(
    family="resnet",
    year=2015,
    authors="He, Zhang, Ren, Sun",
    paper="Deep residual learning for image recognition",
    tasks=("imagenet", "folder"),
    input_shape=(224, 224, 3),
    min_input_size=32,
)
_CHALLENGE = {"ilsvrc_place": 1, "ilsvrc_top5_error": 0.0357}


def _variant(key, depths, block, residual, doc, **facts):
    def builder(
        *,
        include_top=True,
        weights=None,
        input_shape=None,
        pooling=None,
        num_classes=1000,
        classifier_activation="softmax",
        name=key,
    ):
        return resnet(
            depths,
            block,
            residual=residual,
            include_top=include_top,
            weights=weights,
            input_shape=input_shape,
            pooling=pooling,
            num_classes=num_classes,
            classifier_activation=classifier_activation,
            name=name,
        )

    builder.__name__ = key
    builder.__doc__ = doc
    return register(**_RESNET, **facts)(builder)


_BASIC_NOTE = (
    " Departs from the paper: projection shortcuts (option B) where the shape changes, and"
    " biases in the convolutions as in keras.applications."
)
resnet18 = _variant(
    "resnet18",
    (2, 2, 2, 2),
    basic_block,
    True,
    "ResNet-18: basic blocks 2-2-2-2." + _BASIC_NOTE,
    params_basis="computed",
)
resnet34 = _variant(
    "resnet34",
    (3, 4, 6, 3),
    basic_block,
    True,
    "ResNet-34: basic blocks 3-4-6-3." + _BASIC_NOTE,
    params_basis="computed",
)
resnet50 = _variant(
    "resnet50",
    (3, 4, 6, 3),
    bottleneck_block,
    True,
    "ResNet-50: bottleneck blocks 3-4-6-3, as keras.applications.ResNet50.",
    published_params=25_636_712,
    published_macs=3.86e9,
    params_basis="keras.applications",
    errors={**_CHALLENGE, "single_top1_error": 0.251, "single_top5_error": 0.079},
)
resnet101 = _variant(
    "resnet101",
    (3, 4, 23, 3),
    bottleneck_block,
    True,
    "ResNet-101: bottleneck blocks 3-4-23-3, as keras.applications.ResNet101.",
    published_params=44_707_176,
    published_macs=7.57e9,
    params_basis="keras.applications",
    errors=dict(_CHALLENGE),
)
resnet152 = _variant(
    "resnet152",
    (3, 8, 36, 3),
    bottleneck_block,
    True,
    "ResNet-152: bottleneck blocks 3-8-36-3, as keras.applications.ResNet152 (the 2015 winner's depth).",
    published_params=60_419_944,
    published_macs=11.28e9,
    params_basis="keras.applications",
    errors=dict(_CHALLENGE),
)
plain18 = _variant(
    "plain18",
    (2, 2, 2, 2),
    basic_block,
    False,
    "Plain-18: ResNet-18 without its shortcuts (the paper's plain baseline, Table 2).",
    params_basis="computed",
)
plain34 = _variant(
    "plain34",
    (3, 4, 6, 3),
    basic_block,
    False,
    "Plain-34: ResNet-34 without its shortcuts; the paper shows it trains worse than Plain-18.",
    params_basis="computed",
)
