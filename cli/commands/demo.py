"""`toolkit demo`: the lecture's worked examples, computed by the toolkit's layers."""

import json

import click

from cli.output import format_option


def _matrix(text):
    """'0,1;2,3' as [[0, 1], [2, 3]]."""
    try:
        rows = [[float(v) for v in row.split(",")] for row in text.split(";")]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a matrix: write rows of numbers as '0,1;2,3'") from None
    if len({len(r) for r in rows}) != 1:
        raise click.BadParameter(f"{text!r} is not a matrix: every row needs as many numbers")
    return rows


def _show(array):
    return "\n".join("  " + " ".join(f"{v:>5g}" for v in row) for row in array)


@click.group("demo")
def demo_command():
    """The lecture's worked examples, computed by the toolkit's layers."""


@demo_command.command("transposed-conv")
@click.option("--input", "image", default="0,1;2,3", show_default=True, help="The input matrix, rows split by ';'.")
@click.option("--kernel", default="0,1;2,3", show_default=True, help="The kernel, rows split by ';'.")
@click.option("--stride", default=1, show_default=True, type=click.IntRange(min=1), help="The stride.")
@format_option()
def transposed_conv(image, kernel, stride, fmt):
    """The transposed convolution of U-Net's up-convolution, worked as on the slide: each input
    pixel times the kernel, placed at its position, and their sum (checked against Keras)."""
    from toolkit.analysis import transposed_convolution

    image, kernel = _matrix(image), _matrix(kernel)
    partials, result = transposed_convolution(image, kernel, stride)
    if fmt != "table":
        data = {"input": image, "kernel": kernel, "stride": stride,
                "partial_products": [{"position": list(pos), "value": v, "product": p.tolist()} for pos, v, p in partials],
                "result": result.tolist()}  # fmt: skip
        if fmt == "json":
            click.echo(json.dumps(data, indent=2))
        else:
            click.echo("\n".join(",".join(f"{v:g}" for v in row) for row in result))
        return
    click.echo(f"input:\n{_show(image)}\nkernel:\n{_show(kernel)}\nstride {stride}\n")
    for (i, j), value, product in partials:
        click.echo(f"input[{i},{j}] = {value:g} times the kernel, placed at row {i * stride}, column {j * stride}:")
        click.echo(_show(product))
    click.echo(f"\nthe sum of the {len(partials)} partial products (Keras Conv2DTranspose gives the same):")
    click.echo(_show(result))
