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
            f.write(frame.astype(object).where(frame.notna(), "").to_markdown(index=False) + "\n")
    elif suffix == "html":
        frame.to_html(path, index=False, na_rep="")
    elif suffix == "json":
        frame.to_json(path, orient="records", indent=2)
    else:
        raise ValueError(f"Cannot tell the report format from {path!r}: use .csv, .md, .html or .json.")


README_START = "<!-- models:start (generated by `toolkit report readme`; do not edit) -->"
README_END = "<!-- models:end -->"


def human(count):
    """1135256096 -> '1.14 G', 416520 -> '416.5 K'."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= size:
            return f"{count / size:.3g} {unit}" if count < 100 * size else f"{count / size:,.0f} {unit}"
    return str(int(count))


def _short_authors(authors):
    names = [a.strip() for a in authors.replace(";", ",").split(",") if a.strip()]
    return authors if len(names) <= 3 else f"{names[0]} et al."


def readme_models_table(params):
    """The README's model table, in Markdown, from a `params_report` frame."""
    from toolkit import registry

    rows = []
    for row in params.to_dict("records"):
        info = registry.model_info(row["model"])
        rows.append(
            {
                "model": f"`{row['model']}`",
                "year": info.year,
                "authors": _short_authors(info.authors),
                "parameters": f"{row['parameters']:,}",
                "published": "" if pd.isna(row["published parameters"]) else f"{row['published parameters']:,}",
                "multiply-adds": human(row["MACs"]),
                "tasks": ", ".join(info.tasks),
            }
        )
    return pd.DataFrame(rows).to_markdown(index=False)


WEIGHTS_START = "<!-- weights:start (generated by `toolkit report readme`; do not edit) -->"
WEIGHTS_END = "<!-- weights:end -->"


def readme_weights_table():
    """The README's table of shipped weights, in Markdown, from the catalog."""
    from toolkit import pretrained

    rows = []
    for weights_id, item in pretrained.load_catalog().items():
        for split, metrics in item["metrics"].items():
            measure = ERROR_MEASURE.get(item["task"], "error")
            value = f"{metrics['error']:.3f}" if measure in ("MASE", "FID") else f"{metrics['error']:.2%}"
            rows.append(
                {
                    "weights": f"`{weights_id}`",
                    "model": item["arch"],
                    "evaluated on": split,
                    "error": f"{value} ({measure})",
                    "parameters": f"{item['params']:,}",
                    "file": f"{item['file_size'] / 1e6:.2f} MB",
                    "description": item.get("description", ""),
                }
            )
    return pd.DataFrame(rows).to_markdown(index=False) if rows else "(no weights yet)"


def _replace_block(text, start_marker, end_marker, body):
    start, end = text.index(start_marker), text.index(end_marker)
    return text[: start + len(start_marker)] + "\n" + body + "\n" + text[end:]


def update_readme(path, params):
    """Replace the generated tables between the README's markers; returns the new text."""
    text = open(path).read()
    text = _replace_block(text, README_START, README_END, readme_models_table(params))
    text = _replace_block(text, WEIGHTS_START, WEIGHTS_END, readme_weights_table())
    with open(path, "w") as f:
        f.write(text)
    return text


ERROR_MEASURE = {
    "digits": "test error",
    "folder": "test error",
    "imagenet": "top-1 error",
    "forecasting": "MASE",
    "segmentation": "pixel error",
    "generation": "FID",
}


def errors_report():
    """Every catalog entry's measured error beside the published errors of its architecture.

    Entries downloaded from elsewhere (keras.applications) show their published error instead,
    marked as such.
    """
    from toolkit import pretrained, registry

    rows = []
    for weights_id, item in pretrained.load_catalog().items():
        info = registry.model_info(item["arch"])
        measured = [(split, m, "measured here") for split, m in item["metrics"].items()]
        published_runs = [
            (split, {"error": m["top1_error"]}, "published") for split, m in item.get("published_metrics", {}).items()
        ]
        for split, metrics, source in measured or published_runs:
            published = "; ".join(f"{k} {v:.2%}" if v < 1 else f"{k} {v:g}" for k, v in info.errors.items())
            rows.append(
                {
                    "weights": weights_id,
                    "model": item["arch"],
                    "task": item["task"],
                    "evaluated on": split,
                    "error": metrics.get("error"),
                    "error measure": ERROR_MEASURE.get(item["task"], "error"),
                    "source": source,
                    "published errors (architecture)": published,
                    "parameters": item["params"],
                    "seconds per epoch": item.get("recipe", {}).get("seconds_per_epoch"),
                    "epochs": item.get("recipe", {}).get("epochs"),
                    "machine": item.get("recipe", {}).get("machine"),
                }
            )
    return pd.DataFrame(rows)
