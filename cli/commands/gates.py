"""`toolkit gates`: the gates' weights and thresholds, and the truth tables the gate and XOR
models compute (with the XOR network's hidden columns z1 and z2)."""

import itertools
import json

import click

from cli.output import emit, format_option

GATE_MODELS = ("and_gate", "or_gate", "nand_gate", "nor_gate", "xor_mlp")
RULE = "y = 1 if w1*x1 + w2*x2 - threshold >= 0, else 0"


def _units(name, model, layer):
    """One row per threshold unit of `layer`: its weights and threshold, read from the model."""
    kernel, bias = model.get_layer(layer).get_weights()
    rows = []
    for unit in range(kernel.shape[1]):
        w = [float(v) for v in kernel[:, unit]]
        rows.append({"unit": name if kernel.shape[1] == 1 else f"{name} z{unit + 1}",
                     "w1": w[0], "w2": w[1] if len(w) > 1 else None, "threshold": -float(bias[unit])})  # fmt: skip
    return rows


def gate_tables():
    """The gates' weights, and rows of (x1, x2, AND, OR, NAND, NOR, XOR), (x, NOT) and
    (x1, x2, z1, z2, XOR), all as the models compute them."""
    import keras
    import numpy as np

    import toolkit

    pairs = np.array(list(itertools.product((0, 1), repeat=2)), "float32")
    models = {name: toolkit.build_model(name) for name in (*GATE_MODELS, "not_gate")}
    weights = [row for name in ("and_gate", "or_gate", "nand_gate", "nor_gate", "not_gate")
               for row in _units(name.replace("_gate", "").upper(), models[name], "unit")]  # fmt: skip
    xor = models["xor_mlp"]
    weights += _units("XOR", xor, "hidden") + _units("XOR y (on z1, z2)", xor, "output")
    outputs = {name: np.asarray(models[name](pairs)).ravel() for name in GATE_MODELS}
    two = [{"x1": int(a), "x2": int(b),
            **{n.replace("_gate", "").replace("_mlp", "").upper(): int(outputs[n][i]) for n in GATE_MODELS}}
           for i, (a, b) in enumerate(pairs)]  # fmt: skip
    singles = np.array([[0.0], [1.0]], "float32")
    one = [{"x": int(x), "NOT": int(y)} for x, y in zip(singles.ravel(), np.asarray(models["not_gate"](singles)).ravel())]
    hidden = np.asarray(keras.Model(xor.input, xor.get_layer("hidden_step").output)(pairs))
    network = [{"x1": int(a), "x2": int(b), "z1 (AND)": int(z[0]), "z2 (OR)": int(z[1]), "XOR": int(y)}
               for (a, b), z, y in zip(pairs, hidden, outputs["xor_mlp"])]  # fmt: skip
    return weights, two, one, network


@click.command("gates")
@format_option()
def gates_command(fmt):
    """Print the gates' weights and thresholds and the truth tables they compute, with the XOR
    network's hidden columns z1 and z2."""
    weights, two, one, network = gate_tables()
    if fmt == "json":
        click.echo(json.dumps({"rule": RULE, "weights": weights, "two_inputs": two, "not": one, "xor_network": network},
                              indent=2))  # fmt: skip
        return
    if fmt == "table":
        click.echo(RULE)
    for rows in (weights, two, one, network):
        emit(rows, fmt)
        if fmt == "table":
            click.echo()
