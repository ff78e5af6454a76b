"""The CIFAR-10 benchmark of the CNN families: `toolkit fit --recipe cifar10` for each, side by side.

    python benchmarks/cifar10.py --epochs 40 --out runs/cifar10 [--models resnet20,plain20]
        [--weight-decay 5e-3] [--lr PEAK] [--cutout PIXELS] [--all-training-images]
        [--start-weights ID] [--mixed-precision] [--seeds S,S] [--per-class N] [--resume]

Trains each model with `toolkit fit --recipe cifar10` in a process of its own, all at once (they
are small: they share one GPU well), and writes each run folder to `OUT/<model>/`: the files
`toolkit weights publish` takes, which then measures the test error on the 10,000 test images.
The recipe (`toolkit/tasks/recipes.py`) is the ResNet paper's on a shorter schedule, the same for
every family; the options below depart from it, and each run's config.json records the whole
`toolkit fit` command that repeats it.

`--start-weights ID` starts from a catalog entry (`toolkit fit --weights`; the catalog then lists
the entry's recipe under `starts_from`), `--all-training-images` holds none of the 50,000 out and
keeps the last epoch (`--validation-split 0`), `--cutout N` also blanks a random N x N square of
each image (DeVries & Taylor 2017), `--lr` sets the peak learning rate and `--mixed-precision`
computes in bfloat16 (`--precision mixed_bfloat16`). `--seeds 0,1,2` trains each model once per
seed (in `OUT/seed<S>/<model>/`, all at once) and keeps in `OUT/<model>/` the mean of their
weights, batch-norm statistics included: a uniform model soup (Wortsman et al. 2022), which suits
runs that start from the same `--start-weights`.

A run that is stopped goes on from its last finished epoch when the same command is given again
with `--resume` (a `toolkit fit` run folder keeps its backup until the run ends); finished runs are
kept as they are. `--per-class N` trains on N images of each class, for a quick look.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

MODELS = ("lenet5", "alexnet_cifar", "vgg11_cifar", "vgg16_cifar", "googlenet_cifar",
          "plain20", "plain56", "resnet20", "resnet56")  # fmt: skip


def fit_command(model_name, args, seed, out):
    """The `toolkit fit` command line of one run of the benchmark."""
    command = [sys.executable, "-m", "cli.main", "fit", "--recipe", "cifar10", "--model", model_name,
               "--epochs", str(args.epochs), "--seed", str(seed), "--out", str(out)]  # fmt: skip
    command += ["--weight-decay", f"{args.weight_decay:g}"] if args.weight_decay is not None else []
    command += ["--lr", f"{args.lr:g}"] if args.lr else []
    command += ["--cutout", str(args.cutout)] if args.cutout else []
    command += ["--validation-split", "0"] if args.all_training_images else []
    command += ["--weights", args.start_weights] if args.start_weights else []
    command += ["--precision", "mixed_bfloat16"] if args.mixed_precision else []
    command += ["--per-class", str(args.per_class)] if args.per_class else []
    return command


def benchmark_command(model_name, args):
    """The command that repeats the benchmark for one model (a soup's, whose runs have several)."""
    import keras

    command = f"KERAS_BACKEND={keras.backend.backend()} python benchmarks/cifar10.py --models {model_name}"
    command += f" --epochs {args.epochs} --seeds {args.seeds}"
    command += f" --weight-decay {args.weight_decay:g}" if args.weight_decay is not None else ""
    command += f" --lr {args.lr:g}" if args.lr else ""
    command += f" --cutout {args.cutout}" if args.cutout else ""
    command += " --all-training-images" if args.all_training_images else ""
    command += f" --start-weights {args.start_weights}" if args.start_weights else ""
    command += " --mixed-precision" if args.mixed_precision else ""
    command += f" --per-class {args.per_class}" if args.per_class else ""
    return command


def make_soup(runs, out, command):
    """A uniform model soup (Wortsman et al. 2022): the mean of the weights of `runs` (the same recipe
    with different seeds from the same start), batch-norm statistics included, as a run folder of
    `toolkit fit`'s kind made by `command`. Its history is the runs' mean; its time, all of theirs."""
    import pandas as pd

    from toolkit import hub
    from toolkit.catalog import RUN_ENTRY, file_hash
    from toolkit.tasks.training import typical_epoch

    configs = [json.loads((run / "config.json").read_text()) for run in runs]
    metrics = [json.loads((run / "metrics.json").read_text()) for run in runs]
    models = [hub.load_pretrained(str(run)) for run in runs]  # each run's entry.json builds and loads it
    out.mkdir(parents=True, exist_ok=True)
    soup = models[0]
    soup.set_weights([np.mean(arrays, axis=0) for arrays in zip(*(model.get_weights() for model in models))])
    soup.save_weights(str(out / "best.weights.h5"))
    histories = [pd.read_csv(run / "history.csv") for run in runs]
    pd.concat(histories).groupby("epoch", sort=True).mean().reset_index().to_csv(out / "history.csv", index=False)
    seeds = [str(config["seed"]) for config in configs]
    config = {**configs[0], "out": str(out), "command": command}
    soup_text = f"the mean of the weights of {len(runs)} runs, seeds {', '.join(seeds)}"
    config["hyperparameters"] = {**config["hyperparameters"], "soup": soup_text}
    (out / "config.json").write_text(json.dumps(config, indent=2))
    times = [t for m in metrics for t in m["epoch_seconds"][1:]] or [t for m in metrics for t in m["epoch_seconds"]]
    summary = {**metrics[0], "seconds": round(sum(m["seconds"] for m in metrics), 1), "runs": len(runs),
               "seconds_per_epoch": typical_epoch([0, *times]), "epoch_seconds": times}  # fmt: skip
    entry = json.loads((runs[0] / RUN_ENTRY).read_text())
    (out / RUN_ENTRY).write_text(json.dumps({**entry, "sha256": file_hash(out / "best.weights.h5")}, indent=2))
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/cifar10")
    parser.add_argument(
        "--seeds", help="train once per seed (comma-separated) and keep the mean of the runs' weights (a model soup)"
    )
    parser.add_argument(
        "--mixed-precision", action="store_true", help="bfloat16 compute (faster on a GPU, and on a CPU with AVX512_BF16)"
    )
    parser.add_argument("--lr", type=float, help="the peak learning rate (default: the recipe's, 0.1 or 0.01)")
    parser.add_argument("--cutout", type=int, default=0, help="also blank a square of this many pixels (0: none)")
    parser.add_argument(
        "--all-training-images",
        action="store_true",
        help="train on all 50,000 (none held out for validation); keep the last epoch",
    )
    parser.add_argument("--start-weights", help="a catalog id to start from (a second run of a shipped model)")
    parser.add_argument("--weight-decay", type=float, help="decoupled, as Keras does it (default: the recipe's 5e-3)")
    parser.add_argument("--per-class", type=int, help="train on N images of each class (a quick look)")
    parser.add_argument("--resume", action="store_true", help="go on with the unfinished runs in --out; keep the rest")
    args = parser.parse_args(argv)
    from toolkit import runs

    models = args.models.split(",")
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}")
    if args.start_weights and not all(args.start_weights.startswith(f"{m}.") for m in models):
        parser.error(f"--start-weights {args.start_weights}: not weights of {', '.join(models)}")
    seeds = [int(seed) for seed in args.seeds.split(",")] if args.seeds else [args.seed]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    root = pathlib.Path(__file__).resolve().parent.parent
    environment = {**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}  # fmt: skip
    started, workers = time.time(), {}
    for name in models:
        for seed in seeds:  # a soup's runs each in a folder of their own, OUT/seed<S>/<model>
            folder, label = (out / f"seed{seed}" / name, f"{name}-seed{seed}") if args.seeds else (out / name, name)
            if args.resume and runs.finished(folder):
                continue
            log = open(out / f"{label}.log", "a" if args.resume else "w")  # a resumed run keeps its earlier log
            workers[label] = subprocess.Popen(fit_command(name, args, seed, folder), env=environment, stdout=log,
                                              stderr=subprocess.STDOUT)  # fmt: skip
    failed = [label for label, worker in workers.items() if worker.wait() != 0]
    for name in models if args.seeds and not failed else []:
        make_soup([out / f"seed{seed}" / name for seed in seeds], out / name, benchmark_command(name, args))
    for name in models:
        metrics_file = out / name / "metrics.json"
        if metrics_file.exists() and any(label.split("-seed")[0] == name for label in workers):
            metrics = {**json.loads(metrics_file.read_text()), "concurrent_runs": len(workers)}  # for the catalog
            metrics_file.write_text(json.dumps(metrics, indent=2))
            print(f"{name}: {metrics['epochs']} epochs, {metrics['seconds_per_epoch']} s per epoch")
    print(f"{len(workers)} runs in {time.time() - started:.0f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)} (see {out}/<model>.log)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
