"""Segmentation: a micrograph of any size through a U-Net, as `toolkit predict` segments it:
the mask to lay over the image, the foreground fraction and the number of objects."""

import time

import numpy as np
from fastapi import APIRouter, File, Form, UploadFile

from webapp.common import MAX_READ, ApiError, check_weights, keras_model, png, read_upload, shipped, task_of

PAGE = {"path": "segmentation", "title": "Segmentation", "summary": "U-Net masks of micrographs, any size"}
router = APIRouter(prefix="/api/segmentation", tags=["segmentation"])
EXAMPLES = 3


@router.get("/models")
def models():
    """The shipped segmenters."""
    return [{"weights": w, "model": item["arch"], "description": item.get("description", "")}
            for w, item in sorted(shipped("segmentation").items())]  # fmt: skip


def example_micrograph(number, size=256):
    """A cell picture the toolkit draws (seeded): bright blurred nuclei of random shapes on a
    dim, noisy background; no dataset image is shipped."""
    from PIL import Image, ImageDraw, ImageFilter

    random = np.random.default_rng(number)
    picture = Image.new("L", (size, size), 30)
    draw = ImageDraw.Draw(picture)
    for _ in range(8 + 4 * number):
        x, y = random.uniform(10, size - 10, 2)
        rx, ry = random.uniform(6, 18, 2)
        draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=int(random.uniform(150, 230)))
    picture = picture.filter(ImageFilter.GaussianBlur(2))
    noisy = np.asarray(picture, "float32") + random.normal(0, 8, (size, size))
    return np.clip(noisy, 0, 255).astype("uint8")


@router.get("/examples")
def examples():
    """Micrographs the toolkit draws, to try without a file of one's own."""
    return [{"name": f"drawn cells {n + 1}", "image": png(example_micrograph(n))} for n in range(EXAMPLES)]


@router.post("/predict")
async def predict(file: UploadFile = File(...), weights: str = Form(...), threshold: float = Form(0.5)):
    """The foreground mask of a micrograph of any size (overlap-tile strategy), its foreground
    fraction and number of connected objects."""
    from scipy import ndimage

    check_weights(weights, "segmentation")
    if not 0 <= threshold <= 1:
        raise ApiError(f"threshold must be between 0 and 1. Received: threshold={threshold}")
    start = time.perf_counter()
    task, model = task_of(weights), keras_model(weights)
    image = read_upload(await file.read(MAX_READ), file.filename, task)
    (probability,) = task.predict(model, [image])
    mask = probability >= threshold
    _, objects = ndimage.label(mask)
    return {"weights": weights, "width": int(image.shape[1]), "height": int(image.shape[0]),
            "foreground_fraction": round(float(mask.mean()), 4), "objects": int(objects),
            "image": png(image), "mask": png(mask.astype("uint8") * 255),
            "server_ms": round((time.perf_counter() - start) * 1000, 2)}  # fmt: skip


