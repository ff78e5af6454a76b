"""The 1000 ImageNet classes (the class index Keras uses) and photo preprocessing.

The index maps a class number to its WordNet id and name; it is read from the Keras cache or
`<data dir>/imagenet/imagenet_class_index.json`, downloaded once when online, and checked
against the md5 Keras publishes -- never typed by hand.
"""

import hashlib
import pathlib

import numpy as np
from PIL import Image

from toolkit.data.paths import DataNotFoundError, data_dir
from toolkit.files import read_json

CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"
MEANS = {"caffe": (103.939, 116.779, 123.68), "torch": (0.485, 0.456, 0.406)}
TORCH_STD = (0.229, 0.224, 0.225)
MODES = ("caffe", "tf", "torch")


def class_index(data_dir_=None, download=True):
    """A list of (wnid, name) for the 1000 classes, in Keras's order.

    Raises:
        DataNotFoundError: when the file is nowhere and cannot be downloaded.
    """
    candidates = [
        pathlib.Path("~/.keras/models/imagenet_class_index.json").expanduser(),
        data_dir(data_dir_) / "imagenet" / "imagenet_class_index.json",
    ]
    for path in candidates:
        if path.exists() and hashlib.md5(path.read_bytes()).hexdigest() == CLASS_INDEX_MD5:
            break
    else:
        if not download:
            path = None
        else:
            try:
                import keras

                path = pathlib.Path(
                    keras.utils.get_file(
                        "imagenet_class_index.json", CLASS_INDEX_URL, cache_subdir="models", file_hash=CLASS_INDEX_MD5
                    )
                )
            except Exception:
                path = None
        if path is None:
            raise DataNotFoundError(
                f"the ImageNet class index is missing: put imagenet_class_index.json (md5 {CLASS_INDEX_MD5}) in "
                f"{candidates[1].parent} or ~/.keras/models/"
            )
    raw = read_json(path)
    return [tuple(raw[str(i)]) for i in range(len(raw))]


def decode(probabilities, index, top=5):
    """Top-k per row: (class number, wnid, name, probability), best first."""
    order = np.argsort(-probabilities, axis=1)[:, :top]
    return [[(int(i), *index[i], float(p[i])) for i in row] for row, p in zip(order, probabilities)]


def load_photo(path, size, crop_fraction=0.875):
    """An RGB photo resized so its shorter side is size / crop_fraction, then centre-cropped to size."""
    from toolkit.data.images import read_image

    image = Image.fromarray(read_image(path, "RGB"))
    short = round(size / crop_fraction)
    w, h = image.size
    scale = short / min(w, h)
    image = image.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BILINEAR)
    w, h = image.size
    left, top = (w - size) // 2, (h - size) // 2
    return np.asarray(image.crop((left, top, left + size, top + size)), dtype="float32")


def preprocess(batch, mode):
    """Keras's three conventions: caffe (BGR, mean subtracted), tf ([-1, 1]), torch (mean/std)."""
    x = np.asarray(batch, dtype="float32")
    if mode == "caffe":
        return x[..., ::-1] - np.array(MEANS["caffe"], "float32")
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        return (x / 255.0 - np.array(MEANS["torch"], "float32")) / np.array(TORCH_STD, "float32")
    raise ValueError(f"preprocessing must be one of {', '.join(MODES)}. Received: mode={mode!r}")
