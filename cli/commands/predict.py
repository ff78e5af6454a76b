"""`toolkit predict IMAGE...`: what a shipped (or your own) model sees in each image."""

import click

from cli.output import emit, format_option

DEFAULT_WEIGHTS = "digits.best"


@click.command("predict")
@click.argument("images", nargs=-1, required=True)
@click.option(
    "--weights",
    "weights_id",
    default=DEFAULT_WEIGHTS,
    show_default=True,
    help="Catalog id of the weights; the task comes with them.",
)
@click.option("--top", type=click.IntRange(1, 10), default=2, show_default=True, help="How many answers per image.")
@click.option(
    "--show-input", type=click.Path(file_okay=False), help="Save what the network saw for each image in this folder."
)
@click.option("--batch-size", type=click.IntRange(1), default=256, show_default=True, help="Images per batch.")
@format_option()
def predict_command(images, weights_id, top, show_input, batch_size, fmt):
    """Predict each IMAGE (files, folders or glob patterns; PNG, JPEG, BMP, GIF, any size).

    Files that cannot be read are reported on stderr; the others are still predicted, and the
    exit code is 1 if any failed.
    """
    import pathlib

    import numpy as np

    from toolkit import pretrained
    from toolkit.data.images import ImageError, list_images

    paths = list_images(images)
    if not paths:
        raise click.ClickException(f"No image files match {' '.join(images)}.")
    task = pretrained.task_for(weights_id)
    model = pretrained.build(weights_id)
    inputs, good, failed = [], [], 0
    for path in paths:
        try:
            inputs.append(task.read(path))
            good.append(path)
        except ImageError as error:
            click.echo(f"error: {error}", err=True)
            failed += 1
    rows = []
    if good:
        batch = np.stack(inputs)
        probabilities = task.probabilities(model, batch, batch_size=batch_size)
        for path, answer in zip(good, task.answers(probabilities, max(top, 2))):
            row = {"file": str(path), "label": answer[0][0], "probability": round(answer[0][1], 4)}
            if top == 2 or top == 1:
                row["runner_up"], row["runner_up_probability"] = answer[1][0], round(answer[1][1], 4)
            if top > 2:
                row["top"] = [{"label": label, "probability": round(p, 4)} for label, p in answer[:top]]
                if fmt != "json":
                    row["top"] = " ".join(f"{label}:{p:.3f}" for label, p in answer[:top])
            rows.append(row)
        if show_input:
            _save_inputs(pathlib.Path(show_input), good, batch)
    if rows:
        emit(rows, fmt)
    if failed:
        raise click.ClickException(f"{failed} of {len(paths)} files could not be read.")


def _save_inputs(folder, paths, batch):
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for path, image in zip(paths, batch):
        target = folder / f"{path.stem}.input.png"
        Image.fromarray((np.squeeze(image, -1) * 255).round().astype("uint8")).save(target)
    click.echo(f"saved the network's inputs in {folder}", err=True)
