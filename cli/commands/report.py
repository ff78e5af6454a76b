"""`toolkit report ...`: the parameter-count, error and history reports, or all of them with figures."""

import click

from cli.output import claim_outputs, emit, format_option, frame_rows


def _claim(output, force, fmt):
    """Check where a report goes before any work: a new file (or one --force replaces), or stdout."""
    if output is None:
        return
    if fmt != "table":
        raise click.UsageError(f"--format {fmt} is for printing; the name of -o {output} gives the file's format")
    from toolkit.reports.tables import table_format

    table_format(output)
    claim_outputs(output, force=force)


def _write(frame, output, fmt, force):
    from toolkit.files import written
    from toolkit.reports import write_table

    if output is None:
        emit(frame_rows(frame), fmt)
        return
    with written(output, replace=force) as temporary:
        write_table(frame, temporary)
    click.echo(f"wrote {output}", err=True)


output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (.csv, .md, .html or .json)."
)
force_option = click.option("--force", is_flag=True, help="Overwrite an existing output file.")


@click.group("report")
def report_command():
    """Write comparison reports built from the registry and the weights catalog."""


@report_command.command("params")
@click.argument("pattern", default="*")
@output_option
@force_option
@format_option()
def params(pattern, output, force, fmt):
    """Measured parameters and multiply-adds of every model matching PATTERN beside the published ones."""
    import toolkit
    from toolkit.reports import params_report

    names = toolkit.list_models(pattern)
    if not names:
        raise click.ClickException(f"No model matches {pattern!r}.")
    _claim(output, force, fmt)
    _write(params_report(names), output, fmt, force)


@report_command.command("readme")
@click.argument("pages", nargs=-1, type=click.Path(exists=True, dir_okay=False))
def readme(pages):
    """Regenerate the tables between the markers of PAGES (default: README.md's weights table and
    docs/models.md's model table)."""
    from toolkit.reports import update_readme

    for page in pages or ("README.md", "docs/models.md"):
        update_readme(page)
        click.echo(f"updated {page}", err=True)


@report_command.command("errors")
@output_option
@force_option
@format_option()
def errors(output, force, fmt):
    """Every catalog entry's measured error beside the published errors of its architecture."""
    from toolkit.reports import errors_report

    _claim(output, force, fmt)
    _write(errors_report(), output, fmt, force)


@report_command.command("history")
@output_option
@force_option
@format_option()
def history(output, force, fmt):
    """The lecture's table of CNN families beside measured parameters, MACs and CIFAR-10 errors."""
    from toolkit.reports import history_report

    _claim(output, force, fmt)
    _write(history_report(), output, fmt, force)


@report_command.command("all")
@click.option("-o", "--out-dir", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="Folder for every table, figure and the README.")  # fmt: skip
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data directory (for forecasts and overlays).")
@force_option
def all_reports(out_dir, data_dir, force):
    """Regenerate every report (tables as .csv and .md), every figure and OUT_DIR/README.md."""
    from toolkit.reports import all_files, write_all

    existing = [path for path in all_files(out_dir) if path.exists()]
    if existing and not force:
        raise click.ClickException(f"{out_dir} already holds reports ({existing[0]}); pass --force to regenerate them.")

    for path in write_all(out_dir, data_dir, replace=force):
        click.echo(f"wrote {path}", err=True)
