"""The model hub (timm's `create_model` role): models by name, joined with their catalog weights.

`list_models`, `model_info` and `build_model` look up the registry after importing every model
family; `list_weights` and `load_pretrained` read the weights catalog.
"""

import functools
import inspect
import os

from toolkit import catalog, registry


@functools.cache
def _load_families():
    # Importing the package runs every family module's @register decorators.
    import toolkit.models  # noqa: F401


def _models():
    _load_families()
    return registry.registered()


def list_models(pattern="*", task=None):
    """Names of the registered models matching a shell-style `pattern`, optionally for one task."""
    import fnmatch

    return sorted(
        name
        for name, info in _models().items()
        if fnmatch.fnmatch(name, pattern) and (task is None or task in info.tasks)
    )


def model_info(name):
    """The `ModelInfo` of a registered model.

    Raises:
        ValueError: for an unknown name, suggesting close matches.
    """
    models = _models()
    if name not in models:
        close = catalog.close_matches(name, models)
        hint = f" Did you mean {', '.join(close)}?" if close else " See `toolkit models`."
        raise ValueError(f"Unknown model {name!r}.{hint} Received: name={name!r}")
    return models[name]


def get_model(name):
    """The builder function registered under `name`."""
    return model_info(name).builder


def list_weights(pattern="*", task=None):
    """Ids of the shipped weights matching a shell-style `pattern`, optionally for one task."""
    return catalog.list_weights(pattern, task)


def build_model(name, **kwargs):
    """Build the registered model `name` with the builder's keyword arguments.

    `weights` may be None, a `.weights.h5` file, a catalog id (`"vgg16.imagenet"`), a finished run
    folder or, as in keras.applications, the tag of one of this model's ids
    (`build_model("vgg16", weights="imagenet")`). Catalog weights bring the build arguments they
    were trained with (`num_classes`, `input_shape`, ...) for every argument not given.
    """
    builder = get_model(name)
    classes = kwargs.get("num_classes", 1)
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
        raise ValueError(f"{name}: num_classes must be a positive integer. Received: num_classes={classes!r}")
    weights = kwargs.get("weights")
    if isinstance(weights, str) and not os.path.isfile(weights):
        known = os.path.isdir(weights) or weights in catalog.list_weights()
        weights_id = weights if known else f"{name}.{weights}"
        known = known or weights_id in catalog.list_weights()
        item = catalog.entry(weights_id) if known else {}
        if item.get("arch") == name:
            trained = catalog.build_args(item)
            kwargs = {**trained, **kwargs, "weights": weights_id}
            head = inspect.signature(builder).parameters.get("num_classes")
            classes = trained.get("num_classes", head and head.default)
            if head and kwargs.get("include_top", True) and kwargs.get("num_classes", classes) != classes:
                raise catalog.WeightsError(  # before a download that could not load (keras.applications' check)
                    f"{weights_id} classifies {classes} classes, not {kwargs['num_classes']}:"
                    " pass include_top=False to put a head of your own on its features"
                )
    return builder(**kwargs)


def load_pretrained(weights_id):
    """The model of a catalog entry, a run folder or a run's weights file, built with its arguments
    and loaded with its weights."""
    item = catalog.entry(weights_id)
    if os.path.isfile(weights_id):  # build_model loads a file as it is: the run's arguments are given here
        return build_model(item["arch"], **{**catalog.build_args(item), "weights": weights_id})
    return build_model(item["arch"], weights=weights_id)


def verify(weights_id):
    """(ok, message) for one entry: the file exists, its hash and its parameter count match."""
    try:
        model = load_pretrained(weights_id)
    except catalog.WeightsError as error:
        return False, str(error)
    item = catalog.entry(weights_id)
    expected = item.get("params")
    if expected is not None and model.count_params() != expected:
        return False, f"{weights_id}: {model.count_params():,} parameters, the catalog says {expected:,}"
    try:
        onnx = catalog.shipped_onnx(item)
    except catalog.WeightsError as error:
        return False, f"{weights_id}: {error}"
    return True, f"{weights_id}: ok" + (" (and its ONNX form)" if onnx else "")
