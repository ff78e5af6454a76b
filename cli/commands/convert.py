"""`toolkit convert STATE_DICT --arch ARCH`: torchvision's ImageNet weights for the toolkit's builders."""

import click

from cli.output import claim_outputs


@click.command("convert")
@click.argument("state_dict", type=click.Path(exists=True, dir_okay=False))
@click.option("--arch", type=click.Choice(["alexnet_torchvision", "googlenet_torchvision"]), required=True,
              help="The builder whose layout matches the state dict.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the Keras .weights.h5 file here.")
@click.option(
    "--id", "weights_id", help="Also add the weights to the catalog under this id, e.g. alexnet_torchvision.imagenet."
)
@click.option("--force", is_flag=True, help="Overwrite an existing file or catalog entry.")
def convert_command(state_dict, arch, output, weights_id, force):
    """Convert a torchvision state dict (e.g. alexnet-owt-7be5be79.pth) into Keras weights.

    No PyTorch needed: the checkpoint is read with NumPy and only tensors are accepted. With
    --id the weights join the catalog as an ImageNet classifier, so `toolkit predict photo.jpg
    --weights ID` and `toolkit evaluate --task imagenet --weights ID` use them.
    """
    import os

    from toolkit import catalog, runs
    from toolkit.convert import convert, read_state_dict

    if not output and not weights_id:
        raise click.UsageError("say where the weights go: -o FILE.weights.h5 and/or --id ID")
    if output and not output.endswith(".weights.h5"):
        raise click.UsageError("-o must end in .weights.h5 (Keras's weights-only format)")
    claim_outputs(output, force=force)
    if weights_id:
        if not weights_id.startswith(f"{arch}."):
            raise click.UsageError(f"--id must start with {arch}. (the arch.tag convention)")
        if weights_id in catalog.load_catalog() and not force:
            raise click.ClickException(f"{weights_id} is already in the catalog; pass --force to replace it.")
    model = convert(read_state_dict(state_dict), arch)
    if output:
        from toolkit.files import written

        with written(output, replace=force) as temporary:
            model.save_weights(temporary)
        click.echo(f"wrote {output}", err=True)
    if weights_id:
        item = runs.add_converted(weights_id, model, arch, source=os.path.basename(state_dict))
        click.echo(f"added {weights_id} to the catalog ({item['file']})", err=True)
