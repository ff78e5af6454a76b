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
@data_dir_option
def evaluate_command(weights_id, model_name, checkpoint, task_name, out, force, limit, data_dir):
    """Test error, per-class accuracy and confusion matrix of --weights (or --model with --checkpoint)."""
    import json
    import pathlib

    from cli.output import emit
    from toolkit.tasks import get_task

    if bool(weights_id) == bool(model_name):
        raise click.UsageError("give either --weights ID, or --model NAME (with --checkpoint FILE)")
    if model_name and not checkpoint and task_name != "imagenet":
        raise click.UsageError("--model needs --checkpoint FILE (only --task imagenet evaluates random weights)")
    if weights_id:
        from toolkit import hub, tasks

        task = tasks.task_for(weights_id)
        if task_name and task_name != task.name:
            raise click.UsageError(f"{weights_id} is a {task.name} model, not a {task_name} one; drop --task")
        model = hub.load_pretrained(weights_id)
        name = weights_id
    else:
        run_config = pathlib.Path(checkpoint or ".").parent / "config.json"
        run = json.loads(run_config.read_text()) if checkpoint and run_config.exists() else {}
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
    if task.name == "imagenet":
        import sys

        folder = task.folder(data_dir)
        total = len(task.images(folder, limit))
        with click.progressbar(length=total, label=f"evaluating on {folder}", file=sys.stderr) as bar:
            result = task.evaluate(model, data_dir=data_dir, limit=limit, progress=bar.update)
        click.echo(
            f"{name}: top-1 error {result['top1_error']:.2%}, top-5 error {result['top5_error']:.2%}"
            f" on {result['images']:,} images ({result['images_per_second']:.1f} images/s)"
        )
        rows = [{"class": c, **v} for c, v in result["per_class"].items()]
        if out:
            pathlib.Path(out).mkdir(parents=True, exist_ok=True)
            (pathlib.Path(out) / "metrics.json").write_text(json.dumps(result, indent=2))
            import pandas as pd

            pd.DataFrame(rows).to_csv(pathlib.Path(out) / "per_class.csv", index=False)
        return
    result = task.evaluate(model, data_dir=data_dir, limit=limit)
    summary = task.summary(result)
    if task.name == "generation":
        floor = task.floor(data_dir)
        rows = [
            {"images": name, "FID": round(r["fid"], 3), "Inception Score": round(r["inception_score"], 3),
             "fewest of a digit": r["min_share"], "most of a digit": r["max_share"],
             **({"requested digit read": r["conditional_accuracy"]} if "conditional_accuracy" in r else {})}
            for name, r in ((f"{result['samples']:,} samples", result), ("real training digits (the floor)", floor))
        ]  # fmt: skip
        click.echo(f"{name}, judged by {result['judge']} ({result['judge_layer']}) against real test digits:")
        emit(rows, "table")
        if out:
            pathlib.Path(out).mkdir(parents=True, exist_ok=True)
            (pathlib.Path(out) / "metrics.json").write_text(json.dumps({"model": result, "floor": floor}, indent=2))
        return
    if task.name == "segmentation":
        click.echo(
            f"{name} on {result['images']} held-out images of {result['dataset']}: pixel error {result['pixel_error']:.4f},"
            f" foreground IoU {result['iou']:.4f}, Dice {result['dice']:.4f}, adapted Rand error {result['rand_error']:.4f}"
            f" (threshold {result['threshold']:g}); the ISBI 2012 challenge's errors (1 - best F-score over thresholds):"
            f" pixel {result['isbi_pixel_error']:.4f} (at {result['isbi_pixel_threshold']:g}),"
            f" Rand {result['isbi_rand_error']:.4f} (at {result['isbi_rand_threshold']:g})"
        )
        if out:
            pathlib.Path(out).mkdir(parents=True, exist_ok=True)
            (pathlib.Path(out) / "metrics.json").write_text(json.dumps(result, indent=2))
        return
    if task.name == "forecasting":
        click.echo(
            f"{name}: {result['origins']} forecasts of {result['horizon']} steps over the last {result['steps']} steps"
        )
        rows = [
            {"forecaster": k, **{m: round(v, 4) for m, v in scores.items()}} for k, scores in result["scores"].items()
        ]
        emit(rows, "table")
        if out:
            pathlib.Path(out).mkdir(parents=True, exist_ok=True)
            (pathlib.Path(out) / "metrics.json").write_text(json.dumps(result, indent=2))
        return
    click.echo(f"{name}: test error {summary['error']:.2%} ({summary['mistakes']} of {summary['images']:,} images)")
    emit([{"class": c, "accuracy": round(a, 4)} for c, a in result["per_class_accuracy"].items()], "table")
    if out:
        from toolkit.plots import confusion_figure, mistakes_grid

        out = pathlib.Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(
            json.dumps({**summary, "per_class_accuracy": result["per_class_accuracy"]}, indent=2)
        )
        import pandas as pd

        pd.DataFrame(result["confusion"], index=task.labels, columns=task.labels).to_csv(out / "confusion.csv")
        confusion_figure(result["confusion"], task.labels, out / "confusion.png")
        mistakes_grid(result, task.labels, out / "mistakes.png")
        click.echo(f"wrote metrics.json, confusion.csv, confusion.png and mistakes.png to {out}", err=True)
