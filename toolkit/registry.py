"""The model registry: every builder by name, with the published facts of its network.

Like timm's `@register_model`, the builder's snake_case function name is the key; registering a
name twice is an error. Registering imports nothing heavy, so listing models is instant.
"""

import dataclasses
import difflib
import fnmatch
import functools
import inspect
import os

_MODELS = {}


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """Published facts about one registered network.

    `published_params` and `published_macs` are the figures of REFERENCE.md (for one image at
    `input_shape`); `min_input_size` is the smallest image side the builder accepts; `errors` maps a benchmark name to a published error; `published_epochs` maps a
    benchmark name to the epochs of the run behind that error; `variant` says how the builder departs from the paper.
    """

    name: str
    family: str
    year: int
    authors: str
    paper: str
    tasks: tuple
    input_shape: tuple
    min_input_size: int = None
    published_params: int = None
    published_macs: float = None
    params_basis: str = ""
    errors: dict = dataclasses.field(default_factory=dict)
    published_epochs: dict = dataclasses.field(default_factory=dict)
    variant: str = ""
    builder: object = None

    def as_dict(self):
        row = dataclasses.asdict(self)
        row.pop("builder")
        row["tasks"] = list(self.tasks)
        row["input_shape"] = list(self.input_shape)
        return row


def register(*, family, year, authors, paper, tasks, input_shape, **facts):
    """Register the decorated builder under its function name.

    Raises:
        ValueError: when a model of that name is already registered.
    """

    def decorator(builder):
        name = builder.__name__
        if name in _MODELS:
            raise ValueError(f"A model named {name!r} is already registered. Received: name={name!r}")
        _MODELS[name] = ModelInfo(
            name=name,
            family=family,
            year=year,
            authors=authors,
            paper=paper,
            tasks=tuple(tasks),
            input_shape=tuple(input_shape),
            builder=builder,
            **facts,
        )
        return builder

    return decorator


@functools.cache
def _load_families():
    # Importing the package runs every family module's @register decorators.
    import toolkit.models  # noqa: F401


def list_models(pattern="*", task=None):
    """Names of the registered models matching a shell-style `pattern`, optionally for one task."""
    _load_families()
    return sorted(
        name
        for name, info in _MODELS.items()
        if fnmatch.fnmatch(name, pattern) and (task is None or task in info.tasks)
    )


def close_matches(name, names):
    """Up to three of `names` that look like `name`, ignoring case: the "Did you mean" of an error."""
    lowered = {known.lower(): known for known in names}
    return [lowered[match] for match in difflib.get_close_matches(name.lower(), lowered, n=3, cutoff=0.5)]


def model_info(name):
    """The `ModelInfo` of a registered model.

    Raises:
        ValueError: for an unknown name, suggesting close matches.
    """
    _load_families()
    if name not in _MODELS:
        close = close_matches(name, _MODELS)
        hint = f" Did you mean {', '.join(close)}?" if close else " See `toolkit models`."
        raise ValueError(f"Unknown model {name!r}.{hint} Received: name={name!r}")
    return _MODELS[name]


def get_model(name):
    """The builder function registered under `name`."""
    return model_info(name).builder


def build_model(name, **kwargs):
    """Build the registered model `name` with the builder's keyword arguments.

    `weights` may be None, a `.weights.h5` file, a catalog id (`"vgg16.imagenet"`) or, as in
    keras.applications, the tag of one of this model's ids (`build_model("vgg16", weights="imagenet")`).
    Catalog weights bring the build arguments they were trained with (`num_classes`, `input_shape`,
    ...) for every argument not given.
    """
    builder = get_model(name)
    classes = kwargs.get("num_classes", 1)
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
        raise ValueError(f"{name}: num_classes must be a positive integer. Received: num_classes={classes!r}")
    weights = kwargs.get("weights")
    if isinstance(weights, str) and not os.path.isfile(weights):
        from toolkit import pretrained

        catalog = pretrained.load_catalog()
        weights_id = weights if weights in catalog or os.path.isdir(weights) else f"{name}.{weights}"
        item = pretrained.entry(weights_id) if os.path.isdir(weights_id) else catalog.get(weights_id, {})
        if item.get("arch") == name:
            trained = pretrained.build_args(item)
            kwargs = {**trained, **kwargs, "weights": weights_id}
            head = inspect.signature(builder).parameters.get("num_classes")
            classes = trained.get("num_classes", head and head.default)
            if head and kwargs.get("include_top", True) and kwargs.get("num_classes", classes) != classes:
                raise pretrained.WeightsError(  # before a download that could not load (keras.applications' check)
                    f"{weights_id} classifies {classes} classes, not {kwargs['num_classes']}:"
                    " pass include_top=False to put a head of your own on its features"
                )
    return builder(**kwargs)
