"""`toolkit fit`: train a registry model on a task, resumably, with its files in --out."""

import click

from cli.options import model_args_option, option_name
from toolkit.tasks import TASKS
from toolkit.tasks.recipes import RECIPES

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Data directory (default: $TOOLKIT_DATA, else ~/.toolkit/data).",
)


def _option_flags(options):
    """The flags that give a task's `options` again, for the run's recorded command."""
    import dataclasses
    import shlex

    text = ""
    for field in dataclasses.fields(options):
        value = getattr(options, field.name)
        if value is None or value is False or value == ():
            continue
        values = value if isinstance(value, tuple) else [value]
        text += "".join(f" {option_name(field.name)}" + ("" if v is True else f" {shlex.quote(str(v))}") for v in values)
    return text


def _click_type(field):
    meta = field.metadata
    kind = meta["repeat"] or field.type
    if meta["choices"]:
        return click.Choice(meta["choices"])
    if kind in (int, float) and meta["minimum"] is not None:
        return click.IntRange(meta["minimum"]) if kind is int else click.FloatRange(meta["minimum"])
    return kind


def task_options(command):
    """Give `command` one option for each field of the tasks' `Options`; a field that several tasks
    declare is one option, whose help says what it is to each of them."""
    import dataclasses

    from toolkit.tasks import task_class

    declared = {}
    for task_name in sorted(TASKS):
        for field in dataclasses.fields(task_class(task_name).Options):
            declared.setdefault(field.name, []).append((task_name, field))
    for name, uses in reversed(list(declared.items())):
        field = uses[0][1]
        helps = {}
        for task_name, use in uses:
            helps.setdefault(use.metadata["help"], []).append(task_name)
        text = "; ".join(f"{', '.join(tasks)}: {help}" for help, tasks in helps.items())
        flag = field.type is bool
        command = click.option(
            option_name(name),
            name,
            is_flag=flag,
            type=None if flag else _click_type(field),
            multiple=bool(field.metadata["repeat"]),
            default=None if field.metadata["repeat"] else field.default,
            show_default=not (field.default is None or field.default is False or field.default == ()),
            help=text + ".",
        )(command)
    return command


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
    "--weight-decay",
    type=click.FloatRange(0),
    help="Decoupled weight decay, as Keras applies it (default: none; 1e-4 with adamw).",
)
@click.option(
    "--schedule",
    type=click.Choice(["cosine", "warmup-cosine"]),
    default="cosine",
    show_default=True,
    help="The learning rate per epoch: cosine decay to 1 % of --lr, or a warm-up epoch at a tenth, then cosine decay to 0.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of every random source; same seed, same weights."
)
@click.option(
    "--augment",
    type=click.Choice(["none", "affine", "elastic", "crop-flip"]),
    default="none",
    show_default=True,
    help="Distortions of the training images: digits, segmentation: affine, elastic; folder: affine, crop-flip.",
)
@click.option(
    "--precision",
    type=click.Choice(["float32", "mixed_bfloat16"]),
    default="float32",
    show_default=True,
    help="Compute in bfloat16 with float32 weights (faster on a GPU, and on a CPU with AVX512_BF16).",
)
@click.option(
    "--recipe",
    type=click.Choice(sorted(RECIPES)),
    help="Take the settings this command line does not give from a named recipe (cifar10: the CIFAR-10 benchmark's).",
)
@click.option("--out", type=click.Path(file_okay=False), help="Run folder (default: runs/MODEL-TASK).")
@click.option(
    "--resume", is_flag=True, help="Continue the unfinished run in --out (rerunning with the same --out does too)."
)
@click.option("--force", is_flag=True, help="Replace a finished run in --out (its run files; other files stay).")
@click.option(
    "--strategy",
    type=click.Choice(["default", "mirrored", "multi-worker"]),
    default="default",
    show_default=True,
    help="One device, every device of this machine (tf.distribute), or several processes or machines (JAX backend; docs/digits.md).",
)
@click.option("--tensorboard", is_flag=True, help="Also write TensorBoard logs to OUT/tensorboard.")
@click.option("--limit", type=click.IntRange(1), help="Train on only the first N training examples (a quick look).")
@data_dir_option
@model_args_option
@task_options
def fit_command(model_name, task_name, recipe, out, resume, force, strategy, tensorboard, limit, data_dir, model_args, **chosen):  # fmt: skip
    """Train MODEL on TASK; writes best.weights.h5, metrics.json, history.csv/png to --out.

    The options after --arg belong to the tasks that name them in their help.
    """
    import contextlib
    import dataclasses
    import json
    import pathlib
    import shlex
    import sys

    import toolkit
    from toolkit.tasks import get_task, task_class
    from toolkit.tasks.recipes import get_recipe

    toolkit.model_info(model_name)
    ctx = click.get_current_context()
    given = {name for name in ctx.params if ctx.get_parameter_source(name).name == "COMMANDLINE"}
    if recipe:
        if "task_name" in given and task_name != get_recipe(recipe).task:
            raise click.UsageError(f"the {recipe} recipe trains the {get_recipe(recipe).task} task, not {task_name}")
        task_name = get_recipe(recipe).task
        chosen.update({k: v for k, v in get_recipe(recipe).for_model(model_name).items() if k not in given})
    epochs, batch_size, optimizer, seed = (chosen.pop(k) for k in ("epochs", "batch_size", "optimizer", "seed"))
    learning_rate, weight_decay, schedule = (chosen.pop(k) for k in ("learning_rate", "weight_decay", "schedule"))
    augment, precision = chosen.pop("augment"), chosen.pop("precision")
    cls = task_class(task_name)
    declared = {field.name for field in dataclasses.fields(cls.Options)}
    foreign = [name for name in chosen if name not in declared and name in given]
    if foreign:
        raise click.UsageError(f"{option_name(foreign[0])} is not an option of the {task_name} task")
    if augment not in cls.augmentations:
        raise click.UsageError(f"--augment {augment}: the {task_name} task takes {', '.join(cls.augmentations)}")
    options = cls.Options(**{name: chosen[name] for name in declared})
    if task_name in ("folder", "segmentation") and data_dir and not options.data:
        options.data, data_dir = data_dir, None  # before --data, these tasks took their folder as --data-dir
    learning_rate = learning_rate or cls.learning_rate
    try:
        settings, model_name, task_build = cls.settings_for(model_name, options, data_dir, seed)
    except ValueError as error:
        from cli.output import error_line

        raise click.UsageError(error_line(error)) from None
    task = get_task(task_name, **settings)
    out = out or f"runs/{model_name}-{task_name}"
    from toolkit import files
    from toolkit.tasks.training import make_strategy, run_fit, seed_everything, weights_digest, whole_batches, worker

    try:
        distribution = make_strategy(strategy)
    except ValueError as error:
        raise click.UsageError(f"--strategy {strategy}: {error}") from None
    index, processes = worker()
    if batch_size % processes:
        raise click.UsageError(f"--batch-size {batch_size} is not shared evenly by {processes} processes")
    if index:  # the first process writes the run folder; each other one keeps its own state beside it
        out = f"{out}.worker-{index}"

    new_folders = [folder for folder in (pathlib.Path(out), *pathlib.Path(out).parents) if not folder.exists()]
    pathlib.Path(out).mkdir(parents=True, exist_ok=True)
    try:
        held = files.lock(out)  # kept until the process ends: no other fit writes this folder meanwhile
    except files.FolderInUse as error:
        raise click.ClickException(str(error)) from None
    try:
        out = _prepare_out(out, resume=resume, force=force)
        seed_everything(seed)
        import keras

        backend = keras.backend.backend()
        command = "" if backend == "tensorflow" else f"KERAS_BACKEND={backend} "
        command += f"toolkit fit --model {model_name} --task {task_name}" + (f" --recipe {recipe}" if recipe else "")
        command += (
            f" --epochs {epochs} --batch-size {batch_size} --lr {learning_rate:g} --optimizer {optimizer}"
            f" --seed {seed} --augment {augment} --strategy {strategy}"
        )
        command += f" --weight-decay {weight_decay:g}" if weight_decay is not None else ""
        command += f" --schedule {schedule}" if schedule != "cosine" else ""
        command += f" --precision {precision}" if precision != "float32" else ""
        command += f" --limit {limit}" if limit else ""
        command += _option_flags(options)
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
            **({"recipe": recipe} if recipe else {}),
            **({"weight_decay": weight_decay} if weight_decay is not None else {}),
            **({"schedule": schedule} if schedule != "cosine" else {}),
            **({"precision": precision} if precision != "float32" else {}),
        }
        _check_resumed_config(out, config)
        keras.mixed_precision.set_global_policy(precision)
        with distribution.scope():
            model = task.build(model_name, **dict(model_args), **task_build)
            task.compile(model, optimizer, learning_rate, weight_decay)
        config["input_shape"] = list(model.input_shape[1:]) if hasattr(model, "input_shape") else None
        train, validation = task.datasets(
            model, batch_size=batch_size, seed=seed, augment=augment, data_dir=data_dir, limit=limit
        )
        if processes > 1:  # every process takes the same steps, or the last one waits forever: whole batches only
            train, validation = (whole_batches(data, batch_size) for data in (train, validation))
        config["task_settings"] = task.settings
        config["hyperparameters"] = {
            "optimizer": {"sgd": "sgd, nesterov momentum 0.9"}.get(optimizer, optimizer),
            "learning_rate": learning_rate,
            "schedule": schedule,
            "batch_size": batch_size,
            **({"weight_decay": weight_decay} if weight_decay is not None else {}),
            **task.training_facts(augment, data_dir, limit),
            "precision": precision,
        }
        click.echo(f"fitting {model_name} ({model.count_params():,} parameters) on {task_name} -> {out}", err=True)
        with contextlib.redirect_stdout(sys.stderr):  # Keras prints its progress bar to stdout
            metrics = run_fit(task, model, train, validation, out=out, epochs=epochs, config=config, tensorboard=tensorboard, data_dir=data_dir,
                              several_steps=strategy == "default")  # fmt: skip
        if processes > 1:
            click.echo(f"process {index} of {processes}: weights digest {weights_digest(model)}", err=True)
        if index:
            import shutil

            held.close()
            shutil.rmtree(out)  # its backup served while the run could stop; the run folder is the first's
        else:
            click.echo(json.dumps(metrics, indent=2))
    except BaseException:
        if new_folders:
            held.close()
            (pathlib.Path(out) / files.LOCK_FILE).unlink(missing_ok=True)
        for folder in new_folders:  # a fit that failed before writing anything leaves no empty folders
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        held.close()  # the lock is let go
        if precision != "float32":  # what the process builds next computes in float32 again
            import keras

            keras.mixed_precision.set_global_policy("float32")


RUN_FILES = ("config.json", "entry.json", "metrics.json", "best.weights.h5", "history.csv", "history.png")
RUN_FOLDERS = ("backup", "tensorboard", "samples")


def _prepare_out(out, *, resume, force):
    """Create the run folder; never overwrite a finished run without `force`, which replaces the
    toolkit's own run files and leaves every other file in the folder as it is.

    A folder holding an unfinished run (a backup, or the config of a run stopped in its first
    epoch) is resumed; `resume=True` demands one. A finished run keeps no backup to go on from,
    so resuming it is refused rather than started over.
    """
    import pathlib
    import shutil

    from toolkit.files import LOCK_FILE
    from toolkit.runs import finished as is_finished

    out = pathlib.Path(out)
    finished = is_finished(out)
    unfinished = not finished and ((out / "backup").exists() or (out / "config.json").exists())
    if force and out.exists():
        for name in RUN_FILES:
            (out / name).unlink(missing_ok=True)
        for name in RUN_FOLDERS:
            shutil.rmtree(out / name, ignore_errors=True)
    elif finished and resume:
        raise FileExistsError(f"{out} holds a finished run, with nothing to resume; pass --force to train it again")
    elif finished:
        raise FileExistsError(f"{out} holds a finished run; choose another --out or pass --force to replace it")
    elif resume and not unfinished:
        raise FileNotFoundError(f"{out} holds no run to resume")
    elif out.exists() and any(p.name != LOCK_FILE for p in out.iterdir()) and not unfinished and not finished:
        raise FileExistsError(f"{out} exists and is not a toolkit run; choose another --out or pass --force")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _check_resumed_config(out, config):
    """Refuse to resume an unfinished run with other arguments than it was started with (more or
    fewer epochs are allowed)."""
    import json

    from toolkit.files import read_json

    started = out / "config.json"
    if not (out / "backup").exists() or not started.exists():
        return
    before = read_json(started)
    changed = [
        k for k, v in config.items() if k not in ("command", "epochs") and json.loads(json.dumps(v)) != before.get(k)
    ]
    if changed:
        raise click.UsageError(
            f"{out} holds an unfinished run started with other {', '.join(changed)}"
            f" ({before['command']}); resume it with its own arguments, or pass --force to start over"
        )
