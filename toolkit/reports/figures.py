"""The reports' figures of shipped weights: the plain and residual curves, a sample grid per
generator or VAE, a forecast per forecaster, an overlay per segmenter, each autoencoder's
reconstructions (and its latent space, when its code has two numbers), and each GPT's attention."""

import pandas as pd


def plain_and_residual_curves():
    from toolkit import catalog

    entries = catalog.load_catalog()
    # each run's per-epoch accuracies, with the weight decay it was trained with (part of its budget)
    return {arch: {**item["history"], "weight_decay": item["recipe"].get("hyperparameters", {}).get("weight_decay")}
            for arch in ("plain20", "plain56", "resnet20", "resnet56")
            if "history" in (item := entries.get(f"{arch}.cifar10", {}))}  # fmt: skip


def task_figures(data_dir):
    """A sample grid per generator, a forecast plot per forecaster, an overlay per segmenter, the
    pictures of each autoencoder and the attention of each GPT."""
    from toolkit import catalog

    figures = {}
    for weights_id, item in catalog.load_catalog().items():
        if item.get("url"):
            continue
        if item["task"] == "generation":
            figures[f"samples-{weights_id}.png"] = lambda p, w=weights_id: _sample_grid(w, p)
        elif item["task"] == "forecasting":
            figures[f"forecast-{weights_id}.png"] = lambda p, w=weights_id: _forecast_plot(w, p, data_dir)
        elif item["task"] == "text" and item["arch"] == "gpt":
            figures[f"attention-{weights_id}.png"] = lambda p, w=weights_id: _attention(w, p)
        elif item["task"] == "segmentation":
            figures[f"overlay-{weights_id}.png"] = lambda p, w=weights_id: _overlay(w, p, data_dir)
        elif item["task"] == "autoencoding":
            figures[f"reconstructions-{weights_id}.png"] = lambda p, w=weights_id: _reconstructions(w, p, data_dir)
            if item["arch"] == "vae":
                figures[f"prior-samples-{weights_id}.png"] = lambda p, w=weights_id: _vae_samples(w, p)
            if item["build"].get("latent_dim") == 2:
                figures[f"latent-{weights_id}.png"] = lambda p, w=weights_id: _latent_space(w, p, data_dir)
    return figures


ATTENTION_CHARACTERS = 64  # of the report's sample, under each GPT's attention map


def _attention(weights_id, path):
    """The last layer's attention over the first `ATTENTION_CHARACTERS` characters of the
    report's sample (after a newline, temperature 0.8, seed 0)."""
    from toolkit import hub, plots, tasks
    from toolkit.data.text import encode
    from toolkit.models.language import attention_maps

    task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
    text = ("\n" + task.generate(model, "\n", 400, temperature=0.8, seed=0))[:ATTENTION_CHARACTERS]
    plots.attention_heads(attention_maps(model, encode(text, task.vocab))[-1], text, path)


def _reconstructions(weights_id, path, data_dir):
    """Two rows per ten test digits: the binarized digits, and the model's picture of them."""
    import numpy as np

    from toolkit import hub, tasks
    from toolkit.tasks.autoencoding import binarize
    from toolkit.tasks.generation import save_grid

    task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
    digits = binarize(task.load("test", data_dir, 20), 0)
    pictures = task.reconstruct(model, digits)
    rows = [block for k in (0, 10) for block in (digits[k : k + 10], pictures[k : k + 10])]
    save_grid(np.concatenate(rows)[..., 0], path, columns=10)


def _vae_samples(weights_id, path):
    from toolkit import hub, tasks
    from toolkit.tasks.generation import save_grid

    task = tasks.task_for(weights_id)
    save_grid(task.sample(task.sampler(hub.load_pretrained(weights_id)), 40, seed=0), path, columns=8)


def _latent_space(weights_id, path, data_dir):
    from toolkit import hub, plots, tasks
    from toolkit.tasks.digits import DigitsTask

    task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
    images, labels = DigitsTask().load("test", data_dir)
    plots.latent_space(task.encode(model, images), labels, path)


def _sample_grid(weights_id, path):
    from toolkit import hub, tasks
    from toolkit.tasks.generation import save_grid

    task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
    digits = [d for d in range(10) for _ in range(4)] if task.conditional else None
    codes = [k % model.codes for k in range(40)] if model.codes else None  # a column per code
    images = task.sample(model.sampler, 40, seed=0, digits=digits, codes=codes)
    save_grid(images, path, columns=model.codes or (10 if digits else 8))


def _forecast_plot(weights_id, path, data_dir):
    from toolkit import hub, plots, tasks

    task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
    times, values, lower, upper = task.future(model, 12, data_dir)  # reads and caches the series
    future = pd.DataFrame({"time": times, "forecast": values, "lower": lower, "upper": upper})
    plots.forecast_figure(task, model, future, path)


def _overlay(weights_id, path, data_dir):
    from PIL import Image

    from toolkit import hub, plots, tasks

    task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
    images, _ = task.split(data_dir, "validation")
    image = images[0]
    Image.fromarray(plots.overlay(image, task.predict_map(model, image) >= 0.5)).save(path)
