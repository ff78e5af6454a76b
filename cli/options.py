"""Option types and decorators shared by several commands."""

import ast

import click


class ShapeType(click.ParamType):
    """An input shape written as `224,224,3` or `224x224x3`."""

    name = "shape"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        parts = value.replace("x", ",").replace("(", "").replace(")", "").split(",")
        try:
            shape = tuple(int(p) for p in parts if p.strip())
        except ValueError:
            self.fail(f"{value!r} is not a shape like 224,224,3.", param, ctx)
        if not shape or any(s <= 0 for s in shape):
            self.fail(f"{value!r} is not a shape of positive sizes like 224,224,3.", param, ctx)
        return shape


class KeyValueType(click.ParamType):
    """A builder argument written as `key=value`; the value is read as a Python literal, and
    true/false (any case) as booleans: `--arg ema=false` must not become the truthy "false"."""

    name = "key=value"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        key, sep, raw = value.partition("=")
        if not sep or not key.isidentifier():
            self.fail(f"{value!r} is not of the form key=value.", param, ctx)
        if raw.lower() in ("true", "false"):
            return key, raw.lower() == "true"
        try:
            parsed = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            parsed = raw
        return key, parsed


input_shape_option = click.option(
    "--input-shape", type=ShapeType(), help="Input shape of one example, e.g. 224,224,3 (default: the model's)."
)
model_args_option = click.option(
    "--arg",
    "model_args",
    type=KeyValueType(),
    multiple=True,
    help="A builder argument, e.g. --arg groups=2 (repeatable).",
)


def option_name(setting):
    """The command-line option of a setting as the library names it: `time_col` is `--time-col`."""
    return "--" + setting.replace("_", "-")
