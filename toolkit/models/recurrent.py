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

    Args:
        input_shape: (time steps, features); (24, 1) by default.
        units: units of each recurrent layer.
        num_layers: stacked recurrent layers.
        return_sequences: many-to-many instead of many-to-one.
        num_outputs: outputs per sequence (or per step), e.g. the forecast horizon.
        dropout: dropout of each layer's inputs.
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


_RECURRENT = dict(family="recurrent", tasks=("forecasting",), input_shape=(24, 1))

@register(year=1990, authors="Elman", paper="Finding structure in time", params_basis="u(d+u)+u per layer + output",
          **_RECURRENT)  # fmt: skip
def rnn(*, weights=None, input_shape=None, units=32, num_layers=1, return_sequences=False, num_outputs=1,
        dropout=0.0, name="rnn"):  # fmt: skip
    """Elman's simple recurrent network (1990): `num_layers` SimpleRNN layers, then a linear output (see `recurrent`)."""
    return recurrent("rnn", **locals())  # the keyword arguments, as given


@register(year=1997, authors="Hochreiter, Schmidhuber", paper="Long short-term memory",
          params_basis="4(u(d+u)+u) per layer + output", errors={"airline_test_rmse": 47.5}, **_RECURRENT)  # fmt: skip
def lstm(*, weights=None, input_shape=None, units=32, num_layers=1, return_sequences=False, num_outputs=1,
         dropout=0.0, name="lstm"):  # fmt: skip
    """The LSTM (Hochreiter & Schmidhuber 1997): `num_layers` LSTM layers, then a linear output (see `recurrent`)."""
    return recurrent("lstm", **locals())


@register(year=2014, authors="Cho, van Merrienboer, Gulcehre, Bahdanau, Bougares, Schwenk, Bengio",
          paper="Learning phrase representations using RNN encoder-decoder for statistical machine translation",
          params_basis="3(u(d+u)+2u) per layer + output", **_RECURRENT)  # fmt: skip
def gru(*, weights=None, input_shape=None, units=32, num_layers=1, return_sequences=False, num_outputs=1,
        dropout=0.0, name="gru"):  # fmt: skip
    """The GRU (Cho et al. 2014): `num_layers` GRU layers, then a linear output (see `recurrent`)."""
    return recurrent("gru", **locals())

