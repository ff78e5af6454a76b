"""The CIFAR-10 benchmark of the CNN families: one seeded recipe, the same budget for every net.

    python benchmarks/cifar10.py --epochs 40 --out runs/cifar10 [--models resnet20,plain20]
        [--deadline SECONDS] [--mixed-precision] [--weight-decay 5e-3] [--resume]
        [--start-weights ID] [--all-training-images] [--cutout PIXELS] [--lr PEAK] [--seeds S,S]

Trains each model in its own process, all at once (they share one GPU well: each is small), on
the 45,000 training images of `$TOOLKIT_DATA/cifar10` that the folder task keeps for training
(5,000 are held out for validation, as in the ResNet paper's section 4.2). It writes one run folder
per model, `OUT/<model>/` with config.json, best.weights.h5 (best validation accuracy),
history.csv and metrics.json: the files `toolkit weights publish` takes, which then measures the
test error on the 10,000 test images.

The recipe, shared by every family (the ResNet paper's, on a shorter schedule): SGD with Nesterov
momentum 0.9, batch 128, weight decay 5e-3, one warm-up epoch at a tenth of the learning rate
(as the paper does for ResNet-110), then cosine decay per epoch;
random crops of the image padded by 4 pixels and horizontal flips. The learning rate is 0.1,
except 0.01 for the two nets without batch normalisation (LeNet-5 and AlexNet), which diverge
at 0.1. It runs on any Keras backend, on a GPU or the CPU; the catalog records the command, backend,
machine and time per epoch of each shipped run (the median over the epochs run on the machine it
names: a run carried across sessions may have had other hosts, which `epoch_machines` lists).

Keras's SGD decays weights apart from the gradient (each step takes `learning rate x weight decay`
of every weight), while the papers' SGD (and PyTorch's) adds `weight decay x weight` to the
gradient, which momentum 0.9 then amplifies tenfold. So the default 5e-3 here regularises as much
as the 5e-4 of the usual CIFAR recipes, and `--weight-decay 1e-3` as much as the ResNet paper's
1e-4. (The first shipped runs used 5e-4, a tenth of the usual; their catalog commands say so.)

A second run of a shipped net departs from the shared recipe on purpose, and its catalog entry
says how: `--start-weights ID` starts from that catalog entry instead of random weights (the
catalog then lists the entry's own recipe under `starts_from`), `--all-training-images` trains on
all 50,000 images and keeps the last epoch (none is held out to pick the best by), `--cutout N`
also blanks a random N x N square of each image (DeVries & Taylor 2017) and `--lr` sets the peak
learning rate. `--mixed-precision` computes in bfloat16, on a GPU or on a CPU with AVX512_BF16.
`--seeds 0,1,2` trains each model once per seed (in `OUT/seed<S>/<model>/`, all at once) and keeps
in `OUT/<model>/` the mean of their weights, batch-norm statistics included: a uniform model soup
(Wortsman et al. 2022), which suits runs that start from the same `--start-weights`.

With `--deadline`, a model whose measured epoch time would overrun the deadline trains for
fewer epochs: the number is fixed after its second epoch (the warm-up epoch does not depend on
it) and recorded, so rerunning with `--epochs` set to that number repeats the run.

A run that is stopped (a session that ends, a machine that is given back) can go on where it
stopped: after every epoch each model's folder keeps `last.weights.h5` (weights and optimizer
state) and `progress.json` (epochs done, their times, the augmentation's random state), and the
same command with `--resume` continues from them, so a long CPU run can span several sessions
of one machine (keep its run folder; half-trained state is never committed). The shuffling order restarts, so a resumed run is not bit-identical to an unbroken one.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import numpy as np

MODELS = ("lenet5", "alexnet_cifar", "vgg11_cifar", "vgg16_cifar", "googlenet_cifar",
          "plain20", "plain56", "resnet20", "resnet56")  # fmt: skip
LEARNING_RATES = {"lenet5": 0.01, "alexnet_cifar": 0.01}
BUILD_ARGS = {"input_shape": [32, 32, 3], "num_classes": 10}
TASK_SETTINGS = dict(data="cifar10", image_size=32, validation_split=0.1, preprocessing="tf", seed=0)


def augment(images, rng, pad=4):
    """Random crops of the zero-padded images and random horizontal flips."""
    n, h, w, _ = images.shape
    padded = np.pad(images, [(0, 0), (pad, pad), (pad, pad), (0, 0)])
    dy, dx = rng.integers(0, 2 * pad + 1, n), rng.integers(0, 2 * pad + 1, n)
    rows = dy[:, None] + np.arange(h)
    cols = dx[:, None] + np.arange(w)
    flip = rng.random(n) < 0.5
    cols[flip] = cols[flip][:, ::-1]
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def cutout(images, rng, size):
    """Cutout (DeVries & Taylor 2017): a size x size square around a random pixel of each image set
    to 0 (mid-grey after the tf preprocessing), cut off where it overhangs the border."""
    n, h, w, _ = images.shape
    top, left = rng.integers(0, h, n) - size // 2, rng.integers(0, w, n) - size // 2
    rows = (np.arange(h) >= top[:, None]) & (np.arange(h) < top[:, None] + size)
    cols = (np.arange(w) >= left[:, None]) & (np.arange(w) < left[:, None] + size)
    return np.where((rows[:, :, None] & cols[:, None, :])[..., None], 0, images).astype(images.dtype)


def learning_rate(epoch, epochs, peak):
    """A tenth of `peak` for the first epoch, then cosine decay from `peak` per epoch."""
    if epoch == 0:
        return peak * 0.1
    return peak * 0.5 * (1 + np.cos(np.pi * (epoch - 1) / max(epochs - 1, 1)))


def load_weights(model_name, path):
    """The weights (a list of arrays) of `model_name` in a weights file without optimizer state."""
    import toolkit

    model = toolkit.build_model(model_name, **BUILD_ARGS)
    model.load_weights(str(path))
    return model.get_weights()


def make_soup(runs, out):
    """A uniform model soup (Wortsman et al. 2022): the mean of the weights of `runs`, the same recipe
    with different seeds from the same start, batch-norm statistics included, as a run folder
    `toolkit weights publish` takes. Its history is the runs' mean; its time, all of theirs."""
    import pandas as pd

    import toolkit

    configs = [json.loads((run / "config.json").read_text()) for run in runs]
    metrics = [json.loads((run / "metrics.json").read_text()) for run in runs]
    seeds = [re.search(r"--seed (\d+)", config["command"])[1] for config in configs]
    out.mkdir(parents=True, exist_ok=True)
    weights = [load_weights(configs[0]["model"], run / "best.weights.h5") for run in runs]
    model = toolkit.build_model(configs[0]["model"], **BUILD_ARGS)
    model.set_weights([np.mean(arrays, axis=0) for arrays in zip(*weights)])
    model.save_weights(str(out / "best.weights.h5"))
    histories = [pd.read_csv(run / "history.csv") for run in runs]
    pd.concat(histories).groupby("epoch", sort=True).mean().reset_index().to_csv(out / "history.csv", index=False)
    config = {
        **configs[0],
        "command": configs[0]["command"].replace(f"--seed {seeds[0]}", f"--seeds {','.join(seeds)}"),
    }
    config["hyperparameters"] = {
        **config["hyperparameters"],
        "soup": f"the mean of the weights of {len(runs)} runs, seeds {', '.join(seeds)}",
    }
    if len({c.get("epochs_asked") for c in configs}) > 1:  # runs with a --deadline may have asked for more
        config.pop("epochs_asked")
    (out / "config.json").write_text(json.dumps(config, indent=2))
    machine = metrics[0]["machine"]  # the epochs timed on it, the warm-up epochs aside
    times = [t for m in metrics for t, host in zip(m["epoch_seconds"][1:], m["epoch_machines"][1:]) if host == machine]
    summary = {key: value for key, value in metrics[0].items() if key not in ("epoch_seconds", "epoch_machines")}
    summary.update(seconds=round(sum(m["seconds"] for m in metrics), 1), seconds_per_epoch=round(float(np.median(times)), 2),
                   epochs_timed=len(times), runs=len(runs))  # fmt: skip
    write_run_entry(out, config, model.count_params())
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))


def write_run_entry(out, config, params):
    """entry.json, what `--weights RUN_FOLDER` loads a finished run by (as `toolkit fit` writes it)."""
    from toolkit.catalog import RUN_ENTRY, file_hash
    from toolkit.tasks import get_task

    task = get_task("folder", **config["task_settings"])
    entry = {**task.run_entry(config["model"], config["build"]), "params": params,
             "sha256": file_hash(out / "best.weights.h5")}  # fmt: skip
    (out / RUN_ENTRY).write_text(json.dumps(entry, indent=2))


def prepare_data(cache):
    """Decode the train and validation splits once (as the folder task does) into `cache`."""
    from toolkit.data.imagenet import preprocess
    from toolkit.tasks.folder import FolderTask

    task = FolderTask(**TASK_SETTINGS)
    arrays = {}
    for split in ("train", "validation"):
        x, y = task.split(which=split)
        arrays[f"{split}_x"], arrays[f"{split}_y"] = preprocess(x, "tf").astype("float32"), y
    np.savez(cache, **arrays)
    return task.settings["class_names"]


def seconds_per_epoch(times, machines, machine):
    """The median epoch time on `machine` (the warm-up epoch aside), the machine the catalog names.

    A run carried across sessions may have run on other hosts before; their epochs (and those of
    runs that predate `machines`, recorded as None) count only when `machine` ran none.
    """
    timed = [t for t, m in zip(times[1:], machines[1:]) if m == machine] or times[1:] or times
    return round(float(np.median(timed)), 2), len(timed)


def train(model_name, args):
    """Train one model; runs in its own process."""
    import keras

    import toolkit

    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(args.seed)
    data = np.load(args.cache)
    x, y, vx, vy = data["train_x"], data["train_y"], data["validation_x"], data["validation_y"]
    if args.all_training_images:  # none held out, so no best epoch to pick: the last one is kept
        x, y = np.concatenate([x, vx]), np.concatenate([y, vy])
    out = pathlib.Path(args.out) / model_name
    out.mkdir(parents=True, exist_ok=True)
    model = toolkit.build_model(model_name, **BUILD_ARGS)
    peak = args.lr or LEARNING_RATES.get(model_name, 0.1)
    optimizer = keras.optimizers.SGD(peak, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(args.seed)
    epochs, times, machines, best_accuracy = args.epochs, [], [], None
    progress, last, history = out / "progress.json", out / "last.weights.h5", out / "history.csv"
    if args.resume and progress.exists():
        state = json.loads(progress.read_text())
        epochs, times = state["epochs"], state["epoch_seconds"]
        machines = state.get("epoch_machines", [None] * len(times))
        rng.bit_generator.state = state["rng"]
        rows = history.read_text().splitlines()[: len(times) + 1]  # drop an epoch logged after the saved state
        history.write_text("\n".join(rows) + "\n")
        if not args.all_training_images:
            column = rows[0].split(",").index("val_accuracy")
            best_accuracy = max(float(row.split(",")[column]) for row in rows[1:])
        if len(times) < epochs:
            optimizer.build(model.trainable_variables)
            model.load_weights(str(last))
        print(f"{model_name}: resumed after epoch {len(times)}/{epochs}", flush=True)
    else:
        history.unlink(missing_ok=True)
        if args.start_weights:
            model.set_weights(toolkit.hub.load_pretrained(args.start_weights).get_weights())
    # with none held out, every epoch is saved and the last one kept
    best_only = {} if args.all_training_images else dict(monitor="val_accuracy", mode="max", save_best_only=True,
                                                         initial_value_threshold=best_accuracy)  # fmt: skip
    callbacks = [
        keras.callbacks.CSVLogger(str(history), append=True),
        keras.callbacks.ModelCheckpoint(str(out / "best.weights.h5"), save_weights_only=True, **best_only),
    ]
    while (epoch := len(times)) < epochs:
        optimizer.learning_rate = learning_rate(epoch, epochs, peak)
        began = time.perf_counter()
        images = augment(x, rng)
        images = cutout(images, rng, args.cutout) if args.cutout else images
        model.fit(images, y, batch_size=128, epochs=epoch + 1, initial_epoch=epoch, shuffle=True,
                  validation_data=None if args.all_training_images else (vx, vy), callbacks=callbacks, verbose=0)  # fmt: skip
        times.append(time.perf_counter() - began)
        machines.append(args.machine)
        if epoch == 1 and args.deadline:
            left = args.deadline - (time.time() - args.started) - 30
            epochs = max(2, min(epochs, 2 + int(left // times[-1])))
        print(f"{model_name}: epoch {epoch + 1}/{epochs} in {times[-1]:.1f} s", flush=True)
        # written beside, then renamed into place: a run killed while saving keeps its last whole state
        model.save_weights(str(out / "partial.weights.h5"))
        os.replace(out / "partial.weights.h5", last)
        state = {"epochs": epochs, "epoch_seconds": times, "epoch_machines": machines, "rng": rng.bit_generator.state}
        (out / "progress.partial").write_text(json.dumps(state))
        os.replace(out / "progress.partial", progress)
    last.unlink(missing_ok=True)
    # keep the model's weights alone (half the file: the checkpoint also holds the optimizer's state)
    best = toolkit.build_model(model_name, **BUILD_ARGS)
    best.load_weights(str(out / "best.weights.h5"))
    best.save_weights(str(out / "best.weights.h5"))
    command = f"KERAS_BACKEND={keras.backend.backend()} python benchmarks/cifar10.py --models {model_name}"
    command += f" --epochs {epochs} --seed {args.seed} --weight-decay {args.weight_decay:g}"
    command += f" --lr {args.lr:g}" if args.lr else ""
    command += f" --cutout {args.cutout}" if args.cutout else ""
    command += " --all-training-images" if args.all_training_images else ""
    command += f" --start-weights {args.start_weights}" if args.start_weights else ""
    command += " --mixed-precision" if args.mixed_precision else ""
    config = {"model": model_name, "task": "folder", "task_settings": {**TASK_SETTINGS, "class_names": args.classes},
              "build": BUILD_ARGS, "epochs": epochs, "epochs_asked": args.epochs, "command": command,
              "hyperparameters": {"optimizer": "sgd, nesterov momentum 0.9", "learning_rate": peak, "batch_size": 128,
                         "weight_decay": args.weight_decay, "training_images": len(x),
                         "augment": "pad 4 + random crop, horizontal flip"
                         + (f", cutout {args.cutout}x{args.cutout}" if args.cutout else ""),
                         "precision": "mixed_bfloat16" if args.mixed_precision else "float32"},
              "backend": keras.backend.backend(),
              **({"start_weights": args.start_weights} if args.start_weights else {})}  # fmt: skip
    (out / "config.json").write_text(json.dumps(config, indent=2))
    median, timed = seconds_per_epoch(times, machines, args.machine)
    metrics = {"epochs": epochs, "seconds": round(sum(times), 1), "seconds_per_epoch": median,
               "epochs_timed": timed, "epoch_seconds": [round(t, 3) for t in times],
               "epoch_machines": machines, "parameters": model.count_params(),
               "machine": args.machine, "concurrent_runs": args.concurrent}  # fmt: skip
    write_run_entry(out, config, model.count_params())
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/cifar10")
    parser.add_argument(
        "--seeds",
        help="train once per seed (comma-separated) and keep the mean of the runs' weights (a model soup)",
    )
    parser.add_argument("--deadline", type=float, help="seconds from the start by which every model must finish")
    parser.add_argument(
        "--mixed-precision",
        action="store_true",
        help="bfloat16 compute (faster on a GPU, and on a CPU with AVX512_BF16)",
    )
    parser.add_argument("--lr", type=float, help="the peak learning rate (default 0.1; 0.01 for LeNet-5 and AlexNet)")
    parser.add_argument("--cutout", type=int, default=0, help="also blank a square of this many pixels (0: none)")
    parser.add_argument(
        "--all-training-images",
        action="store_true",
        help="train on all 50,000 (none held out for validation); keep the last epoch",
    )
    parser.add_argument("--start-weights", help="a catalog id to start from (a second run of a shipped model)")
    parser.add_argument(
        "--weight-decay", type=float, default=5e-3, help="decoupled, as Keras does it (5e-3 = the usual 5e-4)"
    )
    parser.add_argument("--resume", action="store_true", help="go on from each model's last finished epoch in --out")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--classes", type=lambda s: s.split(","), help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, default=time.time(), help=argparse.SUPPRESS)
    parser.add_argument("--machine", help=argparse.SUPPRESS)
    parser.add_argument("--concurrent", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return train(args.worker, args)
    seeds = [int(seed) for seed in args.seeds.split(",")] if args.seeds else [args.seed]
    from toolkit.catalog import load_catalog
    from toolkit.machine import describe_machine

    models = args.models.split(",")
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}")
    if args.start_weights and not all(args.start_weights.startswith(f"{m}.") for m in models):
        parser.error(f"--start-weights {args.start_weights}: not weights of {', '.join(models)}")
    if args.start_weights and args.start_weights not in load_catalog():
        parser.error(f"--start-weights {args.start_weights}: no such catalog entry (`toolkit weights list`)")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "cifar10-cache.npz"
    classes = prepare_data(cache)
    print(f"decoded CIFAR-10 in {time.time() - args.started:.0f} s", flush=True)
    environment = {**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    common = ["--epochs", str(args.epochs), "--weight-decay", str(args.weight_decay), "--cache", str(cache),
              "--classes", ",".join(classes), "--started", str(args.started), "--machine", describe_machine(),
              "--concurrent", str(len(models) * len(seeds))]  # fmt: skip
    common += ["--deadline", str(args.deadline)] if args.deadline else []
    common += ["--mixed-precision"] if args.mixed_precision else []
    common += ["--lr", str(args.lr)] if args.lr else []
    common += ["--cutout", str(args.cutout)] if args.cutout else []
    common += ["--all-training-images"] if args.all_training_images else []
    common += ["--start-weights", args.start_weights] if args.start_weights else []
    common += ["--resume"] if args.resume else []
    workers = {}
    for name in models:
        for seed in seeds:  # a soup's runs each in a folder of their own, OUT/seed<S>/<model>
            folder, label = (out / f"seed{seed}", f"{name}-seed{seed}") if args.seeds else (out, name)
            log = open(out / f"{label}.log", "a" if args.resume else "w")  # a resumed run keeps its earlier log
            options = ["--seed", str(seed), "--out", str(folder)]
            workers[label] = subprocess.Popen([sys.executable, __file__, "--worker", name, *options, *common],
                                              env=environment, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    failed = []
    for name, worker in workers.items():
        try:
            wait = args.deadline + 60 - (time.time() - args.started) if args.deadline else None
            failed += [name] if worker.wait(timeout=max(wait, 1) if wait else None) != 0 else []
        except subprocess.TimeoutExpired:
            worker.kill()
            failed.append(name)
    cache.unlink()
    for name in models if args.seeds and not failed else []:
        make_soup([out / f"seed{seed}" / name for seed in seeds], out / name)
    for name in models:
        if (out / name / "metrics.json").exists():
            history = (out / name / "history.csv").read_text().strip().splitlines()
            print(f"{name}: {len(history) - 1} epochs; last: {history[-1]}")
    if failed:
        print(f"failed: {', '.join(failed)} (see {out}/<model>.log)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
