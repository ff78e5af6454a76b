"""Reading the image files people actually have, and normalising digits the way MNIST was made.

MNIST's recipe (LeCun et al.): the digit's bounding box is fitted into 20x20 pixels keeping
its aspect ratio (anti-aliased), then placed in a 28x28 field so that its centre of mass is at
the centre. `normalize_digit` repeats that for any photo or drawing: it finds the ink (dark on
light or light on dark), drops specks of noise, brings the stroke width near MNIST's, and
centres by mass.
"""

import os
import pathlib
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # larger images are refused as possible decompression bombs
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


class ImageError(ValueError):
    """A file that cannot be used as an image: empty, not an image, truncated or too large."""


def read_image(path, mode="L"):
    """Read any image file into a uint8 array of mode "L" (H, W) or "RGB" (H, W, 3).

    Handles PNG, JPEG, BMP, GIF (first frame), TIFF; gray, RGB, RGBA, palette and 16-bit
    images; EXIF orientation. Transparent pixels are laid on a background that contrasts the
    opaque ones, so a drawing on a transparent canvas keeps its strokes.

    Raises:
        ImageError: with a one-line reason.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged file's warnings: it is read, or refused in one line
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"{path}: {width}x{height} pixels is too large (limit {MAX_PIXELS:,} pixels)")
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: too large (a possible decompression bomb)") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image file") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"{path}: unreadable or truncated image ({str(error).splitlines()[0]})") from None
    image = ImageOps.exif_transpose(image)
    return np.asarray(_flatten(image).convert(mode))


def _flatten(image):
    """An image without transparency or unusual bit depth."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = array.max() or 1.0
        return Image.fromarray(np.round(array * (255.0 / top)).astype(np.uint8))
    if image.mode == "F":
        array = np.asarray(image, dtype=np.float64)
        low, high = array.min(), array.max()
        return Image.fromarray(((array - low) / ((high - low) or 1.0) * 255).astype(np.uint8))
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3]
        opaque = alpha > 127
        gray = np.asarray(rgba.convert("L"))
        if opaque.all() or not opaque.any():
            return rgba.convert("RGB")
        # lay the picture on whichever of white or black contrasts its opaque pixels
        shade = 255 if gray[opaque].mean() < 128 else 0
        background = Image.new("RGBA", rgba.size, (shade, shade, shade, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image


def list_images(patterns):
    """Expand files, folders and glob patterns into image paths (sorted, de-duplicated)."""
    import glob

    paths = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            found = [p for p in sorted(pathlib.Path(pattern).iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
        elif any(c in str(pattern) for c in "*?["):
            found = [pathlib.Path(p) for p in sorted(glob.glob(str(pattern), recursive=True))]
        else:
            found = [pathlib.Path(pattern)]
        paths.extend(found)
    return list(dict.fromkeys(paths))


def _ink(gray):
    """Ink intensity in [0, 1] (1 = ink), whatever the polarity of the picture."""
    x = gray.astype(np.float64) / 255.0
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    background = np.median(border)
    if background > 0.5:  # dark ink on light paper: MNIST is light on dark
        x, background = 1.0 - x, 1.0 - background
    # the ink's level: where a digit fills less than 0.5 % of the picture (small on a large page),
    # the brightest 3x3 average, which noise alone does not reach
    from scipy import ndimage

    top = max(np.percentile(x, 99.5), ndimage.uniform_filter(x, 3).max())
    if top - background < 0.1:
        return np.zeros_like(x)
    return np.clip((x - background) / (top - background), 0.0, 1.0)


def _otsu(values):
    hist, edges = np.histogram(values, bins=64, range=(0, 1))
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(hist)
    mean = np.cumsum(hist * centres)
    total, grand = weight[-1], mean[-1]
    between = (grand * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1e-9)
    return centres[np.argmax(between)]


def _stroke_width(mask):
    """Mean stroke width in pixels: twice the ink area over the boundary length."""
    from scipy import ndimage

    boundary = mask & ~ndimage.binary_erosion(mask)
    return 2.0 * mask.sum() / max(boundary.sum(), 1)


def normalize_digit(gray):
    """A 28x28 float32 array in [0, 1], light ink on black, centred by mass as in MNIST.

    Raises:
        ImageError: when no ink can be told apart from the background.
    """
    from scipy import ndimage

    ink = _ink(np.asarray(gray))
    if ink.max() == 0:
        raise ImageError("no digit found: the image is blank or has no contrast")
    mask = ink > max(_otsu(ink), 0.2)
    # drop specks: components much smaller than the largest stroke
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count > 1:
        sizes = ndimage.sum(mask, labels, range(1, count + 1))
        keep = np.isin(labels, 1 + np.flatnonzero(sizes >= max(0.1 * sizes.max(), 4)))
        mask &= keep
    ink = np.where(ndimage.binary_dilation(mask, iterations=1), ink, 0.0)
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if len(rows) == 0:
        raise ImageError("no digit found: the image is blank or has no contrast")
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop, crop_mask = ink[top:bottom, left:right], mask[top:bottom, left:right]
    side = max(crop.shape)
    # MNIST strokes are about 2.6 px wide in the 20 px box: thicken thin strokes, thin thick ones
    width = _stroke_width(crop_mask)
    target = 2.6 * side / 20.0
    if width < 0.5 * target:
        grow = int(round((0.8 * target - width) / 2))
        if grow:
            crop = ndimage.grey_dilation(np.pad(crop, grow), size=(2 * grow + 1, 2 * grow + 1))
    elif width > 1.3 * target:
        shrink = int(round((width - target) / 2))
        crop = ndimage.grey_erosion(crop, size=(2 * shrink + 1, 2 * shrink + 1))
    height, width_px = crop.shape
    scale = 20.0 / max(height, width_px)
    size = (max(1, round(width_px * scale)), max(1, round(height * scale)))
    small = Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.LANCZOS)
    small = np.asarray(small, dtype=np.float64) / 255.0
    field = np.zeros((28, 28))
    y0, x0 = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    field[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    cy, cx = ndimage.center_of_mass(field)
    field = ndimage.shift(field, (14.0 - cy, 14.0 - cx), order=1, mode="constant")  # MNIST: mass at (14, 14)
    return np.clip(field, 0.0, 1.0).astype(np.float32)
