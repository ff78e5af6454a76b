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
