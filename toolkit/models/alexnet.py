"""AlexNet (2012) and ZFNet (2013), the first two ILSVRC-winning convolutional networks.

References:
    Krizhevsky, Sutskever & Hinton, "ImageNet classification with deep convolutional neural
    networks", NeurIPS 2012.
    Zeiler & Fergus, "Visualizing and understanding convolutional networks", ECCV 2014.

Preprocessing: RGB images, 227x227 (AlexNet) or 224x224 (ZFNet), mean-subtracted.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, check_pooling, finish, global_pool
from toolkit.registry import register


def _conv(x, filters, kernel, name, strides=1, padding="same", groups=1):
    return keras.layers.Conv2D(
        filters, kernel, strides=strides, padding=padding, groups=groups, activation="relu", name=name
    )(x)


def _lrn(x, lrn, name):
    if not lrn:
        return x
    from toolkit.layers import LocalResponseNormalization

    return LocalResponseNormalization(name=name)(x)


def _classifier(x, *, include_top, pooling, num_classes, classifier_activation, dropout, units=4096):
    if not include_top:
        return global_pool(x, pooling)
    x = keras.layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
        x = keras.layers.Dense(units, activation="relu", name=f"fc{i}")(x)
    return keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)


@register(
    family="alexnet",
    year=2012,
    authors="Krizhevsky, Sutskever, Hinton",
    paper="ImageNet classification with deep convolutional neural networks",
    tasks=("imagenet", "folder"),
    input_shape=(227, 227, 3),
    min_input_size=67,
    published_params=62_378_344,
    published_macs=1.14e9,
    params_basis="the lecture's table, computed",
    paper_params=60_000_000,  # the paper's abstract: "60 million parameters"
    lecture_params=60_000_000,
    errors={"ilsvrc_place": 1, "ilsvrc_top5_error": 0.153},
)
def alexnet(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=1000,
    classifier_activation="softmax",
    groups=1,
    lrn=False,
    dropout=0.5,
    name="alexnet",
):
    """AlexNet as in the lecture's table: 62,378,344 parameters at 227x227x3.

    conv1 96@11x11/4, max-pool 3/2, conv2 256@5x5, max-pool, conv3 384@3x3, conv4 384@3x3,
    conv5 256@3x3, max-pool, fc 4096, 4096, `num_classes`.

    Args:
        groups: 1 (the lecture's single-tower network) or 2 (the paper's two-GPU split of
            conv2, conv4 and conv5: 60,965,224 parameters).
        lrn: local response normalisation after conv1 and conv2, as in the paper.
        dropout: dropout before fc1 and fc2 (0.5 in the paper).

    Departs from the paper: one tower by default; 227 rather than the paper's stated 224 (227
    is what makes conv1's 55x55 output exact).
    """
    if groups not in (1, 2):
        raise ValueError(f"alexnet: groups must be 1 or 2. Received: groups={groups!r}")
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (227, 227, 3), name=name, min_size=67)
    inputs = keras.Input(shape, name="inputs")
    x = _conv(inputs, 96, 11, "conv1", strides=4, padding="valid")
    x = _lrn(x, lrn, "conv1_lrn")
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = _conv(x, 256, 5, "conv2", groups=groups)
    x = _lrn(x, lrn, "conv2_lrn")
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = _conv(x, 384, 3, "conv3")
    x = _conv(x, 384, 3, "conv4", groups=groups)
    x = _conv(x, 256, 3, "conv5", groups=groups)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    x = _classifier(
        x,
        include_top=include_top,
        pooling=pooling,
        num_classes=num_classes,
        classifier_activation=classifier_activation,
        dropout=dropout,
    )
    return finish(inputs, x, name=name, weights=weights)


@register(
    family="zfnet",
    year=2013,
    authors="Zeiler, Fergus",
    paper="Visualizing and understanding convolutional networks",
    tasks=("imagenet", "folder"),
    input_shape=(224, 224, 3),
    min_input_size=53,
    published_params=62_357_608,
    published_macs=1.17e9,
    params_basis="computed; maps 110-55-26-13-6 as in the paper",
    errors={"ilsvrc_place": 1, "ilsvrc_top5_error": 0.148},
)
def zfnet(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=1000,
    classifier_activation="softmax",
    lrn=False,
    dropout=0.5,
    name="zfnet",
):
    """ZFNet: AlexNet with a 7x7/2 first layer and a strided conv2: 62,357,608 parameters.

    conv1 96@7x7/2 (110x110), max-pool 3/2 (55), conv2 256@5x5/2 (26), max-pool (13),
    conv3 384, conv4 384, conv5 256 (3x3), max-pool (6), fc 4096, 4096, `num_classes`.

    Departs from the paper: its contrast normalisation across maps is approximated by
    optional local response normalisation (`lrn=True`); one pixel of zero padding before conv1
    and "same" padding in the first two pools reproduce the paper's map sizes.
    """
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (224, 224, 3), name=name, min_size=53)
    inputs = keras.Input(shape, name="inputs")
    x = keras.layers.ZeroPadding2D(1, name="conv1_pad")(inputs)
    x = _conv(x, 96, 7, "conv1", strides=2, padding="valid")
    x = _lrn(x, lrn, "conv1_lrn")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    x = _conv(x, 256, 5, "conv2", strides=2, padding="valid")
    x = _lrn(x, lrn, "conv2_lrn")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
    x = _conv(x, 384, 3, "conv3")
    x = _conv(x, 384, 3, "conv4")
    x = _conv(x, 256, 3, "conv5")
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    x = _classifier(
        x,
        include_top=include_top,
        pooling=pooling,
        num_classes=num_classes,
        classifier_activation=classifier_activation,
        dropout=dropout,
    )
    return finish(inputs, x, name=name, weights=weights)


@register(
    family="alexnet",
    year=2012,
    authors="Krizhevsky, Sutskever, Hinton",
    paper="ImageNet classification with deep convolutional neural networks",
    tasks=("folder",),
    input_shape=(32, 32, 3),
    min_input_size=8,
    params_basis="computed",
    variant="small-input (32x32): 5x5/1 first layer, one GPU tower's widths (48-128-192-192-128), fc 512",
)
def alexnet_cifar(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=10,
    classifier_activation="softmax",
    lrn=False,
    dropout=0.5,
    name="alexnet_cifar",
):
    """AlexNet's layout for 32x32 images (CIFAR-10): 2,248,906 parameters.

    conv1 48@5x5/1, max-pool 3/2 (16x16), conv2 128@5x5, max-pool (8x8), conv3 192, conv4 192,
    conv5 128 (3x3), max-pool (4x4), fc 512, 512, `num_classes`.

    Departs from the paper: a 5x5 stride-1 first layer instead of 11x11 stride 4 (the images are
    7 times smaller), the widths of one of the paper's two GPU towers, and fully connected layers
    of 512 instead of 4096 so the weights stay small.
    """
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (32, 32, 3), name=name, min_size=8)
    inputs = keras.Input(shape, name="inputs")
    x = _conv(inputs, 48, 5, "conv1")
    x = _lrn(x, lrn, "conv1_lrn")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    x = _conv(x, 128, 5, "conv2")
    x = _lrn(x, lrn, "conv2_lrn")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
    x = _conv(x, 192, 3, "conv3")
    x = _conv(x, 192, 3, "conv4")
    x = _conv(x, 128, 3, "conv5")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool5")(x)
    x = _classifier(
        x,
        include_top=include_top,
        pooling=pooling,
        num_classes=num_classes,
        classifier_activation=classifier_activation,
        dropout=dropout,
        units=512,
    )
    return finish(inputs, x, name=name, weights=weights)


@register(
    family="alexnet",
    year=2014,
    authors="Krizhevsky",
    paper="One weird trick for parallelizing convolutional neural networks",
    tasks=("imagenet", "folder"),
    input_shape=(224, 224, 3),
    min_input_size=63,
    published_params=61_100_840,
    published_macs=0.71e9,
    params_basis="torchvision weights metadata",
    errors={"single_top1_error": 0.4348, "single_top5_error": 0.2093},
    variant="torchvision's layout (the 2014 'one weird trick' AlexNet: 64-192-384-256-256 maps), for its weights",
)
def alexnet_torchvision(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=1000,
    classifier_activation="softmax",
    dropout=0.5,
    name="alexnet_torchvision",
):
    """AlexNet as torchvision builds it, so `toolkit convert` can load torchvision's ImageNet weights.

    conv1 64@11x11/4 (padding 2), max-pool 3/2, conv2 192@5x5, max-pool, conv3 384@3x3,
    conv4 256@3x3, conv5 256@3x3, max-pool (6x6 at 224x224), fc 4096, 4096, `num_classes`:
    61,100,840 parameters. Preprocessing: "torch" mode (ImageNet mean and std), 224x224.

    Departs from the 2012 paper: the widths of Krizhevsky's 2014 single-GPU version, no LRN, no
    groups. torchvision's adaptive average pooling to 6x6 is the identity at 224x224, the only
    size its classifier weights fit.
    """
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (224, 224, 3), name=name, min_size=63)
    inputs = keras.Input(shape, name="inputs")
    x = keras.layers.ZeroPadding2D(2, name="conv1_pad")(inputs)
    x = _conv(x, 64, 11, "conv1", strides=4, padding="valid")
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = _conv(x, 192, 5, "conv2")
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = _conv(x, 384, 3, "conv3")
    x = _conv(x, 256, 3, "conv4")
    x = _conv(x, 256, 3, "conv5")
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    x = _classifier(
        x,
        include_top=include_top,
        pooling=pooling,
        num_classes=num_classes,
        classifier_activation=classifier_activation,
        dropout=dropout,
    )
    return finish(inputs, x, name=name, weights=weights)
