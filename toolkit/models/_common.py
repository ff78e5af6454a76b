"""What every builder shares: input checks, the classifier head, loading weights, and running a
model on a batch."""

import os
import weakref

import numpy as np

from toolkit._lazy import keras


def check_input_shape(input_shape, default, *, name, min_size=None):
    """`input_shape` or the default, checked against what the network can take.

    Raises:
        ValueError: for a shape of the wrong rank, or images smaller than `min_size`.
    """
    if input_shape is None:
        return tuple(default)
    try:
        shape = tuple(None if s is None else int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}: input_shape must be a tuple of sizes. Received: input_shape={input_shape!r}"
        ) from None
    if len(shape) != len(default):
        raise ValueError(
            f"{name} takes inputs of rank {len(default)}, like {tuple(default)}. Received: input_shape={shape}"
        )
    if any(s is not None and s < 1 for s in shape):
        raise ValueError(f"{name}: every size must be positive. Received: input_shape={shape}")
    if min_size and any(s is not None and s < min_size for s in shape[:-1]):
        side = "x".join([str(min_size)] * (len(shape) - 1))
        raise ValueError(
            f"{name} needs inputs of at least {side} pixels (its default is {tuple(default)}). Received: input_shape={shape}"
        )
    return shape


def check_pooling(pooling, name):
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{name}: pooling must be None, 'avg' or 'max'. Received: pooling={pooling!r}")


def global_pool(x, pooling):
    """keras.applications' `pooling` for `include_top=False` (builders `check_pooling` first)."""
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def finish(inputs, outputs, *, name, weights):
    """Wrap the graph in a functional model and load `weights` (None, a file, or a catalog id)."""
    model = keras.Model(inputs, outputs, name=name)
    load_weights(model, weights)
    return model


def load_weights(model, weights):
    """Load `weights` into `model`: None (random), a `.weights.h5`/`.h5` file, or a catalog id.

    Raises:
        ValueError: when `weights` is neither a file nor a known catalog id.
    """
    if weights is None:
        return
    from toolkit import catalog

    if os.path.isfile(str(weights)):
        catalog.load_file(model, weights)
        return

    if str(weights).endswith(".h5"):
        raise catalog.WeightsError(f"{weights}: no such weights file")

    catalog.load_into(model, weights)


def predict_batch(model, batch):
    """`model`'s outputs for one batch, as NumPy, through Keras's compiled predict step. On
    TensorFlow that step is a graph, which on 2 CPU cores runs 1.5-2x as fast as calling the
    model eagerly (`benchmarks/inference.py`). The first batch a model is given still runs
    eagerly: building the graph costs more than one batch saves, so predicting a single
    image stays quick."""
    if model not in _SEEN:
        _SEEN.add(model)
        return np.asarray(model(batch, training=False))
    return np.asarray(model.predict_on_batch(batch))


_SEEN = weakref.WeakSet()  # models predict_batch has run once
