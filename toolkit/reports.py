"""Tables built from the registry, the weights catalog and measured results (pandas).

`layer_table` is the lecture's per-layer table (layer, output size, kernel, stride, activation,
weights, biases, total) with multiply-adds; `params_report` sets every model's measured
parameters and multiply-adds beside its published figures.
"""

import functools
import math
import re

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


def params_report(names=None):
    """Measured parameters and multiply-adds of every registered model beside the published ones."""
    from toolkit import hub

    rows = []
    for name in names or hub.list_models():
        info = hub.model_info(name)
        params, macs = measure(name)
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
    from toolkit import hub

    rows = []
    for row in params.to_dict("records"):
        info = hub.model_info(row["model"])
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
    from toolkit import catalog

    rows = []
    for weights_id, item in catalog.load_catalog().items():
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
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        raise ValueError(f"no generated table to replace: put the lines {start_marker} and {end_marker} where it goes")
    return text[: start + len(start_marker)] + "\n" + body + "\n" + text[end:]


def update_readme(path):
    """Replace the generated tables between the README's markers; returns the new text. The
    markers are looked for before any model is measured, so a file without them fails at once."""
    text = open(path).read()
    blocks = (
        (README_START, README_END, lambda: readme_models_table(params_report())),
        (WEIGHTS_START, WEIGHTS_END, readme_weights_table),
    )
    try:
        for start, end, _ in blocks:
            _replace_block(text, start, end, "")
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    for start, end, table in blocks:
        text = _replace_block(text, start, end, table())
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
    from toolkit import catalog, hub

    rows = []
    for weights_id, item in catalog.load_catalog().items():
        info = hub.model_info(item["arch"])
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
    frame = pd.DataFrame(rows)
    frame["epochs"] = frame["epochs"].astype("Int64")
    return frame


# -- the history of CNNs, measured side by side ---------------------------------------------------------
# (network, ImageNet-size builder, CIFAR-10 builder): the lecture's table, plus the ResNet paper's
# CIFAR-10 nets and their plain twins.
HISTORY = (
    ("LeNet-5", "lenet5", "lenet5"),
    ("AlexNet", "alexnet", "alexnet_cifar"),
    ("ZFNet", "zfnet", None),
    ("VGG-11", "vgg11", "vgg11_cifar"),
    ("VGG-16", "vgg16", "vgg16_cifar"),
    ("GoogLeNet", "googlenet", "googlenet_cifar"),
    ("ResNet-50", "resnet50", None),
    ("ResNet-152", "resnet152", None),
    ("Plain-20", None, "plain20"),
    ("ResNet-20", None, "resnet20"),
    ("Plain-56", None, "plain56"),
    ("ResNet-56", None, "resnet56"),
)


def history_report():
    """The lecture's table of CNN families with the toolkit's measurements beside it.

    Published columns come from the registry (REFERENCE.md); challenge (ensemble) and single-model
    errors stay in separate columns. Parameters and multiply-adds are `params_report`'s, measured
    on each builder at its native input (ImageNet size, except LeNet-5's 32x32); the CIFAR-10
    columns are the catalog's measured test errors, last-epoch training errors, training times and
    CPU inference speed of the small-input variants.
    """
    from toolkit import catalog, hub

    params = params_report([imagenet_arch for _, imagenet_arch, _ in HISTORY if imagenet_arch])
    measured = params.set_index("model")
    catalog = catalog.load_catalog()
    rows = []
    for network, imagenet_arch, cifar_arch in HISTORY:
        info = hub.model_info(imagenet_arch or cifar_arch)
        row = {
            "year": info.year,
            "network": network,
            "developers": _short_authors(info.authors),
            "ILSVRC place": info.errors.get("ilsvrc_place"),
            "ILSVRC top-5 error (challenge entry)": info.errors.get("ilsvrc_top5_error"),
            "top-5 error (single model, published)": info.errors.get("single_top5_error"),
            "published parameters": info.published_params if imagenet_arch else None,
        }
        if imagenet_arch:
            row |= {
                "model": imagenet_arch,
                "input": measured.loc[imagenet_arch, "input"],
                "parameters": measured.loc[imagenet_arch, "parameters"],
                "MACs": measured.loc[imagenet_arch, "MACs"],
            }
        cifar = catalog.get(f"{cifar_arch}.cifar10")
        cifar_info = hub.model_info(cifar_arch) if cifar_arch else None
        row |= {
            "CIFAR-10 model": cifar_arch,
            "CIFAR-10 published test error": cifar_info.errors.get("cifar10_test_error") if cifar_info else None,
            "CIFAR-10 published epochs": cifar_info.published_epochs.get("cifar10") if cifar_info else None,
        }
        if cifar:
            (metrics,) = cifar["metrics"].values()
            recipe = cifar["recipe"]
            runs = recipe.get("concurrent_runs")
            build = {key: tuple(v) if isinstance(v, list) else v for key, v in cifar["build"].items()}
            accuracy = cifar.get("history", {}).get("accuracy")
            row |= {
                "CIFAR-10 parameters": cifar["params"],
                "CIFAR-10 MACs": measure(cifar_arch, **build)[1],
                "CIFAR-10 test error": metrics["error"],
                # the last epoch's error on its (augmented) training batches, to the catalog's precision
                "CIFAR-10 training error": round(1 - accuracy[-1], 4) if accuracy else None,
                "CIFAR-10 test images": metrics["images"],
                "epochs": recipe["epochs"],
                "weight decay": recipe.get("hyperparameters", {}).get("weight_decay"),
                "training seconds per epoch": recipe["seconds_per_epoch"],
                "training machine": recipe["machine"] + (f", {runs} runs at once" if runs else ""),
                "inference images/s (CPU)": metrics.get("images_per_second"),
            }
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in (
        "ILSVRC place",
        "published parameters",
        "parameters",
        "MACs",
        "CIFAR-10 parameters",
        "CIFAR-10 MACs",
        "CIFAR-10 test images",
        "CIFAR-10 published epochs",
        "epochs",
    ):
        frame[column] = frame[column].astype("Int64")
    return frame


def segmentation_report():
    """The segmentation weights' held-out scores beside the 2015 U-Net's size."""
    from toolkit import hub

    original = hub.model_info("unet").published_params
    return _task_rows("segmentation", lambda item, m: {
        "pixel error": m["pixel_error"], "IoU": m["iou"], "Dice": m["dice"], "Rand error": m["rand_error"],
        "ISBI pixel error": m["isbi_pixel_error"], "ISBI Rand error": m["isbi_rand_error"],
        "2015 U-Net parameters": original, "share of the 2015 size": round(item["params"] / original, 3),
    })  # fmt: skip


def generation_report():
    """Each generator's sample quality, judged by the shipped digit classifier, and the real-digit floor."""
    rows = _task_rows("generation", lambda item, m: {
        "FID": m["fid"], "Inception Score": m["inception_score"], "smallest digit share": m["min_share"],
        "largest digit share": m["max_share"], "conditional accuracy": m.get("conditional_accuracy"),
    })  # fmt: skip
    from toolkit import catalog

    floors = [item[k] for item in catalog.load_catalog().values() for k in item if k.startswith("floor")]
    if floors:
        f = floors[0]
        rows.loc[len(rows)] = {"weights": "real training digits (the floor)", "model": "", "evaluated on": "mnist/test",
                               "parameters": None, "FID": f["fid"], "Inception Score": f["inception_score"],
                               "smallest digit share": f["min_share"], "largest digit share": f["max_share"],
                               "conditional accuracy": None}  # fmt: skip
    return rows


def forecasting_report():
    """Each forecaster's held-out RMSE and MASE beside its best baseline's."""

    def measures(item, m):
        best_name, best = min(m["baselines"].items(), key=lambda kv: kv[1]["mase"])
        return {"steps": m["steps"], "RMSE": m["rmse"], "MASE": m["mase"], "best baseline": best_name,
                "baseline RMSE": best["rmse"], "baseline MASE": best["mase"]}  # fmt: skip

    return _task_rows("forecasting", measures)


def _task_rows(task, measures):
    from toolkit import catalog

    rows = []
    for weights_id, item in catalog.load_catalog().items():
        if item["task"] != task:
            continue
        for split, metrics in item["metrics"].items():
            rows.append({"weights": weights_id, "model": item["arch"], "evaluated on": split,
                         "parameters": item["params"], **measures(item, metrics)})  # fmt: skip
    frame = pd.DataFrame(rows)
    if "parameters" in frame:
        frame["parameters"] = frame["parameters"].astype("Int64")
    return frame


# -- every report at once ----------------------------------------------------------------------------------
TABLES = {
    "params": params_report,
    "errors": errors_report,
    "history": history_report,
    "segmentation": segmentation_report,
    "generation": generation_report,
    "forecasting": forecasting_report,
}


def write_all(out_dir, data_dir=None):
    """Regenerate every table (.csv and .md), every figure and the README of `out_dir`; returns the paths."""
    import pathlib

    from toolkit import plots

    out = pathlib.Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    frames, written = {}, []
    for name, build in TABLES.items():
        frames[name] = build()
        for suffix in ("csv", "md"):
            write_table(frames[name], out / f"{name}.{suffix}")
            written.append(out / f"{name}.{suffix}")
    curves = _plain_and_residual_curves()
    figures = {
        "error_vs_parameters.png": lambda p: plots.error_vs_parameters(frames["history"], p),
        "error_vs_year.png": lambda p: plots.error_vs_year(frames["history"], p),
        "plain_vs_residual.png": lambda p: plots.plain_vs_residual(curves, p),
        "activations.png": plots.activation_functions,
    }
    figures |= _task_figures(data_dir)
    for filename, draw in figures.items():
        draw(out / "figures" / filename)
        written.append(out / "figures" / filename)
    (out / "README.md").write_text(reports_readme(frames, curves, sorted(figures)))
    written.append(out / "README.md")
    return written


def _plain_and_residual_curves():
    from toolkit import catalog

    catalog = catalog.load_catalog()
    # each run's per-epoch accuracies, with the weight decay it was trained with (part of its budget)
    return {arch: {**item["history"], "weight_decay": item["recipe"].get("hyperparameters", {}).get("weight_decay")}
            for arch in ("plain20", "plain56", "resnet20", "resnet56")
            if "history" in (item := catalog.get(f"{arch}.cifar10", {}))}  # fmt: skip


def _task_figures(data_dir):
    """A sample grid per generator, a forecast plot per forecaster, an overlay per segmenter."""
    from toolkit import catalog

    figures = {}
    for weights_id, item in catalog.load_catalog().items():
        if item.get("url"):
            continue
        if item["task"] == "generation":
            figures[f"samples-{weights_id}.png"] = lambda p, w=weights_id: _sample_grid(w, p)
        elif item["task"] == "forecasting":
            figures[f"forecast-{weights_id}.png"] = lambda p, w=weights_id: _forecast_plot(w, p, data_dir)
        elif item["task"] == "segmentation":
            figures[f"overlay-{weights_id}.png"] = lambda p, w=weights_id: _overlay(w, p, data_dir)
    return figures


def _sample_grid(weights_id, path):
    from toolkit import hub, tasks
    from toolkit.tasks.generation import save_grid

    task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
    digits = [d for d in range(10) for _ in range(4)] if task.conditional else None
    codes = [k % model.codes for k in range(40)] if model.codes else None  # a column per code
    images = task.sample(model.sampler, 40, seed=0, digits=digits, codes=codes)
    save_grid(images, path, columns=model.codes or (10 if digits else 8))


def _forecast_plot(weights_id, path, data_dir):
    from toolkit import hub, plots, tasks

    task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
    times, values, lower, upper = task.future(model, 12, data_dir)  # reads and caches the series
    future = pd.DataFrame({"time": times, "forecast": values, "lower": lower, "upper": upper})
    plots.forecast_figure(task, model, future, path)


def _overlay(weights_id, path, data_dir):
    from PIL import Image

    from toolkit import hub, plots, tasks

    task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
    images, _ = task.split(data_dir, "validation")
    image = images[0]
    Image.fromarray(plots.overlay(image, task.predict_map(model, image) >= 0.5)).save(path)


def _markdown(frame, columns=None, percent=(), digits=3):
    """A Markdown table of `columns`, errors in `percent` as percentages, blanks for missing values."""
    frame = frame[list(columns)] if columns else frame

    def show(value, column):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return ""
        if column in percent:
            return f"{value:.2%}"
        if isinstance(value, float):
            return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"
        if isinstance(value, int) and not isinstance(value, bool) and column != "year":
            return f"{value:,}"
        return str(value)

    shown = pd.DataFrame({column: [show(v, column) for v in frame[column].tolist()] for column in frame.columns})
    return shown.to_markdown(index=False) if len(shown) else "(none yet)"


def _plain_vs_residual_text(curves):
    """What the plain-vs-residual curves show, in words computed from them.

    Two runs had the same budget when they got the same number of epochs and the same weight decay.
    """
    final = {name: (1 - h["accuracy"][-1], 1 - h["val_accuracy"][-1], len(h["accuracy"])) for name, h in curves.items()}
    decay = {name: h.get("weight_decay") for name, h in curves.items()}
    lines = [f"- `{name}`: training error {train:.1%}, validation error {val:.1%} after {epochs} epochs"
             for name, (train, val, epochs) in sorted(final.items())]  # fmt: skip
    for kind, shallow, deep, paper in (
        ("plain", "plain20", "plain56", "higher"),
        ("residual", "resnet20", "resnet56", "lower"),
    ):
        if {shallow, deep} <= set(final):
            measured = "higher" if final[deep][0] > final[shallow][0] else "lower"
            lines.append(
                f"- The deeper {kind} net has {measured} training error than the shallower one"
                + (", as in the paper's Figure 6." if measured == paper else ", unlike the paper's Figure 6.")
            )
    for depth in (20, 56):
        plain, residual = f"plain{depth}", f"resnet{depth}"
        if {plain, residual} <= set(final) and (final[plain][2], decay[plain]) == (final[residual][2], decay[residual]):
            (p_train, p_val, epochs), (r_train, r_val, _) = final[plain], final[residual]
            lines.append(
                f"- Same depth, same budget ({epochs} epochs each): the shortcuts take training error from"
                f" {p_train:.1%} (`{plain}`) to {r_train:.1%} (`{residual}`) and validation error from {p_val:.1%}"
                f" to {r_val:.1%}."
            )
    if {"plain20", "plain56", "resnet20", "resnet56"} <= set(final):
        epochs = {name: e for name, (_, _, e) in final.items()}
        for what, values in (("number of epochs", epochs), ("weight decay", decay)):
            if len(set(values.values())) > 1:
                lines.append(
                    f"- Caution: these runs did not get the same {what} ("
                    + ", ".join(f"{n} {v:g}" for n, v in sorted(values.items()))
                    + "), so the comparison is not yet a fair one."
                )
    return "\n".join(lines)


def _cifar_ranking_text(cifar):
    """Where the measured CIFAR-10 errors break the historical order (plain nets left out), and
    whether the training budget, the computation per image or the test set's sampling error explains it.

    The same epochs are not the same computation: a newer net that does at most half the older one's
    multiply-adds per image got less of it.

    The sampling error is that of a two-proportion test: a gap under two standard errors of the
    difference of two error rates, each measured on its test images, is not significant.
    """
    named = cifar.drop(columns=["model"], errors="ignore")  # the ImageNet model; the CIFAR-10 one replaces it
    named = named.rename(columns={"CIFAR-10 model": "model", "CIFAR-10 test error": "error",
                                  "CIFAR-10 test images": "images", "CIFAR-10 MACs": "macs"})  # fmt: skip
    rows = [r for r in named.to_dict("records") if not r["model"].startswith("plain")]
    lines = []
    for later in rows:
        for earlier in rows:
            if earlier["year"] < later["year"] and earlier["error"] < later["error"]:
                reasons = ["it trained for fewer epochs"] if later["epochs"] < earlier["epochs"] else []
                if later.get("weight decay", 0) < earlier.get("weight decay", 0):
                    reasons.append("it was trained with less weight decay")
                if later.get("macs") and 2 * later["macs"] <= earlier["macs"]:
                    reasons.append(f"it does {later['macs'] / earlier['macs']:.0%} of the older net's multiply-adds per"
                                   f" image ({later['macs'] / 1e6:.0f} M against {earlier['macs'] / 1e6:.0f} M), so the"
                                   " same epochs gave it less computation")  # fmt: skip
                gap = later["error"] - earlier["error"]
                noise = 2 * sum(r["error"] * (1 - r["error"]) / r["images"] for r in (later, earlier)) ** 0.5
                if gap < noise:
                    reasons.append(f"its gap of {100 * gap:.2f} points is under two standard errors"
                                   f" ({100 * noise:.2f} points), so not significant")  # fmt: skip
                unexplained = (
                    "explained neither by the budget, the computation per image nor the test set's sampling error"
                )
                reason = " and ".join(reasons) or unexplained
                lines.append(
                    f"- `{later['model']}` ({later['year']}, {later['error']:.2%} after {later['epochs']} epochs) is"
                    f" worse than the older `{earlier['model']}` ({earlier['year']}, {earlier['error']:.2%} after"
                    f" {earlier['epochs']} epochs): {reason}."
                )
    if not lines:
        return "Every family ranks as the history suggests: each newer network has a lower test error."
    return "Out of the historical order:\n\n" + "\n".join(lines)


def _published_gap_text(cifar, longer=None):
    """How far each measured CIFAR-10 error is from its paper's, beside the two runs' epochs.

    `longer` maps a model to the `(id, catalog entry)` pairs of its runs beyond the shared budget
    (`arch.cifar10_<tag>`), whose errors are set beside the others.
    """
    published = cifar.dropna(subset=["CIFAR-10 published test error", "CIFAR-10 test error"])
    lines = []
    for r in published.to_dict("records"):
        line = (f"- `{r['CIFAR-10 model']}`: {r['CIFAR-10 test error']:.2%} after {r['epochs']} epochs, against the"
                f" paper's {r['CIFAR-10 published test error']:.2%} after about {r['CIFAR-10 published epochs']:.0f}"
                f" ({r['epochs'] / r['CIFAR-10 published epochs']:.0%} of its epochs)")  # fmt: skip
        for weights_id, item in (longer or {}).get(r["CIFAR-10 model"], []):
            line += "; " + _longer_run_text(weights_id, item)
        lines.append(line + ".")
    return "Against the published errors, measured on the original images:\n\n" + "\n".join(lines) if lines else ""


def _longer_run_text(weights_id, item):
    """A run beyond the shared budget: the same recipe for longer, or a second run of shipped weights."""
    (metrics,) = item["metrics"].values()
    recipe = item["recipe"]
    if not recipe.get("starts_from"):
        return f"the same recipe run for {recipe['epochs']} epochs (`{weights_id}`) reaches {metrics['error']:.2%}"
    start = re.search(r"--start-weights (\S+)", recipe["command"])
    more = recipe["epochs"] - sum(earlier["epochs"] for earlier in recipe["starts_from"])
    settings = recipe["hyperparameters"]
    soup = f"; {settings['soup']}" if "soup" in settings else ""
    return (f"`{weights_id}`, {more} more epochs from {f'`{start[1]}`' if start else 'earlier weights'}"
            f" ({settings['augment']}; {settings['training_images']:,} training images{soup}),"
            f" reaches {metrics['error']:.2%}")  # fmt: skip


def reports_readme(frames, curves, figures):
    """reports/README.md: the history of the networks told by the measured tables and figures."""
    from toolkit import catalog

    history, errors = frames["history"], frames["errors"]
    digits = errors[errors["task"] == "digits"]
    cifar = history.dropna(subset=["CIFAR-10 test error"])
    missing = history[history["CIFAR-10 model"].notna() & history["CIFAR-10 test error"].isna()]
    epochs = sorted(set(cifar["epochs"].dropna().astype(int)))
    imagenet_columns = ["year", "network", "developers", "ILSVRC place", "ILSVRC top-5 error (challenge entry)",
                        "top-5 error (single model, published)", "published parameters", "model", "input",
                        "parameters", "MACs"]  # fmt: skip
    cifar_columns = ["year", "network", "CIFAR-10 model", "CIFAR-10 parameters", "CIFAR-10 MACs", "CIFAR-10 test error",
                     "CIFAR-10 training error", "CIFAR-10 published test error", "epochs", "weight decay",
                     "training seconds per epoch", "training machine", "inference images/s (CPU)"]  # fmt: skip
    percent = ("ILSVRC top-5 error (challenge entry)", "top-5 error (single model, published)", "CIFAR-10 test error",
               "CIFAR-10 training error", "CIFAR-10 published test error", "error")  # fmt: skip
    catalog = catalog.load_catalog()
    averaged = ", ".join(f"`{k}`" for k, v in catalog.items() if v.get("build", {}).get("ema"))
    parts = [
        "# The history of neural networks, measured",
        "",
        "Generated by `toolkit report all -o reports/` from the model registry and `weights/catalog.json`;"
        " do not edit by hand. Every number below is either published (and says so) or measured by the"
        " toolkit; the tables are also in this folder as CSV.",
        "",
        "## 1. From the perceptron to LeNet-5: handwritten digits",
        "",
        "The perceptron's step function, the sigmoid and tanh of backpropagation, LeNet-5's scaled tanh and the"
        " ReLU that made AlexNet trainable:",
        "",
        "![activation functions](figures/activations.png)",
        "",
        "MNIST test error of the shipped digit models (10,000 test images):",
        "",
        _markdown(digits, ["weights", "model", "error", "parameters", "epochs"], percent),
        "",
        "## 2. The ImageNet networks: the lecture's table",
        "",
        "Challenge results are the teams' entries (often ensembles); single-model errors are for one network,"
        " one centre crop. Parameters and multiply-adds are measured here on each builder at its native input.",
        "",
        _markdown(history.dropna(subset=["model"]), imagenet_columns, percent),
        "",
        "![error against year](figures/error_vs_year.png)",
        "",
        "![error against parameters](figures/error_vs_parameters.png)",
        "",
        "## 3. CIFAR-10: the families trained side by side",
        "",
        "Small-input variants (32x32; how each departs from its original is in `toolkit summary MODEL` and the"
        " registry), trained with one seeded recipe by `benchmarks/cifar10.py` (each run's epochs and weight"
        " decay are in the table); test error on the 10,000 test"
        " images (JPEG copies of the originals the papers used).",
        "",
        _markdown(cifar, cifar_columns, percent),
        "",
    ]
    parts += [_cifar_ranking_text(cifar), ""]
    longer = {}
    for weights_id, item in sorted(catalog.items(), key=lambda pair: len(pair[1]["recipe"].get("starts_from", []))):
        if weights_id.startswith(f"{item['arch']}.cifar10_"):
            longer.setdefault(item["arch"], []).append((weights_id, item))
    parts += [gap, ""] if (gap := _published_gap_text(cifar, longer)) else []
    if len(epochs) > 1:
        parts += [f"Not yet a fair comparison: the runs got different numbers of epochs ({', '.join(map(str, epochs))})"
                  "; the table says how many each got and on which machine.", ""]  # fmt: skip
    if len(decays := sorted(set(cifar["weight decay"].dropna()))) > 1:
        parts += [f"Not yet a fair comparison: the runs had different weight decays ({', '.join(map('{:g}'.format, decays))})"
                  "; the table says which each had.", ""]  # fmt: skip
    if len(missing):
        parts += ["Not trained yet: " + ", ".join(f"`{m}`" for m in missing["CIFAR-10 model"]) + ".", ""]
    parts += [
        "## 4. Plain against residual networks",
        "",
        "He et al. (2016) found that a deeper plain network trains *worse* than a shallower one, while the"
        " residual version of the same depth does not. Training error (dashed) and validation error (solid):",
        "",
        "![plain against residual](figures/plain_vs_residual.png)",
        "",
        _plain_vs_residual_text(curves),
        "",
        "## 5. U-Net segmentation",
        "",
        _markdown(frames["segmentation"], percent=()),
        "",
        *[f"![{f}](figures/{f})" for f in figures if f.startswith("overlay-")],
        "",
        "## 6. Generative adversarial networks",
        "",
        "Sample quality judged by the shipped digit classifier (`digits.best`): Fréchet distance of its"
        " penultimate-layer features, classifier Inception Score (at most 10) and the share of each digit."
        " The parameters are all that is stored: generator, discriminator and, for"
        f" {averaged or 'none'}, the moving average of the generator, which draws the samples.",
        "",
        _markdown(frames["generation"]),
        "",
        *[f"![{f}](figures/{f})" for f in figures if f.startswith("samples-")],
        "",
        *(
            ["InfoGAN's grid has one column per learned code (code 0 first, left to right).", ""]
            if any(f.startswith("samples-infogan") for f in figures)
            else []
        ),  # fmt: skip
        "## 7. Recurrent forecasters",
        "",
        _markdown(frames["forecasting"]),
        "",
        *[f"![{f}](figures/{f})" for f in figures if f.startswith("forecast-")],
        "",
        "## 8. Every model's size",
        "",
        "Measured parameters and multiply-adds of every registered builder beside the published figures:"
        " [params.md](params.md). Every shipped weight's error beside its architecture's published errors:"
        " [errors.md](errors.md).",
        "",
    ]
    return "\n".join(parts)
