"""GoogLeNet (Inception v1), the ILSVRC 2014 winner.

Reference: Szegedy et al., "Going deeper with convolutions", CVPR 2015.

Layer names follow the paper's Caffe model (`inception_3a_1x1`, `inception_3a_3x3_reduce`,
...). Preprocessing: RGB 224x224, mean-subtracted.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, check_pooling, finish, global_pool
from toolkit.registry import register

# Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


def _conv(x, filters, kernel, name, strides=1, batch_norm=False):
    if batch_norm:
        return _basic_conv(x, filters, kernel, name, strides=strides)
    return keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", activation="relu", name=name)(x)


def inception_module(x, filters, name, module="reduced", batch_norm=False):
    """One inception module: 1x1, 3x3, 5x5 convolutions and 3x3 max-pooling side by side.

    `module="reduced"` is the paper's Figure 2(b): 1x1 convolutions reduce the channels before
    the 3x3 and 5x5 convolutions and project the pooled branch. `module="naive"` is Figure 2(a):
    the same branches without reductions, whose output only grows. `batch_norm` puts batch
    normalisation between each convolution and its ReLU.
    """
    n1, r3, n3, r5, n5, proj = filters
    if module == "naive":
        branches = [
            _conv(x, n1, 1, f"{name}_1x1"),
            _conv(x, n3, 3, f"{name}_3x3"),
            _conv(x, n5, 5, f"{name}_5x5"),
            keras.layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x),
        ]
    else:
        pool = keras.layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
        bn = {"batch_norm": batch_norm}
        branches = [
            _conv(x, n1, 1, f"{name}_1x1", **bn),
            _conv(_conv(x, r3, 1, f"{name}_3x3_reduce", **bn), n3, 3, f"{name}_3x3", **bn),
            _conv(_conv(x, r5, 1, f"{name}_5x5_reduce", **bn), n5, 5, f"{name}_5x5", **bn),
            _conv(pool, proj, 1, f"{name}_pool_proj", **bn),
        ]
    return keras.layers.Concatenate(name=f"{name}_output")(branches)


def auxiliary_classifier(x, num_classes, classifier_activation, name):
    """The paper's auxiliary head on 4a and 4d: 5x5/3 average pool, 1x1@128, fc 1024, dropout 0.7."""
    x = keras.layers.AveragePooling2D(5, strides=3, name=f"{name}_pool")(x)
    x = _conv(x, 128, 1, f"{name}_conv")
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    x = keras.layers.Dense(1024, activation="relu", name=f"{name}_fc")(x)
    x = keras.layers.Dropout(0.7, name=f"{name}_dropout")(x)
    return keras.layers.Dense(num_classes, activation=classifier_activation, name=f"{name}_predictions")(x)


@register(
    family="googlenet",
    year=2014,
    authors="Szegedy, Liu, Jia, Sermanet, Reed, Anguelov, Erhan, Vanhoucke, Rabinovich",
    paper="Going deeper with convolutions",
    tasks=("imagenet", "folder"),
    input_shape=(224, 224, 3),
    min_input_size=32,
    published_params=6_998_552,
    published_macs=1.58e9,
    params_basis="computed without the auxiliary heads (13,378,280 with both); the paper's table sums to about 6.8 M",
    paper_params=5_000_000,  # Szegedy et al. 2016 ("Rethinking the Inception architecture"): "only 5 million"
    lecture_params=4_000_000,
    errors={"ilsvrc_place": 1, "ilsvrc_top5_error": 0.0667},
)
def googlenet(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=1000,
    classifier_activation="softmax",
    aux_logits=False,
    module="reduced",
    lrn=True,
    dropout=0.4,
    name="googlenet",
):
    """GoogLeNet: 22 layers, nine inception modules, 6,998,552 parameters.

    Args:
        aux_logits: add the two auxiliary classifiers (on 4a and 4d) as extra outputs, as in
            training: 13,378,280 parameters; the model then returns `[main, aux1, aux2]`.
        module: "reduced" (the paper's dimension-reduced module) or "naive".
        lrn: local response normalisation after the stem's pool1 and conv2, as in the paper.
        dropout: before the classifier (0.4 in the paper).

    Departs from the paper: "same" padding with floor rounding instead of Caffe's ceil mode
    (the map sizes 112-56-28-14-7 are the paper's at 224x224).
    """
    from toolkit.layers import LocalResponseNormalization

    if module not in ("reduced", "naive"):
        raise ValueError(f"googlenet: module must be 'reduced' or 'naive'. Received: module={module!r}")
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (224, 224, 3), name=name, min_size=32 if not aux_logits else 224)
    inputs = keras.Input(shape, name="inputs")
    x = _conv(inputs, 64, 7, "conv1_7x7", strides=2)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_3x3")(x)
    if lrn:
        x = LocalResponseNormalization(name="pool1_norm")(x)
    x = _conv(x, 64, 1, "conv2_3x3_reduce")
    x = _conv(x, 192, 3, "conv2_3x3")
    if lrn:
        x = LocalResponseNormalization(name="conv2_norm")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2_3x3")(x)
    aux = []
    for stage in INCEPTION:
        if stage in ("4a", "5a"):
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{stage[0]}_3x3")(x)
        x = inception_module(x, INCEPTION[stage], f"inception_{stage}", module)
        if aux_logits and include_top and stage in ("4a", "4d"):
            aux.append(auxiliary_classifier(x, num_classes, classifier_activation, f"aux{len(aux) + 1}"))
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, [x, *aux] if aux else x, name=name, weights=weights)


@register(
    family="googlenet",
    year=2014,
    authors="Szegedy, Liu, Jia, Sermanet, Reed, Anguelov, Erhan, Vanhoucke, Rabinovich",
    paper="Going deeper with convolutions",
    tasks=("folder",),
    input_shape=(32, 32, 3),
    min_input_size=8,
    params_basis="computed",
    variant="small-input (32x32): one 3x3 stem convolution, half widths, batch norm",
)
def googlenet_cifar(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=10,
    classifier_activation="softmax",
    dropout=0.4,
    name="googlenet_cifar",
):
    """GoogLeNet's nine inception modules for 32x32 images (CIFAR-10).

    A 3x3 convolution of 96 maps, inception 3a-3b at 32x32, max-pool, 4a-4e at 16x16, max-pool,
    5a-5b at 8x8, global average pooling, dropout and the classifier.

    Departs from the paper: the stem (7x7/2 convolution, two pools, LRN) becomes one 3x3
    convolution because the images are 7 times smaller; every module has half the paper's
    widths; batch normalisation follows each convolution (as in Inception v2 and torchvision's
    GoogLeNet); no auxiliary classifiers.
    """
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (32, 32, 3), name=name, min_size=8)
    inputs = keras.Input(shape, name="inputs")
    x = _conv(inputs, 96, 3, "conv1_3x3", batch_norm=True)
    for stage in INCEPTION:
        if stage in ("4a", "5a"):
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{stage[0]}_3x3")(x)
        half = tuple(f // 2 for f in INCEPTION[stage])
        x = inception_module(x, half, f"inception_{stage}", batch_norm=True)
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights)


def _basic_conv(x, filters, kernel, name, strides=1):
    """torchvision's BasicConv2d: convolution without bias, batch norm (epsilon 0.001), ReLU."""
    if kernel == 7:  # torchvision pads conv1 by 3 on every side; "same" would pad 2 and 3 at stride 2
        x = keras.layers.ZeroPadding2D(3, name=f"{name}_pad")(x)
    padding = "valid" if kernel == 7 else "same"
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=1e-3, name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


@register(
    family="googlenet",
    year=2014,
    authors="Szegedy, Liu, Jia, Sermanet, Reed, Anguelov, Erhan, Vanhoucke, Rabinovich",
    paper="Going deeper with convolutions",
    tasks=("imagenet", "folder"),
    input_shape=(224, 224, 3),
    min_input_size=32,
    published_params=6_624_904,
    published_macs=1.50e9,
    params_basis="torchvision weights metadata",
    errors={"single_top1_error": 0.3022, "single_top5_error": 0.1047},
    variant="torchvision's layout (batch norm, 3x3 in the '5x5' branch), for its weights",
    preprocessing="tf",  # [-1, 1], as torchvision's weights were trained
)
def googlenet_torchvision(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=1000,
    classifier_activation="softmax",
    dropout=0.2,
    name="googlenet_torchvision",
):
    """GoogLeNet as torchvision builds it, so `toolkit convert` can load torchvision's ImageNet weights.

    Layer names are torchvision's module paths with dots as underscores (`inception3a_branch2_1`).
    Preprocessing: "tf" mode ([-1, 1]), 224x224; torchvision's `transform_input` maps its
    mean/std-normalised input to exactly that before the first layer.

    Departs from the paper: batch normalisation after every convolution, no LRN, and a 3x3
    convolution where the paper's third branch has a 5x5 (a known quirk of the torchvision
    weights); 6,624,904 parameters. Its max-pools round up as torchvision's `ceil_mode` does
    for even map sizes (all of them at 224x224).
    """
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (224, 224, 3), name=name, min_size=32)
    inputs = keras.Input(shape, name="inputs")
    x = _basic_conv(inputs, 64, 7, "conv1", strides=2)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="maxpool1")(x)
    x = _basic_conv(x, 64, 1, "conv2")
    x = _basic_conv(x, 192, 3, "conv3")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="maxpool2")(x)
    for stage, (n1, r3, n3, r5, n5, proj) in INCEPTION.items():
        if stage == "4a":
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="maxpool3")(x)
        if stage == "5a":
            x = keras.layers.MaxPooling2D(2, strides=2, padding="same", name="maxpool4")(x)
        block = f"inception{stage}"
        pool = keras.layers.MaxPooling2D(3, strides=1, padding="same", name=f"{block}_branch4_0")(x)
        x = keras.layers.Concatenate(name=f"{block}_output")(
            [
                _basic_conv(x, n1, 1, f"{block}_branch1"),
                _basic_conv(_basic_conv(x, r3, 1, f"{block}_branch2_0"), n3, 3, f"{block}_branch2_1"),
                _basic_conv(_basic_conv(x, r5, 1, f"{block}_branch3_0"), n5, 3, f"{block}_branch3_1"),
                _basic_conv(pool, proj, 1, f"{block}_branch4_1"),
            ]
        )
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights)
