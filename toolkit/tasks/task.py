"""The abstract `Task`: what every task shares, and the verbs every task answers.

A task knows its data, the head and input it gives a registry model, its loss and metrics, and
how to turn outputs into answers (keras-hub's split of backbone and task). `fit` trains through
`toolkit.tasks.training.run_fit`; `evaluate` scores a model on the real held-out split;
`predict` answers for a user's inputs.
"""

import abc
import dataclasses
import pathlib

from toolkit import hub


def option(default=None, help="", *, choices=None, minimum=None, repeat=None):
    """A field of a task's `Options`: a choice a user makes when fitting the task, with its help.

    `choices` limits the values, `minimum` bounds a number from below, and `repeat` (a type)
    makes the option a tuple of such values, given once per value.
    """
    return dataclasses.field(
        default=default, metadata={"help": help, "choices": choices, "minimum": minimum, "repeat": repeat}
    )


def is_encoder(weights_id):
    """Whether `weights_id` (a catalog id or run folder; not a bare file) is a self-supervised encoder."""
    from toolkit import catalog

    try:
        return catalog.entry(weights_id).get("task") == "selfsupervised"
    except (catalog.WeightsError, ValueError):
        return False


def load_encoder(model, weights_id, freeze=False):
    """Copy the encoder (`backbone`) of the self-supervised weights `weights_id` into the layers of
    `model` of the same names (a DigitNet for SimCLR's); with `freeze`, those layers stay fixed
    while the rest trains (a linear probe when only the classifier is left).

    Raises:
        ValueError: `model` lacks a layer of the encoder, or its shape differs.
    """
    encoder = hub.load_pretrained(weights_id).get_layer("backbone")
    layers = [layer for layer in encoder.layers if layer.weights]
    missing = [layer.name for layer in layers if layer.name not in {x.name for x in model.layers}]
    if missing:
        raise ValueError(f"{weights_id}'s encoder does not fit {model.name}: it has no layers {', '.join(missing)}")
    for layer in layers:
        target = model.get_layer(layer.name)
        if [w.shape for w in target.weights] != [w.shape for w in layer.weights]:
            raise ValueError(f"{weights_id}'s encoder does not fit {model.name}: layer {layer.name} differs in shape")
        target.set_weights(layer.get_weights())
        target.trainable = not freeze


class Task(abc.ABC):
    """One task; subclasses set `name` and the class attributes below, and take their settings as
    keyword arguments (kept in `self.settings`, which a run records and a catalog entry keeps)."""

    name = None
    labels = None  # names of the classes, where the task has classes
    preprocessing = ""  # how a user's input becomes the network's, in a sentence
    loss, metrics = None, ()  # for the default `compile`
    monitor, mode = "val_loss", "min"  # how the run keeps its best epoch
    save_best = True  # False: keep the last epoch (a GAN's losses do not rank its epochs)
    learning_rate = 1e-3  # the default initial learning rate
    augmentations = ("none",)  # the `augment` choices of `datasets`
    extra_splits = ()  # held-out splits besides "test" that `evaluate` measures and the catalog records
    settings = {}

    @dataclasses.dataclass
    class Options:
        """What a user chooses when fitting this task besides the model and the training run
        (`toolkit fit` makes one option of each field); none by default."""

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        """(settings, model name, extra builder arguments) of a run from the user's `options`.

        A task may normalise `options` in place (a dataset's path as it will be recorded), and
        may change the model (weights of another architecture to start from).

        Raises:
            ValueError: for options the task cannot train with.
        """
        return {}, model_name, {}

    # -- the model ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def build_args(self, model_name, data_dir=None):
        """The builder arguments that fit `model_name` to this task (head, input shape, ...)."""

    def build(self, model_name, **kwargs):
        """The registry model with the task's head and input; `kwargs` override the task's arguments.
        With a `start_weights` setting (a catalog id or a weights file), training continues from it."""
        from toolkit.models._common import load_weights

        model = hub.build_model(model_name, **{**self.build_args(model_name), **kwargs})
        start = self.settings.get("start_weights")
        if start and is_encoder(start):
            load_encoder(model, start, freeze=self.settings.get("freeze_base", False))
        else:
            load_weights(model, start)
        return model

    def compile(self, model, optimizer="adam", learning_rate=None, weight_decay=None):
        from toolkit.tasks.training import make_optimizer

        optimizer = make_optimizer(optimizer, learning_rate or self.learning_rate, weight_decay)
        model.compile(optimizer, self.loss, metrics=list(self.metrics))

    def callbacks(self, config):
        """Callbacks of a run besides the toolkit's own files: the learning rate's schedule."""
        from toolkit.tasks.training import schedule_callback

        return [schedule_callback(config["epochs"], config["learning_rate"], config.get("schedule", "cosine"))]

    # -- the verbs ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def datasets(self, model, *, batch_size, seed, augment="none", data_dir=None, limit=None):
        """(training, validation) datasets for `fit`."""

    @abc.abstractmethod
    def evaluate(self, model, data_dir=None, split="test", limit=None, progress=None):
        """The task's measures of `model` on a real held-out split, as a dict; `progress`, when
        given, is called with the number of examples done, batch by batch."""

    @abc.abstractmethod
    def summary(self, result):
        """The numbers of an evaluation that go into the catalog."""

    def training_facts(self, augment, data_dir=None, limit=None):
        """What a run's catalog recipe records of its training data: the augmentation, and where the
        task knows it, the number of training examples."""
        return {"augment": augment}

    def evaluation_size(self, data_dir=None, limit=None):
        """How many examples `evaluate` goes through, where it reports its progress (else None)."""
        return None

    def describe(self, name, result, data_dir=None):
        """An evaluation for a reader: (a sentence, rows of a table) about the model called `name`."""
        return f"{name}: error {result['error']:.4f} on {result['dataset']}/{result['split']}", []

    def save_evaluation(self, result, out, data_dir=None, replace=False):
        """Write the files of an evaluation into the folder `out` (over files of the same names
        only with `replace`); returns their names."""
        from toolkit.files import write_json

        write_json(pathlib.Path(out, "metrics.json"), result, replace=replace)
        return ["metrics.json"]

    @abc.abstractmethod
    def predict(self, model, inputs, **options):
        """The model's answers for a user's inputs (what `read` returns, or the task's own kind)."""

    def read(self, path):
        """A user's file as the network's input (tasks that predict from files override this)."""
        raise TypeError(f"the {self.name} task does not read input files")

    # -- deployment ------------------------------------------------------------------------------------
    def deployable(self, model):
        """The network a deployment of `model` runs (the model itself; a GAN's sampler)."""
        return model

    @abc.abstractmethod
    def example_inputs(self, network, data_dir=None, count=8):
        """Real inputs of the task, as `network` takes them: a list of arrays, one per input."""

    def input_note(self, network):
        """What a caller does to a user's input before `network` takes it, in a sentence."""
        return self.preprocessing

    # -- what only some tasks have -------------------------------------------------------------------
    def floor(self, data_dir=None):
        """The best score the task's measures can give real data, where that is not obvious (None)."""
        return None

    def calibrate(self, model, data_dir=None):
        """Measure settings that predictions with the trained `model` need (a forecaster's interval)."""
        return None

    def run_entry(self, model_name, build, data_dir=None):
        """The catalog entry data of a finished run: what `--weights RUN_FOLDER` needs to load it."""
        return {
            "arch": model_name,
            "build": {**self.build_args(model_name, data_dir), **build},
            "task": self.name,
            "task_settings": self.settings,
            "file": "best.weights.h5",
            "labels": self.labels,
            "preprocessing": self.preprocessing,
            "params": 0,
            "description": "",
            "metrics": {},
            "recipe": {},
        }


class ClassifierTask(Task):
    """A task whose model names one of `labels` for each input, with softmax probabilities."""

    loss, metrics = "sparse_categorical_crossentropy", ("accuracy",)
    monitor, mode = "val_accuracy", "max"

    @abc.abstractmethod
    def probabilities(self, model, images, batch_size=256):
        """Softmax outputs for a batch of inputs (as `read` returns them)."""

    def predict(self, model, inputs, top=2, batch_size=256):
        """The `top` classes and their probabilities for each of `inputs` (from `read`), best first."""
        import numpy as np

        return self.answers(self.probabilities(model, np.stack(inputs), batch_size=batch_size), top)

    def answers(self, probabilities, top=2):
        """For each row of probabilities: the `top` labels and their probabilities, best first."""
        import numpy as np

        order = np.argsort(-probabilities, axis=1)[:, :top]
        return [[(self.labels[i], float(p[i])) for i in row] for row, p in zip(order, probabilities)]

    def describe(self, name, result, data_dir=None):
        line = f"{name}: test error {result['error']:.2%} ({result['mistakes']} of {result['images']:,} images)"
        return line, [{"class": c, "accuracy": round(a, 4)} for c, a in result["per_class_accuracy"].items()]

    def save_evaluation(self, result, out, data_dir=None, replace=False):
        """metrics.json, and where the evaluation has them the confusion matrix (CSV and figure) and
        a grid of the most confident mistakes."""
        import pandas as pd

        from toolkit.files import write_json, written
        from toolkit.plots import confusion_figure, mistakes_grid

        out = pathlib.Path(out)
        metrics = {**self.summary(result), "per_class_accuracy": result["per_class_accuracy"]}
        write_json(out / "metrics.json", metrics, replace=replace)
        names = ["metrics.json"]
        if "confusion" in result:
            with written(out / "confusion.csv", replace=replace) as temporary:
                pd.DataFrame(result["confusion"], index=self.labels, columns=self.labels).to_csv(temporary)
            with written(out / "confusion.png", replace=replace) as temporary:
                confusion_figure(result["confusion"], self.labels, temporary)
            names += ["confusion.csv", "confusion.png"]
        if "images_array" in result:
            with written(out / "mistakes.png", replace=replace) as temporary:
                mistakes_grid(result, self.labels, temporary)
            names.append("mistakes.png")
        return names
