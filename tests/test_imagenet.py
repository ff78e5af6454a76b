"""The ImageNet task: class index, preprocessing, top-k, evaluation and canonical weights offline."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import toolkit
from cli.main import toolkit as cli
from toolkit import catalog, hub
from toolkit.data.imagenet import CLASS_INDEX_MD5, class_index, decode, load_photo, preprocess
from toolkit.metrics import topk_errors
from toolkit.tasks.imagenet import ImageNetTask

CANONICAL = sorted(k for k, v in catalog.load_catalog().items() if v.get("url"))


def test_class_index_is_keras_file(data_dir):
    raw = (data_dir / "imagenet" / "imagenet_class_index.json").read_bytes()
    assert hashlib.md5(raw).hexdigest() == CLASS_INDEX_MD5
    index = class_index(data_dir)
    assert len(index) == 1000 and index[0] == ("n01440764", "tench")


def test_label_mapping_matches_the_validation_labels(data_dir):
    task = ImageNetTask()
    pairs = task.images(data_dir / "imagenet" / "val-subset")
    table = pd.read_csv(data_dir / "imagenet" / "val-subset" / "labels.csv")
    assert len(pairs) == len(table) == 1300
    assert [label for _, label in pairs] == table["keras_index"].tolist()


def test_topk_errors_by_hand():
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]])
    # image 0 (label 2): second best; image 1 (label 0): best; image 2 (label 0): third
    errors = topk_errors(probs, np.array([2, 0, 0]), ks=(1, 2, 3))
    assert errors == {1: pytest.approx(2 / 3), 2: pytest.approx(1 / 3), 3: 0.0}


def test_decode_top_k(data_dir):
    index = class_index(data_dir)
    probs = np.zeros((1, 1000))
    probs[0, [1, 2, 3]] = [0.2, 0.5, 0.3]
    assert [row[0] for row in decode(probs, index, 3)[0]] == [2, 3, 1]
    assert decode(probs, index, 1)[0][0][1:3] == index[2]


def test_preprocessing_modes():
    x = np.full((1, 2, 2, 3), 255.0)
    x[..., 0] = 0  # R = 0, G = B = 255
    caffe = preprocess(x, "caffe")
    assert np.allclose(caffe[0, 0, 0], [255 - 103.939, 255 - 116.779, 0 - 123.68])  # BGR
    assert np.allclose(preprocess(x, "tf")[0, 0, 0], [-1, 1, 1])
    assert np.allclose(preprocess(x, "torch")[0, 0, 0], [(0 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225])
    with pytest.raises(ValueError, match="preprocessing must be"):
        preprocess(x, "keras")


def test_resize_then_centre_crop(tmp_path):
    from PIL import Image

    image = np.zeros((300, 600, 3), np.uint8)
    image[:, 250:350] = 255  # a white band in the middle
    Image.fromarray(image).save(tmp_path / "wide.png")
    crop = load_photo(tmp_path / "wide.png", 224)
    assert crop.shape == (224, 224, 3)
    assert crop[:, 112].min() > 200 and crop[:, 0].max() < 10


def test_evaluate_random_weights_on_the_validation_subset(data_dir):
    result = CliRunner().invoke(cli, ["evaluate", "--task", "imagenet", "--model", "resnet18", "--limit", "48"])
    assert result.exit_code == 0, result.output
    assert "top-1 error" in result.output and "images/s" in result.output


@pytest.mark.parametrize("weights_id", CANONICAL)
def test_canonical_entries_match_their_architecture(weights_id):
    item = catalog.entry(weights_id)
    assert item["url"].startswith("https://storage.googleapis.com/tensorflow/keras-applications/")
    assert len(item["md5"]) == 32
    assert item["params"] == toolkit.model_info(item["arch"]).published_params


def _serve(tmp_path, monkeypatch, model, weights_id="resnet18.test", corrupt_hash=False):
    """A catalog entry whose weights come from a file:// URL into an empty Keras cache."""
    source = tmp_path / "served" / "resnet18_test.weights.h5"
    source.parent.mkdir()
    model.save_weights(source)
    md5 = hashlib.md5(source.read_bytes()).hexdigest()
    served = {
        weights_id: {
            "arch": "resnet18", "build": {}, "task": "imagenet",
            "task_settings": {"preprocessing": "caffe", "size": 224, "crop_fraction": 0.875},
            "file": source.name, "md5": "0" * 32 if corrupt_hash else md5, "url": source.as_uri(),
            "params": model.count_params(), "description": "Served from a file URL.", "preprocessing": "caffe",
            "labels": None, "metrics": {}, "recipe": {"command": "a test"},
        }
    }  # fmt: skip
    (tmp_path / "catalog.json").write_text(json.dumps(served))
    monkeypatch.setattr(catalog, "WEIGHTS_DIR", tmp_path)
    monkeypatch.setattr(catalog, "CATALOG", tmp_path / "catalog.json")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))


def test_downloaded_weights_load_through_the_cache(tmp_path, monkeypatch, data_dir):
    model = toolkit.build_model("resnet18")
    _serve(tmp_path, monkeypatch, model)
    loaded = hub.load_pretrained("resnet18.test")
    assert (tmp_path / "keras" / "models" / "resnet18_test.weights.h5").exists()
    x = np.random.default_rng(0).uniform(size=(1, 224, 224, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-5, atol=1e-6)
    from samples.draw import draw

    draw(3, mode="RGB").save(tmp_path / "photo.jpg")
    result = CliRunner().invoke(
        cli, ["predict", str(tmp_path / "photo.jpg"), "--weights", "resnet18.test", "--top", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "(n0" in result.output or "(n1" in result.output  # ImageNet names with WordNet ids


def test_wrong_hash_is_refused(tmp_path, monkeypatch):
    _serve(tmp_path, monkeypatch, toolkit.build_model("resnet18"), corrupt_hash=True)
    with pytest.raises(catalog.WeightsError, match="expected hash"):
        hub.load_pretrained("resnet18.test")


def test_offline_error_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    item = catalog.entry("vgg16.imagenet")
    monkeypatch.setitem(item, "url", (tmp_path / "nowhere" / item["file"]).as_uri())
    monkeypatch.setattr(catalog, "entry", lambda _: item)
    with pytest.raises(catalog.WeightsError, match="vgg16_weights_tf_dim_ordering_tf_kernels.h5"):
        catalog.weights_file("vgg16.imagenet")


def test_legacy_keras_application_files_load(tmp_path):
    """The canonical files are legacy HDF5 (saved by Keras 2): they load by layer order."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    reference = keras.applications.ResNet50(weights=None)
    with h5py.File(tmp_path / "resnet50_legacy.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)
    x = np.random.default_rng(2).uniform(0, 255, size=(1, 224, 224, 3)).astype("float32")
    ours = toolkit.build_model("resnet50", weights=str(tmp_path / "resnet50_legacy.h5"))
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(reference(x)), rtol=1e-5, atol=1e-6)
