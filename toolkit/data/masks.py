"""Image/mask pairs for segmentation, joint augmentation, and the metrics of the ISBI challenge.

Pairs come from `<dir>/image/*` and `<dir>/label/*` matched by file name (also the ISBI layout
`train/image`, `train/label`). A binary mask may use any two values (the larger is foreground);
a multi-class mask holds small integer labels.
"""

import pathlib

import numpy as np

from toolkit.data.images import IMAGE_SUFFIXES, ImageError, read_image
from toolkit.errors import InputError


class MaskError(InputError):
    """Image/mask pairs that cannot be used: missing, mismatched sizes, unexpected values."""


def find_pairs(folder):
    """Sorted (image path, mask path) pairs of a folder.

    Raises:
        MaskError: for a missing image/ or label/ folder, an empty one, or an image without mask.
    """
    folder = pathlib.Path(folder)
    if (folder / "train" / "image").is_dir():
        folder = folder / "train"
    images_dir, labels_dir = folder / "image", folder / "label"
    if not images_dir.is_dir() or not labels_dir.is_dir():
        raise MaskError(f"{folder}: expected image/ and label/ folders of files with matching names")
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise MaskError(f"{images_dir}: no images")
    labels = {p.stem: p for p in labels_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    missing = [p.name for p in images if p.stem not in labels]
    if missing:
        raise MaskError(
            f"{labels_dir}: no mask for {missing[0]}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
        )
    return [(p, labels[p.stem]) for p in images]


def read_gray(path):
    """A single-channel float image in [0, 1] from any file (RGBA, 16-bit and colour included)."""
    return read_image(path, "L").astype("float32") / 255.0


def read_mask(path, shape=None, num_classes=2):
    """A mask as integer classes: binary masks of any two values become 0/1.

    Raises:
        MaskError: when the size differs from the image's or the values do not fit `num_classes`.
    """
    try:
        raw = read_image(path, "L")
    except ImageError as error:
        raise MaskError(str(error)) from None
    if shape is not None and raw.shape != tuple(shape):
        raise MaskError(f"{path}: the mask is {raw.shape[1]}x{raw.shape[0]}, its image {shape[1]}x{shape[0]}")
    values = np.unique(raw)
    if num_classes == 2:
        if len(values) > 2:
            raise MaskError(
                f"{path}: a binary mask needs two values, found {len(values)} ({', '.join(map(str, values[:5]))}...)"
            )
        return (raw == values.max()).astype("uint8") if len(values) == 2 else (raw > 127).astype("uint8")
    if values.max() >= num_classes:
        raise MaskError(f"{path}: class {values.max()} in a mask of {num_classes} classes")
    return raw.astype("uint8")


def load_pairs(pairs, num_classes=2):
    """Lists of images (H, W) and masks (H, W) for the pairs, checked."""
    images, masks = [], []
    for image_path, mask_path in pairs:
        try:
            image = read_gray(image_path)
        except ImageError as error:
            raise MaskError(str(error)) from None
        images.append(image)
        masks.append(read_mask(mask_path, image.shape, num_classes))
    return images, masks


def joint_augment(image, mask, rng, elastic=True):
    """The paper's augmentation, applied identically to image and mask: flips, 90-degree
    rotations, shifts (by random cropping, done by the caller), elastic deformation, and gray-value
    variation (image only)."""
    from scipy import ndimage

    k = rng.integers(4)
    image, mask = np.rot90(image, k), np.rot90(mask, k)
    if rng.random() < 0.5:
        image, mask = image[:, ::-1], mask[:, ::-1]
    if elastic:
        h, w = image.shape
        alpha, sigma = 10.0, 10.0
        dy = ndimage.gaussian_filter(rng.uniform(-1, 1, (h, w)), sigma) * alpha * sigma
        dx = ndimage.gaussian_filter(rng.uniform(-1, 1, (h, w)), sigma) * alpha * sigma
        yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        coords = [yy + dy, xx + dx]
        image = ndimage.map_coordinates(image, coords, order=1, mode="reflect")
        mask = ndimage.map_coordinates(mask.astype("float32"), coords, order=0, mode="reflect")
    gain, bias = rng.uniform(0.85, 1.15), rng.uniform(-0.08, 0.08)
    image = np.clip(image * gain + bias, 0, 1)
    return np.ascontiguousarray(image, "float32"), np.ascontiguousarray(mask, "uint8")


def border_weights(mask, w0=10.0, sigma=5.0):
    """The U-Net paper's weight map: w0 * exp(-(d1 + d2)^2 / (2 sigma^2)) on background pixels,
    with d1, d2 the distances to the nearest and second-nearest object, plus class balancing."""
    from scipy import ndimage

    labels, count = ndimage.label(mask)
    weights = np.ones(mask.shape, "float32")
    fg = mask.mean()
    if 0 < fg < 1:  # class balance: each class weighs half
        weights = np.where(mask > 0, 0.5 / fg, 0.5 / (1 - fg)).astype("float32")
    if count >= 2:
        distances = np.stack([ndimage.distance_transform_edt(labels != i) for i in range(1, count + 1)], axis=-1)
        distances.sort(axis=-1)
        d1, d2 = distances[..., 0], distances[..., 1]
        weights += np.where(mask == 0, w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma**2)), 0).astype("float32")
    return weights
