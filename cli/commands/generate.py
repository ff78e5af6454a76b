"""`toolkit generate`: text from a character language model, after a prompt."""

import pathlib

import click

from cli.output import claim_outputs


@click.command("generate")
@click.option("--weights", "weights_id", required=True, help="Catalog id of a language model, or a run folder of `toolkit fit --task text`.")
@click.option("--prompt", default="", help="The text to continue (every character must be in the model's vocabulary).")
@click.option("-n", "count", type=click.IntRange(1, 100_000), default=500, show_default=True, help="Characters to generate.")
@click.option("--temperature", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Below 1: likelier characters; above 1: more surprising ones.")  # fmt: skip
@click.option("--top-k", type=click.IntRange(min=1), help="Draw only among the k likeliest characters.")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed gives the same text.")
@click.option("--stream", is_flag=True, help="Print each character as it comes.")
@click.option("--attention", type=click.Path(dir_okay=False),
              help="Also draw the last layer's attention (a GPT's) over the last block of the text, a heat map per head, to this PNG.")  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite an existing --attention file.")
def generate_command(weights_id, prompt, count, temperature, top_k, seed, stream, attention, force):
    """Continue --prompt with -n characters drawn from the model (prompt and text to stdout)."""
    import sys

    from toolkit import hub, tasks
    from toolkit.data.text import encode

    task = tasks.task_for(weights_id)
    if task.name != "text":
        raise click.ClickException(f"{weights_id} is a {task.name} model, not a language model.")
    encode(prompt, task.vocab)  # a character outside the vocabulary fails before the model loads
    if attention:
        if pathlib.Path(attention).suffix.lower() != ".png":
            raise click.BadParameter(f"{attention} is not a PNG file name", param_hint="--attention")
        claim_outputs(attention, force=force)
    model = hub.load_pretrained(weights_id)
    from toolkit.models.language import attention_maps, has_attention

    if attention and not has_attention(model):
        raise click.ClickException(f"{weights_id} has no attention to draw: --attention is for a GPT.")

    def write(character):
        sys.stdout.write(character)
        sys.stdout.flush()

    if stream:
        write(prompt)
    text = task.generate(model, prompt, count, temperature=temperature, top_k=top_k, seed=seed, stream=write if stream else None)
    click.echo("" if stream else prompt + text)
    if attention:
        from toolkit.files import written
        from toolkit.plots import attention_heads

        shown = (prompt + text)[-task.settings["seq_len"] :]
        with written(attention, replace=force) as temporary:
            attention_heads(attention_maps(model, encode(shown, task.vocab))[-1], shown, temporary)
        click.echo(f"wrote {attention}", err=True)
