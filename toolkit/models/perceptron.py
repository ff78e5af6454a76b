"""Threshold units: the logic gates of McCulloch and Pitts and Rosenblatt's perceptron.

References:
    McCulloch & Pitts, "A logical calculus of the ideas immanent in nervous activity", 1943.
    Rosenblatt, "The perceptron: a probabilistic model for information storage and
    organization in the brain", Psychological Review 65(6), 1958.
"""

from toolkit._lazy import keras, np, ops
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
    model.get_layer("unit").set_weights([np.array(weights, "float32").reshape(-1, 1), np.array([-threshold], "float32")])
    return model


def _gate(gate):
    w, theta = GATES[gate]

    def builder(*, name=gate):
        return threshold_unit(w, theta, name)

    builder.__name__ = gate
    builder.__doc__ = f"The {gate.replace('_gate', '').upper()} gate: w={w}, threshold={theta}; y = 1 if w.x - threshold >= 0."
    return register(input_shape=(len(w),), published_params=len(w) + 1, params_basis="the lecture", **_PERCEPTRON)(
        builder
    )


and_gate, or_gate, not_gate, nand_gate, nor_gate = (_gate(g) for g in GATES)


def _flat(x):
    return ops.reshape(x, (ops.shape(x)[0], -1)) if len(x.shape) > 2 else x


class RosenblattPerceptron(keras.Model):
    """A layer of threshold units trained by Rosenblatt's rule instead of gradient descent.

    One output unit: w += lr * (t - y) * x after each example. Several (one per class): on a
    mistake, the true class's weights move towards x and the predicted class's away from it.
    `fit` with `batch_size=1` applies the rule example by example, as in 1958. The rule stops
    changing the weights exactly when every example is right, which (the perceptron
    convergence theorem) happens in finitely many steps if and only if the classes are linearly
    separable -- so on XOR it never stops making mistakes.
    """

    def __init__(self, units=1, learning_rate=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.learning_rate = learning_rate
        self.unit = keras.layers.Dense(units, kernel_initializer="zeros", name="unit")
        self.mistakes = keras.metrics.Mean(name="error")

    def build(self, input_shape):
        self.unit.build((None, int(np.prod(input_shape[1:]))))

    def call(self, inputs):
        u = self.unit(_flat(inputs))
        if self.units == 1:
            return ops.cast(ops.greater_equal(u, 0), u.dtype)
        return ops.one_hot(ops.argmax(u, axis=-1), self.units, dtype=u.dtype)

    def train_step(self, data):
        x, t = data[0], data[1]
        x = _flat(ops.cast(x, "float32"))
        y = self(x)
        if self.units == 1:
            t = ops.reshape(ops.cast(t, "float32"), ops.shape(y))
        else:
            t = ops.one_hot(ops.cast(ops.reshape(t, (-1,)), "int32"), self.units)
        delta = self.learning_rate * (t - y)
        self.unit.kernel.assign_add(ops.matmul(ops.transpose(x), delta))
        self.unit.bias.assign_add(ops.sum(delta, axis=0))
        wrong = ops.cast(ops.any(ops.not_equal(t, y), axis=-1), "float32")
        self.mistakes.update_state(wrong)
        return {"error": self.mistakes.result()}

    def test_step(self, data):
        x, t = data[0], data[1]
        y = self(ops.cast(x, "float32"))
        if self.units == 1:
            t = ops.reshape(ops.cast(t, "float32"), ops.shape(y))
        else:
            t = ops.one_hot(ops.cast(ops.reshape(t, (-1,)), "int32"), self.units)
        self.mistakes.update_state(ops.cast(ops.any(ops.not_equal(t, y), axis=-1), "float32"))
        return {"error": self.mistakes.result()}

    @property
    def metrics(self):
        return [self.mistakes]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "learning_rate": self.learning_rate}


@register(input_shape=(2,), params_basis="(inputs + 1) x outputs", **_PERCEPTRON)
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
