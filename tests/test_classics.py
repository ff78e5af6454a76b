"""The perceptron, the XOR network and the lecture's activations."""

import itertools

import keras
import numpy as np
import pytest

import toolkit
from toolkit.layers import Maxout, activation_layer

PAIRS = np.array(list(itertools.product((0, 1), repeat=2)), "float32")
TRUTH = {
    "and_gate": [0, 0, 0, 1],
    "or_gate": [0, 1, 1, 1],
    "nand_gate": [1, 1, 1, 0],
    "nor_gate": [1, 0, 0, 0],
    "xor": [0, 1, 1, 0],
}


@pytest.mark.parametrize("gate", ["and_gate", "or_gate", "nand_gate", "nor_gate"])
def test_gate_truth_tables(gate):
    np.testing.assert_array_equal(np.asarray(toolkit.build_model(gate)(PAIRS)).ravel(), TRUTH[gate])


def test_not_gate():
    np.testing.assert_array_equal(np.asarray(toolkit.build_model("not_gate")(np.array([[0.0], [1.0]]))).ravel(), [1, 0])


def test_xor_mlp_hand_weights():
    model = toolkit.build_model("xor_mlp")
    assert model.count_params() == 9
    np.testing.assert_array_equal(np.asarray(model(PAIRS)).ravel(), TRUTH["xor"])
    hidden = keras.Model(model.input, model.get_layer("hidden_step").output)
    np.testing.assert_array_equal(np.asarray(hidden(PAIRS)), np.stack([TRUTH["and_gate"], TRUTH["or_gate"]], 1))


def _train_rosenblatt(target, epochs):
    model = toolkit.build_model("perceptron")
    model.compile()
    history = model.fit(PAIRS, np.array(target, "float32"), batch_size=1, epochs=epochs, shuffle=False, verbose=0)
    return model, history.history["error"]


@pytest.mark.parametrize("gate", ["and_gate", "or_gate", "nand_gate", "nor_gate"])
def test_perceptron_rule_learns_separable_gates(gate):
    model, errors = _train_rosenblatt(TRUTH[gate], epochs=20)
    assert errors[-1] == 0
    np.testing.assert_array_equal(np.asarray(model(PAIRS)).ravel(), TRUTH[gate])


def test_perceptron_rule_fails_on_xor():
    model, errors = _train_rosenblatt(TRUTH["xor"], epochs=50)
    # The rule never reaches an epoch without mistakes: XOR is not linearly separable.
    assert min(errors) > 0
    assert np.any(np.asarray(model(PAIRS)).ravel() != TRUTH["xor"])
    # ...and no weights can do it: the separating conditions contradict each other
    # (b < 0, w1 + b >= 0, w2 + b >= 0 imply w1 + w2 + b >= -b > 0, but XOR(1,1) needs < 0).


@pytest.mark.slow
def test_mlp_learns_xor_by_backpropagation():
    keras.utils.set_random_seed(0)
    model = toolkit.build_model("mlp", hidden_units=(4,), activation="tanh")
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    model.fit(PAIRS, np.array(TRUTH["xor"], "float32"), epochs=300, batch_size=4, verbose=0)
    np.testing.assert_array_equal((np.asarray(model(PAIRS)).ravel() > 0.5).astype(int), TRUTH["xor"])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "maxout"])
def test_mlp_takes_every_activation(activation):
    model = toolkit.build_model("mlp", hidden_units=(8, 8), activation=activation, input_shape=(28, 28), num_classes=10)
    assert model.output_shape == (None, 10)


def test_leaky_relu_slope_is_the_lectures():
    out = activation_layer("leaky_relu")(np.array([-10.0, 5.0], "float32"))
    np.testing.assert_allclose(np.asarray(out), [-1.0, 5.0])


def test_maxout_takes_the_max_of_its_pieces():
    layer = Maxout(1, pieces=3)
    layer.build((None, 1))
    layer.set_weights([np.array([[1.0, -1.0, 0.5]], "float32"), np.array([0.0, 0.0, 1.0], "float32")])
    np.testing.assert_allclose(np.asarray(layer(np.array([[2.0], [-3.0]], "float32"))).ravel(), [2.0, 3.0])


def test_elus_alpha_and_the_leaky_slope_can_be_set():
    model = toolkit.build_model("mlp", hidden_units=(1,), activation="elu", alpha=0.5, include_top=False)
    model.get_layer("hidden1").set_weights([np.ones((2, 1), "float32"), np.zeros(1, "float32")])
    np.testing.assert_allclose(np.asarray(model(np.array([[-50.0, -50.0], [1.0, 2.0]], "float32"))).ravel(), [-0.5, 3.0])
    out = activation_layer("leaky_relu", alpha=0.3)(np.array([-10.0], "float32"))
    np.testing.assert_allclose(np.asarray(out), [-3.0], rtol=1e-6)
    with pytest.raises(ValueError, match="takes none"):
        activation_layer("tanh", alpha=0.5)


def test_the_activation_figure_draws_the_toolkits_own_activations():
    """Issue 46: the figure has the lecture's leaky ReLU (slope 0.1), ELU and maxout, computed as
    the toolkit's layers compute them."""
    from toolkit import plots

    curves = plots.activations()
    x = np.linspace(-4, 4, 81).astype("float32")
    layers = {"leaky ReLU (slope 0.1)": "leaky_relu", "ELU (alpha 1)": "elu", "ReLU (AlexNet)": "relu",
              "sigmoid": "sigmoid", "tanh": "tanh", "step (perceptron)": "step"}  # fmt: skip
    for title, name in layers.items():
        np.testing.assert_allclose(curves[title](x), np.asarray(activation_layer(name)(x)), atol=1e-6, err_msg=title)
    maxout = Maxout(1, pieces=len(plots.MAXOUT_PIECES))
    maxout.build((None, 1))
    weights, biases = zip(*plots.MAXOUT_PIECES)
    maxout.set_weights([np.array([weights], "float32"), np.array(biases, "float32")])
    np.testing.assert_allclose(curves["maxout (3 pieces, dashed)"](x), np.asarray(maxout(x[:, None])).ravel(), atol=1e-6)


def test_unknown_activation():
    with pytest.raises(ValueError, match="Unknown activation"):
        activation_layer("swishy")
