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
    if kind == "Dense":
        return math.prod(out[1:-1]) * math.prod(layer.kernel.shape)
    if kind == "SparseConv2D":
        return math.prod(out[1:3]) * layer.kernel_size**2 * len(layer.pairs)
    if kind in ("RBFOutput",):
        return layer.input.shape[-1] * layer.units
    if kind == "Maxout":
        return layer.input.shape[-1] * layer.units * layer.pieces
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


def layer_table(model):
    """The lecture's per-layer table of a built functional model, one row per layer."""
    rows = []
    for layer in _leaf_layers(model):
        biases = sum(math.prod(w.shape) for w in layer.weights if w.name in ("bias", "beta"))
        total = layer.count_params()
        activation = getattr(layer, "activation", None)
        kind = type(layer).__name__
        if kind in ("Activation", "LeakyReLU", "Step", "ScaledTanh"):
            activation = getattr(activation, "__name__", None) or kind.lower()
        else:
            activation = getattr(activation, "__name__", "")
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
    return pd.DataFrame(rows)


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
