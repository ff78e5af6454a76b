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
    """Print MODEL's layers: output size, kernel, stride, activation, weights, biases, total, MACs;
    with an input and an output row, and the variant of the model the builder makes."""
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
    if fmt == "table":  # every count with its thousands separator, as in the lecture's tables ("4,096")
        rows = [{k: _grouped(v) if k in COUNTS else v for k, v in row.items()} for row in rows]
    emit(rows, fmt)
    if fmt == "table":
        variant = (toolkit.model_info(model).builder.__doc__ or "").strip().splitlines()[0]
        click.echo(f"\n{model}: {totals['parameters']:,} parameters, {totals['macs'] / 1e6:,.2f} M multiply-adds")
        click.echo(variant if not kwargs else f"{variant} (with its default arguments)")


COUNTS = ("output size", "weights", "biases", "total", "macs")


def _grouped(value):
    if isinstance(value, int):
        return f"{value:,}"
    return "x".join(f"{int(d):,}" if d.isdigit() else d for d in value.split("x"))
