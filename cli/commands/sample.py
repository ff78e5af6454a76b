"""`toolkit sample --weights ID`: draw digits from a shipped generator (a GAN's, or a VAE's decoder)."""

import pathlib

import click

from cli.output import claim_outputs, runtime_option


@click.command("sample")
@click.option(
    "--weights",
    "weights_id",
    default="dcgan.mnist",
    show_default=True,
    help="Catalog id of a generator (a GAN or a VAE), or a run folder of `toolkit fit`.",
)
@click.option("-n", "count", type=click.IntRange(1, 10_000), default=64, show_default=True, help="How many samples.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write one grid PNG here.")
@click.option("--out-dir", type=click.Path(file_okay=False), help="Write one PNG per sample in this folder instead.")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the latent vectors; same seed, same samples."
)
@click.option("--digit", type=click.IntRange(0, 9), help="The digit to draw (conditional generators only).")
@click.option("--code", type=click.IntRange(0), help="The categorical code to draw (InfoGAN generators only).")
@click.option("--interpolate", is_flag=True, help="Walk the latent space from --seed to --seed + 1 in N steps.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@runtime_option()
def sample_command(weights_id, count, output, out_dir, seed, digit, code, interpolate, force, runtime):
    """Sample digits from a trained generator into a grid (-o) or separate files (--out-dir)."""
    from toolkit import runtime as runtimes
    from toolkit import tasks
    from toolkit.data.images import IMAGE_SUFFIXES
    from toolkit.files import written
    from toolkit.tasks.generation import save_grid

    if bool(output) == bool(out_dir):
        raise click.UsageError("give one of -o GRID.png or --out-dir FOLDER")
    if output and pathlib.Path(output).suffix.lower() not in IMAGE_SUFFIXES:
        raise click.BadParameter(f"{output} is not an image file name (end it in .png or .jpg)", param_hint="-o")
    targets = [pathlib.Path(out_dir) / f"sample_{k:04d}.png" for k in range(count)] if out_dir else [output]
    task = tasks.task_for(weights_id)
    if task.name not in ("generation", "autoencoding"):
        raise click.ClickException(f"{weights_id} is a {task.name} model, not a generator.")
    if task.name == "autoencoding":
        if digit is not None or code is not None or interpolate:
            raise click.UsageError("--digit, --code and --interpolate are for GANs; a VAE draws from its prior")
        if runtime == "onnx":
            raise click.UsageError("a VAE samples through its decoder on Keras: use --runtime keras or auto")
        try:
            generator = task.sampler(runtimes.load_model(weights_id, "keras"))
        except ValueError as error:
            raise click.ClickException(f"{weights_id}: {error}") from None
        claim_outputs(*targets, force=force)
        images = task.sample(generator, count, seed=seed)
    else:
        claim_outputs(*targets, force=force)
        generator = runtimes.load_model(weights_id, runtime).sampler
        if interpolate:
            images = task.interpolate(generator, (seed, seed + 1), count, digit, code)
        else:
            images = task.sample(generator, count, seed=seed, digits=digit, codes=code)
    if output:
        with written(output, replace=force) as temporary:
            save_grid(images, temporary, columns=count if interpolate else 8)
        click.echo(f"wrote {output}", err=True)
    else:
        from PIL import Image

        for target, image in zip(targets, images):
            with written(target, replace=force) as temporary:
                Image.fromarray((image * 255).round().astype("uint8")).save(temporary)
        click.echo(f"wrote {len(images)} files to {out_dir}", err=True)
