"""VGG: very deep networks of 3x3 convolutions (configurations A, B, D and E).

Reference: Simonyan & Zisserman, "Very deep convolutional networks for large-scale image
recognition", ICLR 2015.

Layer names and weight order are those of keras.applications (`block1_conv1` ... `fc1`,
`fc2`, `predictions`), so its VGG16/VGG19 weight files load unchanged.
Preprocessing: "caffe" mode (BGR, ImageNet mean subtracted), 224x224.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, check_pooling, finish, global_pool
from toolkit.registry import register

# convolutions per block (64, 128, 256, 512, 512 filters) for each configuration of Table 1
CONFIGS = {"vgg11": (1, 1, 2, 2, 2), "vgg13": (2, 2, 2, 2, 2), "vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
FILTERS = (64, 128, 256, 512, 512)

_VGG = dict(
    family="vgg",
    preprocessing="caffe",
    year=2014,
    authors="Simonyan, Zisserman",
    paper="Very deep convolutional networks for large-scale image recognition",
    tasks=("imagenet", "folder"),
    input_shape=(224, 224, 3),
    min_input_size=32,
)


def vgg(
    convs_per_block,
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=1000,
    classifier_activation="softmax",
    name="vgg",
):
    """A VGG network with `convs_per_block[i]` 3x3 convolutions in block i+1."""
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (224, 224, 3), name=name, min_size=32)
    inputs = keras.Input(shape, name="inputs")
    x = inputs
    for block, (convs, filters) in enumerate(zip(convs_per_block, FILTERS), start=1):
        for i in range(1, convs + 1):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{block}_conv{i}")(x)
        x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(4096, activation="relu", name="fc1")(x)
        x = keras.layers.Dense(4096, activation="relu", name="fc2")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights)


@register(published_params=132_863_336, params_basis="torchvision", paper_params=133_000_000, **_VGG)
def vgg11(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
          classifier_activation="softmax", name="vgg11"):  # fmt: skip
    """VGG-11 (configuration A of Table 1): 1 + 1 + 2 + 2 + 2 3x3 convolutions, three fully connected layers.

    Departs from the paper: no dropout layers in the classifier (as in keras.applications); add
    them for training from scratch.
    """
    return vgg(CONFIGS["vgg11"], **locals())  # the keyword arguments, as given


@register(published_params=133_047_848, params_basis="torchvision", paper_params=133_000_000, **_VGG)
def vgg13(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
          classifier_activation="softmax", name="vgg13"):  # fmt: skip
    """VGG-13 (configuration B of Table 1): 2 + 2 + 2 + 2 + 2 3x3 convolutions, three fully connected layers.

    Departs from the paper: no dropout layers in the classifier (as in keras.applications); add
    them for training from scratch.
    """
    return vgg(CONFIGS["vgg13"], **locals())


@register(published_params=138_357_544, published_macs=15.47e9, params_basis="keras.applications, torchvision",
          paper_params=138_000_000, errors={"ilsvrc_place": 2, "ilsvrc_top5_error": 0.073, "single_top1_error": 0.287, "single_top5_error": 0.099},
          **_VGG)  # fmt: skip
def vgg16(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
          classifier_activation="softmax", name="vgg16"):  # fmt: skip
    """VGG-16 (configuration D of Table 1): 2 + 2 + 3 + 3 + 3 3x3 convolutions, three fully connected layers.

    Departs from the paper: no dropout layers in the classifier (as in keras.applications); add
    them for training from scratch.
    """
    return vgg(CONFIGS["vgg16"], **locals())


@register(published_params=143_667_240, published_macs=19.63e9, params_basis="keras.applications, torchvision",
          paper_params=144_000_000,
          errors={"ilsvrc_place": 2, "ilsvrc_top5_error": 0.073, "single_top1_error": 0.287, "single_top5_error": 0.100},
          **_VGG)  # fmt: skip
def vgg19(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=1000,
          classifier_activation="softmax", name="vgg19"):  # fmt: skip
    """VGG-19 (configuration E of Table 1): 2 + 2 + 4 + 4 + 4 3x3 convolutions, three fully connected layers.

    Departs from the paper: no dropout layers in the classifier (as in keras.applications); add
    them for training from scratch.
    """
    return vgg(CONFIGS["vgg19"], **locals())


def vgg_cifar(convs_per_block, *, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=10,
              classifier_activation="softmax", name="vgg_cifar"):  # fmt: skip
    """A VGG configuration for 32x32 images: half the widths, batch norm, one classifier layer."""
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (32, 32, 3), name=name, min_size=32)
    inputs = keras.Input(shape, name="inputs")
    x = inputs
    for block, (convs, filters) in enumerate(zip(convs_per_block, FILTERS), start=1):
        for i in range(1, convs + 1):
            x = keras.layers.Conv2D(filters // 2, 3, padding="same", use_bias=False, name=f"block{block}_conv{i}")(x)
            x = keras.layers.BatchNormalization(name=f"block{block}_bn{i}")(x)
            x = keras.layers.Activation("relu", name=f"block{block}_relu{i}")(x)
        x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights)


_VGG_CIFAR = dict(_VGG, tasks=("folder",), input_shape=(32, 32, 3), params_basis="computed",
                  variant="small-input (32x32): half widths, batch norm, one classifier layer")


@register(**_VGG_CIFAR)
def vgg11_cifar(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=10,
                classifier_activation="softmax", name="vgg11_cifar"):  # fmt: skip
    """VGG11 for 32x32 images (CIFAR-10): the same 8 3x3 convolutions and five pools, down to 1x1.

    Departs from the paper: half the widths (32 to 256 maps), batch normalisation after each
    convolution (2015, a year after VGG) and one classifier layer instead of three.
    """
    return vgg_cifar(CONFIGS["vgg11"], **locals())


@register(**_VGG_CIFAR)
def vgg16_cifar(*, include_top=True, weights=None, input_shape=None, pooling=None, num_classes=10,
                classifier_activation="softmax", name="vgg16_cifar"):  # fmt: skip
    """VGG16 for 32x32 images (CIFAR-10): the same 13 3x3 convolutions and five pools, down to 1x1.

    Departs from the paper: half the widths (32 to 256 maps), batch normalisation after each
    convolution (2015, a year after VGG) and one classifier layer instead of three.
    """
    return vgg_cifar(CONFIGS["vgg16"], **locals())
