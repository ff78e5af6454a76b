"""The command-line reference in Markdown, generated from the Click commands themselves.

python -m cli.reference > docs/cli.md
"""

import inspect

import click

from cli.main import toolkit


def _option_row(param):
    names = ", ".join(f"`{name}`" for name in [*param.opts, *param.secondary_opts])
    if isinstance(param.type, click.Choice):
        kind = " \\| ".join(param.type.choices)
    elif param.is_flag:
        kind = "flag"
    elif isinstance(param.type, click.types._NumberRangeBase):
        kind = f"{param.type.name.split()[0]} {param.type._describe_range()}"
    else:
        kind = param.type.name
    shown = param.show_default and not param.is_flag and param.default not in (None, ())
    default = f"`{param.default}`" if shown else ""
    text = (param.help or "").replace("|", "\\|").replace("\n", " ")
    return f"| {names} | {kind} | {default} | {text} |"


def _command_section(name, command, ctx):
    lines = [f"## `{name}`", ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines += [f"    {name} {usage}", ""]
    if command.help:
        lines += [inspect.cleandoc(command.help), ""]
    options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
    if options:
        lines += ["| option | takes | default | what it does |", "| --- | --- | --- | --- |"]
        lines += [_option_row(p) for p in options]
        lines.append("")
    sections = [lines]
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            subcommand = command.get_command(ctx, sub)
            sections.append(_command_section(f"{name} {sub}", subcommand, click.Context(subcommand, parent=ctx)))
    return [line for section in sections for line in section]


def reference():
    """The whole reference: every command and subcommand with its usage, help and options."""
    ctx = click.Context(toolkit, info_name="toolkit")
    lines = [
        "# Command-line reference",
        "",
        "Generated from the commands themselves by `python -m cli.reference > docs/cli.md`;",
        "conventions (output formats, exit codes, `--force`) are in [the command line](command-line.md).",
        "",
    ]
    for name in toolkit.list_commands(ctx):
        command = toolkit.get_command(ctx, name)
        lines += _command_section(f"toolkit {name}", command, click.Context(command, info_name=name, parent=ctx))
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    click.echo(reference(), nl=False)
