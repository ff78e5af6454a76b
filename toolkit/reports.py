"""Tables built from the registry, the weights catalog and measured results (pandas).

`layer_table` is the lecture's per-layer table (layer, output size, kernel, stride, activation,
weights, biases, total) with multiply-adds; `params_report` sets every model's measured
parameters and multiply-adds beside its published figures.
"""

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


def layer_macs(layer):
    """Multiply-accumulates of one layer for one example (convolutions, dense and recurrent layers)."""
    kind = type(layer).__name__
    out = layer.output.shape
    if kind in ("Conv2D", "Conv1D"):
        kernel = math.prod(layer.kernel_size) * layer.input.shape[-1] // layer.groups
        return math.prod(out[1:]) * kernel
    if kind == "Conv2DTranspose":
        return math.prod(layer.input.shape[1:]) * math.prod(layer.kernel_size) * layer.filters
    if kind == "Dense":
        return math.prod(out[1:]) * layer.input.shape[-1]
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
        if isinstance(layer, keras.Model):
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
                "output size": _size(layer.output.shape),
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


def params_report(names=None):
    """Measured parameters and multiply-adds of every registered model beside the published ones."""
    from toolkit import registry

    rows = []
    for name in names or registry.list_models():
        info = registry.model_info(name)
        model = registry.build_model(name)
        params = model.count_params()
        macs = count_macs(model)
        keras.backend.clear_session()
        rows.append(
            {
                "model": name,
                "family": info.family,
                "year": info.year,
                "input": "x".join(map(str, info.input_shape)),
                "parameters": params,
                "published parameters": info.published_params,
                "difference": None if info.published_params is None else params - info.published_params,
                "MACs": macs,
                "published MACs": info.published_macs,
                "basis": info.params_basis,
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("published parameters", "difference", "published MACs"):
        frame[column] = frame[column].astype("Int64")
    return frame


def write_table(frame, path):
    """Write a DataFrame with the format taken from the suffix: .csv, .md, .html or .json.

    Raises:
        ValueError: for any other suffix.
    """
    suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
    if suffix == "csv":
        frame.to_csv(path, index=False)
    elif suffix == "md":
        with open(path, "w") as f:
            f.write(frame.to_markdown(index=False) + "\n")
    elif suffix == "html":
        frame.to_html(path, index=False, na_rep="")
    elif suffix == "json":
        frame.to_json(path, orient="records", indent=2)
    else:
        raise ValueError(f"Cannot tell the report format from {path!r}: use .csv, .md, .html or .json.")
