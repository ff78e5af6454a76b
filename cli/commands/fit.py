"""`toolkit fit`: train a registry model on a task, resumably, with its files in --out."""

import click

from cli.options import model_args_option
from toolkit.tasks import TASKS

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Data directory (default: $TOOLKIT_DATA, else ~/.toolkit/data).",
)


@click.command("fit")
@click.option("--model", "model_name", required=True, help="Registry name of the model, e.g. lenet5.")
@click.option(
    "--task",
    "task_name",
    default="digits",
    show_default=True,
    type=click.Choice(sorted(TASKS)),
    help="The task to train on.",
)
@click.option("--epochs", type=click.IntRange(1), default=10, show_default=True, help="Number of epochs.")
@click.option("--batch-size", type=click.IntRange(1), default=128, show_default=True, help="Examples per batch.")
@click.option(
    "--lr",
    "learning_rate",
    type=click.FloatRange(0, min_open=True),
    help="Initial learning rate, cosine-decayed (default 1e-3); GANs keep it constant (default 2e-4).",
)
@click.option(
    "--optimizer",
    type=click.Choice(["adam", "adamw", "sgd"]),
    default="adam",
    show_default=True,
    help="The optimizer (GANs use Adam with beta_1 = 0.5).",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of every random source; same seed, same weights."
)
@click.option(
    "--augment",
    type=click.Choice(["none", "affine", "elastic"]),
    default="none",
    show_default=True,
    help="Distortions of the training images.",
)
@click.option("--out", type=click.Path(file_okay=False), help="Run folder (default: runs/MODEL-TASK).")
@click.option(
    "--resume", is_flag=True, help="Continue the unfinished run in --out (rerunning with the same --out does too)."
)
@click.option("--force", is_flag=True, help="Replace a finished run in --out.")
@click.option(
    "--strategy",
    type=click.Choice(["default", "mirrored", "multi-worker"]),
    default="default",
    show_default=True,
    help="tf.distribute strategy (multi-worker reads TF_CONFIG).",
)
@click.option("--tensorboard", is_flag=True, help="Also write TensorBoard logs to OUT/tensorboard.")
@click.option("--limit", type=click.IntRange(1), help="Train on only the first N training examples (a quick look).")
@data_dir_option
@model_args_option
@click.option(
    "--data",
    help="The dataset, a path or a name in the data directory: forecasting a CSV series, folder a folder of"
    " <class>/<image>, segmentation a folder of image/ and label/ (e.g. series/airline-passengers.csv, cifar10,"
    " membrane). digits and generation read mnist.",
)
@click.option("--target", help="forecasting: the column to forecast (guessed when there is one numeric column).")
@click.option("--time-col", help="forecasting: the time column (guessed when unambiguous).")
@click.option(
    "--fill",
    type=click.Choice(["interpolate", "ffill", "drop"]),
    default="interpolate",
    show_default=True,
    help="forecasting: how missing timestamps and values are filled.",
)
@click.option(
    "--lookback",
    type=click.IntRange(1),
    default=24,
    show_default=True,
    help="forecasting: steps of history in each window.",
)
@click.option(
    "--horizon",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="forecasting: steps forecast from each window.",
)
@click.option(
    "--test-size", type=click.IntRange(1), help="forecasting: steps held out at the end (default: the last 20 %)."
)
@click.option("--val-size", type=click.IntRange(1), help="forecasting: validation steps before the test part.")
@click.option("--season", type=click.IntRange(1), help="forecasting: season length in steps (default: detected).")
@click.option("--log-scale", is_flag=True, help="forecasting: model the logarithm of a positive series.")
@click.option(
    "--difference",
    type=click.IntRange(1),
    multiple=True,
    help="forecasting: model differences at this lag (repeatable: --difference 1 --difference 12).",
)
@click.option(
    "--weights",
    "base_weights",
    help="folder: start from these catalog weights (e.g. resnet50.imagenet); generation: continue from these catalog weights or this .weights.h5 file.",
)
@click.option(
    "--freeze-base", is_flag=True, help="folder: keep the transferred layers frozen; train the new classifier only."
)
@click.option(
    "--image-size",
    type=click.IntRange(8),
    default=64,
    show_default=True,
    help="folder: side of the square input images.",
)
@click.option("--classes", help="folder: only these class folders, comma-separated.")
@click.option("--per-class", type=click.IntRange(1), help="folder: at most N images of each class.")
@click.option(
    "--padding",
    type=click.Choice(["same", "valid"]),
    default="same",
    show_default=True,
    help="segmentation: U-Net padding (training uses same).",
)
@click.option(
    "--base-filters",
    type=click.IntRange(1),
    default=16,
    show_default=True,
    help="segmentation: filters of U-Net's first level (64 in the paper).",
)
@click.option(
    "--depth",
    type=click.IntRange(1),
    default=4,
    show_default=True,
    help="segmentation: U-Net poolings (4 in the paper).",
)
@click.option(
    "--loss",
    type=click.Choice(["bce", "dice", "bce+dice"]),
    default="bce+dice",
    show_default=True,
    help="segmentation: the loss.",
)
@click.option(
    "--border-weight",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="segmentation: w0 of the paper's weight map stressing borders between touching cells (0: off).",
)
@click.option(
    "--tile",
    type=click.IntRange(32),
    default=256,
    show_default=True,
    help="segmentation: side of the training crops and prediction tiles.",
)
@click.option(
    "--latent-dim",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="generation: size of the generator's noise vector z.",
)
def fit_command(model_name, task_name, epochs, batch_size, learning_rate, optimizer, seed, augment, out, resume, force, strategy, tensorboard, limit, data_dir, model_args, data, target, time_col, fill, lookback, horizon, test_size, val_size, season, log_scale, difference, base_weights, freeze_base, image_size, classes, per_class, padding, base_filters, depth, loss, border_weight, tile, latent_dim):  # fmt: skip
    """Train MODEL on TASK; writes best.weights.h5, metrics.json, history.csv/png to --out."""
    import contextlib
    import json
    import pathlib
    import shlex
    import sys

    import toolkit
    from toolkit.tasks import get_task, task_class

    toolkit.model_info(model_name)
    if task_name in ("folder", "segmentation") and data_dir and not data:
        data, data_dir = data_dir, None  # before --data, these tasks took their folder as --data-dir
    options = dict(data=data, target=target, time_col=time_col, fill=fill, lookback=lookback, horizon=horizon,
                   test_size=test_size, val_size=val_size, season=season, log_scale=log_scale, difference=difference,
                   base_weights=base_weights, freeze_base=freeze_base, image_size=image_size, classes=classes,
                   per_class=per_class, padding=padding, base_filters=base_filters, depth=depth, loss=loss,
                   border_weight=border_weight, tile=tile, latent_dim=latent_dim, seed=seed)  # fmt: skip
    cls = task_class(task_name)
    learning_rate = learning_rate or cls.learning_rate
    try:
        settings, model_name, task_build = cls.from_options(model_name, data_dir, options)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    task = get_task(task_name, **settings)
    out = out or f"runs/{model_name}-{task_name}"
    from toolkit.tasks.training import make_strategy, prepare_out, run_fit, seed_everything

    new_folders = [folder for folder in (pathlib.Path(out), *pathlib.Path(out).parents) if not folder.exists()]
    out = prepare_out(out, resume=resume, force=force)
    try:
        seed_everything(seed)
        import keras

        backend = keras.backend.backend()
        command = "" if backend == "tensorflow" else f"KERAS_BACKEND={backend} "
        command += (
            f"toolkit fit --model {model_name} --task {task_name} --epochs {epochs} --batch-size {batch_size}"
            f" --lr {learning_rate:g} --optimizer {optimizer} --seed {seed} --augment {augment} --strategy {strategy}"
        )
        command += f" --limit {limit}" if limit else ""
        command += cls.flags(settings, options)
        command += "".join(f" --arg {shlex.quote(f'{k}={v!r}')}" for k, v in model_args)
        command += f" --out {shlex.quote(str(out))}"
        config = {
            "out": str(out),
            "command": command,
            "model": model_name,
            "task": task_name,
            "build": {**dict(model_args), **task_build},
            "epochs": epochs,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "optimizer": optimizer,
            "seed": seed,
            "augment": augment,
            "strategy": strategy,
            "limit": limit,
            "backend": backend,
        }
        _check_resumed_config(out, config)
        with make_strategy(strategy).scope():
            model = task.build(model_name, **dict(model_args), **task_build)
            task.compile(model, optimizer, learning_rate)
        config["input_shape"] = list(model.input_shape[1:]) if hasattr(model, "input_shape") else None
        train, validation = task.datasets(
            model, batch_size=batch_size, seed=seed, augment=augment, data_dir=data_dir, limit=limit
        )
        config["task_settings"] = task.settings
        click.echo(f"fitting {model_name} ({model.count_params():,} parameters) on {task_name} -> {out}", err=True)
        with contextlib.redirect_stdout(sys.stderr):  # Keras prints its progress bar to stdout
            metrics = run_fit(task, model, train, validation, out=out, epochs=epochs, config=config, tensorboard=tensorboard, data_dir=data_dir)  # fmt: skip
        click.echo(json.dumps(metrics, indent=2))
    except BaseException:
        for folder in new_folders:  # a fit that failed before writing anything leaves no empty folders
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _check_resumed_config(out, config):
    """Refuse to resume an unfinished run with other arguments than it was started with (more or
    fewer epochs are allowed)."""
    import json

    started = out / "config.json"
    if not (out / "backup").exists() or not started.exists():
        return
    before = json.loads(started.read_text())
    changed = [
        k for k, v in config.items() if k not in ("command", "epochs") and json.loads(json.dumps(v)) != before.get(k)
    ]
    if changed:
        raise click.UsageError(
            f"{out} holds an unfinished run started with other {', '.join(changed)}"
            f" ({before['command']}); resume it with its own arguments, or pass --force to start over"
        )
