"""`toolkit convert`: torchvision state dicts read without PyTorch and loaded into the torchvision-variant builders."""

import pickle
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

import toolkit
from cli.main import toolkit as cli
from tests.conftest import ROOT
from toolkit.convert import ConvertError, _keras_weights, convert, read_state_dict

FIXTURES = ROOT / "tests" / "fixtures"


def test_reads_a_real_torch_checkpoint_without_torch():
    state = read_state_dict(FIXTURES / "googlenet_stem.pth")  # written by torch.save (see make_torchvision_fixture.py)
    assert state["conv1.conv.weight"].shape == (64, 3, 7, 7) and state["conv1.conv.weight"].dtype == np.float16
    assert state["conv1.bn.num_batches_tracked"].dtype == np.int64
    assert state["fc.weight"].shape == (10, 1024)
    assert all(k.startswith(("conv1.", "conv2.", "conv3.", "inception3a.", "fc.")) for k in state)


def test_googlenet_slice_matches_torchvision_output():
    import keras

    state = read_state_dict(FIXTURES / "googlenet_stem.pth")
    reference = np.load(FIXTURES / "googlenet_stem.npz")
    model = toolkit.build_model("googlenet_torchvision", input_shape=(64, 64, 3), num_classes=10)
    weights = _keras_weights(state, "googlenet_torchvision", model)
    for name, arrays in weights.items():
        model.get_layer(name).set_weights(arrays)
    stem = keras.Model(model.input, model.get_layer("inception3a_output").output)
    out = np.asarray(stem(reference["x"].transpose(0, 2, 3, 1), training=False))
    expected = reference["inception3a"].transpose(0, 2, 3, 1)
    assert out.shape == expected.shape == (1, 8, 8, 256)
    assert np.abs(out - expected).max() <= 1e-4


def test_alexnet_first_dense_layer_is_reordered_for_channels_last_flattening():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(256, 6, 6)).astype("float32")  # torchvision's (channels, height, width)
    model = toolkit.build_model("alexnet_torchvision", num_classes=10)
    state = {}
    for layer in ("features.0", "features.3", "features.6", "features.8", "features.10", "classifier.1",
                  "classifier.4", "classifier.6"):  # fmt: skip
        state[f"{layer}.weight"], state[f"{layer}.bias"] = np.zeros((1, 1)), np.zeros(1)
    state["classifier.1.weight"] = rng.normal(size=(4096, 9216)).astype("float32")
    kernel = _keras_weights(state, "alexnet_torchvision", model)["fc1"][0]
    torch_answer = state["classifier.1.weight"] @ features.reshape(-1)
    keras_answer = features.transpose(1, 2, 0).reshape(-1) @ kernel  # Keras flattens (height, width, channels)
    assert np.allclose(torch_answer, keras_answer, atol=1e-3)


def _zip_with(tmp_path, pickled):
    path = tmp_path / "bad.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("bad/data.pkl", pickled)
    return path


def test_refuses_files_that_are_not_state_dicts(tmp_path):
    not_zip = tmp_path / "notes.pth"
    not_zip.write_text("hello")
    with pytest.raises(ConvertError, match="not a PyTorch checkpoint"):
        read_state_dict(not_zip)
    with pytest.raises(ConvertError, match="never does"):  # a pickle that would run code is refused
        read_state_dict(_zip_with(tmp_path, pickle.dumps(print)))
    with pytest.raises(ConvertError, match="state dict of tensors"):
        read_state_dict(_zip_with(tmp_path, pickle.dumps({"a": 1})))
    state = read_state_dict(FIXTURES / "googlenet_stem.pth")
    with pytest.raises(ConvertError, match="no tensor"):
        convert(state, "alexnet_torchvision")
    with pytest.raises(ConvertError, match="convert knows"):
        convert(state, "vgg16")


def test_convert_cli_errors_are_one_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["convert", str(FIXTURES / "googlenet_stem.pth"), "--arch", "googlenet_torchvision"])
    assert result.exit_code == 2 and "-o FILE.weights.h5" in result.output
    result = runner.invoke(cli, ["convert", str(FIXTURES / "googlenet_stem.pth"), "--arch", "googlenet_torchvision",
                                 "-o", str(tmp_path / "g.weights.h5")])  # fmt: skip
    assert result.exit_code == 1 and "no weights for" in result.output and "Traceback" not in result.output
