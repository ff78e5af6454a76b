"""The abstract `Task`: what every task shares, and the verbs every task answers.

A task knows its data, the head and input it gives a registry model, its loss and metrics, and
how to turn outputs into answers (keras-hub's split of backbone and task). `fit` trains through
`toolkit.tasks.training.run_fit`; `evaluate` scores a model on the real held-out split;
`predict` answers for a user's inputs.
"""

import abc

from toolkit import hub


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
    settings = {}

    # -- the model ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def build_args(self, model_name, data_dir=None):
        """The builder arguments that fit `model_name` to this task (head, input shape, ...)."""

    def build(self, model_name, **kwargs):
        """The registry model with the task's head and input; `kwargs` override the task's arguments."""
        return hub.build_model(model_name, **{**self.build_args(model_name), **kwargs})

    def compile(self, model, optimizer="adam", learning_rate=None):
        from toolkit.tasks.training import make_optimizer

        model.compile(make_optimizer(optimizer, learning_rate or self.learning_rate), self.loss, metrics=list(self.metrics))

    def callbacks(self, config):
        """Callbacks of a run besides the toolkit's own files: a cosine-decayed learning rate."""
        from toolkit.tasks.training import cosine_schedule

        return [cosine_schedule(config["epochs"], config["learning_rate"])]

    # -- the verbs ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def datasets(self, model, *, batch_size, seed, augment="none", data_dir=None, limit=None):
        """(training, validation) datasets for `fit`."""

    @abc.abstractmethod
    def evaluate(self, model, data_dir=None, split="test", limit=None):
        """The task's measures of `model` on a real held-out split, as a dict."""

    @abc.abstractmethod
    def summary(self, result):
        """The numbers of an evaluation that go into the catalog."""

    @abc.abstractmethod
    def predict(self, model, inputs, **options):
        """The model's answers for a user's inputs (what `read` returns, or the task's own kind)."""

    def read(self, path):
        """A user's file as the network's input (tasks that predict from files override this)."""
        raise TypeError(f"the {self.name} task does not read input files")

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
