"""Threshold units: the logic gates of McCulloch and Pitts and Rosenblatt's perceptron.

References:
    McCulloch & Pitts, "A logical calculus of the ideas immanent in nervous activity", 1943.
    Rosenblatt, "The perceptron: a probabilistic model for information storage and
    organization in the brain", Psychological Review 65(6), 1958.
"""

from toolkit._lazy import keras, np
from toolkit.models._common import check_input_shape, finish
from toolkit.registry import register

# The lecture's weights and thresholds: y = 1 if w.x - theta >= 0.
GATES = {
    "and_gate": ((1.0, 1.0), 1.5),
    "or_gate": ((1.0, 1.0), 0.5),
    "not_gate": ((-1.0,), -0.5),
    "nand_gate": ((-1.0, -1.0), -1.5),
    "nor_gate": ((-1.0, -1.0), -0.5),
}

_PERCEPTRON = dict(
    family="perceptron",
    year=1958,
    authors="McCulloch & Pitts (1943); Rosenblatt (1958)",
    paper="The perceptron: a probabilistic model for information storage and organization in the brain",
    tasks=("logic",),
)


def threshold_unit(weights, threshold, name):
    """A single threshold unit with fixed weights: y = step(w.x - threshold)."""
    from toolkit.layers import Step

    inputs = keras.Input((len(weights),), name="inputs")
    u = keras.layers.Dense(1, name="unit")(inputs)
    y = Step(name="step")(u)
    model = keras.Model(inputs, y, name=name)
    model.get_layer("unit").set_weights(
        [np.array(weights, "float32").reshape(-1, 1), np.array([-threshold], "float32")]
    )
    return model


_GATE = dict(params_basis="the lecture", **_PERCEPTRON)


@register(input_shape=(2,), published_params=3, **_GATE)
def and_gate(*, name="and_gate"):
    """The AND gate: w=(1.0, 1.0), threshold=1.5; y = 1 if w.x - threshold >= 0."""
    return threshold_unit(*GATES["and_gate"], name)


@register(input_shape=(2,), published_params=3, **_GATE)
def or_gate(*, name="or_gate"):
    """The OR gate: w=(1.0, 1.0), threshold=0.5; y = 1 if w.x - threshold >= 0."""
    return threshold_unit(*GATES["or_gate"], name)


@register(input_shape=(1,), published_params=2, **_GATE)
def not_gate(*, name="not_gate"):
    """The NOT gate: w=(-1.0,), threshold=-0.5; y = 1 if w.x - threshold >= 0."""
    return threshold_unit(*GATES["not_gate"], name)


@register(input_shape=(2,), published_params=3, **_GATE)
def nand_gate(*, name="nand_gate"):
    """The NAND gate: w=(-1.0, -1.0), threshold=-1.5; y = 1 if w.x - threshold >= 0."""
    return threshold_unit(*GATES["nand_gate"], name)


@register(input_shape=(2,), published_params=3, **_GATE)
def nor_gate(*, name="nor_gate"):
    """The NOR gate: w=(-1.0, -1.0), threshold=-0.5; y = 1 if w.x - threshold >= 0."""
    return threshold_unit(*GATES["nor_gate"], name)


@register(input_shape=(2,), params_basis="(inputs + 1) x outputs", task_args={"digits": {"learning_rule": "gradient"}},
          **{**_PERCEPTRON, "tasks": ("logic", "digits")})  # fmt: skip
def perceptron(
    *,
    weights=None,
    input_shape=None,
    num_classes=1,
    classifier_activation="step",
    learning_rule="rosenblatt",
    learning_rate=1.0,
    name="perceptron",
):
    """A single layer of threshold units (Rosenblatt 1958): the linear classifier.

    With `learning_rule="rosenblatt"` (the default) it is trained by the perceptron rule
    (`model.compile(); model.fit(x, y, batch_size=1)`); it learns AND, OR, NAND and NOR and
    cannot learn XOR. With `learning_rule="gradient"` it is a Dense layer with
    `classifier_activation` (e.g. softmax over 10 digits) for ordinary gradient descent.

    Args:
        weights: None, a weights file or a catalog id.
        input_shape: the shape of one example, `(features,)`; images are flattened.
        num_classes: 1 for a single unit, else one unit per class.
        classifier_activation: "step" for the perceptron rule; any Keras activation otherwise.
        learning_rule: "rosenblatt" or "gradient".
        learning_rate: the rule's step size.
    """
    if learning_rule not in ("rosenblatt", "gradient"):
        raise ValueError(f"learning_rule must be 'rosenblatt' or 'gradient'. Received: learning_rule={learning_rule!r}")
    shape = tuple(input_shape) if input_shape is not None else (2,)
    if learning_rule == "rosenblatt":
        shape = check_input_shape(shape, (2,), name=name) if len(shape) == 1 else shape
        from toolkit.models._rosenblatt import RosenblattPerceptron

        model = RosenblattPerceptron(num_classes, learning_rate, name=name)
        model.build((None, int(np.prod(shape))))
        if weights is not None:
            from toolkit.models._common import load_weights

            load_weights(model, weights)
        return model
    inputs = keras.Input(shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(shape) > 1 else inputs
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    return finish(inputs, outputs, name=name, weights=weights)
