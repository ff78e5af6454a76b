"""Shared options and printing of results: stdout gets results, stderr gets progress."""

import csv
import io
import json
import pathlib

import click


def format_option(default="table"):
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json", "csv"]),
        default=default,
        show_default=True,
        help="How to print the results.",
    )


def _cell(value, rates=False):
    """One value as table text; `rates` (a column of values in [0, 1]) get four decimals each."""
    if value is None:
        return ""
    if isinstance(value, float) and rates:
        return f"{value:.4f}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a count that pandas made a float (10000.0, not 1e+04)
    elif isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def _all_rates(values):
    floats = [v for v in values if isinstance(v, float)]
    return bool(floats) and all(0 <= v <= 1 for v in floats)


def render(rows, fmt, columns=None):
    """Rows (a list of dicts) as an aligned text table, JSON or CSV."""
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        return json.dumps([{c: row.get(c) for c in columns} for row in rows], indent=2, default=str)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: " ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for c, v in row.items()})
        return buffer.getvalue().rstrip("\n")
    rates = {c for c in columns if _all_rates([row.get(c) for row in rows])}
    cells = [[_cell(row.get(c), c in rates) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values):
        return "  ".join(
            v.rjust(w) if v.replace(",", "").replace(".", "").lstrip("-").isdigit() else v.ljust(w)
            for v, w in zip(values, widths)
        ).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells])


def emit(rows, fmt, columns=None):
    click.echo(render(rows, fmt, columns))


def frame_rows(frame):
    """A pandas DataFrame as plain rows (missing values as None) for `emit`."""
    return [
        {k: (None if v is None or v != v else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def runtime_option():
    return click.option(
        "--runtime",
        type=click.Choice(["auto", "onnx", "keras"]),
        default="auto",
        show_default=True,
        help="ONNX Runtime (no TensorFlow; exported once into the cache) or Keras; auto: ONNX where it can be had.",
    )


def claim_outputs(*paths, force=False):
    """Before any work: refuse output files that exist unless `force`, create the folders the
    others go in, and make sure a file can be written there."""
    import tempfile

    paths = [pathlib.Path(p) for p in paths if p]
    for path in paths:
        if path.exists() and not force:
            raise click.ClickException(f"{path} exists; pass --force to overwrite it.")
    for folder in dict.fromkeys(path.parent for path in paths):
        blocking = next((part for part in (folder, *folder.parents) if part.is_file()), None)
        if blocking:
            raise click.ClickException(f"{folder}: cannot write there ({blocking} is a file)")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as error:
            raise click.ClickException(f"{folder}: cannot write there ({error.strerror or error})") from None


def output_names(paths, suffix):
    """One output file name per input, none twice: the input's stem, or, where stems repeat, its
    path below the inputs' common folder (`a/0.png` and `b/0.png` give `a_0` and `b_0`)."""
    import os

    names = [p.stem for p in paths]
    if len(set(names)) < len(names):
        common = os.path.commonpath([str(p.resolve().parent) for p in paths])
        names = ["_".join(p.resolve().relative_to(common).with_suffix("").parts) for p in paths]
    seen = {}
    for i, name in enumerate(names):  # the same file given twice
        seen[name] = seen.get(name, 0) + 1
        names[i] = name if seen[name] == 1 else f"{name}-{seen[name]}"
    return [f"{name}{suffix}" for name in names]


def error_line(error):
    """An error in one line; where the library names the setting it is about, with its option."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    setting = getattr(error, "setting", None)
    from cli.options import option_name

    return f"{text} ({option_name(setting)})" if setting else text
