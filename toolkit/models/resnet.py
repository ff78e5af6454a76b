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
    preprocessing="caffe",
    year=2015,
    authors="He, Zhang, Ren, Sun",
    paper="Deep residual learning for image recognition",
    tasks=("imagenet", "folder"),
    input_shape=(224, 224, 3),
    min_input_size=32,
)
_CHALLENGE = {"ilsvrc_place": 1, "ilsvrc_top5_error": 0.0357}


@register(params_basis="computed", **_RESNET)
def resnet18(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
             classifier_activation="softmax", name="resnet18"):  # fmt: skip
    """ResNet-18: basic blocks 2-2-2-2.

    Departs from the paper: projection shortcuts (option B) where the shape changes, and biases in
    the convolutions as in keras.applications.
    """
    return resnet((2, 2, 2, 2), basic_block, residual=True, **locals())  # the keyword arguments, as given


@register(params_basis="computed", **_RESNET)
def resnet34(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
             classifier_activation="softmax", name="resnet34"):  # fmt: skip
    """ResNet-34: basic blocks 3-4-6-3.

    Departs from the paper: projection shortcuts (option B) where the shape changes, and biases in
    the convolutions as in keras.applications.
    """
    return resnet((3, 4, 6, 3), basic_block, residual=True, **locals())


@register(published_params=25_636_712, published_macs=3.86e9, params_basis="keras.applications",
          errors={**_CHALLENGE, "single_top1_error": 0.251, "single_top5_error": 0.079}, **_RESNET)  # fmt: skip
def resnet50(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
             classifier_activation="softmax", name="resnet50"):  # fmt: skip
    """ResNet-50: bottleneck blocks 3-4-6-3, as keras.applications.ResNet50."""
    return resnet((3, 4, 6, 3), bottleneck_block, residual=True, **locals())


@register(published_params=44_707_176, published_macs=7.57e9, params_basis="keras.applications",
          errors=dict(_CHALLENGE), **_RESNET)  # fmt: skip
def resnet101(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
              classifier_activation="softmax", name="resnet101"):  # fmt: skip
    """ResNet-101: bottleneck blocks 3-4-23-3, as keras.applications.ResNet101."""
    return resnet((3, 4, 23, 3), bottleneck_block, residual=True, **locals())


@register(published_params=60_419_944, published_macs=11.28e9, params_basis="keras.applications",
          errors=dict(_CHALLENGE), **_RESNET)  # fmt: skip
def resnet152(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
              classifier_activation="softmax", name="resnet152"):  # fmt: skip
    """ResNet-152: bottleneck blocks 3-8-36-3, as keras.applications.ResNet152 (the 2015 winner's depth)."""
    return resnet((3, 8, 36, 3), bottleneck_block, residual=True, **locals())


@register(params_basis="computed", **_RESNET)
def plain18(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
            classifier_activation="softmax", name="plain18"):  # fmt: skip
    """Plain-18: ResNet-18 without its shortcuts (the paper's plain baseline, Table 2)."""
    return resnet((2, 2, 2, 2), basic_block, residual=False, **locals())


@register(params_basis="computed", **_RESNET)
def plain34(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
            classifier_activation="softmax", name="plain34"):  # fmt: skip
    """Plain-34: ResNet-34 without its shortcuts; the paper shows it trains worse than Plain-18."""
    return resnet((3, 4, 6, 3), basic_block, residual=False, **locals())


def cifar_resnet(
    blocks,
    *,
    residual=True,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=10,
    classifier_activation="softmax",
    name="resnet_cifar",
):
    """The CIFAR-10 ResNet of the paper's section 4.2: 6n+2 layers on 32x32 images.

    A 3x3 convolution of 16 maps, three stages of `blocks` basic blocks with 16, 32 and 64 maps
    (32x32, 16x16, 8x8), global average pooling and the classifier. Shortcuts are identities,
    with zero-padded channels where the width doubles (option A: no extra parameters); with
    `residual=False` the same stack without shortcuts (the paper's plain net).
    """
    from toolkit.layers import ZeroPadShortcut

    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (32, 32, 3), name=name, min_size=8)

    def conv(x, filters, stride, conv_name):
        return keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                                   kernel_initializer="he_normal", name=conv_name)(x)  # fmt: skip

    def bn(x, bn_name):
        return keras.layers.BatchNormalization(axis=3, name=bn_name)(x)

    inputs = keras.Input(shape, name="inputs")
    x = keras.layers.Activation("relu", name="conv1_relu")(bn(conv(inputs, 16, 1, "conv1_conv"), "conv1_bn"))
    for stage, filters in enumerate((16, 32, 64), start=2):
        for block in range(1, blocks + 1):
            block_name = f"conv{stage}_block{block}"
            stride = 2 if stage > 2 and block == 1 else 1
            skip = ZeroPadShortcut(filters, stride, name=f"{block_name}_0_pad")(x) if stride > 1 else x
            y = bn(conv(x, filters, stride, f"{block_name}_1_conv"), f"{block_name}_1_bn")
            y = keras.layers.Activation("relu", name=f"{block_name}_1_relu")(y)
            y = bn(conv(y, filters, 1, f"{block_name}_2_conv"), f"{block_name}_2_bn")
            if residual:
                y = keras.layers.Add(name=f"{block_name}_add")([skip, y])
            x = keras.layers.Activation("relu", name=f"{block_name}_out")(y)
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights)


_CIFAR = dict(
    _RESNET,
    tasks=("folder",),
    input_shape=(32, 32, 3),
    min_input_size=8,
    variant="the paper's CIFAR-10 network (section 4.2), not an ImageNet one: 16-32-64 maps, option A shortcuts",
)


# The paper's CIFAR-10 schedule: 64,000 iterations of 128 images, about 164 passes over the 50,000 training images.
_PAPER_CIFAR10_EPOCHS = {"cifar10": round(64_000 * 128 / 50_000)}


@register(params_basis="computed; the paper's Table 6 rounds it to 0.27 M", errors={"cifar10_test_error": 0.0875},
          published_epochs=_PAPER_CIFAR10_EPOCHS, **_CIFAR)  # fmt: skip
def resnet20(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=10,
             classifier_activation="softmax", name="resnet20"):  # fmt: skip
    """ResNet-20 for CIFAR-10 (n=3): 0.27 M parameters, 8.75 % test error in the paper."""
    return cifar_resnet(3, residual=True, **locals())


@register(params_basis="computed; the paper's Table 6 rounds it to 0.85 M", errors={"cifar10_test_error": 0.0697},
          published_epochs=_PAPER_CIFAR10_EPOCHS, **_CIFAR)  # fmt: skip
def resnet56(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=10,
             classifier_activation="softmax", name="resnet56"):  # fmt: skip
    """ResNet-56 for CIFAR-10 (n=9): 0.85 M parameters, 6.97 % test error in the paper."""
    return cifar_resnet(9, residual=True, **locals())


@register(params_basis="computed", **_CIFAR)
def plain20(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=10,
            classifier_activation="softmax", name="plain20"):  # fmt: skip
    """Plain-20: ResNet-20 without its shortcuts (the paper's Figure 6, left)."""
    return cifar_resnet(3, residual=False, **locals())


@register(params_basis="computed", **_CIFAR)
def plain56(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=10,
            classifier_activation="softmax", name="plain56"):  # fmt: skip
    """Plain-56: ResNet-56 without its shortcuts; in the paper it trains worse than Plain-20."""
    return cifar_resnet(9, residual=False, **locals())
