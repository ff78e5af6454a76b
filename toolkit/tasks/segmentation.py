"""The segmentation task: U-Net on image/mask pairs, with the paper's overlap-tile prediction.

Splits: a folder of at most 40 pairs (the 30 ISBI 2012 slices) holds its last 5 out for
validation; a larger one (the 664 nuclei images) a fixed 20 % chosen by a hash of the file name.
Training sees random `tile`-pixel crops, with `augment` "affine" or "elastic" augmented as in the
paper (identically for image and mask). Prediction tiles any image with mirror padding and keeps each tile's centre, so a
512x512 slice and a 1388x1040 micrograph both give a mask of their own size without seams.
"""

import dataclasses
import hashlib

import numpy as np

from toolkit import hub
from toolkit.data.masks import MaskError, border_weights, find_pairs, joint_augment, load_pairs
from toolkit.data.paths import locate, not_found, portable
from toolkit.metrics import adapted_rand_error, dice, iou, isbi_errors, pixel_error
from toolkit.tasks.task import Task, option

LOSSES = ("bce", "dice", "bce+dice")


class SegmentationTask(Task):
    name = "segmentation"
    augmentations = ("none", "affine", "elastic")
    labels = ["background", "foreground"]
    monitor, mode = "val_loss", "min"
    preprocessing = "gray, pixels / 255; overlap-tile prediction with mirror padding"

    def __init__(self, data=None, tile=256, margin=32, loss="bce+dice", border_weight=0.0, crops_per_image=2,
                 validation_count=5, seed=0):  # fmt: skip
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}. Received: loss={loss!r}")
        if tile <= 2 * margin:  # each tile keeps its centre, tile - 2 * margin pixels wide
            raise ValueError(f"tile must be larger than twice the margin. Received: tile={tile}, margin={margin}")
        self.settings = {
            "data": data, "tile": tile, "margin": margin, "loss": loss, "border_weight": border_weight,
            "crops_per_image": crops_per_image, "validation_count": validation_count, "seed": seed,
        }  # fmt: skip
        self._cache = {}

    @dataclasses.dataclass
    class Options:
        data: str = option(None, "a folder of image/ and label/: a path, or a name in the data directory (membrane)")
        padding: str = option("same", "U-Net padding (training uses same)", choices=("same", "valid"))
        base_filters: int = option(16, "filters of U-Net's first level (64 in the paper)", minimum=1)
        depth: int = option(4, "U-Net poolings (4 in the paper)", minimum=1)
        loss: str = option("bce+dice", "the loss", choices=LOSSES)
        border_weight: float = option(0.0, "w0 of the paper's weight map stressing borders between touching cells (0: off)",
                                      minimum=0)  # fmt: skip
        tile: int = option(256, "side of the training crops and prediction tiles", minimum=32)

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        if not options.data:
            raise ValueError("the segmentation task needs data: a folder with image/ and label/ folders, e.g. membrane")
        if options.padding != "same":
            raise ValueError("training crops need same padding; the valid-padding network is `toolkit summary unet`")
        if options.tile % 2**options.depth:
            raise ValueError(f"the tile must be divisible by 2**depth = {2**options.depth}")
        options.data = portable(locate(options.data, data_dir))
        settings = dict(
            data=options.data,
            tile=options.tile,
            margin=min(32, options.tile // 4),  # the context cut from each side of a prediction tile
            loss=options.loss,
            border_weight=options.border_weight,
            seed=seed,
        )
        return settings, model_name, {"base_filters": options.base_filters, "depth": options.depth}

    def root(self, data_dir=None):
        if not self.settings["data"]:
            raise MaskError("the segmentation task needs a folder of image/ and label/ as its data", setting="data")
        path = locate(self.settings["data"], data_dir)
        if not path.is_dir():
            raise not_found(self.settings["data"], data_dir, error=MaskError)
        return path

    def split(self, data_dir=None, which="train"):
        """(images, masks) lists of the train or validation split."""
        if which not in self._cache:
            pairs = find_pairs(self.root(data_dir))
            if len(pairs) <= 40:
                count = self.settings["validation_count"]
                held = [i >= len(pairs) - count for i in range(len(pairs))]
            else:
                held = [int(hashlib.md5(p.stem.encode()).hexdigest(), 16) % 5 == 0 for p, _ in pairs]
            self._cache["train"] = load_pairs([p for p, h in zip(pairs, held) if not h])
            self._cache["validation"] = load_pairs([p for p, h in zip(pairs, held) if h])
        return self._cache[which]

    def crops(self, images, masks, rng, count, augment="elastic"):
        """Random tile crops (mirror-padded when an image is smaller than the tile).

        `augment`: "none", "affine" (flips, 90-degree rotations, gray-value variation) or
        "elastic" (those and an elastic deformation)."""
        tile, out = self.settings["tile"], []
        for _ in range(count):
            i = rng.integers(len(images))
            image, mask = mirror_pad(images[i], tile), mirror_pad(masks[i], tile)
            y, x = rng.integers(image.shape[0] - tile + 1), rng.integers(image.shape[1] - tile + 1)
            image, mask = image[y : y + tile, x : x + tile], mask[y : y + tile, x : x + tile]
            if augment != "none":
                image, mask = joint_augment(image, mask, rng, elastic=augment == "elastic")
            out.append((image, mask))
        return out

    # -- the model --------------------------------------------------------------------------------------
    def build_args(self, model_name, data_dir=None):
        if "segmentation" not in hub.model_info(model_name).tasks:
            raise ValueError(f"{model_name} cannot segment; choose one of {', '.join(hub.list_models(task='segmentation'))}")
        return {"padding": "same", "num_classes": 1, "input_shape": [None, None, 1], "base_filters": 16}

    def compile(self, model, optimizer="adam", learning_rate=1e-3, weight_decay=None):
        import keras

        def soft_dice(y_true, y_pred):
            y_true = keras.ops.cast(y_true, y_pred.dtype)
            overlap = keras.ops.sum(y_true * y_pred, axis=(1, 2, 3))
            total = keras.ops.sum(y_true + y_pred, axis=(1, 2, 3))
            return 1 - (2 * overlap + 1) / (total + 1)

        bce = keras.losses.BinaryCrossentropy(reduction="none")

        def loss(y_true, y_pred):
            parts = []
            if "bce" in self.settings["loss"]:
                parts.append(keras.ops.mean(bce(y_true, y_pred), axis=(1, 2)))
            if "dice" in self.settings["loss"]:
                parts.append(soft_dice(y_true, y_pred))
            return sum(parts)

        if self.settings["border_weight"]:
            loss = keras.losses.BinaryCrossentropy()  # weighted per pixel by the border map
        from toolkit.tasks.training import make_optimizer

        model.compile(
            make_optimizer(optimizer, learning_rate, weight_decay),
            loss,
            metrics=[keras.metrics.BinaryIoU(target_class_ids=[1], name="iou")],
        )

    def datasets(self, model, *, batch_size, seed, augment="elastic", data_dir=None, limit=None):
        import tensorflow as tf

        images, masks = self.split(data_dir, "train")
        if limit:
            images, masks = images[:limit], masks[:limit]
        val_images, val_masks = self.split(data_dir, "validation")
        per_epoch = self.settings["crops_per_image"] * len(images)
        rng = np.random.default_rng(seed)
        w0 = self.settings["border_weight"]

        def generate():
            for image, mask in self.crops(images, masks, rng, per_epoch, augment=augment):
                sample = (image[..., None], mask[..., None].astype("float32"))
                yield (*sample, border_weights(mask, w0)[..., None]) if w0 else sample

        tile = self.settings["tile"]
        spec = [tf.TensorSpec((tile, tile, 1), tf.float32)] * (3 if w0 else 2)
        train = tf.data.Dataset.from_generator(generate, output_signature=tuple(spec)).batch(batch_size)
        fixed = self.crops(val_images, val_masks, np.random.default_rng(1234), 4 * len(val_images), augment="none")
        vx = np.stack([c[0] for c in fixed])[..., None]
        vy = np.stack([c[1] for c in fixed])[..., None].astype("float32")
        val = tf.data.Dataset.from_tensor_slices((vx, vy)).batch(batch_size)
        train = train.prefetch(2)
        train.numpy_random = rng  # its state goes with each backup, for an exact resume
        return train, val

    # -- answers ---------------------------------------------------------------------------------------------
    def predict_map(self, model, image):
        """Foreground probability of every pixel of an image of any size (overlap-tile strategy)."""
        from toolkit.models._common import predict_batch

        tile, margin = self.settings["tile"], self.settings["margin"]
        step = tile - 2 * margin
        h, w = image.shape
        ny, nx = -(-h // step), -(-w // step)
        padded = np.pad(image, ((margin, ny * step - h + margin), (margin, nx * step - w + margin)), mode="symmetric")
        tiles = np.stack(
            [padded[j * step : j * step + tile, i * step : i * step + tile] for j in range(ny) for i in range(nx)]
        )[..., None]
        out = np.concatenate([predict_batch(model, tiles[k : k + 8]) for k in range(0, len(tiles), 8)])
        result = np.zeros((ny * step, nx * step), "float32")
        for k, prob in enumerate(out[..., 0]):
            j, i = divmod(k, nx)
            result[j * step : (j + 1) * step, i * step : (i + 1) * step] = prob[
                margin : margin + step, margin : margin + step
            ]
        return result[:h, :w]

    def example_inputs(self, network, data_dir=None, count=2):
        """Crops of held-out images, their sides multiples of 16 (a U-Net takes any such size)."""
        images, _ = self.split(data_dir, "validation")
        side = min(256, *(min(image.shape) // 16 * 16 for image in images[:count]))
        width = side - 16 if side > 16 else side  # not square, so a file that swapped the axes shows
        return [np.stack([image[:side, :width] for image in images[:count]])[..., None]]

    def input_note(self, network):
        return "a gray image in [0, 1] (one channel, NHWC), any height and width that are multiples of 16"

    def read(self, path):
        """A user's micrograph as a gray image of any size, in [0, 1]."""
        from toolkit.data.masks import read_gray

        return read_gray(path)

    def predict(self, model, inputs):
        """The foreground probability map of each image of `inputs` (any sizes)."""
        return [self.predict_map(model, image) for image in inputs]

    def evaluate(self, model, data_dir=None, split="validation", limit=None, progress=None, threshold=0.5):
        images, masks = self.split(data_dir, "validation")
        if limit:
            images, masks = images[:limit], masks[:limit]
        scores = {"pixel_error": [], "iou": [], "dice": [], "rand_error": []}
        probabilities = [self.predict_map(model, image) for image in images]
        for probability, mask in zip(probabilities, masks):
            predicted = probability >= threshold
            truth = mask > 0
            scores["pixel_error"].append(pixel_error(predicted, truth))
            scores["iou"].append(iou(predicted, truth))
            scores["dice"].append(dice(predicted, truth))
            scores["rand_error"].append(adapted_rand_error(predicted, truth))
        means = {k: float(np.mean(v)) for k, v in scores.items()}
        return {
            "dataset": self.root(data_dir).name, "split": "validation", "images": len(images), "threshold": threshold,
            **means, **isbi_errors(probabilities, masks),
        }  # fmt: skip

    def summary(self, result):
        keys = ("images", "pixel_error", "iou", "dice", "rand_error", "isbi_pixel_error", "isbi_rand_error")
        return {k: result[k] for k in keys} | {"error": result["pixel_error"]}

    def describe(self, name, result, data_dir=None):
        r = result
        line = (
            f"{name} on {r['images']} held-out images of {r['dataset']}: pixel error {r['pixel_error']:.4f},"
            f" foreground IoU {r['iou']:.4f}, Dice {r['dice']:.4f}, adapted Rand error {r['rand_error']:.4f}"
            f" (threshold {r['threshold']:g}); the ISBI 2012 challenge's errors (1 - best F-score over thresholds):"
            f" pixel {r['isbi_pixel_error']:.4f} (at {r['isbi_pixel_threshold']:g}),"
            f" Rand {r['isbi_rand_error']:.4f} (at {r['isbi_rand_threshold']:g})"
        )
        return line, []


def mirror_pad(array, size):
    """Mirror-pad an image so both sides are at least `size`."""
    h, w = array.shape[:2]
    pad = ((0, max(0, size - h)), (0, max(0, size - w))) + ((0, 0),) * (array.ndim - 2)
    return np.pad(array, pad, mode="symmetric") if any(p[1] for p in pad) else array
