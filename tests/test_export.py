"""`toolkit export` and the ONNX runtime: files checked against Keras, the same answers without TensorFlow."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import toolkit
from tests.conftest import ROOT
from toolkit import catalog, runtime
from toolkit.export import FORMATS, TOLERANCE, ExportError, export

SHIPPED = sorted(k for k, v in catalog.load_catalog().items() if not v.get("url"))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("weights_id", SHIPPED)
def test_every_shipped_weight_exports_to_every_format(data_dir, tmp_path, weights_id, fmt):
    path = tmp_path / f"{weights_id}{FORMATS[fmt] or '.saved_model'}"
    description = export(weights_id, fmt, path, data_dir=data_dir)
    assert path.exists() and description["max_abs_difference"] <= TOLERANCE
    assert json.loads(path.with_name(path.name + ".json").read_text()) == description
    assert description["weights_sha256"] == catalog.expected_hash(catalog.entry(weights_id))[1]
    if path.is_file():
        assert description["sha256"] == catalog.file_hash(path)


def test_export_describes_how_to_feed_the_file(data_dir, tmp_path):
    import onnxruntime

    description = export("lenet5.mnist", "onnx", tmp_path / "lenet5.onnx", data_dir=data_dir)
    assert description["inputs"] == [{"name": "inputs", "shape": [None, 32, 32, 1], "dtype": "float32"}]
    assert description["layout"] == "NHWC" and description["labels"] == [str(d) for d in range(10)]
    assert "padded with black to 32x32" in description["preprocessing"]
    session = onnxruntime.InferenceSession(str(tmp_path / "lenet5.onnx"))
    assert [i.name for i in session.get_inputs()] == ["inputs"]
    assert [o.name for o in session.get_outputs()] == [description["outputs"][0]["name"]]


def test_a_recurrent_net_goes_to_litert_with_a_batch_of_one(data_dir, tmp_path):
    description = export("lstm.airline", "litert", tmp_path / "lstm.tflite", data_dir=data_dir)
    assert description["inputs"][0]["shape"] == [1, 24, 1] and description["max_abs_difference"] <= TOLERANCE


def test_a_conditional_generator_exports_both_inputs(data_dir, tmp_path):
    description = export("cdcgan.mnist", "onnx", tmp_path / "cdcgan.onnx", data_dir=data_dir)
    assert [(i["name"], i["dtype"]) for i in description["inputs"]] == [("z", "float32"), ("g_digit", "int32")]
    assert description["outputs"][0]["shape"] == [None, 28, 28, 1]


def test_a_model_whose_layers_a_keras_file_cannot_rebuild_is_refused_and_nothing_is_left(data_dir, tmp_path):
    """Every shipped model takes every format; a network of the user's own with an unregistered
    custom layer cannot go to the Keras format, and says what works instead."""
    import keras

    from toolkit import export as exporting

    class Doubled(keras.layers.Layer):  # not registered: a .keras file cannot name it
        def call(self, inputs):
            return inputs * 2

    inputs = keras.Input((4,))
    network = keras.Model(inputs, Doubled()(inputs))
    path = tmp_path / "mine.keras"
    exporting._write(network, "keras", path, fixed_batch=False)
    with pytest.raises(ExportError, match="cannot be rebuilt from a .keras file; export it as onnx"):
        exporting._run_keras(path, network, [np.ones((2, 4), "float32")])


def test_export_command_refuses_what_it_should(data_dir, tmp_path):
    out = tmp_path / "digits.onnx"
    args = ["export", "digits.best", "-o", str(out), "--data-dir", str(data_dir)]
    result = CliRunner().invoke(toolkit, args)
    assert result.exit_code == 0 and "give the outputs of Keras to within" in result.output, result.output
    result = CliRunner().invoke(toolkit, args)
    assert result.exit_code == 1 and "exists; pass --force" in result.output
    result = CliRunner().invoke(toolkit, ["export", "digits.best", "--format", "litert", "-o", str(out), "--force"])
    assert result.exit_code == 1 and "a litert file's name ends in .tflite" in result.output
    mine = tmp_path / "mine.saved_model"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(toolkit, ["export", "digits.best", "--format", "saved_model", "-o", str(mine), "--force"])
    assert result.exit_code == 1 and "is not a SavedModel the toolkit exported" in result.output
    assert (mine / "notes.txt").read_text() == "keep me"


# -- the ONNX runtime -----------------------------------------------------------------------------------


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


def test_an_onnx_form_is_exported_once_and_a_damaged_one_is_never_used(data_dir, fresh_cache, caplog):
    model = runtime.load_model("lenet5.mnist", "onnx")
    assert isinstance(model, runtime.OnnxModel) and model.path.parent == runtime.cache_dir()
    assert model.path.name.startswith(catalog.expected_hash(catalog.entry("lenet5.mnist"))[1])
    stamp = model.path.stat().st_mtime_ns
    assert runtime.load_model("lenet5.mnist", "onnx").path.stat().st_mtime_ns == stamp  # used again, not redone
    data = bytearray(model.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.path.write_bytes(bytes(data))
    again = runtime.load_model("lenet5.mnist", "onnx")
    assert "does not match its recorded sha256" in caplog.text
    assert catalog.file_hash(again.path) == json.loads(again.path.with_name(again.path.name + ".json").read_text())["sha256"]


def test_keras_answers_where_no_onnx_form_can_be_had(data_dir, fresh_cache):
    (fresh_cache / "toolkit").mkdir(parents=True)
    (fresh_cache / "toolkit" / "onnx").write_text("a file where the cache's folder goes")
    model = runtime.load_model("lenet5.mnist", "auto")
    assert not isinstance(model, runtime.OnnxModel)
    with pytest.raises(runtime.RuntimeUnavailable, match="no ONNX form could be exported"):
        runtime.load_model("lenet5.mnist", "onnx")


@pytest.mark.slow
def test_segmentation_and_forecasts_through_onnx_match_keras(data_dir, fresh_cache):
    from toolkit import hub, tasks

    task = tasks.task_for("unet.membrane")
    image = task.read(data_dir / "membrane" / "test" / "0.png")
    (keras_map,) = task.predict(hub.load_pretrained("unet.membrane"), [image])
    (onnx_map,) = task.predict(runtime.load_model("unet.membrane", "onnx"), [image])
    assert onnx_map.shape == image.shape and np.abs(onnx_map - keras_map).max() <= TOLERANCE
    task = tasks.task_for("lstm.airline")
    keras_forecast = task.future(hub.load_pretrained("lstm.airline"), 36)[1]
    onnx_forecast = task.future(runtime.load_model("lstm.airline", "onnx"), 36)[1]
    assert np.abs(np.asarray(onnx_forecast) - np.asarray(keras_forecast)).max() <= TOLERANCE


@pytest.mark.slow
def test_samples_through_onnx_match_keras(fresh_cache, tmp_path):
    from toolkit import hub, tasks

    for weights_id, options in (("cdcgan.mnist", {"digits": 3}), ("infogan.mnist", {"codes": 4})):
        task = tasks.task_for(weights_id)
        ours = task.sample(runtime.load_model(weights_id, "onnx").sampler, 16, seed=5, **options)
        theirs = task.sample(hub.load_pretrained(weights_id).sampler, 16, seed=5, **options)
        assert np.abs(ours - theirs).max() <= TOLERANCE


CLASSIFIERS = [w for w in SHIPPED if catalog.entry(w)["task"] in ("digits", "folder", "imagenet")]


@pytest.mark.slow
@pytest.mark.parametrize("weights_id", CLASSIFIERS)
def test_every_shipped_classifier_makes_the_same_mistakes_through_onnx(data_dir, shipped_result, weights_id):
    from toolkit import tasks

    theirs = shipped_result(weights_id)
    ours = tasks.task_for(weights_id).evaluate(runtime.load_model(weights_id, "onnx"), data_dir=data_dir)
    assert ours["mistakes"] == theirs["mistakes"] == catalog.entry(weights_id)["metrics"][
        f"{theirs['dataset']}/{theirs['split']}"]["mistakes"]  # fmt: skip
    np.testing.assert_array_equal(ours["confusion"], theirs["confusion"])


def test_predict_runs_without_tensorflow(tmp_path):
    """The default model's ONNX form ships with it: a fresh install answers without TensorFlow."""
    code = (
        "import sys\n"
        "from cli.main import main\n"
        "sys.argv = ['toolkit', 'predict', 'samples/', '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, file=sys.stderr)\n"
    )
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "empty-cache")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.split()[-2:] == ["False", "False"]
    rows = json.loads(done.stdout)
    assert len(rows) == 20 and all(row["label"] == row["file"].split("/")[-1][0] for row in rows)
    assert not (tmp_path / "empty-cache").exists()  # the shipped form, not one exported on first use
