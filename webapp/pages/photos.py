"""Photos: an uploaded photo through the CIFAR-10 models and the ImageNet ones whose weights
are in the cache, with the top five classes and the crop the network saw."""

import time

import numpy as np
from fastapi import APIRouter, File, Form, UploadFile

from webapp.common import MAX_READ, check_weights, fast_model, png, read_upload, shipped, task_of

PAGE = {"path": "photos", "title": "Photos", "summary": "the CIFAR-10 and ImageNet classifiers on your photos"}
TASKS = ("folder", "imagenet")
router = APIRouter(prefix="/api/photos", tags=["photos"])


@router.get("/models")
def models():
    """The photo classifiers that can answer now: the shipped CIFAR-10 ones, and the ImageNet
    ones whose weights are in the cache."""
    entries = shipped(TASKS)
    return [{"weights": w, "model": item["arch"], "classes": len(item.get("labels") or []),
             "test_error": next(iter(item["metrics"].values()), {}).get("error"),
             "description": item.get("description", "")} for w, item in sorted(entries.items())]  # fmt: skip


@router.post("/predict")
async def predict(file: UploadFile = File(...), weights: str = Form(...)):
    """The five likeliest classes of a photo and the crop the network saw."""
    check_weights(weights, TASKS)
    start = time.perf_counter()
    task, model = task_of(weights), fast_model(weights)
    image = read_upload(await file.read(MAX_READ), file.filename, task)
    (top,) = task.predict(model, [image], top=5)
    crop = np.clip(np.asarray(image), 0, 255).astype("uint8")
    return {"weights": weights, "top": [{"label": label, "probability": round(float(p), 5)} for label, p in top],
            "crop": png(crop), "note": task.preprocessing,
            "server_ms": round((time.perf_counter() - start) * 1000, 2)}  # fmt: skip
