"""The text task: a character language model predicts the next character of a corpus.

Data: any UTF-8 text file (`data`: a path, or a path in the data directory such as
`text/dom_casmurro.txt`). Its characters are the tokens; the vocabulary (the sorted characters
of the whole file) is part of the run's settings, so it travels with the weights. The last 10 %
is the validation text, on which every number is measured.

Training: windows of `seq_len` characters at non-overlapping places of the training text, in a
new seeded order each epoch; the model predicts each next character (cross-entropy in nats).
Truncated backpropagation through time: each window is its own sequence, and a recurrent
model starts every window from a zero state (no state is carried between windows, so the
gradient reaches back at most `seq_len` steps). A GPT's `block_size` is `seq_len`.

`evaluate` reports nats and bits per character on the validation text, in windows of `seq_len`
each starting without context, beside the unigram, bigram and trigram count models
(`toolkit.data.text.ngram_baselines`) fitted on the training text.
"""

import dataclasses
import math
import pathlib

import numpy as np

from toolkit import hub
from toolkit.data.text import TextError, decode, encode, ngram_baselines, read_text, split, vocabulary
from toolkit.tasks.task import Task, option


class TextTask(Task):
    name = "text"
    preprocessing = "UTF-8 text, one token per character of the model's vocabulary"

    def __init__(self, data=None, seq_len=64, vocabulary=None, start_weights=None):
        self.settings = {"data": data, "seq_len": seq_len, "vocabulary": vocabulary}
        if start_weights:
            self.settings["start_weights"] = start_weights
        self._tokens = None

    @dataclasses.dataclass
    class Options:
        data: str = option("text/tinyshakespeare.txt", "a UTF-8 text file: a path, or a path in the data directory")
        seq_len: int = option(64, "characters per training window (a GPT's block size)", minimum=2)
        weights: str = option(None, "continue from these catalog weights or this .weights.h5 file")

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        from toolkit.data.paths import portable

        path = cls(options.data).data_path(data_dir)
        options.data = portable(options.data, data_dir)
        settings = {"data": options.data, "seq_len": options.seq_len, "vocabulary": vocabulary(read_text(path))}
        return {**settings, **({"start_weights": options.weights} if options.weights else {})}, model_name, {}

    # -- data ------------------------------------------------------------------------------------
    def data_path(self, data_dir=None):
        from toolkit.data.paths import locate, not_found

        if not self.settings["data"]:
            raise TextError("the text task needs a text file as its data", setting="data")
        path = locate(self.settings["data"], data_dir)
        if not path.is_file():
            raise not_found(self.settings["data"], data_dir, kind="text file", error=TextError)
        return path

    @property
    def vocab(self):
        if not self.settings.get("vocabulary"):
            raise TextError("the text task needs its vocabulary (saved with a run's settings)", setting="vocabulary")
        return self.settings["vocabulary"]

    def tokens(self, data_dir=None):
        """(training, validation) tokens of the corpus."""
        if self._tokens is None:
            self._tokens = split(encode(read_text(self.data_path(data_dir)), self.vocab))
        return self._tokens

    def corpus_name(self):
        return pathlib.Path(self.settings["data"] or "text").stem

    def windows(self, tokens, count=None, length=None):
        """Non-overlapping (inputs, next characters) windows of `length` (`seq_len` by default) over `tokens`."""
        n = length or self.settings["seq_len"]
        starts = np.arange(0, len(tokens) - n - 1, n)[:count]
        rows = starts[:, None] + np.arange(n + 1)
        block = tokens[rows]
        return block[:, :-1], block[:, 1:]

    # -- the model -------------------------------------------------------------------------------
    def build_args(self, model_name, data_dir=None):
        if "text" not in hub.model_info(model_name).tasks:
            raise ValueError(f"{model_name} is not a language model; choose one of {', '.join(hub.list_models(task='text'))}")
        args = {"vocab_size": len(self.vocab)}
        if model_name == "gpt":
            args["block_size"] = self.settings["seq_len"]
        return args

    def compile(self, model, optimizer="adam", learning_rate=None, weight_decay=None):
        import keras

        from toolkit.tasks.training import make_optimizer

        optimizer = make_optimizer(optimizer, learning_rate or self.learning_rate, weight_decay)
        model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    def datasets(self, model, *, batch_size, seed, augment="none", data_dir=None, limit=None):
        """Windows of the training text in a new seeded order each epoch, and the validation windows."""
        import tensorflow as tf

        train, validation = self.tokens(data_dir)
        x, y = self.windows(train, limit)
        vx, vy = self.windows(validation, limit and max(limit // 10, 1))
        rows = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        x, y = tf.constant(x), tf.constant(y)
        training = rows.batch(batch_size).map(lambda r: (tf.gather(x, r), tf.gather(y, r)))
        return training.prefetch(tf.data.AUTOTUNE), tf.data.Dataset.from_tensor_slices((vx, vy)).batch(batch_size)

    def training_facts(self, augment, data_dir=None, limit=None):
        train, _ = self.tokens(data_dir)
        return {"augment": augment, "training_characters": int(len(train)), "vocabulary_size": len(self.vocab)}

    # -- the verbs -------------------------------------------------------------------------------
    def log_probabilities(self, model, inputs, batch_size=64):
        """Log-softmax of the model's logits for a batch of token windows."""
        from scipy.special import log_softmax

        from toolkit.models._common import predict_batch

        out = [predict_batch(model, inputs[i : i + batch_size]) for i in range(0, len(inputs), batch_size)]
        return log_softmax(np.concatenate(out).astype("float64"), axis=-1)

    def evaluate(self, model, data_dir=None, split="test", limit=None, progress=None):
        """Nats and bits per character on the validation text (the corpus's last 10 %), and the
        n-gram baselines' on the same text."""
        train, validation = self.tokens(data_dir)
        x, y = self.windows(validation, limit)
        logp = self.log_probabilities(model, x)
        nats = float(-np.take_along_axis(logp, y[..., None], axis=-1).mean())
        if progress:
            progress(len(x))
        baselines = ngram_baselines(train, validation, len(self.vocab))
        return {"dataset": self.corpus_name(), "split": "validation", "characters": int(y.size),
                "nats_per_char": nats, "bits_per_char": nats / math.log(2), "error": nats,
                "baselines": {k: {"nats_per_char": v, "bits_per_char": v / math.log(2)} for k, v in baselines.items()}}  # fmt: skip

    def summary(self, result):
        keys = ("characters", "nats_per_char", "bits_per_char", "baselines")
        return {k: result[k] for k in keys} | {"error": result["nats_per_char"]}

    def describe(self, name, result, data_dir=None):
        line = (f"{name}: {result['nats_per_char']:.3f} nats ({result['bits_per_char']:.3f} bits) per character on "
                f"the {result['characters']:,} validation characters of {result['dataset']}")  # fmt: skip
        rows = [{"model": name, "nats/char": round(result["nats_per_char"], 4), "bits/char": round(result["bits_per_char"], 4)}]
        rows += [{"model": f"{k} baseline", "nats/char": round(v["nats_per_char"], 4), "bits/char": round(v["bits_per_char"], 4)}
                 for k, v in result["baselines"].items()]  # fmt: skip
        return line, rows

    def gradient_reach(self, model, windows=64, data_dir=None):
        """How far back backpropagation through time reaches: the norm of the gradient of the
        loss at the last position of a `seq_len` window with respect to the model's input vector
        k characters back (index k - 1; k = 1 is the character just read), averaged over
        `windows` validation windows spread over the text. A GPT's input vector is its token
        embedding plus its position's (the gradient is the same for both)."""
        import keras
        import tensorflow as tf

        names = {layer.name for layer in model.layers}
        vectors_at = model.get_layer("position_embedding" if "position_embedding" in names else "embedding").output
        front, rest = keras.Model(model.inputs, vectors_at), keras.Model(vectors_at, model.output)
        _, validation = self.tokens(data_dir)
        x, y = self.windows(validation)
        rows = np.linspace(0, len(x) - 1, min(windows, len(x))).astype(int)
        with tf.GradientTape() as tape:
            vectors = front([x[rows]], training=False)
            tape.watch(vectors)
            logits = rest(vectors, training=False)[:, -1]
            # each window's loss depends only on its own vectors, so one gradient of the sum gives every window's
            loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(y[rows, -1], logits, from_logits=True))
        norms = np.linalg.norm(np.asarray(tape.gradient(loss, vectors), "float64"), axis=-1)
        return norms.mean(axis=0)[::-1]

    def loss_by_context(self, model, lengths=(8, 16, 32, 64, 128), data_dir=None):
        """Validation nats per character when the model reads the validation text in windows of
        L characters, each starting without context, for each L of `lengths` (at most
        `seq_len`, where it is `evaluate`'s number)."""
        _, validation = self.tokens(data_dir)
        if max(lengths) > self.settings["seq_len"]:
            raise ValueError(f"the model reads at most {self.settings['seq_len']} characters. Received: {max(lengths)}")
        losses = {}
        for length in lengths:
            x, y = self.windows(validation, length=length)
            logp = self.log_probabilities(model, x, batch_size=max(64, 8192 // length))
            losses[length] = float(-np.take_along_axis(logp, y[..., None], axis=-1).mean())
        return losses

    def generate(self, model, prompt, count, temperature=1.0, top_k=None, seed=0, stream=None):
        """`count` characters after `prompt`, each drawn (seeded) from the model's next-character
        distribution at `temperature`, among the `top_k` likeliest where given; `stream` is
        called with each character as it comes. Each character costs one step of the model
        (`toolkit.models.language.decoder`): a GPT keeps its keys and values and sees at most
        `seq_len` characters; a recurrent model carries its state along the whole text.

        Raises:
            TextError: the prompt has a character outside the vocabulary.
            ValueError: a temperature that is not positive, or a top_k below 1.
        """
        out = []
        for character in self.characters(model, prompt, count, temperature, top_k, seed):
            out.append(character)
            if stream:
                stream(character)
        return "".join(out)

    def characters(self, model, prompt, count, temperature=1.0, top_k=None, seed=0):
        """`generate`'s characters one at a time, as an iterator; its arguments are checked at once."""
        if not temperature > 0:
            raise ValueError(f"temperature must be positive. Received: temperature={temperature}")
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be at least 1. Received: top_k={top_k}")
        random = np.random.default_rng(seed)
        tokens = list(encode(prompt, self.vocab)) if prompt else [int(random.integers(len(self.vocab)))]
        return self._draw(model, tokens, count, temperature, top_k, random)

    def _draw(self, model, tokens, count, temperature, top_k, random):
        from scipy.special import softmax

        from toolkit.models.language import decoder

        steps = decoder(model, self.settings["seq_len"])
        logits = steps.prime(tokens)
        for i in range(count):
            logits = logits / temperature
            if top_k is not None and top_k < len(logits):
                logits[logits < np.sort(logits)[-top_k]] = -np.inf
            token = int(random.choice(len(logits), p=softmax(logits)))
            yield decode([token], self.vocab)
            if i + 1 < count:
                logits = steps.step(token)

    def predict(self, model, inputs, **options):
        """The text each prompt of `inputs` continues with (options as `generate`'s)."""
        return [self.generate(model, prompt, **options) for prompt in inputs]

    def example_inputs(self, network, data_dir=None, count=8):
        _, validation = self.tokens(data_dir)
        return [self.windows(validation, count)[0]]
