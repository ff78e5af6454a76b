"""`toolkit export ID --format onnx|litert|saved_model|keras`: a model to deploy without the toolkit."""

import click

from cli.output import claim_outputs


@click.command("export")
@click.argument("weights_id")
@click.option("--format", "fmt", type=click.Choice(["onnx", "litert", "saved_model", "keras"]), default="onnx",
              show_default=True, help="ONNX, LiteRT (.tflite), a TensorFlow SavedModel folder, or Keras's .keras.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(), help="Where to write it (default: ID and the format's suffix, here).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where the task's data is (for the check).")
@click.option("--force", is_flag=True, help="Replace an earlier export of the same name.")
def export_command(weights_id, fmt, output, data_dir, force):
    """Export ID (a catalog id or a run folder of `toolkit fit`) as a file that runs without the toolkit.

    The file is run once written, on real inputs of its task, and compared with Keras (the largest
    difference is printed; above 1e-4 nothing is kept). PATH.json beside it gives the input and
    output names and shapes (NHWC) and the preprocessing a caller applies.
    """
    import pathlib

    from toolkit.export import default_path, export

    path = pathlib.Path(output or default_path(weights_id, fmt))
    claim_outputs(path, path.with_name(path.name + ".json"), force=force)
    description = export(weights_id, fmt, path, data_dir=data_dir, replace=force)
    click.echo(f"wrote {path} and {path.name}.json: {description['checked_on']} give the outputs of Keras to within"
               f" {description['max_abs_difference']:.1e}")  # fmt: skip
