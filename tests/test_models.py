"""Every registered builder: builds, runs, and has exactly its published parameter count."""

import numpy as np
import pytest

import toolkit
from toolkit.analysis import count_macs, layer_table, measure

ALL = toolkit.list_models()
# a smaller input for the forward pass where the default would be slow on a CPU
SMALL_INPUT = {"unet": {"input_shape": (188, 188, 1)}, **{n: {"input_shape": (32,)} for n in ("char_rnn", "char_lstm", "char_gru", "gpt")}}


@pytest.mark.parametrize("name", ALL)
def test_builds_and_runs(name):
    model = toolkit.build_model(name, **SMALL_INPUT.get(name, {}))
    info = toolkit.model_info(name)
    shape = SMALL_INPUT.get(name, {}).get("input_shape", info.input_shape)
    x = np.random.default_rng(0).uniform(size=(2, *shape)).astype("float32")
    if getattr(model, "num_classes", 0) and name.startswith("cdcgan"):  # a conditional GAN also takes the digit
        x = [x, np.array([[3], [7]], "int32")]
    y = model(x)
    y = y[0] if isinstance(y, (list, tuple)) else y
    assert y.shape[0] == 2
    assert np.all(np.isfinite(np.asarray(y)))


@pytest.mark.parametrize("name", [n for n in ALL if toolkit.model_info(n).published_params])
def test_published_parameter_count(name):
    info = toolkit.model_info(name)
    if info.params_basis.startswith("torchvision"):  # torchvision counts batch-norm statistics as buffers
        model = toolkit.build_model(name)
        assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == info.published_params
    else:
        assert measure(name)[0] == info.published_params  # the count the reports show


@pytest.mark.parametrize("name", [n for n in ALL if toolkit.model_info(n).published_macs])
def test_published_multiply_adds(name):
    published = toolkit.model_info(name).published_macs
    assert measure(name)[1] == pytest.approx(published, rel=0.01)


@pytest.mark.parametrize(
    "name, kwargs, params",
    [
        ("alexnet", {"groups": 2}, 60_965_224),
        ("googlenet", {"aux_logits": True}, 13_378_280),
        ("unet", {"padding": "same", "num_classes": 1, "input_shape": (256, 256, 1)}, 31_030_593),
    ],
)
def test_variant_parameter_counts(name, kwargs, params):
    assert toolkit.build_model(name, **kwargs).count_params() == params


def test_alexnet_macs_grouped():
    assert count_macs(toolkit.build_model("alexnet", groups=2)) == pytest.approx(0.72e9, rel=0.01)


def test_alexnet_table_row_by_row():
    # The lecture's table: (layer, output size, weights, biases, total)
    lecture = [
        ("conv1", "55x55x96", 34_848, 96, 34_944),
        ("pool1", "27x27x96", 0, 0, 0),
        ("conv2", "27x27x256", 614_400, 256, 614_656),
        ("pool2", "13x13x256", 0, 0, 0),
        ("conv3", "13x13x384", 884_736, 384, 885_120),
        ("conv4", "13x13x384", 1_327_104, 384, 1_327_488),
        ("conv5", "13x13x256", 884_736, 256, 884_992),
        ("pool5", "6x6x256", 0, 0, 0),
        ("fc1", "4096", 37_748_736, 4096, 37_752_832),
        ("fc2", "4096", 16_777_216, 4096, 16_781_312),
        ("predictions", "1000", 4_096_000, 1000, 4_097_000),
    ]
    table = layer_table(toolkit.build_model("alexnet")).set_index("layer")
    for layer, size, weights, biases, total in lecture:
        row = table.loc[layer]
        assert (row["output size"], row["weights"], row["biases"], row["total"]) == (size, weights, biases, total)
    assert table.loc["conv1", "kernel"] == "11" and table.loc["conv1", "stride"] == "4"
    assert table["total"].sum() == 62_378_344


def test_unet_paper_shapes():
    model = toolkit.build_model("unet")
    assert model.input_shape == (None, 572, 572, 1)
    assert model.output_shape == (None, 388, 388, 2)


def test_transposed_convolution_lecture_example():
    import keras

    from toolkit.models.unet import up_convolution

    inputs = keras.Input((2, 2, 1))
    model = keras.Model(inputs, up_convolution(inputs, 1, "up", strides=1))
    model.get_layer("up").set_weights([np.array([[0, 1], [2, 3]], "float32").reshape(2, 2, 1, 1), np.zeros(1)])
    out = model(np.array([[0, 1], [2, 3]], "float32").reshape(1, 2, 2, 1))
    np.testing.assert_array_equal(np.asarray(out)[0, :, :, 0], [[0, 0, 1], [0, 4, 6], [4, 12, 9]])


@pytest.mark.parametrize("kind, gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
@pytest.mark.parametrize("d, u", [(1, 32), (3, 16)])
def test_recurrent_parameter_formulas(kind, gates, d, u):
    model = toolkit.build_model(kind, input_shape=(12, d), units=u, num_outputs=1)
    cell = gates * (u * (d + u) + u) + (u * gates if kind == "gru" else 0)  # Keras 3 GRU has a second bias
    assert model.count_params() == cell + u + 1


def test_recurrent_many_to_many():
    model = toolkit.build_model("lstm", input_shape=(10, 2), return_sequences=True, num_outputs=3, num_layers=2)
    assert model.output_shape == (None, 10, 3)


def test_dcgan_parts_match_the_tutorial():
    model = toolkit.build_model("dcgan")
    assert model.generator.count_params() == 2_330_944
    assert model.discriminator.count_params() == 212_865
    assert model.generator.output_shape == (None, 28, 28, 1)


def test_googlenet_naive_module_and_aux_outputs():
    naive = toolkit.build_model("googlenet", module="naive", include_top=False, input_shape=(64, 64, 3))
    assert naive.get_layer("inception_3a_output").output.shape[-1] == 64 + 128 + 32 + 192
    assert len(toolkit.build_model("googlenet", aux_logits=True).outputs) == 3


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "vgg16", "alexnet", "googlenet"])
def test_include_top_false_with_pooling(name):
    model = toolkit.build_model(name, include_top=False, pooling="avg", input_shape=(96, 96, 3))
    assert len(model.output_shape) == 2


def test_plain_nets_have_no_shortcuts():
    plain = toolkit.build_model("plain34")
    assert not any(layer.name.endswith("_add") for layer in plain.layers)
    residual = toolkit.build_model("resnet34")
    assert sum(layer.name.endswith("_add") for layer in residual.layers) == 16


def test_googlenets_naive_module_as_in_the_papers_figure_2a():
    """`--arg module=naive`: inception 3a without its 1x1 reductions on 192 input channels; the
    pooled branch passes all 192 channels on, so the module's output grows to 416."""
    table = layer_table(toolkit.build_model("googlenet", module="naive")).set_index("layer")
    sizes = {"1x1": (1, 64), "3x3": (3, 128), "5x5": (5, 32)}
    for branch, (k, n) in sizes.items():
        assert table.loc[f"inception_3a_{branch}", "total"] == k * k * 192 * n + n
    assert table.loc["inception_3a_output", "output size"] == "28x28x416"
    assert "inception_3a_3x3_reduce" not in table.index


def test_lenet5_1998_parts():
    table = layer_table(toolkit.build_model("lenet5_1998")).set_index("layer")
    parts = {"c1": 156, "s2": 12, "c3": 1_516, "s4": 32, "c5": 48_120, "f6": 10_164, "rbf": 840}
    assert {k: table.loc[k, "total"] for k in parts} == parts


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("alexnet", {"input_shape": (32, 32, 3)}, "at least 67x67"),
        ("unet", {"input_shape": (500, 500, 1)}, "nearest that works"),
        ("alexnet", {"groups": 3}, "groups must be 1 or 2"),
        ("vgg16", {"input_shape": (224, 224)}, "rank 3"),
        ("resnet50", {"pooling": "mean", "include_top": False}, "pooling must be"),
        ("lenet5", {"pooling": "maximum", "include_top": False}, "pooling must be"),
        ("lenet5", {"num_classes": 0}, "num_classes must be a positive integer"),
        ("lenet5", {"weights": "no-such.weights.h5"}, "no-such.weights.h5: no such weights file"),
    ],
)
def test_clear_errors(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        toolkit.build_model(name, **kwargs)


@pytest.mark.parametrize("name", [n for n in ALL if toolkit.model_info(n).min_input_size])
def test_min_input_size_is_exact(name):
    info = toolkit.model_info(name)
    side, channels = info.min_input_size, info.input_shape[-1]
    model = toolkit.build_model(name, input_shape=(side, side, channels))
    model(np.zeros((1, side, side, channels), "float32"))
    if side > 1:
        with pytest.raises(ValueError, match="at least"):
            toolkit.build_model(name, input_shape=(side - 1, side - 1, channels))


@pytest.mark.parametrize("name, paper", [("resnet20", 0.27e6), ("resnet56", 0.85e6)])
def test_cifar_resnets_have_the_papers_size(name, paper):
    residual = toolkit.build_model(name)
    plain = toolkit.build_model(name.replace("resnet", "plain"))
    trainable = sum(int(np.prod(w.shape)) for w in residual.trainable_weights)
    assert round(trainable / 1e6, 2) == paper / 1e6  # Table 6 gives two decimals
    assert plain.count_params() == residual.count_params()  # option A shortcuts have no parameters
    assert not any(layer.name.endswith("_add") for layer in plain.layers)
    assert len(residual.layers) > len(plain.layers)
    depth = sum(type(layer).__name__ in ("Conv2D", "Dense") for layer in residual.layers)
    assert depth == int(name[len("resnet") :])  # 6n + 2 weighted layers


def test_zero_pad_shortcut_subsamples_and_pads_channels():
    from toolkit.layers import ZeroPadShortcut

    x = np.arange(2 * 4 * 4 * 3, dtype="float32").reshape(2, 4, 4, 3)
    y = np.asarray(ZeroPadShortcut(8, stride=2)(x))
    assert y.shape == (2, 2, 2, 8)
    assert np.array_equal(y[..., 2:5], x[:, ::2, ::2, :])  # the old maps in the middle, zeros around
    assert not y[..., :2].any() and not y[..., 5:].any()


@pytest.mark.parametrize(
    "name, params", [("alexnet_cifar", 2_248_906), ("vgg11_cifar", 2_312_938), ("vgg16_cifar", 3_689_066)]
)
def test_small_input_variants_state_their_size_and_departures(name, params):
    model = toolkit.build_model(name)
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 10)
    assert model.count_params() == params
    assert toolkit.model_info(name).variant.startswith("small-input")
