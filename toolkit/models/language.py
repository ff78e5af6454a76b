"""Character language models: the char-RNN family and a small GPT. Each takes token ids of any
length and returns, at every position, the logits of the next character.

References:
    Elman, "Finding structure in time", Cognitive Science 14, 1990.
    Hochreiter & Schmidhuber, "Long short-term memory", Neural Computation 9(8), 1997.
    Cho et al., "Learning phrase representations using RNN encoder-decoder", EMNLP 2014.
    Karpathy, "The unreasonable effectiveness of recurrent neural networks", 2015 (char-RNN).
    Vaswani et al., "Attention is all you need", NeurIPS 2017.
    Radford et al., "Improving language understanding by generative pre-training", 2018 (GPT).
"""

import numpy as np

from toolkit._lazy import keras
from toolkit.models._common import finish
from toolkit.registry import register

CELLS = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def char_recurrent(kind, *, weights=None, input_shape=None, vocab_size=65, embedding_dim=64, units=256, num_layers=2,
                   dropout=0.0, name=None):  # fmt: skip
    """Embedding, `num_layers` recurrent layers of `kind` returning every step, and the logits
    of the next character at each step (Karpathy 2015's char-RNN). `input_shape` fixes the
    sequence length, `(None,)` (any length) by default."""
    if vocab_size < 2:
        raise ValueError(f"{name}: vocab_size must be at least 2. Received: vocab_size={vocab_size}")
    inputs = keras.Input(tuple(input_shape or (None,)), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    layer = getattr(keras.layers, CELLS[kind])
    for i in range(1, num_layers + 1):
        x = layer(units, return_sequences=True, dropout=dropout, name=f"{kind}{i}")(x)
    x = keras.layers.Dense(vocab_size, name="logits")(x)
    return finish(inputs, x, name=name, weights=weights)


_CHAR = dict(family="language", tasks=("text",), input_shape=(None,))


@register(year=1990, authors="Elman; Karpathy (char-RNN, 2015)", paper="Finding structure in time", **_CHAR)
def char_rnn(*, weights=None, input_shape=None, vocab_size=65, embedding_dim=64, units=256, num_layers=2, dropout=0.0,
             name="char_rnn"):  # fmt: skip
    """A character-level Elman RNN: embedding, `num_layers` SimpleRNN layers, next-character logits."""
    return char_recurrent("rnn", weights=weights, input_shape=input_shape, vocab_size=vocab_size, embedding_dim=embedding_dim, units=units,
                          num_layers=num_layers, dropout=dropout, name=name)  # fmt: skip


@register(year=1997, authors="Hochreiter, Schmidhuber; Karpathy (char-RNN, 2015)", paper="Long short-term memory",
          **_CHAR)  # fmt: skip
def char_lstm(*, weights=None, input_shape=None, vocab_size=65, embedding_dim=64, units=256, num_layers=2, dropout=0.0,
              name="char_lstm"):  # fmt: skip
    """A character-level LSTM: embedding, `num_layers` LSTM layers, next-character logits."""
    return char_recurrent("lstm", weights=weights, input_shape=input_shape, vocab_size=vocab_size, embedding_dim=embedding_dim, units=units,
                          num_layers=num_layers, dropout=dropout, name=name)  # fmt: skip


@register(year=2014, authors="Cho et al.; Karpathy (char-RNN, 2015)",
          paper="Learning phrase representations using RNN encoder-decoder for statistical machine translation",
          **_CHAR)  # fmt: skip
def char_gru(*, weights=None, input_shape=None, vocab_size=65, embedding_dim=64, units=256, num_layers=2, dropout=0.0,
             name="char_gru"):  # fmt: skip
    """A character-level GRU: embedding, `num_layers` GRU layers, next-character logits."""
    return char_recurrent("gru", weights=weights, input_shape=input_shape, vocab_size=vocab_size, embedding_dim=embedding_dim, units=units,
                          num_layers=num_layers, dropout=dropout, name=name)  # fmt: skip


@register(year=2018, authors="Radford, Narasimhan, Salimans, Sutskever (after Vaswani et al. 2017)",
          paper="Improving language understanding by generative pre-training", **_CHAR)  # fmt: skip
def gpt(*, weights=None, input_shape=None, vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, dropout=0.0, name="gpt"):
    """A decoder-only transformer over characters: token and position embeddings, `n_layer`
    pre-norm blocks of causal multi-head self-attention and a GELU MLP (4 x n_embd), a final
    layer norm, and output logits tied to the token embedding. Attends to at most `block_size`
    characters. The defaults are nanoGPT's CPU-sized configuration (4 layers, 4 heads, 128 dims,
    block 64).

    Departs from GPT: learned positions and weight tying as in GPT-2; the output layer keeps a
    bias; attention comes from Keras's `MultiHeadAttention` with its causal mask.
    """
    from toolkit.layers import PositionEmbedding, TiedEmbedding, gelu

    if n_embd % n_head:
        raise ValueError(f"{name}: n_embd must be a multiple of n_head. Received: n_embd={n_embd}, n_head={n_head}")
    inputs = keras.Input(tuple(input_shape or (None,)), dtype="int32", name="tokens")
    tokens = TiedEmbedding(vocab_size, n_embd, name="token_embedding")
    x = PositionEmbedding(block_size, name="position_embedding")(tokens(inputs))
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for i in range(1, n_layer + 1):
        h = keras.layers.LayerNormalization(epsilon=1e-5, name=f"block{i}_norm1")(x)
        h = keras.layers.MultiHeadAttention(n_head, n_embd // n_head, dropout=dropout, name=f"block{i}_attention")(
            h, h, use_causal_mask=True
        )
        x = keras.layers.Add(name=f"block{i}_add1")([x, h])
        h = keras.layers.LayerNormalization(epsilon=1e-5, name=f"block{i}_norm2")(x)
        h = keras.layers.Dense(4 * n_embd, activation=gelu, name=f"block{i}_mlp1")(h)
        h = keras.layers.Dense(n_embd, name=f"block{i}_mlp2")(h)
        h = keras.layers.Dropout(dropout, name=f"block{i}_dropout")(h)
        x = keras.layers.Add(name=f"block{i}_add2")([x, h])
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    logits = tokens(x, reverse=True)
    return finish(inputs, logits, name=name, weights=weights)


# -- generation, one character at a time --------------------------------------------------------


def has_attention(model):
    """Whether `model` is a GPT (built by `gpt`, so it has a `token_embedding` layer)."""
    return "token_embedding" in {layer.name for layer in model.layers}


def decoder(model, window):
    """A `Decoder` for `model` (a GPT or a char-RNN), which sees at most `window` characters."""
    return GPTDecoder(model, window) if has_attention(model) else RecurrentDecoder(model)


class Decoder:
    """Next-character logits without recomputing the text before: `prime(tokens)` reads a
    prompt and returns the logits after it; each `step(token)` reads one more."""

    def prime(self, tokens):
        raise NotImplementedError

    def step(self, token):
        raise NotImplementedError


class RecurrentDecoder(Decoder):
    """Carries each recurrent layer's state from character to character (as Karpathy's char-RNN
    samples), so a step costs one cell update per layer however long the text."""

    def __init__(self, model):
        from keras import layers

        self.embedding = model.get_layer("embedding")
        self.cells = [layer.cell for layer in model.layers if isinstance(layer, layers.RNN)]
        self.logits = model.get_layer("logits")

    def prime(self, tokens):
        self.states = [[np.zeros((1, size), "float32") for size in np.atleast_1d(cell.state_size)] for cell in self.cells]
        for token in tokens:
            logits = self.step(token)
        return logits

    def step(self, token):
        x = self.embedding(np.array([token], "int32"))
        for i, cell in enumerate(self.cells):
            x, states = cell(x, self.states[i], training=False)
            self.states[i] = list(states) if isinstance(states, (list, tuple)) else [states]
        return np.asarray(self.logits(x))[0].astype("float64")


class GPTDecoder(Decoder):
    """The GPT's forward pass in NumPy with a key-value cache: each layer keeps the keys and
    values of the characters read so far, so a step computes only the new character's. Positions
    are absolute within the window, so when it is full the cache restarts from its last three
    quarters (the model then sees between 3/4 and all of `window` characters)."""

    def __init__(self, model, window):
        def weights(layer):
            return [np.asarray(w, "float32") for w in model.get_layer(layer).get_weights()]

        self.embeddings, self.bias = weights("token_embedding")
        (self.positions,) = weights("position_embedding")
        self.window = min(window, len(self.positions))
        self.blocks, names = [], {layer.name for layer in model.layers}
        while f"block{len(self.blocks) + 1}_norm1" in names:
            i = len(self.blocks) + 1
            attention = model.get_layer(f"block{i}_attention")
            projections = [[np.asarray(w, "float32") for w in dense.get_weights()] for dense in
                           (attention._query_dense, attention._key_dense, attention._value_dense, attention._output_dense)]  # fmt: skip
            self.blocks.append({"norm1": weights(f"block{i}_norm1"), "norm2": weights(f"block{i}_norm2"),
                                "attention": projections, "mlp1": weights(f"block{i}_mlp1"), "mlp2": weights(f"block{i}_mlp2")})  # fmt: skip
        self.final_norm = weights("final_norm")

    @staticmethod
    def _norm(x, gamma_beta):
        gamma, beta = gamma_beta
        return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * gamma + beta

    def forward(self, tokens, cache=None):
        """Logits after each of `tokens`, read after the `cache`'s characters, and every
        layer's attention weights (n_layer, n_head, new, all); the cache is extended in place."""
        from scipy.special import erf, softmax

        cache = [] if cache is None else cache
        start = cache[0][0].shape[1] if cache else 0
        x = self.embeddings[tokens] + self.positions[start : start + len(tokens)]
        maps = []
        for i, block in enumerate(self.blocks):
            (wq, bq), (wk, bk), (wv, bv), (wo, bo) = block["attention"]
            h = self._norm(x, block["norm1"])
            q, k, v = (np.einsum("td,dhk->htk", h, w) + b[:, None] for w, b in ((wq, bq), (wk, bk), (wv, bv)))
            if len(cache) <= i:
                cache.append((k, v))
            else:
                cache[i] = (np.concatenate([cache[i][0], k], 1), np.concatenate([cache[i][1], v], 1))
            keys, values = cache[i]
            scores = q @ keys.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
            future = np.arange(keys.shape[1])[None, :] > start + np.arange(len(tokens))[:, None]
            weights = softmax(np.where(future, -np.inf, scores), axis=-1)
            maps.append(weights)
            x = x + np.einsum("htk,hkd->td", weights @ values, wo) + bo
            h = self._norm(x, block["norm2"])
            (w1, b1), (w2, b2) = block["mlp1"], block["mlp2"]
            h = h @ w1 + b1
            x = x + (0.5 * h * (1 + erf(h / np.sqrt(2)))) @ w2 + b2
        logits = self._norm(x, self.final_norm) @ self.embeddings.T + self.bias
        return logits.astype("float64"), np.stack(maps)

    def prime(self, tokens):
        self.tokens = list(tokens)[-self.window :]
        self.cache = []
        return self.forward(np.array(self.tokens), self.cache)[0][-1]

    def step(self, token):
        self.tokens.append(token)
        if len(self.tokens) > self.window:
            return self.prime(self.tokens[-(3 * self.window // 4) :])
        return self.forward(np.array([token]), self.cache)[0][-1]


def attention_maps(model, tokens):
    """The attention weights of every layer and head of a GPT over `tokens` (at most its block):
    an array (n_layer, n_head, len, len) whose row i sums to 1 over the characters 0..i."""
    if not has_attention(model):
        raise ValueError(f"{model.name} has no attention: attention maps are drawn for a GPT")
    gpt_decoder = GPTDecoder(model, len(tokens))
    return gpt_decoder.forward(np.array(tokens[-gpt_decoder.window :]))[1]
