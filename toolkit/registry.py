"""The model registry: every builder by name, with the published facts of its network.

Like timm's `@register_model`, the builder's snake_case function name is the key; registering a
name twice is an error. This module imports nothing else of the toolkit: the model families import
it to register themselves, and `toolkit.hub` looks models up.
"""

import dataclasses

_MODELS = {}


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """Published facts about one registered network.

    `published_params` and `published_macs` are the reference counts of docs/reference.md (for one
    image at `input_shape`; some computed, as `params_basis` says); `paper_params` is the figure the
    paper itself states and `lecture_params` the lecture's slide's, where either gives one; `min_input_size` is the smallest image side the builder accepts; `errors` maps a benchmark name to a published error; `published_epochs` maps a
    benchmark name to the epochs of the run behind that error; `variant` says how the builder departs from the paper;
    `preprocessing`, `output_range`, `conditional` and `task_args` are what the tasks need to know of the model.
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
    paper_params: int = None
    lecture_params: int = None
    errors: dict = dataclasses.field(default_factory=dict)
    published_epochs: dict = dataclasses.field(default_factory=dict)
    variant: str = ""
    preprocessing: str = "torch"  # how photos are scaled for its ImageNet weights: caffe, tf or torch
    output_range: tuple = None  # a generator's pixel range
    conditional: bool = False  # a generator that draws a requested class
    task_args: dict = dataclasses.field(default_factory=dict)  # builder arguments a task needs, by task
    builder: object = None

    @property
    def stated_params(self):
        """The parameter count a source states: the paper's own, else that of a framework's
        published weights; None where only a count the toolkit computed exists."""
        if self.paper_params:
            return self.paper_params
        return None if "computed" in self.params_basis else self.published_params

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


def registered():
    """The `ModelInfo` of every model registered so far, by name (the hub imports the families)."""
    return dict(_MODELS)
