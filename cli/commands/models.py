"""`toolkit models`: list the registered networks (no TensorFlow import)."""

import click

from cli.output import emit, format_option
from toolkit.tasks import TASKS


@click.command("models")
@click.argument("pattern", default="*")
@click.option("--task", type=click.Choice(sorted(TASKS)), help="Only models for this task.")
@format_option()
def models_command(pattern, task, fmt):
    """List the registered models whose names match PATTERN (shell wildcards, e.g. 'resnet*')."""
    import toolkit

    rows = []
    for name in toolkit.list_models(pattern, task=task):
        info = toolkit.model_info(name)
        rows.append(
            {
                "name": name,
                "family": info.family,
                "year": info.year,
                "published parameters": info.stated_params,
                "tasks": list(info.tasks),
                "paper": info.paper,
            }
        )
    if not rows:
        raise click.ClickException(f"No model matches {pattern!r}" + (f" for task {task!r}." if task else "."))
    emit(rows, fmt)
