"""The reports' tables (pandas), built from the registry, the weights catalog and measured results:
every model's size, every shipped weight's error beside the published ones, the lecture's history
table with the CIFAR-10 benchmark, and one table per task."""

import re

import pandas as pd

from toolkit.analysis import measure


def human(count):
    """1135256096 -> '1.14 G', 416520 -> '416.5 K'."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= size:
            return f"{count / size:.3g} {unit}" if count < 100 * size else f"{count / size:,.0f} {unit}"
    return str(int(count))


def short_authors(authors):
    names = [a.strip() for a in authors.replace(";", ",").split(",") if a.strip()]
    return authors if len(names) <= 3 else f"{names[0]} et al."


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


def table_format(path):
    """The format a table written to `path` gets, from its suffix: csv, md, html or json.

    Raises:
        ValueError: for any other suffix.
    """
    suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
    if suffix not in ("csv", "md", "html", "json"):
        raise ValueError(f"Cannot tell the report format from {str(path)!r}: use .csv, .md, .html or .json.")
    return suffix


def write_table(frame, path):
    """Write a DataFrame in the format its suffix names (`table_format`)."""
    suffix = table_format(path)
    if suffix == "csv":
        frame.to_csv(path, index=False)
    elif suffix == "md":
        with open(path, "w") as f:
            f.write(frame.astype(object).where(frame.notna(), "").to_markdown(index=False) + "\n")
    elif suffix == "html":
        frame.to_html(path, index=False, na_rep="")
    else:
        frame.to_json(path, orient="records", indent=2)


ERROR_MEASURE = {
    "digits": "test error",
    "folder": "test error",
    "imagenet": "top-1 error",
    "forecasting": "MASE",
    "segmentation": "pixel error",
    "generation": "FID",
    "autoencoding": "nats per digit",
    "text": "nats per character",
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

    Published columns come from the registry (sources in docs/reference.md); challenge (ensemble) and single-model
    errors stay in separate columns. Parameters and multiply-adds are `params_report`'s, measured
    on each builder at its native input (ImageNet size, except LeNet-5's 32x32); the CIFAR-10
    columns are the catalog's measured test errors, last-epoch training errors, training times and
    CPU inference speed of the small-input variants.
    """
    from toolkit import catalog, hub

    params = params_report([imagenet_arch for _, imagenet_arch, _ in HISTORY if imagenet_arch])
    measured = params.set_index("model")
    entries = catalog.load_catalog()
    rows = []
    for network, imagenet_arch, cifar_arch in HISTORY:
        info = hub.model_info(imagenet_arch or cifar_arch)
        row = {
            "year": info.year,
            "network": network,
            "developers": short_authors(info.authors),
            "ILSVRC place": info.errors.get("ilsvrc_place"),
            "ILSVRC top-5 error (challenge entry)": info.errors.get("ilsvrc_top5_error"),
            "top-5 error (single model, published)": info.errors.get("single_top5_error"),
            "lecture's parameters": info.lecture_params if imagenet_arch else None,
            "published parameters": info.stated_params if imagenet_arch else None,
        }
        if imagenet_arch:
            row |= {
                "model": imagenet_arch,
                "input": measured.loc[imagenet_arch, "input"],
                "parameters": measured.loc[imagenet_arch, "parameters"],
                "MACs": measured.loc[imagenet_arch, "MACs"],
            }
        cifar = entries.get(f"{cifar_arch}.cifar10")
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
        "lecture's parameters",
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
    """Each generator's sample quality (the GANs', and a VAE's from its prior), judged by the shipped
    digit classifier, and the real-digit floor."""
    from toolkit import catalog

    def measures(item, m):
        return {"FID": m["fid"], "Inception Score": m["inception_score"], "smallest digit share": m["min_share"],
                "largest digit share": m["max_share"], "conditional accuracy": m.get("conditional_accuracy")}  # fmt: skip

    rows = _task_rows("generation", measures)
    for weights_id, item in catalog.load_catalog().items():
        for m in item["metrics"].values():
            if "prior_samples" in m:
                rows.loc[len(rows)] = {"weights": weights_id, "model": item["arch"], "evaluated on": "mnist/generated (from its prior)",
                                       "parameters": item["params"], **measures(item, m["prior_samples"])}  # fmt: skip
    floors = [item[k] for item in catalog.load_catalog().values() for k in item if k.startswith("floor")]
    if floors:
        f = floors[0]
        rows.loc[len(rows)] = {"weights": "real training digits (the floor)", "model": "", "evaluated on": "mnist/test",
                               "parameters": None, "FID": f["fid"], "Inception Score": f["inception_score"],
                               "smallest digit share": f["min_share"], "largest digit share": f["max_share"],
                               "conditional accuracy": None}  # fmt: skip
    return rows


def autoencoding_report():
    """Each autoencoder's test cross-entropy of its reconstructions, and a VAE's negative ELBO and
    importance-weighted NLL beside the published NLL of its architecture."""
    from toolkit import hub

    return _task_rows("autoencoding", lambda item, m: {
        "latent dimensions": item["build"].get("latent_dim"), "reconstruction (nats)": m["reconstruction_nll"],
        "negative ELBO (nats)": m.get("negative_elbo"), "NLL (nats)": m.get("nll"),
        "importance samples": m.get("importance_samples"),
        "published NLL (nats)": hub.model_info(item["arch"]).errors.get("binarized_mnist_test_nll_nats"),
    })  # fmt: skip


def label_efficiency_report():
    """MNIST test error of DigitNet by how many labelled digits trained it, and whether it started
    from scratch or from a self-supervised encoder (probed or fine-tuned)."""
    from toolkit import catalog
    from toolkit.tasks.digits import VALIDATION

    rows = []
    for weights_id, item in catalog.load_catalog().items():
        settings = item.get("task_settings") or {}
        if item["task"] != "digits" or item["arch"] != "digitnet" or settings.get("printed"):
            continue
        start = re.search(r" --weights (\S+)", item["recipe"].get("command", ""))  # publishing keeps it in the command
        encoder = start[1] if start and start[1] in catalog.load_catalog() and catalog.entry(start[1])["task"] == "selfsupervised" else None
        labels = 10 * settings["labels_per_class"] if settings.get("labels_per_class") else 60_000 - VALIDATION
        rows.append({"weights": weights_id, "model": item["arch"], "labels": labels,
                     "start": "scratch" if not encoder else f"{encoder}, {'frozen (linear probe)' if settings.get('freeze_base') else 'fine-tuned'}",
                     "test error": item["metrics"]["mnist/test"]["error"]})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["weights", "model", "labels", "start", "test error"])
    frame["labels"] = frame["labels"].astype("Int64")
    return frame.sort_values(["labels", "test error"], na_position="last").reset_index(drop=True)


def text_report():
    """Each language model's bits per character on its corpus's validation text beside the n-gram
    baselines' on the same text."""

    def measures(item, m):
        return {"parameters": item["params"], "bits per character": m["bits_per_char"],
                "nats per character": m["nats_per_char"],
                **{f"{k} baseline (bits)": v["bits_per_char"] for k, v in m["baselines"].items()},
                "epochs": item["recipe"].get("epochs"), "seconds per epoch": item["recipe"].get("seconds_per_epoch")}  # fmt: skip

    return _task_rows("text", measures)


SEQUENCE_MODELS = ("char_rnn", "char_lstm", "char_gru", "gpt")
SEQUENCE_CORPUS = "dom_casmurro"


def sequence_measures(data_dir=None):
    """For the shipped char_rnn, char_lstm, char_gru and GPT of Dom Casmurro: how far back the
    gradient reaches (`TextTask.gradient_reach`, one curve per model) and the validation loss by
    context length (`TextTask.loss_by_context`, a table)."""
    from toolkit import catalog, hub, tasks

    entries = catalog.load_catalog()
    reach, rows = {}, []
    for arch in SEQUENCE_MODELS:
        weights_id = f"{arch}.{SEQUENCE_CORPUS}"
        if weights_id not in entries:
            continue
        task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
        reach[weights_id] = task.gradient_reach(model, data_dir=data_dir)
        by_length = task.loss_by_context(model, data_dir=data_dir)
        rows.append({"weights": weights_id, "model": arch, "parameters": entries[weights_id]["params"],
                     **{f"{n} characters (nats)": loss for n, loss in by_length.items()}})  # fmt: skip
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["parameters"] = frame["parameters"].astype("Int64")
    return frame, reach


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
