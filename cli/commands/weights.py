"""`toolkit weights list|info|verify|publish`: the weights catalog."""

import click

from cli.output import emit, format_option
from toolkit.tasks import TASKS


@click.group("weights")
def weights_command():
    """The catalog of pretrained weights (arch.tag ids)."""


@weights_command.command("list")
@click.argument("pattern", default="*")
@click.option("--task", type=click.Choice(sorted(TASKS)), help="Only weights for this task.")
@format_option()
def list_(pattern, task, fmt):
    """List the catalog entries whose ids match PATTERN (shell wildcards, e.g. '*.cifar10'):
    id, model, task, parameters, test metrics, file size."""
    from toolkit import catalog

    entries = catalog.load_catalog()
    rows = []
    for weights_id in catalog.list_weights(pattern, task=task):
        item = entries[weights_id]
        (split, metrics), *_ = item["metrics"].items() or [("", {})]
        rows.append(
            {
                "id": weights_id,
                "model": item["arch"],
                "task": item["task"],
                "parameters": item["params"],
                "evaluated on": split,
                "error": metrics.get("error"),
                "MB": round(item["file_size"] / 1e6, 2) if item.get("file_size") else None,
                "source": "downloaded (Keras cache)" if item.get("url") else "shipped",
            }
        )
    if not rows:
        raise click.ClickException(f"No weights match {pattern!r}" + (f" for task {task!r}." if task else "."))
    emit(rows, fmt)


@weights_command.command("info")
@click.argument("weights_id")
def info(weights_id):
    """Everything the catalog records about WEIGHTS_ID, as JSON."""
    import json

    from toolkit import catalog

    click.echo(json.dumps({"id": weights_id, **catalog.entry(weights_id)}, indent=2))


@weights_command.command("verify")
@click.argument("weights_ids", nargs=-1)
def verify(weights_ids):
    """Check each file's hash and parameter count (by default: the shipped files and downloaded ones)."""
    from toolkit import catalog, hub

    failures = 0
    for weights_id in weights_ids or list(catalog.load_catalog()):
        if not weights_ids and not catalog.is_available(weights_id) and catalog.entry(weights_id).get("url"):
            click.echo(f"{weights_id}: not downloaded yet; skipped")
            continue
        ok, message = hub.verify(weights_id)
        click.echo(message)
        failures += not ok
    if failures:
        raise click.ClickException(f"{failures} weights failed verification.")


@weights_command.command("add-onnx")
@click.argument("weights_id")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data directory for the check against Keras.")
def add_onnx(weights_id, data_dir):
    """Ship an ONNX form beside WEIGHTS_ID's file, so predictions with it need no TensorFlow from the first run."""
    from toolkit import runs

    onnx = runs.add_onnx(weights_id, data_dir=data_dir)
    click.echo(f"{weights_id}: {onnx['file']} ({onnx['exporter']}, sha256 {onnx['sha256'][:12]}...)")


@weights_command.command("publish")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--id", "weights_id", required=True, help="The arch.tag id, e.g. lenet5.mnist.")
@click.option("--description", default="", help="One sentence on what these weights are.")
@click.option("--force", is_flag=True, help="Replace an existing entry.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data directory for the test evaluation.")
@click.option("--float16", is_flag=True, help="Store the weights as float16 (half the size); measured as stored.")
def publish(run_dir, weights_id, description, force, data_dir, float16):
    """Add the finished `toolkit fit` run in RUN_DIR to the catalog, measured on the test split."""
    import json

    from toolkit import catalog, runs

    if weights_id in catalog.load_catalog() and not force:
        raise click.ClickException(f"{weights_id} is already in the catalog; pass --force to replace it")
    item = runs.publish(
        run_dir, weights_id, data_dir=data_dir, description=description, force=force, float16=float16
    )
    click.echo(json.dumps(item["metrics"], indent=2))
