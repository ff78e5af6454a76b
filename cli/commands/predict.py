"""`toolkit predict IMAGE...`: what a shipped (or your own) model sees in each image."""

import click

from cli.output import claim_outputs, emit, format_option, output_names, runtime_option

DEFAULT_WEIGHTS = "digits.best"


@click.command("predict")
@click.argument("images", nargs=-1, required=True)
@click.option(
    "--weights",
    "weights_id",
    default=DEFAULT_WEIGHTS,
    show_default=True,
    help="Catalog id of the weights, or a run folder of `toolkit fit`; the task comes with them.",
)
@click.option("--top", type=click.IntRange(1, 10), default=2, show_default=True, help="How many answers per image.")
@click.option(
    "--show-input", type=click.Path(file_okay=False), help="Save what the network saw for each image in this folder."
)
@click.option("--batch-size", type=click.IntRange(1), default=256, show_default=True, help="Images per batch.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="segmentation: write the mask of the (one) image here as PNG; autoencoding: its reconstruction.",
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False),
    help="segmentation: write IMAGE.mask.png for each image in this folder; autoencoding: IMAGE.reconstruction.png.",
)
@click.option(
    "--overlay",
    type=click.Path(dir_okay=False),
    help="segmentation: write the (one) image with its mask overlaid here.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="segmentation: foreground probability cut-off.",
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@runtime_option()
@format_option()
def predict_command(images, weights_id, top, show_input, batch_size, output, out_dir, overlay, threshold, force, runtime,
                    fmt):  # fmt: skip
    """Predict each IMAGE (files, folders or glob patterns; PNG, JPEG, BMP, GIF, any size).

    Files that cannot be read are reported on stderr; the others are still predicted, and the
    exit code is 1 if any failed.
    """
    import pathlib

    import numpy as np

    from toolkit import runtime as runtimes
    from toolkit import tasks
    from toolkit.data.images import list_images

    paths = list_images(images)
    if not paths:
        raise click.ClickException(f"No image files match {' '.join(images)}.")
    task = tasks.task_for(weights_id)
    instead = {"generation": "toolkit sample --weights", "forecasting": "toolkit forecast SERIES.csv --weights",
               "selfsupervised": "toolkit fit --task digits --model digitnet --labels-per-class 10 --weights",
               "text": "toolkit generate --weights"}  # fmt: skip
    if task.name in instead:
        raise click.UsageError(f"{weights_id} is a {task.name} model: use `{instead[task.name]} {weights_id}`")
    if task.name not in ("segmentation", "autoencoding") and (output or out_dir or overlay):
        raise click.UsageError(f"-o, --out-dir and --overlay write masks; {weights_id} is a {task.name} model")
    if task.name == "autoencoding" and overlay:
        raise click.UsageError(f"--overlay draws a mask; {weights_id} redraws digits (-o or --out-dir)")
    if task.name in ("segmentation", "autoencoding") and show_input:
        raise click.UsageError(f"--show-input shows what a classifier saw; {weights_id} is a {task.name} model")
    seen = {}
    if show_input:  # every output checked before any work, one file per input
        names = output_names(paths, ".input.png")
        seen = {path: pathlib.Path(show_input) / name for path, name in zip(paths, names)}
        claim_outputs(*seen.values(), force=force)
    model = runtimes.load_model(weights_id, runtime)
    if task.name == "segmentation":
        _segment(task, model, paths, output, out_dir, overlay, threshold, force, fmt)
        return
    if task.name == "autoencoding":
        _reconstruct(task, model, paths, output, out_dir, force, fmt)
        return
    inputs, good, failed = _read_inputs(task, paths)
    rows = []
    if good:
        for path, answer in zip(good, task.predict(model, inputs, top=max(top, 2), batch_size=batch_size)):
            row = {"file": str(path), "label": answer[0][0], "probability": round(answer[0][1], 4)}
            if top == 2 or top == 1:
                row["runner_up"], row["runner_up_probability"] = answer[1][0], round(answer[1][1], 4)
            if top > 2:
                row["top"] = [{"label": label, "probability": round(p, 4)} for label, p in answer[:top]]
                if fmt != "json":
                    row["top"] = " ".join(f"{label}:{p:.3f}" for label, p in answer[:top])
            rows.append(row)
        if show_input:
            scale = 255 if task.name == "digits" else 1
            _save_inputs([seen[path] for path in good], np.stack(inputs), scale=scale, force=force)
    if rows:
        emit(rows, fmt)
    if failed:
        raise click.exceptions.Exit(1)  # each failure had its line


def _read_inputs(task, paths):
    """(inputs, the paths read, how many failed) of `paths` read by `task`; each failure gets its line."""
    from toolkit.data.images import ImageError

    inputs, good, failed = [], [], 0
    for path in paths:
        try:
            inputs.append(task.read(path))
            good.append(path)
        except ImageError as error:
            click.echo(f"error: {error}", err=True)
            failed += 1
    return inputs, good, failed


def _save_inputs(targets, batch, scale, force):
    """The images as the network got them (before any preprocessing of pixel values), one file
    each; `scale` takes them to 0-255: digits are in [0, 1], photos already in 0-255."""
    import numpy as np
    from PIL import Image

    from toolkit.files import written

    for target, image in zip(targets, batch):
        pixels = np.clip(image * scale, 0, 255).round().astype("uint8")
        with written(target, replace=force) as temporary:
            Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(temporary)
    click.echo(f"saved the network's inputs in {targets[0].parent}", err=True)


def _segment(task, model, paths, output, out_dir, overlay, threshold, force, fmt):
    """Masks of any-size images with the overlap-tile strategy; one row of numbers per image."""
    import pathlib

    from PIL import Image
    from scipy import ndimage

    from toolkit.data.images import ImageError
    from toolkit.files import written

    if (output or overlay) and len(paths) != 1:
        raise click.UsageError("-o/--overlay take one image; use --out-dir for several")
    masks = dict(zip(paths, [pathlib.Path(out_dir) / name for name in output_names(paths, ".mask.png")])) if out_dir else {}
    claim_outputs(output, overlay, *masks.values(), force=force)
    rows, failed = [], 0
    for path in paths:
        try:
            image = task.read(path)
        except ImageError as error:
            click.echo(f"error: {error}", err=True)
            failed += 1
            continue
        (probability,) = task.predict(model, [image])
        mask = probability >= threshold
        _, objects = ndimage.label(mask)
        rows.append({"file": str(path), "width": image.shape[1], "height": image.shape[0],
                     "foreground_fraction": round(float(mask.mean()), 4), "objects": int(objects)})  # fmt: skip
        picture = Image.fromarray((mask * 255).astype("uint8"))
        for target in (output, masks.get(path)):
            if target:
                with written(target, replace=force) as temporary:
                    picture.save(temporary)
        if overlay:
            from toolkit.plots import overlay as tinted

            with written(overlay, replace=force) as temporary:
                Image.fromarray(tinted(image, mask)).save(temporary)
    if rows:
        emit(rows, fmt)
    if failed:
        raise click.exceptions.Exit(1)  # each failure had its line


def _reconstruct(task, model, paths, output, out_dir, force, fmt):
    """Each digit as the autoencoder redraws it, and the cross-entropy of the digit under it."""
    import pathlib

    import numpy as np
    from PIL import Image

    from toolkit.files import written

    if output and len(paths) != 1:
        raise click.UsageError("-o takes one image; use --out-dir for several")
    names = output_names(paths, ".reconstruction.png") if out_dir else []
    targets = dict(zip(paths, [pathlib.Path(out_dir) / name for name in names])) if out_dir else {}
    if output:
        targets = {paths[0]: pathlib.Path(output)}
    claim_outputs(*targets.values(), force=force)
    inputs, good, failed = _read_inputs(task, paths)
    rows = []
    for path, answer in zip(good, task.predict(model, inputs) if good else []):
        rows.append({"file": str(path), "nats": round(answer["nats"], 2)})
        if path in targets:
            with written(targets[path], replace=force) as temporary:
                Image.fromarray((np.clip(answer["reconstruction"][..., 0], 0, 1) * 255).round().astype("uint8")).save(temporary)
    if rows:
        emit(rows, fmt)
    if failed:
        raise click.exceptions.Exit(1)  # each failure had its line
