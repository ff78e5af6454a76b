"""The weights catalog: one entry per `arch.tag` id (timm's naming, torchvision's metadata).

Each entry of weights/catalog.json names its file (in weights/) or URL, the sha256 of that file,
the builder and its arguments, the task, preprocessing, label names, parameter count, metrics
keyed by dataset and split, and the exact seeded command that produced it. A file whose sha256
does not match is never loaded.
"""

import fnmatch
import functools
import hashlib
import json
import os
import pathlib
import warnings

WEIGHTS_DIR = pathlib.Path(os.environ.get("TOOLKIT_WEIGHTS", pathlib.Path(__file__).resolve().parents[1] / "weights"))
CATALOG = WEIGHTS_DIR / "catalog.json"


class WeightsError(ValueError):
    """An unknown id, a missing file, or a file whose hash does not match the catalog."""


def load_catalog():
    """The catalog as a dict of id -> entry (empty when there is none)."""
    if not CATALOG.exists():
        return {}
    return json.loads(CATALOG.read_text())


def list_weights(pattern="*", task=None):
    """Ids of the catalog entries matching a shell-style `pattern`, optionally for one task."""
    return [
        weights_id
        for weights_id, item in load_catalog().items()
        if fnmatch.fnmatch(weights_id, pattern) and task in (None, item["task"])
    ]


def save_catalog(catalog):
    CATALOG.write_text(json.dumps(dict(sorted(catalog.items())), indent=2) + "\n")


def entry(weights_id):
    """The catalog entry of `weights_id`, or of a finished run folder (`run_entry`).

    Raises:
        WeightsError: for an unknown id, suggesting close ones.
    """
    if os.path.isdir(weights_id):
        return run_entry(weights_id)
    from toolkit import registry

    catalog = load_catalog()
    if weights_id not in catalog:
        close = registry.close_matches(weights_id, catalog)
        hint = f" Did you mean {', '.join(close)}?" if close else " See `toolkit weights list`."
        raise WeightsError(f"Unknown weights {weights_id!r}.{hint}")
    return catalog[weights_id]


def expected_hash(item):
    """The hash a catalog entry promises: sha256 for the toolkit's files, md5 where Keras publishes one."""
    return item.get("sha256") or item["md5"]


def sha256(path, algorithm="sha256"):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_file(weights_id):
    """The local path of the weights file, downloaded once (into the Keras cache) if it has a URL.

    Raises:
        WeightsError: when the file is missing or its sha256 does not match the catalog.
    """
    item = entry(weights_id)
    if item.get("run"):
        return pathlib.Path(item["file"])  # a run of the user's own: no hash to check it against
    local = WEIGHTS_DIR / item["file"]
    if local.exists():
        path = local
    elif item.get("url"):
        import keras

        cache = pathlib.Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser()
        (cache / "models").mkdir(parents=True, exist_ok=True)  # else Keras falls back to /tmp/.keras
        try:
            path = pathlib.Path(
                keras.utils.get_file(
                    item["file"],
                    origin=item["url"],
                    file_hash=expected_hash(item),
                    cache_subdir="models",
                    cache_dir=str(cache),
                )
            )
        except Exception as error:
            reason = str(error).splitlines()[0][:120] if str(error).strip() else type(error).__name__
            raise WeightsError(
                f"{weights_id}: cannot get {item['file']} with the expected hash ({reason}); "
                f"download {item['url']} and put it in {cache / 'models'}"
            ) from None
    else:
        raise WeightsError(f"{weights_id}: the file {local} is missing")
    algorithm = "sha256" if item.get("sha256") else "md5"
    actual = sha256(path, algorithm)
    if actual != expected_hash(item):
        raise WeightsError(
            f"{weights_id}: {path} has {algorithm} {actual[:12]}..., the catalog expects"
            f" {expected_hash(item)[:12]}...; refusing to load it"
        )
    return path


def is_available(weights_id):
    """Whether the file of an entry is on this machine (shipped, or already in the Keras cache)."""
    item = entry(weights_id)
    cache = pathlib.Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "models"
    return (WEIGHTS_DIR / item["file"]).exists() or (cache / item["file"]).exists()


def load_into(model, weights_id):
    """Load the catalog weights `weights_id` into an already built `model` (hash checked).

    Raises:
        WeightsError: when the weights were trained for another model or other build arguments.
    """
    path = weights_file(weights_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(str(path))
            # Keras only warns when it skips a part of the model, which then keeps random weights
            fits = not any("Skipping" in str(warning.message) for warning in caught)
        except ValueError:
            fits = False
    if not fits:
        item = entry(weights_id)
        built = ", ".join(f"{k}={v!r}" for k, v in item.get("build", {}).items())
        raise WeightsError(
            f"{weights_id} does not fit this {model.name}: it holds the weights of"
            f" build_model({', '.join([repr(item['arch'])] + ([built] if built else []))})."
        ) from None


def task_for(weights_id):
    """The task of a catalog entry, with the settings it was trained with."""
    from toolkit.tasks import get_task

    item = entry(weights_id)
    return get_task(item["task"], **item.get("task_settings", {}))


def build(weights_id):
    """The model of a catalog entry, built with its arguments and loaded with its weights."""
    from toolkit import registry

    return registry.build_model(entry(weights_id)["arch"], weights=weights_id)


def build_args(item):
    """The builder's keyword arguments recorded in a catalog entry."""
    return {k: tuple(v) if k == "input_shape" else v for k, v in item.get("build", {}).items()}


def verify(weights_id):
    """(ok, message) for one entry: the file exists, its hash and its parameter count match."""
    try:
        model = build(weights_id)
    except WeightsError as error:
        return False, str(error)
    expected = entry(weights_id).get("params")
    if expected is not None and model.count_params() != expected:
        return False, f"{weights_id}: {model.count_params():,} parameters, the catalog says {expected:,}"
    return True, f"{weights_id}: ok"


def read_run(run_dir):
    """(config, metrics) of a finished run folder of `toolkit fit` or the benchmarks."""
    run_dir = pathlib.Path(run_dir)
    if not (run_dir / "config.json").exists():
        raise WeightsError(f"{run_dir} is not a run folder of `toolkit fit` or the benchmarks (no config.json)")
    if not (run_dir / "metrics.json").exists():
        raise WeightsError(f"{run_dir} holds an unfinished run (no metrics.json); finish it first")
    return json.loads((run_dir / "config.json").read_text()), json.loads((run_dir / "metrics.json").read_text())


def run_entry(run_dir):
    """A finished run folder read as a catalog entry, so `--weights runs/mine` works everywhere.

    Its best weights are the user's own: not hashed. A forecaster's interval is measured on its
    validation split, as `publish` does.
    """
    read_run(run_dir)
    config_file = pathlib.Path(run_dir, "config.json").resolve()
    return _run_entry(config_file.parent, config_file.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _run_entry(run_dir, _modified):
    from toolkit import registry
    from toolkit.tasks import get_task

    config, _ = read_run(run_dir)
    task = get_task(config["task"], **config.get("task_settings", {}))
    build_args = {**task.build_args(config["model"]), **config.get("build", {})}
    item = {"arch": config["model"], "build": build_args, "task": config["task"], "task_settings": task.settings,
            "file": str(run_dir / "best.weights.h5"), "run": str(run_dir), "labels": task.labels, "metrics": {}}  # fmt: skip
    if hasattr(task, "residual_std") and not task.settings.get("residual_std"):
        model = registry.build_model(config["model"], **build_args)
        model.load_weights(item["file"])
        task.settings["residual_std"] = task.residual_std(model)
    return item


def publish(run_dir, weights_id, *, data_dir=None, description="", force=False, float16=False):
    """Add a finished `toolkit fit` run to the catalog as `weights_id`, evaluated on the test split.

    Copies the run's best weights into weights/ (as float16 with `float16`, half the size),
    measures the task's test metrics with the file as shipped and records them with the run's
    command, time per epoch, machine and per-epoch accuracies.
    """
    from toolkit import registry
    from toolkit.tasks import get_task

    run_dir = pathlib.Path(run_dir)
    config, metrics = read_run(run_dir)
    catalog = load_catalog()
    if weights_id in catalog and not force:
        raise WeightsError(f"{weights_id} is already in the catalog; pass --force to replace it")
    arch = weights_id.split(".")[0]
    if arch not in (config["model"], "digits"):
        raise WeightsError(f"{weights_id}: the id must start with the run's model {config['model']!r}")
    task = get_task(config["task"], **config.get("task_settings", {}))
    earlier = earlier_recipes(started_from(config))
    task.settings.pop("start_weights", None)  # provenance, not a setting
    build_args = {**task.build_args(config["model"], data_dir), **config.get("build", {})}
    model = registry.build_model(config["model"], **build_args)
    model.load_weights(str(run_dir / "best.weights.h5"))
    target = WEIGHTS_DIR / f"{weights_id}.weights.h5"
    model.save_weights(target)  # the model's weights alone: the run's file also holds the optimizer's state
    if float16:
        to_float16(target)
        model.load_weights(str(target))
    result = task.evaluate(model, data_dir=data_dir)
    floor = task.floor(data_dir) if hasattr(task, "floor") else None
    if hasattr(task, "residual_std"):
        task.settings["residual_std"] = task.residual_std(model, data_dir)
    catalog[weights_id] = {
        **_file_entry(target, model, config["model"], build_args, config["task"], task, description),
        "labels": task.labels,
        "metrics": {f"{result['dataset']}/{result['split']}": task.summary(result)},
        **({"floor (real training digits against real test digits)": floor} if floor else {}),
        "recipe": {
            "command": config["command"],
            "epochs": config["epochs"] + sum(r["epochs"] for r in earlier),
            **({"starts_from": earlier} if earlier else {}),
            "seconds_per_epoch": metrics["seconds_per_epoch"],
            "machine": metrics.get("machine") or describe_machine(),
            **{
                k: config[k]
                for k in ("recipe", "backend", "epochs_asked", "momentum_reset_after_epochs")
                if k in config
            },
            **({"concurrent_runs": metrics["concurrent_runs"]} if metrics.get("concurrent_runs", 1) > 1 else {}),
            **({"stored_as": "float16"} if float16 else {}),
        },
        **({"history": curves} if (curves := history(run_dir / "history.csv")) else {}),
    }
    save_catalog(catalog)
    return catalog[weights_id]


def _file_entry(target, model, arch, build_args, task_name, task, description):
    """The fields every catalog entry of a shipped file has: what to build, the file and its hash."""
    return {
        "arch": arch,
        "build": build_args,
        "task": task_name,
        "task_settings": task.settings,
        "file": target.name,
        "sha256": sha256(target),
        "file_size": target.stat().st_size,
        "url": None,
        "params": model.count_params(),
        "description": description,
        "preprocessing": task.preprocessing,
    }


def describe_machine():
    """This machine in a line: processor, CPU cores and GPU (as `nvidia-smi` names it), for recipes."""
    import platform
    import subprocess

    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20).stdout.strip().splitlines()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        gpu = []
    processor = platform.machine()
    try:  # hosts of one architecture differ much in speed (see vector_extension)
        info = {}
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
        processor += f" {info['model name']}" if info.get("model name") else ""
        processor += vector_extension(info.get("flags", "").split())
    except OSError:
        pass
    return f"{processor}, {os.cpu_count()} CPU cores, " + (f"GPU {gpu[0]}" if gpu else "no GPU")


def vector_extension(flags):
    """' (AVX-512)' or ' (AVX2)' from /proc/cpuinfo's flags: a virtual machine may name its processor
    only by make ("AMD EPYC"), and two hosts so named took 505 s and 3,174 s for one GoogLeNet CIFAR-10 epoch."""
    for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2")):
        if flag in flags:
            return f" ({name})"
    return ""


def earlier_recipes(start_weights):
    """The runs a run continued from (`toolkit fit --weights`), first run first: each one's command,
    epochs and time per epoch, read from its run folder or its catalog entry."""
    if not start_weights:
        return []
    catalog = load_catalog()
    if start_weights in catalog:
        recipe = dict(catalog[start_weights]["recipe"])
        before = recipe.pop("starts_from", [])
        recipe["epochs"] -= sum(r["epochs"] for r in before)
        return before + [recipe]
    run = pathlib.Path(start_weights).parent
    if not (run / "config.json").exists():
        raise WeightsError(f"{start_weights}: the run this one continued from is gone; its recipe cannot be recorded")
    config = json.loads((run / "config.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    recipe = {
        "command": config["command"],
        "epochs": config["epochs"],
        "seconds_per_epoch": metrics["seconds_per_epoch"],
    }
    return earlier_recipes(started_from(config)) + [recipe]


def started_from(config):
    """The weights a run's config says it started from: `toolkit fit --weights` keeps them in the
    task's settings, `benchmarks/cifar10.py --start-weights` beside them."""
    return config.get("task_settings", {}).get("start_weights") or config.get("start_weights")


def to_float16(path):
    """Store every float32 array of a `.weights.h5` file as float16; Keras casts them back on loading."""
    import h5py
    import numpy as np

    with h5py.File(path, "r+") as f:
        names = []
        f.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
        for name in names:
            if f[name].dtype == np.float32:
                data = f[name][()].astype(np.float16)
                del f[name]
                f.create_dataset(name, data=data)
    with h5py.File(path, "r") as src, h5py.File(f"{path}.tmp", "w") as dst:  # rewrite to drop the freed space
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        for key in src:
            src.copy(key, dst)
    os.replace(f"{path}.tmp", path)


def history(history_csv):
    """The per-epoch accuracies of a run (training and validation), for the reports' curves."""
    import pandas as pd

    if not pathlib.Path(history_csv).exists():
        return {}
    frame = pd.read_csv(history_csv)
    keep = [c for c in ("accuracy", "val_accuracy") if c in frame and frame[c].notna().all()]  # NA: none held out
    return {c: [round(float(v), 4) for v in frame[c]] for c in keep}


def add_converted(weights_id, model, arch, source):
    """Save converted ImageNet weights into weights/ and the catalog (published errors, none measured)."""
    from toolkit import registry
    from toolkit.tasks.imagenet import ImageNetTask

    task = ImageNetTask()
    task.configure(arch)
    target = WEIGHTS_DIR / f"{weights_id}.weights.h5"
    model.save_weights(target)
    errors = registry.model_info(arch).errors
    catalog = load_catalog()
    description = f"torchvision's ImageNet weights ({source}), converted by toolkit convert."
    catalog[weights_id] = {
        **_file_entry(target, model, arch, {}, "imagenet", task, description),
        "metrics": {},
        "published_metrics": {
            "imagenet/val (ILSVRC-2012, single centre crop; torchvision)": {
                "top1_error": errors.get("single_top1_error"),
                "top5_error": errors.get("single_top5_error"),
            }
        },
        "recipe": {"command": f"toolkit convert {source} --arch {arch} --id {weights_id}", "source": "torchvision"},
    }
    save_catalog(catalog)
    return catalog[weights_id]
