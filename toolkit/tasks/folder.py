"""The image-folder task: classify any `<class>/<image>` tree, optionally from ImageNet weights.

The layout of `keras.utils.image_dataset_from_directory`. When the folder holds `train/` and
`test/` subfolders (as CIFAR-10 does) those are the splits; otherwise a seeded, stratified
`validation_split` of each class is held out. Unreadable files are skipped with a warning and
counted; images of any size and mode are converted to RGB, resized so the shorter side fits and
centre-cropped to `image_size`. Class names are kept with the weights.
"""

import dataclasses
import logging
import pathlib
import time

import numpy as np

from toolkit import catalog, hub
from toolkit.data.images import IMAGE_SUFFIXES, ImageError
from toolkit.data.paths import locate, not_found, portable
from toolkit.errors import InputError
from toolkit.tasks.task import ClassifierTask, option

log = logging.getLogger(__name__)


class FolderTask(ClassifierTask):
    name = "folder"
    augmentations = ("none", "affine", "crop-flip")

    def __init__(self, data=None, image_size=64, classes=None, validation_split=0.2, preprocessing="tf",
                 base_weights=None, freeze_base=False, per_class=None, class_names=None, seed=0, cutout=None):  # fmt: skip
        self.settings = {
            "data": data, "image_size": image_size, "classes": classes, "validation_split": validation_split,
            "preprocessing": preprocessing, "base_weights": base_weights, "freeze_base": freeze_base,
            "per_class": per_class, "class_names": class_names, "seed": seed,
        }  # fmt: skip
        if cutout:
            self.settings["cutout"] = cutout
        self._cache = {}
        self.skipped = 0

    @dataclasses.dataclass
    class Options:
        data: str = option(None, "a folder of <class>/<image>: a path, or a name in the data directory (cifar10)")
        image_size: int = option(64, "side of the square input images", minimum=8)
        classes: str = option(None, "only these class folders, comma-separated")
        per_class: int = option(None, "at most N images of each class", minimum=1)
        validation_split: float = option(
            0.2, "the share of each class held out to pick the best epoch by; 0: none, keep the last epoch", minimum=0
        )
        cutout: int = option(None, "with --augment crop-flip, also blank a random N x N square of each image", minimum=1)
        weights: str = option(None, "start from these catalog weights (e.g. resnet50.imagenet)")
        freeze_base: bool = option(False, "keep the transferred layers frozen; train the new classifier only")

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        if not options.data:
            raise ValueError("the folder task needs data: a folder with one sub-folder of images per class")
        preprocessing = "tf"
        if options.weights:
            source = catalog.entry(options.weights)
            preprocessing = source.get("task_settings", {}).get("preprocessing", "tf")
            if source["arch"] != model_name:
                log.warning("%s is a %s; fitting %s", options.weights, source["arch"], source["arch"])
                model_name = source["arch"]
        if not 0 <= options.validation_split < 1:
            raise InputError("the validation split is a share of the images, from 0 up to 1", setting="validation_split")
        options.data = portable(locate(options.data, data_dir))
        settings = dict(data=options.data, image_size=options.image_size, preprocessing=preprocessing,
                        base_weights=options.weights, freeze_base=options.freeze_base, seed=seed,
                        per_class=options.per_class, classes=options.classes.split(",") if options.classes else None,
                        validation_split=options.validation_split, cutout=options.cutout)  # fmt: skip
        return settings, model_name, {}

    @property
    def save_best(self):
        """With nothing held out there is no best epoch to pick: the last one is kept."""
        return self.settings["validation_split"] > 0

    @property
    def labels(self):
        return self.settings["class_names"]

    @property
    def preprocessing(self):
        return (
            f"RGB, shorter side to {self.settings['image_size']} and centre crop; {self.settings['preprocessing']} mode"
        )

    # -- data ---------------------------------------------------------------------------------------
    def root(self, data_dir=None):
        if not self.settings["data"]:
            raise InputError("the folder task needs a folder of <class>/<image> as its data", setting="data")
        path = locate(self.settings["data"], data_dir)
        if not path.is_dir():
            raise not_found(self.settings["data"], data_dir)
        return path

    def scan(self, folder):
        """(path, class number) pairs and the class names of a `<class>/<image>` folder."""
        folder = pathlib.Path(folder)
        classes = sorted(d.name for d in folder.iterdir() if d.is_dir())
        if self.settings["classes"]:
            missing = sorted(set(self.settings["classes"]) - set(classes))
            if missing:
                raise ValueError(f"{folder}: no class folder {missing[0]!r}")
            classes = list(self.settings["classes"])
        if not classes:
            raise ValueError(f"{folder}: no class folders (expected <class>/<image> files)")
        if len(classes) == 1:
            raise ValueError(f"{folder}: one class ({classes[0]}) is nothing to tell apart; a classifier needs two")
        pairs = []
        for number, name in enumerate(classes):
            files = sorted(p for p in (folder / name).iterdir() if p.is_file() and not p.name.startswith("."))
            images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
            if not images:
                raise ValueError(f"{folder}: the class {name!r} has no images")
            if self.settings["per_class"]:
                images = images[: self.settings["per_class"]]
            pairs += [(p, number) for p in images]
        if self.settings["class_names"] and self.settings["class_names"] != classes:
            raise ValueError(
                f"{folder}: its classes differ from the model's ({', '.join(self.settings['class_names'])})"
            )
        self.settings["class_names"] = classes
        return pairs

    def read(self, path):
        from PIL import Image

        from toolkit.data.imagenet import load_photo

        size = self.settings["image_size"]
        try:
            return load_photo(path, size, crop_fraction=1.0)
        except ImageError:
            raise
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise ImageError(f"{path}: {error}") from None

    def _load(self, pairs):
        images, labels = [], []
        for path, label in pairs:
            try:
                images.append(self.read(path))
                labels.append(label)
            except ImageError as error:
                self.skipped += 1
                log.warning("skipped %s", error)
        if not images:
            raise ValueError("no readable images")
        return np.stack(images).astype("uint8"), np.array(labels, "int32")

    def pairs(self, data_dir=None):
        """{split: (path, class number) pairs}: train, validation (held out of train) and test."""
        if "pairs" not in self._cache:
            root = self.root(data_dir)
            if (root / "train").is_dir() and (root / "test").is_dir():
                train_pairs, test_pairs = self.scan(root / "train"), self.scan(root / "test")
            else:
                train_pairs, test_pairs = self.scan(root), None
            if not test_pairs and not self.settings["validation_split"]:
                raise InputError(f"{root}: without train/ and test/ folders some images must be held out to test on",
                                 setting="validation_split")  # fmt: skip
            rng = np.random.default_rng(self.settings["seed"])
            labels = np.array([label for _, label in train_pairs])
            held = np.zeros(len(train_pairs), bool)
            for c in np.unique(labels) if self.settings["validation_split"] else []:
                members = rng.permutation(np.flatnonzero(labels == c))
                held[members[: max(1, int(round(len(members) * self.settings["validation_split"])))]] = True
            validation = [p for p, h in zip(train_pairs, held) if h]
            self._cache["pairs"] = {"train": [p for p, h in zip(train_pairs, held) if not h],
                                    "validation": validation, "test": test_pairs or validation}  # fmt: skip
        return self._cache["pairs"]

    def split(self, data_dir=None, which="train"):
        """(images uint8, labels) of the train, validation or test split, read on first use."""
        pairs = self.pairs(data_dir)
        if which == "test" and pairs["test"] is pairs["validation"]:  # no test folder: the validation split
            which = "validation"
        if which not in self._cache:
            if not pairs[which]:  # nothing held out
                size = self.settings["image_size"]
                return np.zeros((0, size, size, 3), "uint8"), np.zeros(0, "int32")
            skipped = self.skipped
            self._cache[which] = self._load(pairs[which])
            if self.skipped > skipped:
                log.warning("%d unreadable files were skipped", self.skipped - skipped)
            empty = sorted(set(range(len(self.labels))) - set(self._cache[which][1].tolist()))
            if which == "train" and empty:
                raise InputError(f"{self.root(data_dir)}: the class {self.labels[empty[0]]!r} has no readable images")
        return self._cache[which]

    # -- the model -------------------------------------------------------------------------------------
    def build_args(self, model_name, data_dir=None):
        if "folder" not in hub.model_info(model_name).tasks:
            raise ValueError(f"{model_name} cannot classify image folders")
        if not self.settings["class_names"]:
            self.pairs(data_dir)  # scanning the folders names the classes
        size = self.settings["image_size"]
        return {"num_classes": len(self.settings["class_names"]), "input_shape": [size, size, 3]}

    def build(self, model_name, **kwargs):
        model = super().build(model_name, **kwargs)
        if self.settings["base_weights"]:
            same_classes = catalog.entry(self.settings["base_weights"]).get("labels") == self.labels
            self.transfer(model, self.settings["base_weights"], freeze=self.settings["freeze_base"],
                          classifier=same_classes)  # fmt: skip
        return model

    @staticmethod
    def transfer(model, weights_id, freeze=False, classifier=False):
        """Copy every layer of the catalog weights whose name and shapes match; the classifier too
        with `classifier` (weights trained on the same classes: a second run of the same net)."""
        source = {layer.name: layer for layer in hub.load_pretrained(weights_id).layers}
        copied = 0
        for layer in model.layers:
            other = source.get(layer.name)
            if other is None or (layer.name == "predictions" and not classifier) or not layer.weights:
                continue
            if [w.shape for w in layer.weights] != [w.shape for w in other.weights]:
                continue
            layer.set_weights(other.get_weights())
            layer.trainable = not freeze or layer.name == "predictions"
            copied += 1
        if not copied:
            raise ValueError(f"no layer of {weights_id} fits this model; use weights of the same architecture")
        log.info("transferred %d layers from %s%s", copied, weights_id, " (frozen)" if freeze else "")
        return copied

    def _preprocess(self, images):
        from toolkit.data.imagenet import preprocess

        return preprocess(images, self.settings["preprocessing"])

    def example_inputs(self, network, data_dir=None, count=8):
        return [self._preprocess(self.split(data_dir, "test")[0][:count])]

    def datasets(self, model, *, batch_size, seed, augment="none", data_dir=None, limit=None):
        """Batches of the training split, shuffled each epoch, and of the validation split (None
        when nothing is held out). `augment`: "affine" (flips, small rotations and shifts) or
        "crop-flip" (the CIFAR-10 recipe: 4 pixels of mid-grey padding, random crops, flips, and
        the `cutout` setting's squares)."""
        import tensorflow as tf

        from toolkit.data.augment import crop_flip, cutout, distort
        from toolkit.data.imagenet import preprocess

        x, y = self.split(data_dir, "train")
        vx, vy = self.split(data_dir, "validation")
        if limit:
            x, y = x[:limit], y[:limit]
        mode, size = self.settings["preprocessing"], self.settings.get("cutout", 0)
        if size and augment != "crop-flip":
            raise InputError("cutout goes with the crop-flip augmentation", setting="cutout")
        shape = model.input_shape[1:]

        def prepared(images):
            images = tf.numpy_function(lambda a: preprocess(a, mode), [images], tf.float32, stateful=False)
            return tf.ensure_shape(images, (None, *shape))

        def distorted(batch, s):
            s = tf.cast(s, tf.int32) % (2**31 - 1)
            images = tf.cast(batch[0], tf.float32)
            if augment == "crop-flip":  # mid-grey: 0 once preprocessed in the tf mode
                images = crop_flip(images, s, pad=4, fill=127.5)
                images = cutout(images, s[::-1], size, fill=127.5) if size else images
            else:
                images = tf.image.stateless_random_flip_left_right(images / 255.0, s)
                images = distort(images, s, "affine", rotation=8.0, shift=images.shape[1] / 10) * 255.0
            return images, batch[1]

        train = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(batch_size)
        if augment != "none":
            seeds = tf.data.Dataset.random(seed=seed).batch(2)
            train = tf.data.Dataset.zip((train, seeds)).map(distorted, num_parallel_calls=tf.data.AUTOTUNE)
        train = train.map(lambda a, b: (prepared(tf.cast(a, tf.float32)), b), num_parallel_calls=tf.data.AUTOTUNE)
        if not len(vx):
            return train.prefetch(tf.data.AUTOTUNE), None
        val = tf.data.Dataset.from_tensor_slices((vx, vy)).batch(256)
        val = val.map(lambda a, b: (prepared(tf.cast(a, tf.float32)), b))
        return train.prefetch(tf.data.AUTOTUNE), val.prefetch(tf.data.AUTOTUNE)

    def training_facts(self, augment, data_dir=None, limit=None):
        described = {"none": "none", "affine": "horizontal flips, rotations up to 8 degrees, shifts up to a tenth",
                     "crop-flip": "pad 4 + random crop, horizontal flip"}[augment]  # fmt: skip
        size = self.settings.get("cutout", 0)
        described += f", cutout {size}x{size}" if size and augment == "crop-flip" else ""
        images = len(self.split(data_dir, "train")[1])
        return {"augment": described, "training_images": min(images, limit or images)}

    # -- answers ----------------------------------------------------------------------------------------
    def probabilities(self, model, images, batch_size=256):
        from toolkit.models._common import predict_batch

        out = [predict_batch(model, self._preprocess(images[i : i + batch_size]))
               for i in range(0, len(images), batch_size)]  # fmt: skip
        return np.concatenate(out)

    def evaluate(self, model, data_dir=None, split="test", limit=None, progress=None):
        images, labels = self.split(data_dir, split)
        if limit:
            images, labels = images[:limit], labels[:limit]
        start = time.perf_counter()
        predicted = self.probabilities(model, images).argmax(1)
        seconds = time.perf_counter() - start
        names = self.settings["class_names"]
        per_class = {names[c]: float((predicted[labels == c] == c).mean()) for c in np.unique(labels)}
        confusion = np.zeros((len(names), len(names)), dtype=int)
        np.add.at(confusion, (labels, predicted), 1)
        wrong = predicted != labels
        root = self.root(data_dir)
        return {
            "dataset": root.name,
            "split": split if (root / "test").is_dir() else "validation",
            "images": int(len(labels)),
            "mistakes": int(wrong.sum()),
            "error": float(wrong.mean()),
            "accuracy": float(1 - wrong.mean()),
            "chance_error": float(1 - 1 / len(names)),
            "skipped_files": self.skipped,
            "per_class_accuracy": per_class,
            "confusion": confusion,
            "images_per_second": round(len(labels) / seconds, 1),
        }

    def summary(self, result):
        return {k: result[k] for k in ("images", "mistakes", "error", "accuracy", "images_per_second")}
