"""`toolkit summary MODEL`: the per-layer table in the lecture's form, with multiply-adds."""

import json

import click

from cli.options import input_shape_option, model_args_option
from cli.output import emit, format_option, frame_rows


@click.command("summary")
@click.argument("model")
@input_shape_option
@model_args_option
@format_option()
def summary_command(model, input_shape, model_args, fmt):
    """Print MODEL's layers: output size, kernel, stride, activation, weights, biases, total, MACs."""
    import toolkit
    from toolkit.analysis import layer_table

    toolkit.model_info(model)  # unknown names fail before TensorFlow starts
    kwargs = dict(model_args)
    if input_shape:
        kwargs["input_shape"] = input_shape
    built = toolkit.build_model(model, **kwargs)
    table = layer_table(built)
    rows = frame_rows(table)
    totals = {"parameters": int(table["total"].sum()), "macs": int(table["macs"].sum())}
    if fmt == "json":
        click.echo(json.dumps({"model": model, "layers": rows, **totals}, indent=2))
        return
    emit(rows, fmt)
    if fmt == "table":
        click.echo(f"\n{model}: {totals['parameters']:,} parameters, {totals['macs'] / 1e6:,.2f} M multiply-adds")
