"""MNIST from the four original IDX files, or through tensorflow-datasets when online.

Reference: LeCun, Cortes & Burges, "The MNIST database of handwritten digits", 1998.
"""

import logging
import os
import socket

import numpy as np

from toolkit.data.idx import read_idx
from toolkit.data.paths import DataNotFoundError, data_dir

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SIZES = {"train": 60_000, "test": 10_000}
DOWNLOAD_HOST = "storage.googleapis.com"  # where tensorflow-datasets fetches MNIST from


def _find(folder, stem):
    for name in (stem + ".gz", stem):
        if (folder / name).exists():
            return folder / name
    return None


def load_mnist(split="train", data_dir_=None, download=True):
    """Images (N, 28, 28) uint8 and labels (N,) uint8 of one split, in the original order.

    Looks in `<data dir>/mnist/`; when the files are absent and `download` is true, asks
    tensorflow-datasets (which needs the network).

    Raises:
        DataNotFoundError: when the files are missing and cannot be fetched.
        toolkit.data.idx.IDXError: when a file is corrupt or truncated.
    """
    if split not in FILES:
        raise ValueError(f"MNIST split must be 'train' or 'test'. Received: split={split!r}")
    folder = data_dir(data_dir_) / "mnist"
    image_stem, label_stem = FILES[split]
    image_path, label_path = _find(folder, image_stem), _find(folder, label_stem)
    if image_path and label_path:
        images, labels = read_idx(image_path, 3), read_idx(label_path, 1)
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise ValueError(
                f"{folder}: {len(images)} images of {images.shape[1:]} and {len(labels)} labels do not make MNIST"
            )
        if labels.max() > 9:
            raise ValueError(f"{label_path}: labels must be digits 0-9, found {labels.max()}")
        return images, labels
    if download and os.environ.get("TOOLKIT_OFFLINE") != "1":
        try:
            return _from_tfds(split)
        except Exception as error:  # no network, no TFDS cache
            reason = f" (tensorflow-datasets failed: {str(error).splitlines()[0][:200]})"
    else:
        reason = ""
    raise DataNotFoundError(
        f"MNIST {split} split not found: put {image_stem}.gz and {label_stem}.gz in {folder}{reason}"
    )


def _from_tfds(split):
    import tensorflow_datasets as tfds

    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.setLevel(logging.ERROR)  # an unprepared builder warns that its folder has no dataset_info.json
    try:
        prepared = tfds.builder("mnist").is_prepared()
    finally:
        absl_logger.setLevel(level)
    if not prepared:
        # offline, tensorflow-datasets would retry its download for minutes before giving up
        try:
            socket.create_connection((DOWNLOAD_HOST, 443), timeout=10).close()
        except OSError as error:
            raise ConnectionError(f"cannot reach {DOWNLOAD_HOST} to download MNIST: {error}") from None
    images, labels = tfds.as_numpy(tfds.load("mnist", split=split, batch_size=-1, as_supervised=True))
    return images[..., 0].astype(np.uint8), labels.astype(np.uint8)
