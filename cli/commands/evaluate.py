"""`toolkit evaluate`: a model's error on the real test split, per class, with its mistakes."""

import click

from cli.commands.fit import data_dir_option
from toolkit.tasks import TASKS


@click.command("evaluate")
@click.option("--weights", "weights_id", help="Catalog id (e.g. lenet5.mnist), or a run folder of `toolkit fit`.")
@click.option("--model", "model_name", help="Registry model (with --checkpoint).")
@click.option(
    "--checkpoint", type=click.Path(exists=True, dir_okay=False), help="A .weights.h5 file from `toolkit fit`."
)
@click.option(
    "--task",
    "task_name",
    type=click.Choice(sorted(TASKS)),
    help="The task of --model (default: its run's, else digits); --weights know their own.",
)
@click.option(
    "--out", type=click.Path(file_okay=False), help="Write metrics.json, confusion.csv/png and mistakes.png here."
)
@click.option("--force", is_flag=True, help="Overwrite files in an existing --out.")
@click.option("--limit", type=click.IntRange(1), help="Evaluate on only the first N test images.")
@click.option("--split", default="test", show_default=True,
              help="The held-out split: test, or one the task adds (digits: printed, 2,000 typeset digits).")  # fmt: skip
@data_dir_option
@click.option("--runtime", type=click.Choice(["keras", "onnx"]), default="keras", show_default=True,
              help="Evaluate the Keras model, or its ONNX form through ONNX Runtime (the same answers).")  # fmt: skip
def evaluate_command(weights_id, model_name, checkpoint, task_name, out, force, limit, split, data_dir, runtime):
    """Test error, per-class accuracy and confusion matrix of --weights (or --model with --checkpoint)."""
    import pathlib

    from cli.output import emit
    from toolkit.files import read_json
    from toolkit.tasks import get_task

    if bool(weights_id) == bool(model_name):
        raise click.UsageError("give either --weights ID, or --model NAME (with --checkpoint FILE)")
    if model_name and not checkpoint and task_name != "imagenet":
        raise click.UsageError("--model needs --checkpoint FILE (only --task imagenet evaluates random weights)")
    if weights_id:
        from toolkit import runtime as runtimes
        from toolkit import tasks

        task = tasks.task_for(weights_id)
        if task_name and task_name != task.name:
            raise click.UsageError(f"{weights_id} is a {task.name} model, not a {task_name} one; drop --task")
        model = runtimes.load_model(weights_id, runtime)
        name = weights_id if runtime == "keras" else f"{weights_id} ({runtime})"
    else:
        if runtime != "keras":
            raise click.UsageError("--runtime onnx evaluates --weights ID; a --checkpoint is evaluated with Keras")
        run_config = pathlib.Path(checkpoint or ".").parent / "config.json"
        run = read_json(run_config) if checkpoint and run_config.exists() else {}
        for option, value, recorded in (
            ("--model", model_name, run.get("model")),
            ("--task", task_name, run.get("task")),
        ):
            if value and recorded and value != recorded:
                raise click.UsageError(
                    f"{checkpoint} comes from a run of {option} {recorded} ({run_config}), not {value}"
                )
        task = get_task(task_name or run.get("task", "digits"), **run.get("task_settings", {}))
        model = task.build(model_name, **run.get("build", {}))
        if checkpoint:
            model.load_weights(checkpoint)
        else:
            click.echo(f"warning: {model_name} has random weights; expect chance-level results", err=True)
        name = f"{model_name} ({checkpoint or 'random weights'})"
    if out and pathlib.Path(out).exists() and any(pathlib.Path(out).iterdir()) and not force:
        raise click.ClickException(f"{out} exists; pass --force to overwrite its files")
    if split != "test" and split not in task.extra_splits:
        others = "".join(f", {s}" for s in task.extra_splits)
        raise click.UsageError(f"the {task.name} task's held-out splits are test{others}; not {split}")
    total = task.evaluation_size(data_dir, limit) if split == "test" else None
    if total:
        import sys

        with click.progressbar(length=total, label="evaluating", file=sys.stderr) as bar:
            result = task.evaluate(model, data_dir=data_dir, split=split, limit=limit, progress=bar.update)
    else:
        result = task.evaluate(model, data_dir=data_dir, split=split, limit=limit)
    headline, rows = task.describe(name, result, data_dir)
    click.echo(headline)
    if rows:
        emit(rows, "table")
    if out:
        pathlib.Path(out).mkdir(parents=True, exist_ok=True)
        names = task.save_evaluation(result, out, data_dir, replace=force)
        click.echo(f"wrote {', '.join(names)} to {out}", err=True)
