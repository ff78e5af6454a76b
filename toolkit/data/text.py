"""Text corpora for character language models: reading, the vocabulary, the held-out tail, and
the n-gram baselines every model is scored against.

Characters are the tokens. The vocabulary is the sorted set of a corpus's characters, saved
with a run; a character outside it is an error that names it. The last 10 % of a corpus is the
validation text (no split is given with the corpora).
"""

import pathlib

import numpy as np

from toolkit.errors import InputError

VALIDATION_FRACTION = 0.1


class TextError(InputError):
    """A corpus that cannot be read, or text with characters outside a model's vocabulary."""


def read_text(path):
    """The UTF-8 text of `path` (line ends as in the file).

    Raises:
        TextError: the file is missing, empty or not UTF-8.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise TextError(f"{path}: no such text file", setting="data")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TextError(f"{path}: not UTF-8 text (byte {error.start} cannot be decoded)", setting="data") from None
    if not text:
        raise TextError(f"{path}: empty file", setting="data")
    return text


def vocabulary(text):
    """The sorted characters of `text`, as one string (its index is each character's token)."""
    return "".join(sorted(set(text)))


def encode(text, vocab):
    """`text` as int32 tokens of `vocab`.

    Raises:
        TextError: naming the first character outside the vocabulary.
    """
    index = {c: i for i, c in enumerate(vocab)}
    missing = next((c for c in text if c not in index), None)
    if missing is not None:
        raise TextError(f"the character {missing!r} (U+{ord(missing):04X}) is not in the model's vocabulary of "
                        f"{len(vocab)} characters", setting="prompt")  # fmt: skip
    return np.fromiter((index[c] for c in text), dtype="int32", count=len(text))


def decode(tokens, vocab):
    return "".join(vocab[int(t)] for t in tokens)


def split(tokens, fraction=VALIDATION_FRACTION):
    """(training, validation) tokens: the validation text is the last `fraction` of the corpus."""
    cut = len(tokens) - int(round(len(tokens) * fraction))
    return tokens[:cut], tokens[cut:]


def ngram_baselines(train, validation, size):
    """Nats per character of count-based models fitted on `train` and scored on `validation`
    (every character after the first two): the unigram with add-one smoothing, and bigram and
    trigram models interpolated down to it (Jelinek-Mercer weights 0.8/0.2 and 0.7/0.2/0.1)."""
    train, validation = np.asarray(train, "int64"), np.asarray(validation, "int64")
    unigram = (np.bincount(train, minlength=size) + 1.0) / (len(train) + size)
    pairs = np.zeros((size, size))
    np.add.at(pairs, (train[:-1], train[1:]), 1)
    triples = np.zeros((size, size, size))
    np.add.at(triples, (train[:-2], train[1:-1], train[2:]), 1)

    def conditional(counts):
        totals = counts.sum(-1, keepdims=True)
        return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)

    a, b, c = validation[:-2], validation[1:-1], validation[2:]
    p1 = unigram[c]
    p2 = 0.8 * conditional(pairs)[b, c] + 0.2 * p1
    p3 = 0.7 * conditional(triples)[a, b, c] + 0.2 * conditional(pairs)[b, c] + 0.1 * p1
    return {name: float(-np.log(p).mean()) for name, p in (("unigram", p1), ("bigram", p2), ("trigram", p3))}
