"""Multi-layer perceptrons: the hand-wired XOR network and trainable MLPs.

Reference: Rumelhart, Hinton & Williams, "Learning representations by back-propagating
errors", Nature 323, 1986 (XOR learned by backpropagation).
"""

from toolkit._lazy import keras, np
from toolkit.models._common import finish
from toolkit.registry import register


@register(
    family="mlp",
    year=1969,
    authors="Minsky & Papert (the XOR problem); the lecture's 2-2-1 wiring",
    paper="Perceptrons: an introduction to computational geometry",
    tasks=("logic",),
    input_shape=(2,),
    published_params=9,
    params_basis="the lecture",
)
def xor_mlp(*, name="xor_mlp"):
    """The lecture's 2-2-1 network of threshold units with hand-set weights.

    z1 = AND(x1, x2), z2 = OR(x1, x2), y = z2 AND NOT z1: 2x2 + 2 + 2x1 + 1 = 9 parameters.
    """
    from toolkit.layers import Step

    inputs = keras.Input((2,), name="inputs")
    z = keras.layers.Dense(2, name="hidden")(inputs)
    z = Step(name="hidden_step")(z)
    y = keras.layers.Dense(1, name="output")(z)
    y = Step(name="output_step")(y)
    model = keras.Model(inputs, y, name=name)
    # hidden unit 0 is AND (threshold 1.5), unit 1 is OR (threshold 0.5)
    model.get_layer("hidden").set_weights(
        [np.array([[1.0, 1.0], [1.0, 1.0]], "float32"), np.array([-1.5, -0.5], "float32")]
    )
    # y = step(z2 - z1 - 0.5): fires only for z2 = 1, z1 = 0
    model.get_layer("output").set_weights([np.array([[-1.0], [1.0]], "float32"), np.array([-0.5], "float32")])
    return model


@register(
    family="mlp",
    year=1986,
    authors="Rumelhart, Hinton, Williams",
    paper="Learning representations by back-propagating errors",
    tasks=("logic", "digits", "forecasting"),
    input_shape=(2,),
    params_basis="sum of Dense layers (in+1) x out",
)
def mlp(
    *,
    include_top=True,
    weights=None,
    input_shape=None,
    num_classes=1,
    classifier_activation="sigmoid",
    hidden_units=(4,),
    activation="tanh",
    alpha=None,
    maxout_pieces=5,
    dropout=0.0,
    name="mlp",
):
    """A fully connected network of any depth and width, trained by backpropagation.

    Inputs of rank > 1 (images, windows) are flattened first.

    Args:
        include_top: whether to add the output layer.
        weights: None, a weights file or a catalog id.
        input_shape: shape of one example; `(2,)` by default (XOR).
        num_classes: output units (1 with sigmoid for XOR, 10 with softmax for digits).
        classifier_activation: activation of the output layer.
        hidden_units: the width of each hidden layer, e.g. `(256, 128)`.
        activation: one of the lecture's activations (sigmoid, tanh, relu, leaky_relu, elu,
            maxout, step).
        alpha: leaky ReLU's negative slope (default 0.1, the lecture's) or ELU's alpha (default 1.0).
        maxout_pieces: pieces per unit when `activation="maxout"`.
        dropout: dropout rate after each hidden layer.

    Example:
        >>> model = mlp(hidden_units=(4,), activation="tanh")  # learns XOR
    """
    from toolkit.layers import Maxout, activation_layer

    shape = tuple(input_shape) if input_shape is not None else (2,)
    inputs = keras.Input(shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(shape) > 1 else inputs
    for i, units in enumerate(hidden_units, start=1):
        if activation == "maxout":
            x = Maxout(units, maxout_pieces, name=f"hidden{i}")(x)
        else:
            x = keras.layers.Dense(units, name=f"hidden{i}")(x)
            x = activation_layer(activation, layer_name=f"hidden{i}_{activation}", alpha=alpha)(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"hidden{i}_dropout")(x)
    if include_top:
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    return finish(inputs, x, name=name, weights=weights)
