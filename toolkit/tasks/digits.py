"""The digits task: MNIST classification with any registry model that can take a 28x28 digit.

Split: the first 55,000 training images train, the last 5,000 validate (choose the best
epoch), the 10,000 test images are used only for the reported error. With `printed` N, N
printed digits rendered in the training fonts join the training images and N/10 the validation
ones; the "printed" split is 2,000 renderings in the test fonts (`toolkit.data.printed`). With
`labels_per_class` N, only N training digits of each class, drawn with the run's seed, train
(the label-efficiency experiments), each epoch going over them until it has seen 5,000 (enough
steps for batch normalisation's moving statistics to settle); the 5,000 validation digits
still choose the best epoch.
Preprocessing: pixels / 255, light ink on black, as MNIST; each model gets the input it
expects (LeNet-5 the 28x28 digit padded to 32x32, MLPs a flat vector, ImageNet-style nets the
digit resized to at least their smallest input and repeated over 3 channels).
"""

import dataclasses

import numpy as np

from toolkit import hub
from toolkit.data.mnist import load_mnist
from toolkit.tasks.task import ClassifierTask, option

LABELS = [str(d) for d in range(10)]
VALIDATION = 5_000
EPOCH_MIN = 5_000  # the digits an epoch of a few-label run goes through (its labelled digits, repeated)
PRINTED_TEST = 2_000


def few_labels(labels, per_class, seed):
    """Row numbers of `per_class` examples of each class, drawn with `seed`, in their original order.

    Raises:
        ValueError: a class has fewer than `per_class` examples.
    """
    random = np.random.default_rng(seed)
    rows = []
    for label in np.unique(labels):
        candidates = np.flatnonzero(labels == label)
        if len(candidates) < per_class:
            raise ValueError(f"class {label} has {len(candidates)} training examples, fewer than {per_class}")
        rows.append(random.choice(candidates, per_class, replace=False))
    return np.sort(np.concatenate(rows))


class DigitsTask(ClassifierTask):
    """MNIST digits, with `printed` rendered printed digits added to its training data."""

    name = "digits"
    augmentations = ("none", "affine", "elastic")
    labels = LABELS
    extra_splits = ("printed",)  # measured and recorded besides the test split
    preprocessing = (
        "28x28 gray, light ink on black, pixels / 255; MNIST's crop-fit-20x20-centre-by-mass for other images"
    )

    def __init__(self, printed=0, start_weights=None, labels_per_class=None, labels_seed=0, freeze_base=False):
        self.settings = {"printed": printed} if printed else {}
        if freeze_base:
            self.settings["freeze_base"] = True
        if labels_per_class:
            self.settings.update(labels_per_class=labels_per_class, labels_seed=labels_seed)
        if start_weights:
            self.settings["start_weights"] = start_weights

    @dataclasses.dataclass
    class Options:
        data: str = option(None, "the dataset: MNIST (mnist), the only one this task reads")
        printed: int = option(0, "add N printed digits rendered in the training fonts (and N/10 to validation)",
                              minimum=0)  # fmt: skip
        weights: str = option(None, "continue from these catalog weights or this .weights.h5 file")
        labels_per_class: int = option(None, "train on N labelled MNIST digits of each class, chosen with the run's seed",
                                       minimum=1)  # fmt: skip
        freeze_base: bool = option(False, "keep the layers of a self-supervised encoder (--weights) fixed")

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        if options.data not in (None, "mnist"):
            raise ValueError(f"the digits task reads mnist, not {options.data}; the folder task trains on other images")
        settings = {"printed": options.printed} if options.printed else {}
        if options.labels_per_class:
            settings.update(labels_per_class=options.labels_per_class, labels_seed=seed)
        if options.freeze_base:
            from toolkit.tasks.task import is_encoder

            if not (options.weights and is_encoder(options.weights)):
                raise ValueError("freezing the base needs a self-supervised encoder to start from (--weights)")
            settings["freeze_base"] = True
        return {**settings, **({"start_weights": options.weights} if options.weights else {})}, model_name, {}

    # -- data --------------------------------------------------------------------------------
    def load(self, split, data_dir=None, limit=None):
        """(images (N, 28, 28, 1) float32 in [0, 1], labels (N,) int32) for train, validation, test
        or printed."""
        from toolkit.data.printed import printed_digits

        if split == "printed":
            images, labels = printed_digits("test", min(PRINTED_TEST, limit or PRINTED_TEST))
            return images[..., None], labels
        images, labels = self._load_mnist(split, data_dir, None if self._few_labels(split) else limit)
        if self._few_labels(split):
            rows = few_labels(labels, self.settings["labels_per_class"], self.settings["labels_seed"])
            images, labels = images[rows][:limit], labels[rows][:limit]
        printed = self.settings.get("printed", 0)
        printed = {"train": printed, "validation": printed // 10}.get(split, 0)
        if printed:
            extra, extra_labels = printed_digits(split, min(printed, limit or printed))
            images, labels = np.concatenate([images, extra[..., None]]), np.concatenate([labels, extra_labels])
        return images, labels

    def _few_labels(self, split):
        return split == "train" and self.settings.get("labels_per_class")

    def _load_mnist(self, split, data_dir=None, limit=None):
        source = "test" if split == "test" else "train"
        images, labels = load_mnist(source, data_dir)
        if split == "train":
            images, labels = images[:-VALIDATION], labels[:-VALIDATION]
        elif split == "validation":
            images, labels = images[-VALIDATION:], labels[-VALIDATION:]
        elif split != "test":
            raise ValueError(f"split must be train, validation or test. Received: split={split!r}")
        if limit:
            images, labels = images[:limit], labels[:limit]
        return (images[..., None].astype("float32") / 255.0), labels.astype("int32")

    # -- the model -----------------------------------------------------------------------------
    def input_shape(self, model_name):
        """The input shape the task gives `model_name`."""
        info = hub.model_info(model_name)
        if "digits" not in info.tasks and info.min_input_size is None:
            raise ValueError(f"{model_name} cannot take 28x28 digits (its tasks: {', '.join(info.tasks)})")
        side = max(28, info.min_input_size or 28)
        channels = info.input_shape[-1] if len(info.input_shape) == 3 else 1
        return (side, side, channels)

    def build_args(self, model_name, data_dir=None):
        """The builder arguments that fit `model_name` to the task: 10-way softmax, the task's input."""
        args = {
            "num_classes": 10,
            "classifier_activation": "softmax",
            "input_shape": list(self.input_shape(model_name)),
        }
        return {**args, **hub.model_info(model_name).task_args.get(self.name, {})}

    def adapt(self, images, input_shape):
        """Turn (B, 28, 28, 1) digits into what a model of `input_shape` takes (a tf op)."""
        import tensorflow as tf

        side, channels = input_shape[0], input_shape[-1]
        if side != 28:
            if side - 28 <= 4:  # LeNet's recipe: pad the 28x28 digit into the 32x32 field
                low = (side - 28) // 2
                images = tf.pad(images, [[0, 0], [low, side - 28 - low], [low, side - 28 - low], [0, 0]])
            else:
                images = tf.image.resize(images, (side, side))
        if channels != 1:
            images = tf.repeat(images, channels, axis=-1)
        return images

    def datasets(self, model, *, batch_size, seed, augment="none", data_dir=None, limit=None, strategy=None):
        """tf.data pipelines for training (shuffled, distorted) and validation."""
        import tensorflow as tf

        from toolkit.data.augment import distort

        shape = model.input_shape[1:]
        x, y = self.load("train", data_dir, limit)
        vx, vy = self.load("validation", data_dir, limit and max(limit // 10, batch_size))
        small = np.prod(shape) <= 64 * 64 * 3
        if augment == "none" and small:  # adapt once, not every batch
            x, vx = np.asarray(self.adapt(x, shape)), np.asarray(self.adapt(vx, shape))
        # Shuffles row numbers and gathers each batch: the same order as shuffling the images
        # themselves, without copying 55,000 images into a shuffle buffer at each epoch's start.
        x, y = tf.constant(x), tf.constant(y)
        rows = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        if self.settings.get("labels_per_class"):  # an epoch of a few labels goes over them until EPOCH_MIN digits
            rows = rows.repeat(-(-EPOCH_MIN // len(x)))
        train = rows.batch(batch_size).map(lambda batch: (tf.gather(x, batch), tf.gather(y, batch)))
        if augment != "none":
            seeds = tf.data.Dataset.random(seed=seed).batch(2)
            train = tf.data.Dataset.zip((train, seeds)).map(
                lambda batch, s: (distort(batch[0], tf.cast(s, tf.int32) % (2**31 - 1), augment), batch[1]),
                num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True,
            )
        if augment != "none" or not small:
            train = train.map(lambda a, b: (self.adapt(a, shape), b), num_parallel_calls=tf.data.AUTOTUNE)
        val = tf.data.Dataset.from_tensor_slices((vx, vy)).batch(512)
        if not (augment == "none" and small):
            val = val.map(lambda a, b: (self.adapt(a, shape), b))
        return train.prefetch(tf.data.AUTOTUNE), val.prefetch(tf.data.AUTOTUNE)

    def adapt_array(self, images, input_shape):
        """`adapt` in NumPy, so predictions need no TensorFlow (a digit resized for a larger net
        still goes through `adapt`)."""
        side, channels = input_shape[0], input_shape[-1]
        if side - 28 > 4:
            return np.asarray(self.adapt(images, input_shape))
        low = (side - 28) // 2
        images = np.pad(images, [(0, 0), (low, side - 28 - low), (low, side - 28 - low), (0, 0)])
        return np.repeat(images, channels, axis=-1) if channels != 1 else images

    def input_note(self, network):
        side, channels = network.input_shape[1], network.input_shape[-1]
        note = self.preprocessing
        if side != 28:
            how = "padded with black" if side - 28 <= 4 else "resized (bilinear)"
            note += f"; the 28x28 digit {how} to {side}x{side}"
        return note + (f", repeated over {channels} channels" if channels != 1 else "")

    # -- answers ---------------------------------------------------------------------------------
    def probabilities(self, model, images, batch_size=512):
        """Softmax outputs for (N, 28, 28, 1) digits."""
        from toolkit.models._common import predict_batch

        shape = model.input_shape[1:]
        batches = (self.adapt_array(images[i : i + batch_size], shape) for i in range(0, len(images), batch_size))
        return np.concatenate([predict_batch(model, batch) for batch in batches])

    def example_inputs(self, network, data_dir=None, count=8):
        return [self.adapt_array(self.load("test", data_dir, count)[0], network.input_shape[1:])]

    def summary(self, result):
        """The numbers of an evaluation that go into the catalog."""
        return {k: result[k] for k in ("images", "mistakes", "error", "accuracy")}

    def evaluate(self, model, data_dir=None, split="test", limit=None, progress=None):
        """Test error, per-class accuracy and the confusion matrix on the real split."""
        images, labels = self.load(split, data_dir, limit)
        probs = self.probabilities(model, images)
        predicted = probs.argmax(1)
        confusion = np.zeros((10, 10), dtype=int)
        np.add.at(confusion, (labels, predicted), 1)
        wrong = predicted != labels
        return {
            "dataset": "printed" if split == "printed" else "mnist",
            "split": "test" if split == "printed" else split,
            "images": int(len(labels)),
            "mistakes": int(wrong.sum()),
            "error": float(wrong.mean()),
            "accuracy": float(1 - wrong.mean()),
            "per_class_accuracy": {LABELS[c]: float(confusion[c, c] / confusion[c].sum()) for c in range(10)},
            "confusion": confusion,
            "images_array": images,
            "labels_array": labels,
            "probabilities": probs,
        }

    def read(self, path):
        """A user's image file as the 28x28 digit MNIST would have made of it."""
        from toolkit.data.images import ImageError, normalize_digit, read_image

        try:
            return normalize_digit(read_image(path, "L"))[..., None]
        except ImageError as error:
            message = str(error)
            raise ImageError(message if message.startswith(str(path)) else f"{path}: {message}") from None
