"""Recurrent sequence models: Elman's simple RNN, the LSTM and the GRU.

References:
    Elman, "Finding structure in time", Cognitive Science 14, 1990.
    Hochreiter & Schmidhuber, "Long short-term memory", Neural Computation 9(8), 1997.
    Cho et al., "Learning phrase representations using RNN encoder-decoder for statistical
    machine translation", EMNLP 2014.

Parameters per layer (d inputs, u units): SimpleRNN u(d+u)+u, LSTM 4(u(d+u)+u), GRU (Keras 3,
reset_after=True) 3(u(d+u)+2u).
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, finish
from toolkit.registry import register

CELLS = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def recurrent(
    kind,
    *,
    weights=None,
    input_shape=None,
    units=32,
    num_layers=1,
    return_sequences=False,
    num_outputs=1,
    dropout=0.0,
    name=None,
):
    """`num_layers` stacked recurrent layers of `kind` and a linear output.

    Many-to-one (`return_sequences=False`): one vector of `num_outputs` per sequence, e.g. the
    next `horizon` values. Many-to-many: `num_outputs` per time step.
    """
    shape = check_input_shape(input_shape, (24, 1), name=name)
    inputs = keras.Input(shape, name="inputs")
    x = inputs
    layer = getattr(keras.layers, CELLS[kind])
    for i in range(1, num_layers + 1):
        last = i == num_layers
        x = layer(units, return_sequences=return_sequences or not last, dropout=dropout, name=f"{kind}{i}")(x)
    x = keras.layers.Dense(num_outputs, name="predictions")(x)
    return finish(inputs, x, name=name, weights=weights)


def _variant(kind, **facts):
    def builder(
        *,
        weights=None,
        input_shape=None,
        units=32,
        num_layers=1,
        return_sequences=False,
        num_outputs=1,
        dropout=0.0,
        name=kind,
    ):
        return recurrent(
            kind,
            weights=weights,
            input_shape=input_shape,
            units=units,
            num_layers=num_layers,
            return_sequences=return_sequences,
            num_outputs=num_outputs,
            dropout=dropout,
            name=name,
        )

    builder.__name__ = kind
    builder.__doc__ = (
        f"A {CELLS[kind]} sequence model: `num_layers` layers of `units`, then a linear output.\n\n"
        "Args:\n    input_shape: (time steps, features); (24, 1) by default.\n"
        "    return_sequences: many-to-many instead of many-to-one.\n"
        "    num_outputs: outputs per sequence (or per step), e.g. the forecast horizon."
    )
    return register(family="recurrent", tasks=("forecasting",), input_shape=(24, 1), **facts)(builder)


rnn = _variant(
    "rnn", year=1990, authors="Elman", paper="Finding structure in time", params_basis="u(d+u)+u per layer + output"
)
lstm = _variant(
    "lstm",
    year=1997,
    authors="Hochreiter, Schmidhuber",
    paper="Long short-term memory",
    params_basis="4(u(d+u)+u) per layer + output",
    errors={"airline_test_rmse": 47.5},
)
gru = _variant(
    "gru",
    year=2014,
    authors="Cho, van Merrienboer, Gulcehre, Bahdanau, Bougares, Schwenk, Bengio",
    paper="Learning phrase representations using RNN encoder-decoder for statistical machine translation",
    params_basis="3(u(d+u)+2u) per layer + output",
)
