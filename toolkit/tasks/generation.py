"""The generation task: GANs trained on MNIST digits, sampled, and judged by a digit classifier.

Quality is measured with a shipped digit classifier as the judge (`digitnet.mnist`, trained on
MNIST alone, else `lenet5.mnist`): the Frechet distance between the judge's penultimate-layer features of real
test digits and of samples (FID with a digit network in place of Inception), the
classifier-based Inception Score exp(E[KL(p(y|x) || p(y))]) (at most 10), and class coverage
(the share of samples the judge reads as each digit). The same numbers for real training
digits against real test digits are the floor.
"""

import dataclasses
import pathlib

import numpy as np

from toolkit import catalog, hub
from toolkit.data.mnist import load_mnist
from toolkit.errors import InputError
from toolkit.metrics import frechet_distance, inception_score
from toolkit.tasks.task import Task, option

JUDGES = ("digitnet.mnist", "lenet5.mnist")  # fixed: a new default digit model leaves the scores as they are


class GenerationTask(Task):
    name = "generation"
    labels = [str(d) for d in range(10)]
    monitor, mode = "g_loss", "min"
    save_best = False  # a GAN's losses do not rank its epochs: keep the last one
    learning_rate = 2e-4  # Radford et al.'s, kept constant
    preprocessing = "MNIST digits scaled to [-1, 1] (tanh generators) or [0, 1] (sigmoid)"

    def __init__(self, model=None, latent_dim=100, start_weights=None):
        self.settings = {"model": model, "latent_dim": latent_dim}
        self._floors = {}
        if start_weights:
            self.settings["start_weights"] = start_weights

    @dataclasses.dataclass
    class Options:
        data: str = option(None, "the dataset: MNIST (mnist), the only one this task reads")
        latent_dim: int = option(100, "size of the generator's noise vector z", minimum=1)
        weights: str = option(None, "continue from these catalog weights or this .weights.h5 file")

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        if options.data not in (None, "mnist"):
            raise ValueError(f"the generation task draws digits: it reads mnist, not {options.data}")
        return {"model": model_name, "latent_dim": options.latent_dim, "start_weights": options.weights}, model_name, {}

    def pixel_range(self):
        """The range of the generator's pixels (the registry's `output_range` of the model)."""
        return hub.model_info(self.settings["model"]).output_range

    @property
    def conditional(self):
        """Whether the generator draws a requested digit (the registry's `conditional`)."""
        return hub.model_info(self.settings["model"]).conditional

    # -- the model --------------------------------------------------------------------------------
    def build_args(self, model_name, data_dir=None):
        if "generation" not in hub.model_info(model_name).tasks:
            raise ValueError(f"{model_name} is not a generator; choose one of {', '.join(hub.list_models(task='generation'))}")
        self.settings["model"] = model_name
        return {"latent_dim": self.settings["latent_dim"]}

    def build(self, model_name, **kwargs):
        self.settings["latent_dim"] = kwargs.pop("latent_dim", self.settings["latent_dim"])  # also from --arg
        return super().build(model_name, **kwargs)

    def compile(self, model, optimizer="adam", learning_rate=None, weight_decay=None):
        if weight_decay:
            raise ValueError("a GAN trains with Adam and no weight decay")
        model.compile(learning_rate=learning_rate or self.learning_rate)

    def callbacks(self, config):
        import keras

        task, out = self, config.get("out")

        class SampleGrid(keras.callbacks.Callback):
            """A grid of samples from one fixed latent batch after every epoch (before the
            checkpoint, so the averaged generator is calibrated when its weights are saved)."""

            def on_epoch_end(self, epoch, logs=None):
                self.model.calibrate_average()
                if out:
                    import pathlib

                    from toolkit.files import written

                    folder = pathlib.Path(out) / "samples"
                    folder.mkdir(parents=True, exist_ok=True)
                    with written(folder / f"epoch_{epoch + 1:03d}.png", replace=True) as temporary:
                        save_grid(task.sample(self.model.sampler, 64, seed=0), temporary)

        return [SampleGrid()]

    def datasets(self, model, *, batch_size, seed, augment="none", data_dir=None, limit=None):
        """Shuffled full batches of the training digits: a `tf.data` pipeline on TensorFlow, else
        (JAX, on the GPU machine, which has no TensorFlow) a Keras `PyDataset` shuffled by NumPy."""
        import keras

        images, labels = load_mnist("train", data_dir)
        if limit:
            images, labels = images[:limit], labels[:limit]
        low, high = self.pixel_range()
        x = (images[..., None].astype("float32") / 255.0) * (high - low) + low
        data = (x, labels.astype("int32")) if self.conditional else x
        if keras.backend.backend() != "tensorflow":
            return shuffled_batches(data, batch_size, seed), None
        import tensorflow as tf

        train = (
            tf.data.Dataset.from_tensor_slices(data).shuffle(len(x), seed=seed).batch(batch_size, drop_remainder=True)
        )
        return train.prefetch(tf.data.AUTOTUNE), None

    # -- deployment ----------------------------------------------------------------------------------------
    def deployable(self, model):
        return model.sampler

    def example_inputs(self, network, data_dir=None, count=8):
        z = self.latents(count, 0)
        return [z, (np.arange(count) % 10).astype("int32").reshape(-1, 1)] if self.conditional else [z]

    def input_note(self, network):
        note = f"latent vectors of {self.settings['latent_dim']} standard normal numbers"
        note += ", and the digit to draw (int32, shape (N, 1))" if self.conditional else ""
        low, high = self.pixel_range()
        return note + f"; the outputs are 28x28 images with pixels in [{low:g}, {high:g}]"

    # -- sampling ------------------------------------------------------------------------------------------
    def latents(self, n, seed):
        return np.random.default_rng(seed).normal(size=(n, self.settings["latent_dim"])).astype("float32")

    def sample(self, generator, n, seed=0, digits=None, latents=None, codes=None):
        """`n` samples in [0, 1], shape (n, 28, 28); `digits` (one or n) for a conditional GAN,
        `codes` (one or n) for an InfoGAN."""
        from toolkit.models._common import predict_batch

        z = self.latents(n, seed) if latents is None else latents
        if codes is not None:
            z = with_codes(generator, z, codes)
        if self.conditional:
            digits = (
                np.random.default_rng(seed + 1).integers(0, 10, n) if digits is None else np.broadcast_to(digits, (n,))
            )
            inputs = [z, np.asarray(digits, "int32").reshape(-1, 1)]
        elif digits is not None:
            raise InputError(f"{self.settings['model']} is not conditional; drawing a given digit needs cdcgan weights",
                             setting="digit")  # fmt: skip
        else:
            inputs = z
        out = []
        for start in range(0, n, 500):
            part = [a[start : start + 500] for a in inputs] if isinstance(inputs, list) else inputs[start : start + 500]
            out.append(predict_batch(generator, part)[..., 0])
        low, high = self.pixel_range()
        return np.clip((np.concatenate(out) - low) / (high - low), 0, 1)

    def interpolate(self, generator, seeds=(0, 1), steps=10, digit=None, code=None):
        """Samples along the straight line between the latent vectors of two seeds."""
        a, b = self.latents(1, seeds[0]), self.latents(1, seeds[1])
        z = np.concatenate([(1 - t) * a + t * b for t in np.linspace(0, 1, steps)]).astype("float32")
        return self.sample(generator, steps, digits=digit, latents=z, codes=code)

    # -- quality -----------------------------------------------------------------------------------------
    def judge(self):
        """(catalog id, model) of the shipped digit classifier; the model returns the features
        (the input of its 'predictions' layer) and the class probabilities side by side, so
        one pass gives both."""
        import keras

        weights_id = next(j for j in JUDGES if j in catalog.load_catalog())
        classifier = hub.load_pretrained(weights_id)
        both = keras.layers.Concatenate(name="features_and_probabilities")(
            [classifier.get_layer("predictions").input, classifier.output]
        )
        return weights_id, keras.Model(classifier.inputs, both)

    def judge_images(self, images, judge):
        """Judge features and probabilities of (n, 28, 28) images in [0, 1]."""
        from toolkit.tasks.digits import DigitsTask

        outputs = DigitsTask().probabilities(judge[1], images[..., None].astype("float32"))
        return outputs[:, : -len(self.labels)], outputs[:, -len(self.labels) :]

    def quality(self, images, reference_features, judge, requested=None):
        features, probabilities = self.judge_images(images, judge)
        shares = np.bincount(probabilities.argmax(1), minlength=10) / len(images)
        result = {
            "samples": len(images),
            "fid": frechet_distance(features, reference_features),
            "inception_score": inception_score(probabilities),
            "coverage": {str(d): float(s) for d, s in enumerate(shares)},
            "min_share": float(shares.min()),
            "max_share": float(shares.max()),
        }
        if requested is not None:
            result["conditional_accuracy"] = float((probabilities.argmax(1) == requested).mean())
        return result

    def judged(self, images, data_dir=None, requested=None):
        """FID, Inception Score and digit shares of generated (n, 28, 28) images in [0, 1], judged
        against as many real test digits; any generator's samples (a VAE's too) are scored so."""
        judge = self.judge()
        test, _ = load_mnist("test", data_dir)
        reference, _ = self.judge_images(test[: len(images)] / 255.0, judge)
        return {"judge": judge[0], "judge_layer": "the input of its 'predictions' layer",
                **self.quality(images, reference, judge, requested=requested)}  # fmt: skip

    def evaluate(self, model, data_dir=None, split="test", limit=None, progress=None, samples=10_000, seed=0):
        digits = np.arange(samples) % 10 if self.conditional else None
        images = self.sample(model.sampler, samples, seed=seed, digits=digits)
        return {"dataset": "mnist", "split": "generated", **self.judged(images, data_dir, requested=digits)}

    def predict(self, model, n, seed=0, **options):
        """`n` images from the generator of `model`, from the latent vectors of `seed` (see `sample`)."""
        return self.sample(model.sampler, n, seed=seed, **options)

    def floor(self, data_dir=None, samples=10_000):
        """The same numbers for real training digits against real test digits (measured once)."""
        if (data_dir, samples) in self._floors:
            return self._floors[data_dir, samples]
        judge = self.judge()
        test, _ = load_mnist("test", data_dir)
        train, _ = load_mnist("train", data_dir)
        reference, _ = self.judge_images(test[:samples] / 255.0, judge)
        self._floors[data_dir, samples] = self.quality(train[:samples] / 255.0, reference, judge)
        return self._floors[data_dir, samples]

    def summary(self, result):
        keep = ("samples", "fid", "inception_score", "min_share", "max_share", "coverage", "conditional_accuracy")
        return {k: result[k] for k in keep if k in result} | {"error": result["fid"]}

    def describe(self, name, result, data_dir=None):
        """The generator's measures beside those of real training digits (the floor)."""
        floor = self.floor(data_dir)
        rows = [
            {"images": name, "FID": round(r["fid"], 3), "Inception Score": round(r["inception_score"], 3),
             "fewest of a digit": r["min_share"], "most of a digit": r["max_share"],
             **({"requested digit read": r["conditional_accuracy"]} if "conditional_accuracy" in r else {})}
            for name, r in ((f"{result['samples']:,} samples", result), ("real training digits (the floor)", floor))
        ]  # fmt: skip
        return f"{name}, judged by {result['judge']} ({result['judge_layer']}) against real test digits:", rows

    def save_evaluation(self, result, out, data_dir=None, replace=False):
        from toolkit.files import write_json

        write_json(pathlib.Path(out) / "metrics.json", {"model": result, "floor": self.floor(data_dir)}, replace=replace)
        return ["metrics.json"]


def with_codes(generator, z, codes):
    """A copy of `z` whose first numbers choose the categorical `codes` (one or one per row) of an
    InfoGAN's generator: the chosen code's number is made the largest."""
    try:
        count = getattr(generator, "codes", None) or generator.get_layer("g_code").codes  # ONNX's says it
    except (ValueError, AttributeError):
        raise InputError("this generator has no categorical code; drawing a code needs infogan weights",
                         setting="code") from None  # fmt: skip
    codes = np.broadcast_to(np.asarray(codes), (len(z),))
    wrong = codes[(codes < 0) | (codes >= count)]
    if wrong.size:
        raise ValueError(f"code {wrong[0]} is out of range: this generator has codes 0 to {count - 1}")
    z = np.array(z, "float32")
    z[np.arange(len(z)), codes] = np.abs(z[:, :count]).max(1) + 1.0
    return z


def save_grid(images, path, columns=8):
    """Save (n, 28, 28) images in [0, 1] as one PNG grid."""
    from PIL import Image

    n = len(images)
    rows = -(-n // columns)
    grid = np.zeros((rows * 30, columns * 30), "float32")
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        grid[r * 30 + 1 : r * 30 + 29, c * 30 + 1 : c * 30 + 29] = image
    Image.fromarray((grid * 255).round().astype("uint8")).save(path)


def shuffled_batches(data, batch_size, seed):
    """A Keras `PyDataset` of full batches of `data` (an array, or a tuple of arrays), in a new
    seeded order every epoch."""
    import keras

    arrays = data if isinstance(data, tuple) else (data,)

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.on_epoch_end()

        def __len__(self):
            return len(arrays[0]) // batch_size

        def __getitem__(self, index):
            rows = self.order[index * batch_size : (index + 1) * batch_size]
            batch = tuple(a[rows] for a in arrays)
            return batch if isinstance(data, tuple) else batch[0]

        def on_epoch_end(self):
            self.order = self.rng.permutation(len(arrays[0]))

    return Batches()
