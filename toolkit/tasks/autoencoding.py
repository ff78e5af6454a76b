"""The autoencoding task: MNIST digits redrawn through a code, scored by the Bernoulli likelihood.

Data: the digits task's split (55,000 training digits, 5,000 validating, the 10,000 test digits
for the reported numbers), binarized as in the VAE literature: each pixel is ink with the
probability of its grey value, drawn anew for every training batch and once, with seed 0, for
validation and test. Every model outputs the probability of each pixel being ink; the loss is
the cross-entropy of the binarized input under it, summed over the 784 pixels (nats per
image), plus a VAE's KL term, which makes the loss the negative ELBO. With `noise` the input
gets Gaussian noise of that standard deviation and the target stays clean: a denoising
autoencoder (Vincent et al. 2008).

`evaluate` reports the reconstruction cross-entropy of the test digits, and for a VAE the
negative ELBO and an importance-weighted estimate of the negative log-likelihood (Burda et al.
2016, `importance_samples` draws per digit), comparable with published test NLLs, and the
generation task's FID and Inception Score of as many digits drawn from its prior.
"""

import dataclasses

import numpy as np

from toolkit import hub
from toolkit.tasks.task import Task, option

LOG_2PI = float(np.log(2 * np.pi))
SAMPLE_MEASURES = ("samples", "fid", "inception_score", "min_share", "max_share", "coverage")


def binarize(images, seed):
    """Each pixel 1 with the probability of its grey value (float32), from a seeded NumPy draw."""
    return (np.random.default_rng(seed).random(images.shape, dtype=np.float32) < images).astype("float32")


def pixel_nll(images, probabilities):
    """-log p(images | probabilities) of independent Bernoulli pixels, summed over each image (nats);
    a Keras loss."""
    import keras

    ops = keras.ops
    p = ops.clip(probabilities, 1e-7, 1 - 1e-7)
    log_likelihood = images * ops.log(p) + (1 - images) * ops.log(1 - p)
    return -ops.sum(ops.reshape(log_likelihood, (ops.shape(log_likelihood)[0], -1)), axis=-1)


def _pixel_nll(images, probabilities):
    """`pixel_nll` in NumPy (float64), over the last three axes."""
    p = np.clip(probabilities.astype("float64"), 1e-7, 1 - 1e-7)
    return -(images * np.log(p) + (1 - images) * np.log(1 - p)).sum(axis=(-3, -2, -1))


class AutoencodingTask(Task):
    """Binarized MNIST digits through an autoencoder's code and back."""

    name = "autoencoding"
    loss = staticmethod(pixel_nll)
    preprocessing = "28x28 gray, light ink on black, pixels / 255 (each pixel's ink probability)"

    def __init__(self, noise=0.0, start_weights=None):
        self.settings = {"noise": noise} if noise else {}
        if start_weights:
            self.settings["start_weights"] = start_weights

    @dataclasses.dataclass
    class Options:
        data: str = option(None, "the dataset: MNIST (mnist), the only one this task reads")
        noise: float = option(0.0, "train as a denoising autoencoder: Gaussian noise of this standard deviation on the input",
                              minimum=0)  # fmt: skip
        weights: str = option(None, "continue from these catalog weights or this .weights.h5 file")

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        if options.data not in (None, "mnist"):
            raise ValueError(f"the autoencoding task reads mnist, not {options.data}")
        settings = {"noise": options.noise} if options.noise else {}
        return {**settings, **({"start_weights": options.weights} if options.weights else {})}, model_name, {}

    def load(self, split, data_dir=None, limit=None):
        """Grey digits (N, 28, 28, 1) in [0, 1] of the digits task's split."""
        from toolkit.tasks.digits import DigitsTask

        return DigitsTask().load(split, data_dir, limit)[0]

    # -- the model -------------------------------------------------------------------------------
    def build_args(self, model_name, data_dir=None):
        if "autoencoding" not in hub.model_info(model_name).tasks:
            choices = ", ".join(hub.list_models(task="autoencoding"))
            raise ValueError(f"{model_name} is not an autoencoder; choose one of {choices}")
        return {"input_shape": [28, 28, 1]}

    def compile(self, model, optimizer="adam", learning_rate=None, weight_decay=None):
        from toolkit.tasks.training import make_optimizer

        model.compile(make_optimizer(optimizer, learning_rate or self.learning_rate, weight_decay), pixel_nll)

    @staticmethod
    def is_variational(model):
        """Whether `model` draws its code (a VAE), which `evaluate` scores by its ELBO."""
        return any(layer.name == "code" and hasattr(layer, "seed_generator") for layer in model.layers)

    # -- the verbs -------------------------------------------------------------------------------
    def datasets(self, model, *, batch_size, seed, augment="none", data_dir=None, limit=None):
        import tensorflow as tf

        images = tf.constant(self.load("train", data_dir, limit))
        noise = self.settings.get("noise", 0.0)

        def draw(rows, seeds):
            grey = tf.gather(images, rows)
            seeds = tf.cast(seeds, tf.int32) % (2**31 - 1)
            target = tf.cast(tf.random.stateless_uniform(tf.shape(grey), seeds[0]) < grey, tf.float32)
            inputs = target + noise * tf.random.stateless_normal(tf.shape(grey), seeds[1]) if noise else target
            return inputs, target

        rows = tf.data.Dataset.range(len(images)).shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        seeds = tf.data.Dataset.random(seed=seed).batch(2).batch(2)
        train = tf.data.Dataset.zip((rows.batch(batch_size), seeds)).map(draw, num_parallel_calls=tf.data.AUTOTUNE)
        validation = binarize(self.load("validation", data_dir, limit and max(limit // 10, batch_size)), 0)
        val = tf.data.Dataset.from_tensor_slices((validation, validation)).batch(512)
        return train.prefetch(tf.data.AUTOTUNE), val.prefetch(tf.data.AUTOTUNE)

    def training_facts(self, augment, data_dir=None, limit=None):
        facts = {"augment": augment, "training_images": len(self.load("train", data_dir, limit))}
        return {**facts, **({"noise": self.settings["noise"]} if self.settings.get("noise") else {})}

    def reconstruct(self, model, images, batch_size=512):
        """The model's picture of each of `images` (N, 28, 28, 1): each pixel's ink probability."""
        from toolkit.models._common import predict_batch

        return np.concatenate([predict_batch(model, images[i : i + batch_size]) for i in range(0, len(images), batch_size)])

    def encode(self, model, images, batch_size=512):
        """Each image's code (a VAE's mean code)."""
        from toolkit.models._common import predict_batch

        encoder = model.get_layer("encoder")
        codes = [predict_batch(encoder, images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
        return np.concatenate([c[0] for c in codes] if self.is_variational(model) else codes)

    def predict(self, model, inputs, batch_size=256, **options):
        """Reconstructions of `inputs` (from `read`) and each one's cross-entropy in nats."""
        images = np.stack(inputs)
        pictures = self.reconstruct(model, images, batch_size)
        return [{"reconstruction": picture, "nats": float(nats)} for picture, nats in zip(pictures, _pixel_nll(images, pictures))]

    def read(self, path):
        from toolkit.tasks.digits import DigitsTask

        return DigitsTask().read(path)

    def evaluate(self, model, data_dir=None, split="test", limit=None, progress=None, importance_samples=100, seed=0):
        """Reconstruction cross-entropy of the binarized split (nats per digit); for a VAE also
        the negative ELBO (one code drawn per digit) and the importance-weighted NLL estimate."""
        if not hasattr(model, "get_layer"):
            raise ValueError("the autoencoding task evaluates on Keras: a VAE's ELBO needs its encoder and decoder apart")
        images = binarize(self.load(split, data_dir, limit), 0)
        pictures = self.reconstruct(model, images)
        result = {"dataset": "binarized_mnist", "split": split, "images": int(len(images)),
                  "reconstruction_nll": float(_pixel_nll(images, pictures).mean())}  # fmt: skip
        if self.is_variational(model):
            result.update(self._likelihood(model, images, importance_samples, seed, progress))
            result["prior_samples"] = self.sample_quality(model, data_dir, samples=len(images), seed=seed)
        elif progress:
            progress(len(images))
        return result

    def _likelihood(self, model, images, samples, seed, progress=None, chunk=100):
        """Negative ELBO and Burda et al.'s estimate -log (1/k) sum_k p(x, z_k) / q(z_k | x),
        z_k ~ q(z | x), in nats per digit."""
        from scipy.special import logsumexp

        from toolkit.models._common import predict_batch

        encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
        random = np.random.default_rng(seed)
        elbo, nll = [], []
        for start in range(0, len(images), chunk):
            x = images[start : start + chunk]
            mean, log_var = (np.asarray(a, "float64") for a in predict_batch(encoder, x))
            noise = random.standard_normal((samples, *mean.shape))
            z = mean + np.exp(0.5 * log_var) * noise  # (k, n, d)
            pictures = predict_batch(decoder, z.reshape(-1, mean.shape[-1]).astype("float32"))
            log_px = -_pixel_nll(np.broadcast_to(x, (samples, *x.shape)), pictures.reshape(samples, *x.shape))
            log_pz = -0.5 * (z**2 + LOG_2PI).sum(-1)
            log_qz = -0.5 * (noise**2 + LOG_2PI + log_var).sum(-1)
            kl = -0.5 * (1 + log_var - mean**2 - np.exp(log_var)).sum(-1)
            elbo.append(-log_px[0] + kl)
            nll.append(-(logsumexp(log_px + log_pz - log_qz, axis=0) - np.log(samples)))
            if progress:
                progress(min(start + chunk, len(images)))
        return {"negative_elbo": float(np.concatenate(elbo).mean()), "nll": float(np.concatenate(nll).mean()),
                "importance_samples": samples}  # fmt: skip

    def sample_quality(self, model, data_dir=None, samples=10_000, seed=0):
        """The generation task's FID, Inception Score and digit shares of `samples` digits drawn
        from a VAE's prior (each pixel's ink probability), so VAE and GANs share one table."""
        from toolkit.tasks.generation import GenerationTask

        return GenerationTask().judged(self.sample(self.sampler(model), samples, seed), data_dir)

    def evaluation_size(self, data_dir=None, limit=None):
        return limit or 10_000

    def summary(self, result):
        keys = ("images", "reconstruction_nll", "negative_elbo", "nll", "importance_samples")
        summary = {k: result[k] for k in keys if k in result}
        if "prior_samples" in result:
            samples = result["prior_samples"]
            summary["prior_samples"] = {k: samples[k] for k in SAMPLE_MEASURES}
        return summary | {"error": result.get("nll", result["reconstruction_nll"])}

    def describe(self, name, result, data_dir=None):
        line = f"{name}: reconstruction {result['reconstruction_nll']:.2f} nats per digit"
        if "nll" in result:
            line += (f", negative ELBO {result['negative_elbo']:.2f}, NLL {result['nll']:.2f}"
                     f" ({result['importance_samples']} importance samples)")  # fmt: skip
        line += f" on {result['images']:,} binarized {result['split']} digits"
        if "prior_samples" in result:
            samples = result["prior_samples"]
            line += (f"; {samples['samples']:,} digits from the prior: FID {samples['fid']:.3f}, Inception Score"
                     f" {samples['inception_score']:.3f} (judged by {samples['judge']})")  # fmt: skip
        return line, []

    # -- sampling --------------------------------------------------------------------------------
    def sampler(self, model):
        """The decoder of a VAE, which turns codes drawn from N(0, I) into digits.

        Raises:
            ValueError: `model` is not variational (its codes have no prior to draw from).
        """
        if not self.is_variational(model):
            raise ValueError(f"{model.name} is not variational: its codes have no prior to sample from")
        return model.get_layer("decoder")

    def sample(self, decoder, n, seed=0):
        """`n` digits (each pixel's ink probability) from codes z ~ N(0, I) drawn with `seed`."""
        from toolkit.models._common import predict_batch

        z = np.random.default_rng(seed).standard_normal((n, decoder.input_shape[-1])).astype("float32")
        return np.concatenate([predict_batch(decoder, z[i : i + 512]) for i in range(0, n, 512)])[..., 0]

    # -- deployment ------------------------------------------------------------------------------
    def example_inputs(self, network, data_dir=None, count=8):
        return [self.load("test", data_dir, count)]
