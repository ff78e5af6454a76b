"""Rosenblatt's perceptron learning rule as a Keras model (imported only when built)."""

import keras
import numpy as np
from keras import ops


def _flat(x):
    return ops.reshape(x, (ops.shape(x)[0], -1)) if len(x.shape) > 2 else x


@keras.saving.register_keras_serializable(package="toolkit")
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
