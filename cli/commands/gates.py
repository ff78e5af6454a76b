"""`toolkit gates`: the truth tables computed by the gate and XOR models."""

import itertools
import json

import click

from cli.output import emit, format_option

GATE_MODELS = ("and_gate", "or_gate", "nand_gate", "nor_gate", "xor_mlp")


def truth_tables():
    """Rows of (x1, x2, AND, OR, NAND, NOR, XOR) and (x, NOT) as the models compute them."""
    import numpy as np

    import toolkit

    pairs = np.array(list(itertools.product((0, 1), repeat=2)), "float32")
    outputs = {name: np.asarray(toolkit.build_model(name)(pairs)).ravel() for name in GATE_MODELS}
    two = [
        {
            "x1": int(a),
            "x2": int(b),
            **{n.replace("_gate", "").replace("_mlp", "").upper(): int(outputs[n][i]) for n in GATE_MODELS},
        }
        for i, (a, b) in enumerate(pairs)
    ]
    singles = np.array([[0.0], [1.0]], "float32")
    not_out = np.asarray(toolkit.build_model("not_gate")(singles)).ravel()
    one = [{"x": int(x), "NOT": int(y)} for x, y in zip(singles.ravel(), not_out)]
    return two, one


@click.command("gates")
@format_option()
def gates_command(fmt):
    """Print the truth tables computed by the perceptron gates and the XOR network."""
    two, one = truth_tables()
    if fmt == "json":
        click.echo(json.dumps({"two_inputs": two, "not": one}, indent=2))
        return
    emit(two, fmt)
    click.echo()
    emit(one, fmt)
