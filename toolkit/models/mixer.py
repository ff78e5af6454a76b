"""MLP-Mixer: an all-MLP vision network, the lecture's look beyond convolutions.

Reference: Tolstikhin et al., "MLP-Mixer: an all-MLP architecture for vision", NeurIPS 2021.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, check_pooling, finish
from toolkit.registry import register


def mixer_block(x, tokens_mlp_dim, channels_mlp_dim, name):
    """Token mixing (an MLP across patches) then channel mixing (an MLP across features)."""
    y = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_token_norm")(x)
    y = keras.layers.Permute((2, 1), name=f"{name}_token_transpose")(y)
    y = keras.layers.Dense(tokens_mlp_dim, activation="gelu", name=f"{name}_token_fc1")(y)
    y = keras.layers.Dense(x.shape[1], name=f"{name}_token_fc2")(y)
    y = keras.layers.Permute((2, 1), name=f"{name}_token_back")(y)
    x = keras.layers.Add(name=f"{name}_token_add")([x, y])
    y = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_channel_norm")(x)
    y = keras.layers.Dense(channels_mlp_dim, activation="gelu", name=f"{name}_channel_fc1")(y)
    y = keras.layers.Dense(x.shape[-1], name=f"{name}_channel_fc2")(y)
    return keras.layers.Add(name=f"{name}_channel_add")([x, y])


@register(
    family="mixer",
    year=2021,
    authors="Tolstikhin, Houlsby, Kolesnikov, Beyer, Zhai, Unterthiner, Yung, Steiner, Keysers, Uszkoreit, Lucic, Dosovitskiy",
    paper="MLP-Mixer: an all-MLP architecture for vision",
    tasks=("folder", "digits"),
    input_shape=(32, 32, 3),
    min_input_size=4,
    params_basis="computed",
)
def mlp_mixer(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    pooling="avg",
    num_classes=10,
    classifier_activation="softmax",
    patch_size=4,
    hidden_dim=128,
    num_blocks=4,
    tokens_mlp_dim=64,
    channels_mlp_dim=512,
    name="mlp_mixer",
):
    """A small MLP-Mixer: patches -> `num_blocks` mixer blocks -> global average -> classifier.

    Departs from the paper: a small configuration for 32x32 images (the paper's smallest,
    Mixer-S/32, has 19 M parameters at 224x224).
    """
    check_pooling(pooling, name)
    shape = check_input_shape(input_shape, (32, 32, 3), name=name, min_size=patch_size)
    if shape[0] % patch_size or shape[1] % patch_size:
        raise ValueError(
            f"mlp_mixer: image sides must be divisible by patch_size={patch_size}. Received: input_shape={shape}"
        )
    inputs = keras.Input(shape, name="inputs")
    x = keras.layers.Conv2D(hidden_dim, patch_size, strides=patch_size, name="stem")(inputs)
    x = keras.layers.Reshape((-1, hidden_dim), name="patches")(x)
    for i in range(1, num_blocks + 1):
        x = mixer_block(x, tokens_mlp_dim, channels_mlp_dim, f"block{i}")
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="pre_head_norm")(x)
    if include_top or pooling == "avg":
        x = keras.layers.GlobalAveragePooling1D(name="avg_pool")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling1D(name="max_pool")(x)
    if include_top:
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    return finish(inputs, x, name=name, weights=weights)
