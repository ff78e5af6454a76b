"""U-Net, the encoder-decoder with skip connections for biomedical segmentation.

Reference: Ronneberger, Fischer & Brox, "U-Net: convolutional networks for biomedical image
segmentation", MICCAI 2015.

Preprocessing: single-channel images scaled to [0, 1].
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, finish
from toolkit.registry import register


def up_convolution(x, filters, name, strides=2):
    """The paper's 2x2 "up-convolution": a transposed convolution that doubles the map size.

    Each input pixel adds its value times the kernel into the output at its (strided)
    position, which is the lecture's worked example with `strides=1`.
    """
    return keras.layers.Conv2DTranspose(filters, 2, strides=strides, name=name)(x)


def _double_conv(x, filters, padding, name):
    for i in (1, 2):
        x = keras.layers.Conv2D(filters, 3, padding=padding, activation="relu", name=f"{name}_conv{i}")(x)
    return x


def valid_input_size(size, depth):
    """Whether a side of `size` pixels goes through a valid-padding U-Net of `depth` poolings."""
    for _ in range(depth):
        size -= 4
        if size <= 0 or size % 2:
            return False
        size //= 2
    return size - 4 > 0


def output_size(size, depth, padding="valid"):
    """The side of the segmentation map for an input side of `size` (572 -> 388 for the paper)."""
    if padding == "same":
        return size
    for _ in range(depth):
        size = (size - 4) // 2
    size -= 4
    for _ in range(depth):
        size = size * 2 - 4
    return size


@register(
    family="unet",
    year=2015,
    authors="Ronneberger, Fischer, Brox",
    paper="U-Net: convolutional networks for biomedical image segmentation",
    tasks=("segmentation",),
    input_shape=(572, 572, 1),
    published_params=31_030_658,
    published_macs=150e9,
    params_basis="computed (valid convolutions, 2 classes); 31,030,593 with same padding and 1 sigmoid output",
    errors={"isbi2012_warping_error": 0.000353, "isbi2012_rand_error": 0.0382, "isbi2012_pixel_error": 0.0611},
)
def unet(
    *,
    weights=None,
    input_shape=None,
    num_classes=2,
    classifier_activation=None,
    padding="valid",
    depth=4,
    base_filters=64,
    name="unet",
):
    """U-Net: 572x572 in, 388x388x2 out, 31,030,658 parameters with the paper's settings.

    Contracting path of two 3x3 convolutions and a 2x2 max-pool per level (64 ... 1024 filters),
    expanding path of 2x2 up-convolutions, crop-and-concatenate skips and two 3x3 convolutions,
    and a final 1x1 convolution to `num_classes` maps.

    Args:
        num_classes: output maps; 2 with softmax as in the paper, 1 with sigmoid for binary masks.
        classifier_activation: defaults to softmax (or sigmoid when `num_classes=1`).
        padding: "valid" (the paper: the output is smaller than the input, see
            `output_size`) or "same" (output as large as the input; sides divisible by 2**depth).
        depth: number of poolings (4 in the paper).
        base_filters: filters of the first level, doubled at each level (64 in the paper).

    Departs from the paper: nothing with the defaults; its dropout at the end of the
    contracting path is left to training.
    """
    if padding not in ("valid", "same"):
        raise ValueError(f"unet: padding must be 'valid' or 'same'. Received: padding={padding!r}")
    if classifier_activation is None:
        classifier_activation = "sigmoid" if num_classes == 1 else "softmax"
    default = (572, 572, 1) if padding == "valid" else (256, 256, 1)
    shape = check_input_shape(input_shape, default, name=name)
    for side in shape[:2]:
        if side is None:
            continue
        if padding == "valid" and not valid_input_size(side, depth):
            fits = [s for s in range(max(side - 64, 1), side + 64) if valid_input_size(s, depth)]
            nearest = min(fits, key=lambda s: abs(s - side)) if fits else None
            raise ValueError(
                f"unet with valid padding and depth {depth} cannot take a side of {side} pixels"
                f"{f'; the nearest that works is {nearest}' if nearest else ''}. Received: input_shape={shape}"
            )
        if padding == "same" and side % 2**depth:
            raise ValueError(
                f"unet with same padding and depth {depth} needs sides divisible by {2**depth}. Received: input_shape={shape}"
            )
    inputs = keras.Input(shape, name="inputs")
    x, skips = inputs, []
    for level in range(depth):
        x = _double_conv(x, base_filters * 2**level, padding, f"down{level + 1}")
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"down{level + 1}_pool")(x)
    x = _double_conv(x, base_filters * 2**depth, padding, "bottom")
    for level in reversed(range(depth)):
        filters = base_filters * 2**level
        x = up_convolution(x, filters, f"up{level + 1}_upconv")
        skip = skips[level]
        if padding == "valid":
            crop = (skip.shape[1] - x.shape[1]) // 2
            skip = keras.layers.Cropping2D(crop, name=f"up{level + 1}_crop")(skip)
        x = keras.layers.Concatenate(name=f"up{level + 1}_concat")([skip, x])
        x = _double_conv(x, filters, padding, f"up{level + 1}")
    x = keras.layers.Conv2D(num_classes, 1, activation=classifier_activation, name="predictions")(x)
    return finish(inputs, x, name=name, weights=weights)
