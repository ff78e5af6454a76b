"""Tasks: data, preprocessing, head, loss, metrics, and turning outputs into answers.

`fit`, `evaluate` and `predict` are the same three verbs for every task.
"""

TASKS = {
    "autoencoding": "toolkit.tasks.autoencoding:AutoencodingTask",
    "digits": "toolkit.tasks.digits:DigitsTask",
    "forecasting": "toolkit.tasks.forecasting:ForecastingTask",
    "imagenet": "toolkit.tasks.imagenet:ImageNetTask",
    "folder": "toolkit.tasks.folder:FolderTask",
    "segmentation": "toolkit.tasks.segmentation:SegmentationTask",
    "generation": "toolkit.tasks.generation:GenerationTask",
    "selfsupervised": "toolkit.tasks.selfsupervised:SelfSupervisedTask",
    "text": "toolkit.tasks.text:TextTask",
}


def task_class(name):
    """The task class registered under `name`."""
    import importlib

    if name not in TASKS:
        raise ValueError(f"Unknown task {name!r}; choose one of {', '.join(sorted(TASKS))}. Received: task={name!r}")
    module, cls = TASKS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def get_task(name, **settings):
    """The task object registered under `name`.

    Raises:
        ValueError: for an unknown task.
    """
    return task_class(name)(**settings)


def task_for(weights_id):
    """The task of a catalog entry (or run folder), with the settings it was trained with."""
    from toolkit import catalog

    item = catalog.entry(weights_id)
    return get_task(item["task"], **item.get("task_settings", {}))
