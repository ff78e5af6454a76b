"""The ImageNet task: the historical CNNs as classifiers of photographs, 1000 classes.

Each model gets its native input size and its own preprocessing (caffe for the VGG and ResNet
weights of keras.applications, tf for Inception v3, torch for weights converted from PyTorch);
photos are resized so the shorter side is size / 0.875 and centre-cropped, the single-crop
protocol of published single-model results.
"""

import pathlib
import re
import time

import numpy as np

from toolkit import hub
from toolkit.data.imagenet import class_index, load_photo, preprocess
from toolkit.data.paths import DataNotFoundError
from toolkit.data.paths import data_dir as resolve_data_dir
from toolkit.metrics import topk_errors
from toolkit.tasks.task import ClassifierTask


class ImageNetTask(ClassifierTask):
    name = "imagenet"
    monitor, mode = "val_accuracy", "max"

    def __init__(self, preprocessing=None, size=None, crop_fraction=0.875):
        self.settings = {"preprocessing": preprocessing, "size": size, "crop_fraction": crop_fraction}
        self._index = None

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        raise ValueError("ImageNet training is not supported here; fine-tune on your images with the folder task")

    def datasets(self, model, **options):
        return self.settings_for(None, None)

    @property
    def preprocessing(self):
        return f"{self.settings['preprocessing']} mode; resize to size/{self.settings['crop_fraction']}, centre crop"

    @property
    def index(self):
        if self._index is None:
            self._index = class_index()
        return self._index

    @property
    def labels(self):
        return [f"{name} ({wnid})" for wnid, name in self.index]

    def configure(self, model_name):
        """Fill in the size and preprocessing that suit `model_name` where none were given."""
        info = hub.model_info(model_name)
        self.settings["size"] = self.settings["size"] or info.input_shape[0]
        self.settings["preprocessing"] = self.settings["preprocessing"] or info.preprocessing

    def build_args(self, model_name, data_dir=None):
        if "imagenet" not in hub.model_info(model_name).tasks:
            raise ValueError(f"{model_name} is not an ImageNet classifier")
        self.configure(model_name)
        return {}

    # -- answers ------------------------------------------------------------------------------
    def read(self, path):
        if not self.settings["size"]:
            raise ValueError("the ImageNet task needs an input size (it comes with the model)")
        return load_photo(path, self.settings["size"], self.settings["crop_fraction"])

    def probabilities(self, model, images, batch_size=32):
        from toolkit.models._common import predict_batch

        out = []
        for start in range(0, len(images), batch_size):
            batch = preprocess(images[start : start + batch_size], self.settings["preprocessing"])
            out.append(predict_batch(model, batch))
        return np.concatenate(out)

    def example_inputs(self, network, data_dir=None, count=8):
        paths = [path for path, _ in self.images(self.folder(data_dir), limit=count)]
        return [preprocess(np.stack([self.read(p) for p in paths]), self.settings["preprocessing"])]

    # -- evaluation -----------------------------------------------------------------------------
    def images(self, folder, limit=None):
        """(path, class number) pairs of a `<wnid>/<image>` folder, or of its labels.csv (path, wnid)."""
        folder = pathlib.Path(folder)
        number = {wnid: i for i, (wnid, _) in enumerate(self.index)}
        if (folder / "labels.csv").exists():
            import pandas as pd

            table = pd.read_csv(folder / "labels.csv")
            pairs = [(folder / p, w) for p, w in zip(table["path"], table["wnid"])]
        else:
            pairs = [(p, d.name) for d in sorted(folder.iterdir()) if d.is_dir() for p in sorted(d.iterdir())]
        unknown = sorted({w for _, w in pairs if w not in number})
        if unknown:
            raise ValueError(f"{folder}: {len(unknown)} folders are not ImageNet WordNet ids, e.g. {unknown[0]}")
        if not pairs:
            raise ValueError(f"{folder}: no images (expected <wnid>/<image> or a labels.csv)")
        pairs = [(p, number[w]) for p, w in pairs]
        return pairs[:limit] if limit else pairs

    def folder(self, data_dir=None):
        if data_dir:  # a folder of <wnid>/<image> (or labels.csv) itself, else a data directory
            root = pathlib.Path(data_dir)
            if (root / "labels.csv").exists() or any(re.fullmatch(r"n\d{8}", p.name) for p in root.glob("n*")):
                return root
        subset = resolve_data_dir(data_dir) / "imagenet" / "val-subset"
        if not subset.exists():
            raise DataNotFoundError(f"no ImageNet validation images in {subset}: put <wnid>/<image>.JPEG files there")
        return subset

    def evaluate(self, model, data_dir=None, split="val-subset", limit=None, batch_size=32, progress=None):
        folder = self.folder(data_dir)
        pairs = self.images(folder, limit)
        labels = np.array([label for _, label in pairs])
        probabilities, start = [], time.perf_counter()
        for begin in range(0, len(pairs), batch_size):
            batch = np.stack([self.read(p) for p, _ in pairs[begin : begin + batch_size]])
            probabilities.append(self.probabilities(model, batch, batch_size))
            if progress:
                progress(len(batch))
        seconds = time.perf_counter() - start
        probabilities = np.concatenate(probabilities)
        errors = topk_errors(probabilities, labels)
        predicted = probabilities.argmax(1)
        per_class = {}
        for c in np.unique(labels):
            wnid, name = self.index[c]
            mask = labels == c
            per_class[f"{name} ({wnid})"] = {
                "images": int(mask.sum()),
                "top1_accuracy": float((predicted[mask] == c).mean()),
            }
        return {
            "dataset": "imagenet",
            "split": folder.name,
            "images": len(pairs),
            "top1_error": errors[1],
            "top5_error": errors[5],
            "error": errors[1],
            "images_per_second": len(pairs) / seconds,
            "per_class": per_class,
        }

    def summary(self, result):
        return {k: result[k] for k in ("images", "top1_error", "top5_error", "error")}

    def evaluation_size(self, data_dir=None, limit=None):
        return len(self.images(self.folder(data_dir), limit))

    def describe(self, name, result, data_dir=None):
        line = (f"{name}: top-1 error {result['top1_error']:.2%}, top-5 error {result['top5_error']:.2%}"
                f" on {result['images']:,} images ({result['images_per_second']:.1f} images/s)")  # fmt: skip
        return line, [{"class": c, **v} for c, v in result["per_class"].items()]

    def save_evaluation(self, result, out, data_dir=None, replace=False):
        import pandas as pd

        from toolkit.files import write_json, written

        write_json(pathlib.Path(out) / "metrics.json", result, replace=replace)
        _, rows = self.describe("", result)
        with written(pathlib.Path(out) / "per_class.csv", replace=replace) as temporary:
            pd.DataFrame(rows).to_csv(temporary, index=False)
        return ["metrics.json", "per_class.csv"]
