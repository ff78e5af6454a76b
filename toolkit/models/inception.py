"""Inception v3, for the canonical keras.applications ImageNet weights.

Reference: Szegedy, Vanhoucke, Ioffe, Shlens & Wojna, "Rethinking the Inception architecture
for computer vision", CVPR 2016.

The network is keras.applications.InceptionV3 itself (built with `weights=None`), so its layer
names and weight files are Keras's. Preprocessing: "tf" mode (scaled to [-1, 1]), 299x299.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, check_pooling, load_weights
from toolkit.registry import register


@register(
    family="googlenet",
    year=2015,
    authors="Szegedy, Vanhoucke, Ioffe, Shlens, Wojna",
    paper="Rethinking the Inception architecture for computer vision",
    tasks=("imagenet", "folder"),
    input_shape=(299, 299, 3),
    preprocessing="tf",
    min_input_size=75,
    published_params=23_851_784,
    published_macs=5.71e9,
    params_basis="keras.applications",
    errors={"single_top1_error": 0.221, "single_top5_error": 0.063},
)
def inception_v3(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling=None,
    num_classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
):
    """Inception v3 as in keras.applications: 23,851,784 parameters at 299x299."""
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (299, 299, 3), name=name, min_size=75)
    model = keras.applications.InceptionV3(
        include_top=include_top,
        weights=None,
        input_shape=shape,
        pooling=pooling,
        classes=num_classes,
        classifier_activation=classifier_activation,
        name=name,
    )
    load_weights(model, weights)
    return model
