"""`toolkit forecast SERIES.csv --weights ID`: future values with an interval, and a plot."""

import click

from cli.output import format_option, runtime_option


@click.command("forecast")
@click.argument("csv", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--weights",
    "weights_id",
    required=True,
    help="Catalog id of a forecasting model (e.g. lstm.airline), or a run folder of `toolkit fit`.",
)
@click.option(
    "--horizon",
    type=click.IntRange(1, 1000),  # each step feeds the last prediction back: far ahead is noise, and slow
    default=12,
    show_default=True,
    help="Steps to forecast after the last row.",
)
@click.option("--target", help="Column to forecast (default: the model's, else guessed).")
@click.option("--time-col", help="Time column (default: the model's, else guessed).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the forecast as CSV here.")
@click.option(
    "--plot", type=click.Path(dir_okay=False), help="Write a PNG of history, held-out truth and forecast here."
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@runtime_option()
@format_option()
def forecast_command(csv, weights_id, horizon, target, time_col, output, plot, force, runtime, fmt):
    """Forecast the next --horizon values of CSV with a shipped model or a run folder of yours
    (95 % interval from validation errors)."""
    import os

    import pandas as pd

    from cli.output import claim_outputs, emit
    from toolkit import catalog
    from toolkit import runtime as runtimes
    from toolkit.data.series import read_csv
    from toolkit.files import written
    from toolkit.tasks import get_task

    if output and fmt != "table":
        raise click.UsageError(f"--format {fmt} is for printing; -o {output} is written as CSV")
    item = catalog.entry(weights_id)
    if item["task"] != "forecasting":
        raise click.ClickException(f"{weights_id} is a {item['task']} model, not a forecaster.")
    claim_outputs(output, plot, force=force)
    settings = dict(item["task_settings"], data=os.path.abspath(csv))
    columns = read_csv(csv, nrows=1).columns
    settings["target"] = target or (settings["target"] if settings["target"] in columns else None)
    settings["time_col"] = time_col or (settings["time_col"] if settings["time_col"] in columns else None)
    task = get_task("forecasting", **settings)
    model = runtimes.load_model(weights_id, runtime)
    times, values, lower, upper = task.future(model, horizon)
    frame = pd.DataFrame(
        {
            "time": times.strftime("%Y-%m-%d %H:%M").str.replace(" 00:00", ""),
            "forecast": values,
            "lower": lower,
            "upper": upper,
        }
    )
    if output:
        with written(output, replace=force) as temporary:
            frame.to_csv(temporary, index=False)
        click.echo(f"wrote {output}", err=True)
    else:
        emit(frame.round(3).to_dict("records"), fmt)
    if plot:
        from toolkit.plots import forecast_figure

        with written(plot, replace=force) as temporary:
            forecast_figure(task, model, frame.assign(time=times), temporary)
        click.echo(f"wrote {plot}", err=True)
