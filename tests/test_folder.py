"""The image-folder task: real photos, transfer learning, and the folders people actually have."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import toolkit
from cli.main import toolkit as cli
from toolkit.tasks.folder import FolderTask


def fit(*args):
    return CliRunner().invoke(cli, ["fit", "--task", "folder", *map(str, args)])


@pytest.mark.slow
def test_learns_cifar10_classes_well_above_chance(data_dir, tmp_path):
    out = tmp_path / "run"
    result = fit("--data", "cifar10", "--data-dir", data_dir, "--classes", "airplane,frog,truck", "--per-class", "300",
                 "--image-size", "32", "--model", "resnet18", "--epochs", "6", "--batch-size", "32",
                 "--augment", "affine", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["task_settings"]["class_names"] == ["airplane", "frog", "truck"]
    task = FolderTask(**config["task_settings"])
    model = toolkit.build_model("resnet18", num_classes=3, input_shape=(32, 32, 3))
    model.load_weights(out / "best.weights.h5")
    result = task.evaluate(model, data_dir=data_dir)
    assert result["split"] == "test" and result["images"] == 900  # the real CIFAR-10 test folder
    assert result["accuracy"] >= 0.5, result  # chance is 1/3


@pytest.mark.slow
def test_learns_tiny_imagenet_photos_above_chance(data_dir, tmp_path):
    out = tmp_path / "run"
    result = fit("--data-dir", data_dir / "imagenet" / "tiny-val", "--classes", "n01443537,n02123045,n03089624",
                 "--model", "resnet18", "--image-size", "48", "--epochs", "10", "--batch-size", "16",
                 "--augment", "affine", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((out / "metrics.json").read_text())["validation"]["accuracy"] >= 0.5  # chance is 1/3


def _draw_folder(root, classes=("circle", "square"), count=12):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(count):
            size = int(rng.integers(40, 120))
            image = Image.new("RGB", (size, size + 10), (255, 255, 255))
            from PIL import ImageDraw

            draw = ImageDraw.Draw(image)
            box = (size // 4, size // 4, 3 * size // 4, 3 * size // 4)
            (draw.ellipse if name == "circle" else draw.rectangle)(box, fill=(200, 30, 30))
            image = image.convert("L") if i % 3 == 0 else image  # grayscale photos among colour ones
            image.save(root / name / f"{i}.{'png' if i % 2 else 'jpg'}")
    return root


def test_mixed_sizes_modes_and_unreadable_files_are_handled(tmp_path):
    root = _draw_folder(tmp_path / "shapes")
    (root / "circle" / "broken.jpg").write_bytes(b"not really a jpeg")
    (root / "square" / "empty.png").write_bytes(b"")
    (root / "square" / "notes.txt").write_text("ignored: not an image suffix")
    task = FolderTask(data=str(root), image_size=32)
    x, y = task.split(which="train")
    vx, _ = task.split(which="validation")
    assert x.shape[1:] == (32, 32, 3) and len(x) + len(vx) == 24
    assert task.skipped == 2 and task.labels == ["circle", "square"]


def test_transfer_learning_with_a_frozen_base(tmp_path, monkeypatch):
    from tests.test_imagenet import _serve

    source = toolkit.build_model("resnet18")
    _serve(tmp_path, monkeypatch, source)
    root = _draw_folder(tmp_path / "shapes")
    out = tmp_path / "run"
    result = fit("--data", root, "--model", "resnet18", "--weights", "resnet18.test", "--freeze-base",
                 "--image-size", "32", "--epochs", "1", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "transferred" in result.output
    trained = toolkit.build_model("resnet18", num_classes=2, input_shape=(32, 32, 3))
    trained.load_weights(out / "best.weights.h5")
    for name in ("conv1_conv", "conv5_block2_2_conv"):
        for a, b in zip(trained.get_layer(name).get_weights(), source.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)  # frozen: unchanged


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda root: root.mkdir(), "no class folders"),
        (lambda root: (root / "cats").mkdir(parents=True), "one class (cats) is nothing to tell apart"),
        (lambda root: ((root / "cats").mkdir(parents=True), (root / "dogs").mkdir()), "has no images"),
    ],
)
def test_bad_folders(tmp_path, make, message):
    root = tmp_path / "photos"
    make(root)
    result = fit("--data-dir", root, "--model", "resnet18", "--out", tmp_path / "run")
    assert result.exit_code == 1 and message in result.output


def test_folder_needs_its_data(tmp_path):
    result = fit("--model", "resnet18", "--out", tmp_path / "run")
    assert result.exit_code == 2 and "the folder task needs data" in result.output
    result = fit("--model", "resnet18", "--data", "no-such-photos", "--data-dir", tmp_path, "--out", tmp_path / "run")
    assert result.exit_code == 1 and result.output == f"Error: {tmp_path / 'no-such-photos'}: no such folder (--data)\n"
    result = CliRunner().invoke(cli, ["evaluate", "--weights", "resnet20.cifar10", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and result.output == (
        f"Error: cifar10: no such folder here or in the data directory {tmp_path}; set $TOOLKIT_DATA or give another (--data-dir)\n"
    )


@pytest.mark.parametrize("task", ["digits", "generation"])
def test_mnist_tasks_refuse_other_data(task, tmp_path):
    result = CliRunner().invoke(cli, ["fit", "--model", "lenet5", "--task", task, "--data", "cifar10"])
    assert result.exit_code == 2 and "reads mnist, not cifar10" in result.output


def test_a_class_whose_images_are_all_unreadable_is_an_error(tmp_path):
    root = _draw_folder(tmp_path / "shapes", count=4)
    for path in (root / "square").iterdir():
        path.write_bytes(b"not an image")
    result = fit("--model", "lenet5", "--data", root, "--image-size", "32", "--epochs", "1", "--out", tmp_path / "run")
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1] == f"Error: {root}: the class 'square' has no readable images"
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_crop_flip_cuts_windows_of_the_padded_images_and_flips_some():
    import tensorflow as tf

    from toolkit.data.augment import crop_flip

    images = np.random.default_rng(0).integers(1, 255, (64, 32, 32, 3)).astype("float32")
    out = crop_flip(tf.constant(images), tf.constant([1, 2]), pad=4, fill=127.5).numpy()
    assert out.shape == images.shape
    flipped = 0
    for original, crop in zip(images, out):
        padded = np.pad(original, [(4, 4), (4, 4), (0, 0)], constant_values=127.5)
        windows = [padded[y : y + 32, x : x + 32] for y in range(9) for x in range(9)]
        assert any(np.array_equal(crop, w) for w in windows) or any(np.array_equal(crop, w[:, ::-1]) for w in windows)
        flipped += not any(np.array_equal(crop, w) for w in windows)
    assert 16 < flipped < 48  # about half
    assert sum(not np.array_equal(o, c) for o, c in zip(images, out)) > 48  # most are moved


def test_cutout_blanks_one_square_cut_off_at_the_border():
    import tensorflow as tf

    from toolkit.data.augment import cutout

    images = np.random.default_rng(0).uniform(0.5, 1, (200, 32, 32, 3)).astype("float32")
    out = cutout(tf.constant(images), tf.constant([1, 2]), 8).numpy()
    assert out.shape == images.shape and out.dtype == images.dtype
    blanked = (out == 0).all(axis=3)
    assert np.array_equal(out[~blanked], images[~blanked])  # the rest is left as it was
    sizes = []
    for mask in blanked:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        assert mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].all() and mask.sum() == len(rows) * len(cols)
        sizes.append((len(rows), len(cols)))
    assert max(sizes) == (8, 8) and min(min(sizes)) < 8  # whole squares, and some cut off at a border


def test_a_second_run_of_shipped_weights_on_all_training_images(data_dir, tmp_path):
    """`--weights` of the same classes starts from the whole net, classifier included (the catalog
    then lists the entry's recipe under `starts_from`); `--validation-split 0` holds none out and
    keeps the last epoch."""
    from toolkit import hub, runs

    out = tmp_path / "run"
    result = fit("--recipe", "cifar10", "--model", "lenet5", "--weights", "lenet5.cifar10", "--validation-split", "0",
                 "--lr", "1e-9", "--cutout", "8", "--epochs", "1", "--per-class", "20", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert runs.started_from(config) == "lenet5.cifar10" and config["hyperparameters"]["training_images"] == 200
    assert runs.earlier_recipes("lenet5.cifar10")[0]["epochs"] == 40
    assert runs.history(out / "history.csv").keys() == {"accuracy"}  # nothing held out to validate on
    trained, shipped = hub.load_pretrained(str(out)), hub.load_pretrained("lenet5.cifar10")
    for after, before in zip(trained.get_weights(), shipped.get_weights()):
        np.testing.assert_allclose(after, before, atol=1e-6)  # a learning rate of 1e-9 leaves the start as it was


def test_cutout_needs_the_crop_flip_augmentation(data_dir, tmp_path):
    result = fit("--data", "cifar10", "--model", "lenet5", "--image-size", "32", "--per-class", "5", "--cutout", "8",
                 "--out", tmp_path / "run")  # fmt: skip
    assert result.exit_code == 1 and result.output.splitlines()[-1] == (
        "Error: cutout goes with the crop-flip augmentation (--cutout)"
    )
