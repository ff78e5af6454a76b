"""The training run every task shares (`fit`): its files, seeds, optimizers and strategies."""

import math
import pathlib
import shutil
import time

import keras

from toolkit.catalog import RUN_ENTRY, file_hash
from toolkit.files import read_json, write_json, written
from toolkit.machine import describe_machine

STRATEGIES = ("default", "mirrored", "multi-worker")
# Training steps per call from Python into the backend: the Python around each call (callbacks,
# reading the logs) costs a small network a quarter of its step; callbacks then see every 16th
# batch (or an epoch's steps, where fewer), the epochs' ends all of them (benchmarks/fit_lenet5.py).
STEPS_PER_EXECUTION = 16


def make_strategy(name):
    """The scope a model is built in: one device, every device of this machine, or every device of
    several processes (machines).

    `default` is TensorFlow's default strategy (on another Keras backend an empty scope: one
    device, as Keras places it); `mirrored` a `tf.distribute.MirroredStrategy` over every local
    GPU, else every logical CPU device. `multi-worker` needs the JAX backend: it joins the
    processes that Keras's variables `KERAS_DISTRIBUTION_JOB_ADDRESSES` (the first process's
    host:port), `KERAS_DISTRIBUTION_NUM_PROCESSES` and `KERAS_DISTRIBUTION_PROCESS_ID` describe,
    and trains data-parallel over all their devices (`keras.distribution.DataParallel`), each
    process reading its own share of every batch.

    Raises:
        ValueError: for `multi-worker` on the TensorFlow backend, whose `fit` cannot train under
            `MultiWorkerMirroredStrategy` (keras-team/keras#20585), or without the variables.
    """
    import contextlib
    import types

    if name == "multi-worker":
        return _join_processes()
    if name == "default" and keras.backend.backend() != "tensorflow":
        return types.SimpleNamespace(scope=contextlib.nullcontext)
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    raise ValueError(f"Unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}. Received: strategy={name!r}")


def _join_processes():
    import contextlib
    import os
    import types

    if keras.backend.backend() != "jax":
        raise ValueError(
            "training across processes needs the JAX backend (KERAS_BACKEND=jax): Keras 3's fit cannot train"
            " under TensorFlow's MultiWorkerMirroredStrategy (keras-team/keras#20585)"
        )
    needed = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES", "KERAS_DISTRIBUTION_PROCESS_ID")
    missing = [variable for variable in needed if not os.environ.get(variable)]
    if missing:
        raise ValueError(f"training across processes needs {', '.join(missing)} set (docs/digits.md)")
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPUs talk over gloo; GPUs use NCCL
    keras.distribution.initialize()
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    return types.SimpleNamespace(scope=contextlib.nullcontext)


def worker():
    """(this process's number, the number of processes) of a run across processes; (0, 1) otherwise."""
    if keras.backend.backend() == "jax" and keras.distribution.distribution() is not None:
        import jax

        return jax.process_index(), jax.process_count()
    return 0, 1


def weights_digest(model):
    """A short hash of a model's weights: the same on every process of a run across processes."""
    import hashlib

    import numpy as np

    return hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in model.get_weights())).hexdigest()[:16]


def make_optimizer(name, learning_rate, weight_decay=None):
    """The `--optimizer` choices: adam, adamw (weight decay 1e-4 unless given) or sgd (Nesterov
    momentum 0.9).

    `weight_decay` is decoupled, as Keras applies it: each step takes `learning rate x weight
    decay` of every weight, apart from the gradient (the papers' SGD adds it to the gradient,
    where momentum 0.9 amplifies it tenfold, so 5e-3 here is about their 5e-4).
    """
    if name == "adamw":
        return keras.optimizers.AdamW(learning_rate, weight_decay=1e-4 if weight_decay is None else weight_decay)
    decay = dict(weight_decay=weight_decay) if weight_decay else {}
    if name == "adam":
        return keras.optimizers.Adam(learning_rate, **decay)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True, **decay)
    raise ValueError(f"optimizer must be adam, adamw or sgd. Received: optimizer={name!r}")


SCHEDULES = ("cosine", "warmup-cosine")


def learning_rate_at(epoch, epochs, peak, schedule="cosine"):
    """The learning rate of `epoch` (from 0) in a run of `epochs`.

    cosine: cosine decay per epoch from `peak` to 1 % of it over the run. warmup-cosine (the
    CIFAR-10 recipe): a tenth of `peak` for the first epoch, as the ResNet paper warms up
    ResNet-110, then cosine decay per epoch from `peak` towards 0.
    """
    if schedule == "cosine":
        return peak * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * epoch / max(epochs, 1))))
    if schedule == "warmup-cosine":
        if epoch == 0:
            return peak * 0.1
        return peak * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / max(epochs - 1, 1)))
    raise ValueError(f"schedule must be {' or '.join(SCHEDULES)}. Received: schedule={schedule!r}")


def schedule_callback(epochs, learning_rate, schedule="cosine"):
    """The learning rate of each epoch as a Keras callback (see `learning_rate_at`)."""
    learning_rate_at(0, epochs, learning_rate, schedule)  # an unknown schedule fails now, not in epoch 1
    return keras.callbacks.LearningRateScheduler(lambda epoch: learning_rate_at(epoch, epochs, learning_rate, schedule))


def seed_everything(seed):
    """Fix Python's, NumPy's and the backend's random sources and make TensorFlow ops deterministic."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


class EpochTimer(keras.callbacks.Callback):
    """Adds the wall time of each epoch to its logs as `seconds` (so history.csv keeps it, also
    across a resumed run)."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self._start


class Backup(keras.callbacks.BackupAndRestore):
    """Keras's `BackupAndRestore`, whose files are replaced atomically: a run stopped while saving
    (killed, out of disk) keeps its last whole backup. It also keeps what a resumed run needs to
    draw the random numbers the unbroken run would have: the states of the model's seed
    generators (dropout's, a GAN's noise), which weight files leave out, and with `random` the
    NumPy generator the training data is drawn from."""

    def __init__(self, backup_dir, random=None):
        super().__init__(backup_dir)
        self.random = random

    def _seed_generators(self):
        return [g for layer in self.model._flatten_layers() for g in getattr(layer, "_seed_generators", [])]

    def _save_model(self):
        pathlib.Path(self.backup_dir).mkdir(parents=True, exist_ok=True)
        with written(self._weights_path, replace=True) as temporary:
            self.model.save_weights(str(temporary), overwrite=True)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        metadata["seeds"] = [keras.ops.convert_to_numpy(g.state).tolist() for g in self._seed_generators()]
        if self.random is not None:
            metadata["random"] = self.random.bit_generator.state
        write_json(self._training_metadata_path, metadata, replace=True)

    def _load_model(self):
        super()._load_model()
        if not pathlib.Path(self._training_metadata_path).exists():
            return
        metadata = read_json(self._training_metadata_path)
        seeds = metadata.get("seeds")
        for generator, state in zip(self._seed_generators(), seeds, strict=True) if seeds is not None else ():
            generator.state.assign(keras.ops.convert_to_tensor(state, dtype=generator.state.dtype))
        if self.random is not None and "random" in metadata:  # before the first batch draws from it
            self.random.bit_generator.state = metadata["random"]


class BestWeights(keras.callbacks.Callback):
    """Saves the weights of the best epoch by `monitor` (or of every epoch, without `best_only`),
    atomically. A resumed run starts from the best value its history.csv records."""

    def __init__(self, path, monitor, mode, best_only, history_csv):
        super().__init__()
        self.path, self.monitor, self.mode, self.best_only, self.history_csv = path, monitor, mode, best_only, history_csv
        self.best = None

    def _better(self, value):
        return self.best is None or (value > self.best if self.mode == "max" else value < self.best)

    def on_train_begin(self, logs=None):
        import pandas as pd

        if self.best_only and pathlib.Path(self.history_csv).exists() and pathlib.Path(self.path).exists():
            column = pd.read_csv(self.history_csv).get(self.monitor)
            if column is not None and column.notna().any():
                self.best = float(column.max() if self.mode == "max" else column.min())

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if self.best_only:
            if value is None or not math.isfinite(value) or not self._better(value):
                return
            self.best = float(value)
        with written(self.path, replace=True) as temporary:
            self.model.save_weights(str(temporary), overwrite=True)


def epoch_seconds(history_csv):
    """The seconds of each epoch of a run, as its history.csv records them."""
    import pandas as pd

    if not pathlib.Path(history_csv).exists():
        return []
    frame = pd.read_csv(history_csv)
    return [round(float(t), 3) for t in frame["seconds"]] if "seconds" in frame else []


def typical_epoch(times):
    """The median time of an epoch, the first epoch (compilation, a warm-up) aside where there are others."""
    import statistics

    times = times[1:] or times
    return round(statistics.median(times), 2) if times else None


def plot_history(history_csv, path):
    """The training curves (loss and every metric, training and validation) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.read_csv(history_csv)
    names = [c for c in frame.columns if c not in ("epoch", "learning_rate", "seconds") and not c.startswith("val_")]
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.5), squeeze=False)
    for ax, name in zip(axes[0], names):
        ax.plot(frame["epoch"] + 1, frame[name], label="training")
        if f"val_{name}" in frame:
            ax.plot(frame["epoch"] + 1, frame[f"val_{name}"], label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _prepare_resume(train, backup, history_csv):
    """Make a run resumed after k epochs go on as the unbroken run would have.

    Its history keeps the rows of those k epochs (an epoch logged after the last backup is done
    again). A shuffled tf.data pipeline draws a new order from its seed for every iterator made
    of it, and Keras's `fit` makes two per epoch (one it reads, one at the epoch's end it throws
    away), so the resumed run first makes the 2k iterators the unbroken run made before epoch k.
    A `PyDataset` draws its order at each epoch's end, so it is told k epochs have ended. (The
    backup itself restores the random states it keeps.)
    """
    import sys

    saved = pathlib.Path(backup._training_metadata_path).exists()
    done = read_json(backup._training_metadata_path)["epoch"] if saved else 0  # 0: stopped before its first backup
    if pathlib.Path(history_csv).exists():
        rows = pathlib.Path(history_csv).read_text().splitlines(keepends=True)[: done + 1]
        with written(history_csv, replace=True) as temporary:
            temporary.write_text("".join(rows))
    tf = sys.modules.get("tensorflow")  # a run without TensorFlow (JAX, a PyDataset) has no tf.data pipeline
    for _ in range(2 * done if tf and isinstance(train, tf.data.Dataset) else 0):
        iter(train)
    for _ in range(done if isinstance(train, keras.utils.PyDataset) else 0):
        train.on_epoch_end()


def whole_batches(data, batch_size):
    """`data` in whole batches only, so every process of a multi-worker run takes the same steps
    (a `PyDataset` gives whole batches already)."""
    if data is None or not hasattr(data, "rebatch"):
        return data
    rebatched = data.rebatch(batch_size, drop_remainder=True)
    if hasattr(data, "numpy_random"):
        rebatched.numpy_random = data.numpy_random
    return rebatched


def _steps(data):
    """The steps of an epoch of `data`, where it knows them (else None)."""
    try:
        return len(data)
    except (TypeError, ValueError):
        return None


def run_fit(task, model, train, validation, *, out, epochs, config, tensorboard=False, verbose="auto", data_dir=None,
            several_steps=True):
    """Keras `fit` with the toolkit's files in `out`; returns the final metrics.

    Writes config.json (the arguments and the command line), best.weights.h5 (best on the
    validation split by the task's `monitor`), history.csv and history.png, metrics.json,
    entry.json (what loading the run as `--weights OUT` needs), and with `tensorboard`
    TensorBoard logs. A backup in out/backup lets a killed run resume at its
    last finished epoch when rerun with the same `out`. With `several_steps`, each call into the
    backend runs up to `STEPS_PER_EXECUTION` steps.
    """
    out = pathlib.Path(out)
    write_json(out / "config.json", config, replace=True)
    backup = Backup(str(out / "backup"), random=getattr(train, "numpy_random", None))
    _prepare_resume(train, backup, out / "history.csv")
    if several_steps:  # not under a tf.distribute strategy, whose replicas fail on several steps per call
        model.steps_per_execution = min(STEPS_PER_EXECUTION, _steps(train) or STEPS_PER_EXECUTION)
    callbacks = [
        EpochTimer(),  # first, so an epoch's time is its training and validation, not the saving after it
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        *task.callbacks(config),  # before the checkpoint, which saves what they leave
        BestWeights(out / "best.weights.h5", task.monitor, task.mode, task.save_best, out / "history.csv"),
        backup,  # last: a run stopped before its backup goes on from the backup before, and redoes the epoch
    ]
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(out / "tensorboard")))
    history = model.fit(train, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=verbose,
                        shuffle=False)  # fmt: skip
    losses = history.history.get("loss", [])
    if losses and not math.isfinite(losses[-1]):  # TerminateOnNaN stopped it: the run stays unfinished
        raise FloatingPointError(
            f"the training loss became {losses[-1]} in epoch {len(losses)}; the run in {out} stops unfinished"
            " (a lower learning rate may help)"
        )
    model.load_weights(str(out / "best.weights.h5"))
    results = model.evaluate(validation, return_dict=True, verbose=0) if validation is not None else {}
    times = epoch_seconds(out / "history.csv")
    metrics = {
        "validation": {k: float(v) for k, v in results.items()},
        "epochs": epochs,
        "seconds": round(sum(times), 1),  # every epoch's, this process's and those before a resume
        "seconds_per_epoch": typical_epoch(times),
        "epoch_seconds": times,
        "parameters": model.count_params(),
        "machine": describe_machine(),
    }
    task.calibrate(model, data_dir)
    entry = {**task.run_entry(config["model"], config.get("build", {}), data_dir), "params": model.count_params(),
             "sha256": file_hash(out / "best.weights.h5")}  # every later load checks it  # fmt: skip
    write_json(out / RUN_ENTRY, entry, replace=True)
    if (out / "history.csv").exists():
        with written(out / "history.png", replace=True) as temporary:
            plot_history(out / "history.csv", temporary)
    write_json(out / "metrics.json", metrics, replace=True)  # last: a run with metrics.json is finished
    shutil.rmtree(out / "backup", ignore_errors=True)
    return metrics
