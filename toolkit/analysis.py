"""The lecture's per-layer analysis of a model: output sizes, kernels, strides, activations,
weights and biases of each layer, with its multiply-adds; and a registered model's totals."""

import functools
import math

import pandas as pd

from toolkit._lazy import keras

RECURRENT_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def _size(shape):
    return "x".join("?" if s is None else str(s) for s in shape[1:])


def _pair(value):
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return "x".join(map(str, value)) if len(set(value)) > 1 else str(value[0])
    return str(value)


def _output_shape(layer):
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):  # a layer inside a subclassed model has no symbolic output
        kernel = getattr(layer, "kernel", None)
        return (None, kernel.shape[-1]) if kernel is not None else (None,)


def layer_macs(layer):
    """Multiply-accumulates of one layer for one example (convolutions, dense and recurrent layers)."""
    kind = type(layer).__name__
    out = _output_shape(layer)
    if kind in ("Conv2D", "Conv1D"):
        kernel = math.prod(layer.kernel_size) * layer.input.shape[-1] // layer.groups
        return math.prod(out[1:]) * kernel
    if kind == "Conv2DTranspose":
        return math.prod(layer.input.shape[1:]) * math.prod(layer.kernel_size) * layer.filters
    if kind == "Dense":  # per step where the sequence length is open (a language model: per character)
        return math.prod(d or 1 for d in out[1:-1]) * math.prod(layer.kernel.shape)
    if kind == "SparseConv2D":
        return math.prod(out[1:3]) * layer.kernel_size**2 * len(layer.pairs)
    if kind in ("RBFOutput",):
        return layer.input.shape[-1] * layer.units
    if kind == "Maxout":
        return layer.input.shape[-1] * layer.units * layer.pieces
    if kind == "MultiHeadAttention":  # the query, key, value and output projections, per position
        kernels = sum(math.prod(w.shape) for w in layer.weights if w.path.endswith("kernel"))
        return math.prod(d or 1 for d in out[1:-1]) * kernels
    if kind == "TiedEmbedding":  # its second use: the output logits, one dot product per token per position
        return layer.vocab_size * layer.dim
    if kind in RECURRENT_GATES:
        steps, features = layer.input.shape[1], layer.input.shape[-1]
        u = layer.units
        return (steps or 1) * RECURRENT_GATES[kind] * u * (features + u)
    return 0


def _leaf_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model) or (layer.layers if hasattr(layer, "layers") else False):
            yield from _leaf_layers(layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            yield layer


ACTIVATION_LAYERS = ("Activation", "LeakyReLU", "ELU", "Step", "ScaledTanh")


def layer_table(model):
    """The lecture's per-layer table of a built functional model: an input row, one row per layer
    and an output row. An activation layer that follows a layer without its own activation is
    shown in that layer's row (LeNet's pooling rows read "tanh", as in the lecture's table)."""
    rows = [_shape_row("input", "Input", shape) for shape in _input_shapes(model)]
    for layer in _leaf_layers(model):
        kind = type(layer).__name__
        activation = getattr(layer, "activation", None)
        if kind in ACTIVATION_LAYERS:
            activation = getattr(activation, "__name__", None) or kind.lower()
            follows = len(rows) > 1 and not rows[-1]["activation"] and layer.name != "predictions"
            if follows and rows[-1]["output size"] == _size(_output_shape(layer)):
                rows[-1]["activation"] = activation
                continue
        else:
            activation = getattr(activation, "__name__", "")
        biases = sum(math.prod(w.shape) for w in layer.weights if w.name in ("bias", "beta"))
        total = layer.count_params()
        rows.append(
            {
                "layer": layer.name,
                "type": kind,
                "output size": _size(_output_shape(layer)),
                "kernel": _pair(getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)),
                "stride": _pair(getattr(layer, "strides", None)),
                "activation": "" if activation == "linear" else activation,
                "weights": total - biases,
                "biases": biases,
                "total": total,
                "macs": layer_macs(layer),
            }
        )
    rows += [_shape_row("output", "Output", shape) for shape in _output_shapes(model)]
    return pd.DataFrame(rows)


def _shape_row(name, kind, shape):
    return {"layer": name, "type": kind, "output size": _size(shape), "kernel": "", "stride": "", "activation": "",
            "weights": 0, "biases": 0, "total": 0, "macs": 0}  # fmt: skip


def _input_shapes(model):
    shapes = model.input_shape
    return shapes if isinstance(shapes, list) else [shapes]


def _output_shapes(model):
    shapes = model.output_shape
    return shapes if isinstance(shapes, list) else [shapes]


def count_macs(model):
    """Multiply-accumulates of a whole model for one example."""
    return int(sum(layer_macs(layer) for layer in _leaf_layers(model)))


@functools.cache
def measure(name, **build):
    """(parameters, multiply-adds) of a registered model built with `build` (hashable values; its defaults
    when empty), built once per process."""
    from toolkit import hub

    model = hub.build_model(name, **build)
    counts = model.count_params(), count_macs(model)
    keras.backend.clear_session()
    return counts


def transposed_convolution(image, kernel, stride=1):
    """The lecture's worked transposed convolution: each input pixel times the kernel, placed at
    its (strided) position, and the sum of those partial products, which is what Keras's
    `Conv2DTranspose` (U-Net's up-convolution) computes; returned as (partial products, result),
    each a list of (pixel position, value, array) and an array.

    Raises:
        ValueError: for input or kernel that is not a non-empty 2-D matrix, or a stride below 1.
    """
    import numpy as np

    image, kernel = np.asarray(image, "float32"), np.asarray(kernel, "float32")
    if image.ndim != 2 or kernel.ndim != 2 or not image.size or not kernel.size:
        raise ValueError("the input and the kernel must each be a 2-D matrix of numbers")
    if stride < 1:
        raise ValueError(f"the stride must be at least 1. Received: stride={stride}")
    (h, w), (kh, kw) = image.shape, kernel.shape
    out_shape = ((h - 1) * stride + kh, (w - 1) * stride + kw)
    partials = []  # the sum is checked against Keras below: the example and the layer are one computation
    for i in range(h):
        for j in range(w):
            part = np.zeros(out_shape, "float32")
            part[i * stride : i * stride + kh, j * stride : j * stride + kw] = image[i, j] * kernel
            partials.append(((i, j), float(image[i, j]), part))
    inputs = keras.Input((h, w, 1))
    layer_model = keras.Model(inputs, keras.layers.Conv2DTranspose(1, (kh, kw), strides=stride, name="up")(inputs))
    layer_model.get_layer("up").set_weights([kernel.reshape(kh, kw, 1, 1), np.zeros(1, "float32")])
    result = np.asarray(layer_model(image.reshape(1, h, w, 1)))[0, :, :, 0]
    np.testing.assert_allclose(sum(p for _, _, p in partials), result, rtol=1e-5, atol=1e-5)
    return partials, result


SKIPPED_IN_VIEWS = ("InputLayer", "Dropout", "Flatten", "Reshape", "SpatialDropout2D", "GaussianNoise",
                    "BatchNormalization")  # fmt: skip


def layer_viewer(model):
    """A Keras model that returns the output of every layer of `model` worth seeing (all but
    input, dropout, reshaping and batch-normalisation layers, whose maps the next activation
    shows), last the prediction; with their names and types."""
    layers = [layer for layer in model.layers if type(layer).__name__ not in SKIPPED_IN_VIEWS]
    outputs = [layer.output for layer in layers]
    if model.outputs[0] is not outputs[-1]:
        layers, outputs = [*layers, model.layers[-1]], [*outputs, model.outputs[0]]
    viewer = keras.Model(model.inputs[0] if len(model.inputs) == 1 else model.inputs, outputs, name=f"{model.name}_layers")
    return viewer, [(layer.name, type(layer).__name__) for layer in layers]
