"""The self-supervised task: an encoder learns MNIST digits without their labels (SimCLR).

Each training batch holds two random distortions (affine and elastic, `toolkit.data.augment`)
of each of N digits; the NT-Xent loss (Chen et al. 2020) makes the projection of each view pick
out its partner among the other 2N - 1 views, at `temperature`. No label is read for training.
`evaluate` scores the encoder without training anything on it: each test digit takes the
majority label of its 20 nearest training digits (cosine similarity of the encoder's
128-vectors; Wu et al. 2018's k-NN protocol), so its error measures what the encoder learned.
The encoder then starts a digits run with few labels: `toolkit fit --task digits --model
digitnet --weights simclr.mnist --labels-per-class 10 [--freeze-base]`.
"""

import dataclasses

import numpy as np

from toolkit import hub
from toolkit.tasks.task import Task, option

NEIGHBOURS = 20


def nt_xent(temperature):
    """The NT-Xent loss of a batch whose first and second halves are two views of the same digits:
    for each view, the cross-entropy of finding its partner by cosine similarity / `temperature`
    among the other views (a Keras loss; the targets it is given are ignored)."""
    import keras

    ops = keras.ops

    def loss(_, projections):
        z = projections / ops.sqrt(ops.sum(ops.square(projections), axis=-1, keepdims=True) + 1e-12)
        count = ops.shape(z)[0]
        logits = ops.matmul(z, ops.transpose(z)) / temperature - 1e9 * ops.eye(count, dtype=z.dtype)
        partners = (ops.arange(count) + count // 2) % count
        return keras.losses.sparse_categorical_crossentropy(partners, logits, from_logits=True)

    return loss


class SelfSupervisedTask(Task):
    """MNIST digits without labels, two distortions of each, for a contrastive encoder."""

    name = "selfsupervised"
    augmentations = ("elastic", "affine")
    preprocessing = "28x28 gray, light ink on black, pixels / 255"

    def __init__(self, temperature=0.5, start_weights=None):
        self.settings = {"temperature": temperature}
        if start_weights:
            self.settings["start_weights"] = start_weights

    @dataclasses.dataclass
    class Options:
        data: str = option(None, "the dataset: MNIST (mnist), the only one this task reads")
        temperature: float = option(0.5, "the NT-Xent loss's temperature", minimum=0.01)
        weights: str = option(None, "continue from these catalog weights or this .weights.h5 file")

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        if options.data not in (None, "mnist"):
            raise ValueError(f"the selfsupervised task reads mnist, not {options.data}")
        settings = {"temperature": options.temperature}
        return {**settings, **({"start_weights": options.weights} if options.weights else {})}, model_name, {}

    def load(self, split, data_dir=None, limit=None):
        from toolkit.tasks.digits import DigitsTask

        return DigitsTask().load(split, data_dir, limit)

    def build_args(self, model_name, data_dir=None):
        if "selfsupervised" not in hub.model_info(model_name).tasks:
            choices = ", ".join(hub.list_models(task="selfsupervised"))
            raise ValueError(f"{model_name} is not a self-supervised encoder; choose one of {choices}")
        return {"input_shape": [28, 28, 1]}

    def compile(self, model, optimizer="adam", learning_rate=None, weight_decay=None):
        from toolkit.tasks.training import make_optimizer

        optimizer = make_optimizer(optimizer, learning_rate or self.learning_rate, weight_decay)
        model.compile(optimizer, nt_xent(self.settings["temperature"]))

    def datasets(self, model, *, batch_size, seed, augment="elastic", data_dir=None, limit=None):
        """Batches of 2N views (N digits distorted twice; no labels) for training and validation."""
        import tensorflow as tf

        from toolkit.data.augment import distort

        def views(images, pairs):
            pairs = tf.cast(pairs, tf.int32) % (2**31 - 1)
            both = tf.concat([distort(images, pairs[0], augment), distort(images, pairs[1], augment)], axis=0)
            return both, tf.zeros(tf.shape(both)[:1])

        def pipeline(images, shuffle_seed):
            images = tf.constant(images)
            rows = tf.data.Dataset.range(len(images))
            if shuffle_seed is not None:
                rows = rows.shuffle(len(images), seed=shuffle_seed, reshuffle_each_iteration=True)
            batches = rows.batch(batch_size).map(lambda r: tf.gather(images, r))
            pairs = tf.data.Dataset.random(seed=seed if shuffle_seed is not None else 0).batch(2).batch(2)
            data = tf.data.Dataset.zip((batches, pairs)).map(views, num_parallel_calls=tf.data.AUTOTUNE)
            return data.prefetch(tf.data.AUTOTUNE)

        train = self.load("train", data_dir, limit)[0]
        validation = self.load("validation", data_dir, limit and max(limit // 10, batch_size))[0]
        return pipeline(train, seed), pipeline(validation, None)

    def training_facts(self, augment, data_dir=None, limit=None):
        return {"augment": augment, "training_images": len(self.load("train", data_dir, limit)[0]), "labels_used": 0}

    # -- the encoder -----------------------------------------------------------------------------
    def features(self, model, images, batch_size=512):
        """The encoder's 128-vector of each digit, unit length."""
        from toolkit.models._common import predict_batch

        encoder = model.get_layer("backbone")
        out = np.concatenate([predict_batch(encoder, images[i : i + batch_size]) for i in range(0, len(images), batch_size)])
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def evaluate(self, model, data_dir=None, split="test", limit=None, progress=None):
        """k-NN test error of the encoder's features: each digit takes the majority label of its
        20 most similar training digits (ties to the smaller label)."""
        train_images, train_labels = self.load("train", data_dir)
        images, labels = self.load(split, data_dir, limit)
        bank, queries = self.features(model, train_images), self.features(model, images)
        predicted = []
        for start in range(0, len(queries), 1000):
            similar = queries[start : start + 1000] @ bank.T
            nearest = np.argpartition(-similar, NEIGHBOURS, axis=1)[:, :NEIGHBOURS]
            votes = np.apply_along_axis(np.bincount, 1, train_labels[nearest], minlength=10)
            predicted.append(votes.argmax(1))
            if progress:
                progress(min(start + 1000, len(queries)))
        wrong = np.concatenate(predicted) != labels
        return {"dataset": "mnist", "split": split, "protocol": f"{NEIGHBOURS}-NN on the encoder's features",
                "images": int(len(labels)), "mistakes": int(wrong.sum()), "error": float(wrong.mean())}  # fmt: skip

    def evaluation_size(self, data_dir=None, limit=None):
        return limit or 10_000

    def summary(self, result):
        return {k: result[k] for k in ("images", "mistakes", "error")}

    def describe(self, name, result, data_dir=None):
        line = f"{name}: {result['protocol']}, test error {result['error']:.2%} ({result['mistakes']} of {result['images']:,})"
        return line, []

    def predict(self, model, inputs, batch_size=256, **options):
        """The encoder's unit-length feature vector of each of `inputs`."""
        return list(self.features(model, np.stack(inputs), batch_size))

    def read(self, path):
        from toolkit.tasks.digits import DigitsTask

        return DigitsTask().read(path)

    def example_inputs(self, network, data_dir=None, count=8):
        return [self.load("test", data_dir, count)[0]]
