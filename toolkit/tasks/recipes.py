"""Named recipes: the settings of a training run that a paper or a benchmark fixes, under one name.

`toolkit fit --recipe NAME --model MODEL` takes every setting of the recipe that its command line
does not give; the run's recorded command spells them all out, so it repeats the run even if the
recipe changes.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The settings (names of `toolkit fit`'s options, as the library spells them) of one recipe,
    and those that differ for some models."""

    task: str
    description: str
    settings: dict
    per_model: dict = dataclasses.field(default_factory=dict)

    def for_model(self, model_name):
        """The recipe's settings for `model_name`."""
        return {**self.settings, **self.per_model.get(model_name, {})}


RECIPES = {
    "cifar10": Recipe(
        task="folder",
        description=(
            "The CIFAR-10 benchmark's, for every CNN family: the ResNet paper's (He et al. 2016, section 4.2)"
            " on a shorter schedule. SGD with Nesterov momentum 0.9, batch 128, weight decay 5e-3 (Keras's"
            " decoupled decay: about the paper's 5e-4), one warm-up epoch at a tenth of the learning rate, then"
            " cosine decay; 4-pixel padded crops and flips; 5,000 of the 50,000 training images held out."
        ),
        settings={
            "data": "cifar10",
            "image_size": 32,
            "validation_split": 0.1,
            "epochs": 40,
            "batch_size": 128,
            "optimizer": "sgd",
            "learning_rate": 0.1,
            "weight_decay": 5e-3,
            "schedule": "warmup-cosine",
            "augment": "crop-flip",
        },
        # the two nets without batch normalisation diverge at 0.1
        per_model={"lenet5": {"learning_rate": 0.01}, "alexnet_cifar": {"learning_rate": 0.01}},
    ),
}


def get_recipe(name):
    """The recipe called `name`.

    Raises:
        ValueError: for an unknown name.
    """
    if name not in RECIPES:
        raise ValueError(f"Unknown recipe {name!r}; choose one of {', '.join(sorted(RECIPES))}. Received: recipe={name!r}")
    return RECIPES[name]
