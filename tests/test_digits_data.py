"""MNIST files, image reading and the MNIST-style normalisation of any digit image."""

import gzip
import struct

import numpy as np
import pytest
from PIL import Image

from samples.draw import draw
from toolkit.data.idx import IDXError, read_idx, write_idx
from toolkit.data.images import ImageError, normalize_digit, read_image
from toolkit.data.mnist import load_mnist
from toolkit.data.paths import DataNotFoundError

TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_real_mnist_files(data_dir):
    for split, counts in (("train", TRAIN_COUNTS), ("test", TEST_COUNTS)):
        images, labels = load_mnist(split, data_dir)
        assert images.shape == (sum(counts), 28, 28) and images.dtype == np.uint8
        assert np.bincount(labels, minlength=10).tolist() == counts
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the test set's original order


def test_raw_and_gzip_idx(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a-idx3-ubyte", array)
    (tmp_path / "b.gz").write_bytes(gzip.compress((tmp_path / "a-idx3-ubyte").read_bytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "a-idx3-ubyte"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "b.gz", 3), array)


@pytest.mark.parametrize(
    "content, message",
    [
        (struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">3I", 2, 28, 28) + bytes(100), "header promises"),
        (struct.pack(">HBB", 1, 0x08, 1) + struct.pack(">I", 2) + bytes(2), "not an IDX file"),
        (b"\x00\x00", "too short"),
        (gzip.compress(np.random.default_rng(0).bytes(4000))[:500], "gzip stream is corrupt"),
        (gzip.compress(bytes(4000))[:10] + b"\xff" * 40, "gzip stream is corrupt"),  # bad data, not an early end
    ],
)
def test_corrupt_idx_files(tmp_path, content, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(IDXError, match=message):
        read_idx(path)


def test_wrong_dimensions(tmp_path):
    write_idx(tmp_path / "labels", np.zeros(5, np.uint8))
    with pytest.raises(IDXError, match="expected 3 dimensions"):
        read_idx(tmp_path / "labels", 3)


def test_missing_mnist_offline_says_where(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in"):
        load_mnist("test", tmp_path)


def test_missing_mnist_without_a_network_fails_at_once(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    if tfds.builder("mnist").is_prepared():
        pytest.skip("tensorflow-datasets has MNIST cached here, so it needs no network")
    monkeypatch.setattr("toolkit.data.mnist.DOWNLOAD_HOST", "tfds.invalid")  # a name that never resolves
    with pytest.raises(DataNotFoundError, match="cannot reach tfds.invalid to download MNIST"):
        load_mnist("test", tmp_path)


def _normalized(image, tmp_path, name):
    path = tmp_path / name
    image.save(path)
    return normalize_digit(read_image(path))


@pytest.mark.parametrize("digit", [2, 4, 7])
def test_normalisation_ignores_position_polarity_size_and_mode(tmp_path, digit):
    reference = _normalized(draw(digit), tmp_path, "ref.png")
    assert reference.shape == (28, 28) and reference.max() > 0.9
    variants = {
        "off_centre.png": draw(digit, size=400, box=0.4 * 280 / 400 / 0.7 * 0.7, centre=(0.3, 0.72)),
        "inverted.png": draw(digit, ink=255, paper=0),
        "large.png": draw(digit, size=1400),
        "rgba.png": draw(digit, ink=(0, 0, 0, 255), paper=(0, 0, 0, 0), mode="RGBA"),
        "jpeg.jpg": draw(digit).convert("RGB"),
        "palette.gif": draw(digit).convert("P"),
    }
    for name, image in variants.items():
        other = _normalized(image, tmp_path, name)
        assert np.abs(other - reference).mean() < 0.04, name


def test_centre_of_mass_is_mnists(tmp_path):
    from scipy import ndimage

    image = _normalized(draw(5, size=500, box=0.3, centre=(0.8, 0.2)), tmp_path, "corner.png")
    assert np.allclose(ndimage.center_of_mass(image), (14, 14), atol=0.6)


def test_sixteen_bit_images(tmp_path):
    gray = np.asarray(draw(3), dtype=np.uint16) * 257
    Image.fromarray(gray).save(tmp_path / "deep.png")
    assert read_image(tmp_path / "deep.png").dtype == np.uint8
    assert normalize_digit(read_image(tmp_path / "deep.png")).max() > 0.9


def _bomb(path):
    """A valid tiny PNG whose header claims 60000x60000 pixels."""
    import zlib

    draw(1, size=8).save(path)
    data = bytearray(path.read_bytes())
    ihdr = data[12:29]
    ihdr[4:12] = struct.pack(">II", 60000, 60000)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_text("this is not a picture"), "not an image file"),
        (lambda p: p.write_bytes(open("samples/3.png", "rb").read()[:300]), "truncated"),
        (_bomb, "too large"),
        (lambda p: Image.new("L", (50, 50), 255).save(p, format="PNG"), "no digit found"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, make, message):
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(ImageError, match=message):
        normalize_digit(read_image(path))
