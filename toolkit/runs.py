"""Run folders and publishing: a finished run of `toolkit fit` (or the CIFAR-10 benchmark) read back,
its recipe traced through the runs it continued, and published into the weights catalog.

A run folder holds config.json (arguments and command), best.weights.h5, history.csv/png,
metrics.json and entry.json (the catalog entry data, written when the run ends).
"""

import pathlib

from toolkit import catalog, hub
from toolkit.catalog import WeightsError
from toolkit.files import read_json, written
from toolkit.machine import describe_machine
from toolkit.tasks import get_task


def finished(run_dir):
    """Whether `run_dir` holds a finished run: its metrics written, its backup gone (the last two
    things a run does)."""
    run_dir = pathlib.Path(run_dir)
    return (run_dir / "metrics.json").exists() and not (run_dir / "backup").exists()


def read_run(run_dir):
    """(config, metrics) of a finished run folder of `toolkit fit` or the benchmarks."""
    run_dir = pathlib.Path(run_dir)
    if not (run_dir / "config.json").exists():
        raise WeightsError(f"{run_dir} is not a run folder of `toolkit fit` or the benchmarks (no config.json)")
    if not (run_dir / "metrics.json").exists():
        raise WeightsError(f"{run_dir} holds an unfinished run (no metrics.json); finish it first")
    return read_json(run_dir / "config.json", WeightsError), read_json(run_dir / "metrics.json", WeightsError)


def publish(run_dir, weights_id, *, data_dir=None, description="", force=False, float16=False):
    """Add a finished `toolkit fit` run to the catalog as `weights_id`, evaluated on the test split.

    Copies the run's best weights into the weights folder (as float16 with `float16`, half the
    size), measures the task's test metrics with the file as shipped and records them with the
    run's command, time per epoch, machine and per-epoch accuracies.
    """
    run_dir = pathlib.Path(run_dir)
    config, metrics = read_run(run_dir)
    entries = catalog.load_catalog()
    if weights_id in entries and not force:
        raise WeightsError(f"{weights_id} is already in the catalog; replace it with force")
    arch = weights_id.split(".")[0]
    if arch not in (config["model"], "digits"):
        raise WeightsError(f"{weights_id}: the id must start with the run's model {config['model']!r}")
    task = get_task(config["task"], **config.get("task_settings", {}))
    earlier = earlier_recipes(started_from(config))
    task.settings.pop("start_weights", None)  # provenance, not a setting
    build_args = {**task.build_args(config["model"], data_dir), **config.get("build", {})}
    model = hub.build_model(config["model"], **build_args)
    model.load_weights(str(run_dir / "best.weights.h5"))
    target = catalog.WEIGHTS_DIR / f"{weights_id}.weights.h5"
    with written(target, replace=True) as temporary:  # the model's weights alone, without the optimizer's
        model.save_weights(temporary)
    if float16:
        to_float16(target)
        model.load_weights(str(target))
    result = task.evaluate(model, data_dir=data_dir)
    extra = [task.evaluate(model, data_dir=data_dir, split=split) for split in task.extra_splits]
    floor = task.floor(data_dir)
    task.calibrate(model, data_dir)
    entries[weights_id] = {
        **_file_entry(target, model, config["model"], build_args, config["task"], task, description),
        "labels": task.labels,
        "metrics": {f"{r['dataset']}/{r['split']}": task.summary(r) for r in [result, *extra]},
        **({"floor": floor} if floor else {}),
        "recipe": {
            "command": config["command"],
            "epochs": config["epochs"] + sum(r.get("epochs", 0) for r in earlier),
            **({"starts_from": earlier} if earlier else {}),
            "seconds_per_epoch": metrics["seconds_per_epoch"],
            "machine": metrics.get("machine") or describe_machine(),
            **{
                k: config[k]
                for k in ("hyperparameters", "backend", "epochs_asked", "momentum_reset_after_epochs")
                if k in config
            },  # fmt: skip
            **({"concurrent_runs": metrics["concurrent_runs"]} if metrics.get("concurrent_runs", 1) > 1 else {}),
            **({"stored_as": "float16"} if float16 else {}),
        },
        **({"history": curves} if (curves := history(run_dir / "history.csv")) else {}),
    }
    catalog.save_catalog(entries)
    return entries[weights_id]


def add_onnx(weights_id, data_dir=None):
    """Ship an ONNX form of a catalog entry beside its weights (weights/ID.onnx and its JSON),
    checked against Keras on real inputs, and record its file, sha256 and exporter in the entry."""
    from toolkit.export import export

    entries = catalog.load_catalog()
    if weights_id not in entries:
        raise WeightsError(f"{weights_id} is not in the catalog")
    entries[weights_id].pop("onnx", None)
    catalog.save_catalog(entries)  # the old form is not used while the new one is written
    path = catalog.WEIGHTS_DIR / f"{weights_id}.onnx"
    description = export(weights_id, "onnx", path, data_dir=data_dir, replace=True)
    entries[weights_id]["onnx"] = {k: description[k] for k in ("file", "sha256", "exporter")}
    catalog.save_catalog(entries)
    return entries[weights_id]["onnx"]


def _file_entry(target, model, arch, build_args, task_name, task, description):
    """The fields every catalog entry of a shipped file has: what to build, the file and its hash."""
    return {
        "arch": arch,
        "build": build_args,
        "task": task_name,
        "task_settings": task.settings,
        "file": target.name,
        "sha256": catalog.file_hash(target),
        "file_size": target.stat().st_size,
        "url": None,
        "params": model.count_params(),
        "description": description,
        "preprocessing": task.preprocessing,
    }


def earlier_recipes(start_weights):
    """The runs a run continued from (`toolkit fit --weights`), first run first: each one's command,
    epochs and time per epoch, read from its run folder or its catalog entry."""
    if not start_weights:
        return []
    entries = catalog.load_catalog()
    if start_weights in entries:
        recipe = dict(entries[start_weights]["recipe"])
        before = recipe.pop("starts_from", [])
        if "epochs" in recipe:  # converted weights record none
            recipe["epochs"] -= sum(r.get("epochs", 0) for r in before)
        return before + [recipe]
    run = pathlib.Path(start_weights).parent
    if not (run / "config.json").exists():
        raise WeightsError(f"{start_weights}: the run this one continued from is gone; its recipe cannot be recorded")
    config, metrics = read_run(run)
    recipe = {
        "command": config["command"],
        "epochs": config["epochs"],
        "seconds_per_epoch": metrics["seconds_per_epoch"],
    }
    return earlier_recipes(started_from(config)) + [recipe]


def started_from(config):
    """The weights a run's config says it started from: `toolkit fit --weights` keeps them in the
    task's settings (the folder task as the weights it transfers), and runs of the CIFAR-10
    benchmark before it trained through `toolkit fit` beside them."""
    settings = config.get("task_settings", {})
    return settings.get("start_weights") or settings.get("base_weights") or config.get("start_weights")


def to_float16(path):
    """Store every float32 array of a `.weights.h5` file as float16; Keras casts them back on loading."""
    import h5py
    import numpy as np

    def copy(name, item, dst):
        if isinstance(item, h5py.Group):
            dst.require_group(name).attrs.update(item.attrs)
            return
        data = item[()]
        dst.create_dataset(name, data=data.astype(np.float16) if data.dtype == np.float32 else data)
        dst[name].attrs.update(item.attrs)

    with written(path, replace=True) as temporary:  # one pass into a new file: the old one stays whole until then
        with h5py.File(path, "r") as src, h5py.File(temporary, "w") as dst:
            dst.attrs.update(src.attrs)
            src.visititems(lambda name, item: copy(name, item, dst))


def history(history_csv):
    """The per-epoch accuracies of a run (training and validation), for the reports' curves."""
    import pandas as pd

    if not pathlib.Path(history_csv).exists():
        return {}
    frame = pd.read_csv(history_csv)
    keep = [c for c in ("accuracy", "val_accuracy") if c in frame and frame[c].notna().all()]  # NA: none held out
    return {c: [round(float(v), 4) for v in frame[c]] for c in keep}


def add_converted(weights_id, model, arch, source):
    """Save converted ImageNet weights into the weights folder and the catalog (published errors, none measured)."""
    task = get_task("imagenet")
    task.configure(arch)
    target = catalog.WEIGHTS_DIR / f"{weights_id}.weights.h5"
    with written(target, replace=True) as temporary:
        model.save_weights(temporary)
    errors = hub.model_info(arch).errors
    entries = catalog.load_catalog()
    description = f"torchvision's ImageNet weights ({source}), converted by toolkit convert."
    entries[weights_id] = {
        **_file_entry(target, model, arch, {}, "imagenet", task, description),
        "labels": None,
        "metrics": {},
        "published_metrics": {
            "imagenet/val (ILSVRC-2012, single centre crop; torchvision)": {
                "top1_error": errors.get("single_top1_error"),
                "top5_error": errors.get("single_top5_error"),
            }
        },
        "recipe": {"command": f"toolkit convert {source} --arch {arch} --id {weights_id}", "source": "torchvision"},
    }
    catalog.save_catalog(entries)
    return entries[weights_id]
