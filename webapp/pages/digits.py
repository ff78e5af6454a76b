"""Digits, live: a drawing (or an uploaded image) read as `toolkit predict` reads it, every
layer's output, the first layer's filters, and the model's mistakes on the MNIST test set."""

import time

import numpy as np
from fastapi import APIRouter, File, Form, UploadFile

from webapp.common import (
    MAX_READ,
    ApiError,
    cached,
    check_weights,
    keras_lock,
    keras_model,
    png,
    quantized,
    read_upload,
    shipped,
)

PAGE = {"path": "digits", "title": "Digits, live", "summary": "draw a digit and watch every layer answer"}
DEFAULT = "digits.best"  # the default of `toolkit predict`
router = APIRouter(prefix="/api/digits", tags=["digits"])


def _task():
    from toolkit.tasks.digits import DigitsTask

    return cached("digits-task", DigitsTask)


def _viewer(weights_id):
    from toolkit.analysis import layer_viewer

    return cached(("viewer", weights_id), lambda: layer_viewer(keras_model(weights_id)))


@router.get("/models")
def models():
    """The shipped digit classifiers, the default first."""
    entries = shipped("digits")
    order = sorted(entries, key=lambda w: (w != DEFAULT, w))
    return [{"weights": w, "model": entries[w]["arch"], "params": entries[w]["params"],
             "test_error": entries[w]["metrics"].get("mnist/test", {}).get("error"),
             "description": entries[w].get("description", ""), "default": w == DEFAULT} for w in order]  # fmt: skip


def _filters(model):
    """The first layer's filters as images: a convolution's kernels (first input channel), or a
    dense layer's weights on the 784 pixels, one 28x28 picture per unit (at most 32)."""
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            kernel = np.asarray(layer.kernel)[:, :, 0, :]
            return {"layer": layer.name, **quantized(kernel.transpose(2, 0, 1))}
        if kind == "Dense":
            kernel = np.asarray(layer.kernel)
            side = int(round(np.sqrt(kernel.shape[0])))
            if side * side != kernel.shape[0]:
                return None
            return {"layer": layer.name, **quantized(kernel[:, :32].T.reshape(-1, side, side))}
    return None


def answer(weights_id, digit):
    """Probabilities, the input the network sees and every layer's output for one 28x28 digit."""
    start = time.perf_counter()
    task, model = _task(), keras_model(weights_id)
    viewer, names = _viewer(weights_id)
    x = task.adapt_array(digit[None].astype("float32"), model.input_shape[1:])
    with keras_lock(weights_id):
        outputs = viewer(x, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    layers = []
    for (name, kind), output in zip(names, outputs):
        values = np.asarray(output)[0]
        if values.ndim == 3:
            layers.append({"name": name, "type": kind, "kind": "maps", **quantized(values.transpose(2, 0, 1))})
        else:
            layers.append({"name": name, "type": kind, "kind": "vector", "values": values.ravel().round(5).tolist()})
    probabilities = np.asarray(outputs[-1])[0].astype(float)
    filters = cached(("filters", weights_id), lambda: _filters(model))
    return {
        "weights": weights_id,
        "label": str(int(probabilities.argmax())),
        "probabilities": probabilities.round(6).tolist(),
        "input": {"note": task.input_note(model), **quantized(x[0, :, :, 0])},
        "layers": layers,
        "filters": filters,
        "server_ms": round((time.perf_counter() - start) * 1000, 2),
    }


@router.post("/predict")
async def predict(file: UploadFile = File(..., description="a drawing or an image file, any size"),
                  weights: str = Form(DEFAULT)):  # fmt: skip
    """The answer of `weights` for an image, read as `toolkit predict` reads it: the ten
    probabilities, the input after MNIST's normalisation, each layer's output as 8-bit arrays
    (maps channel first) or numbers, and the first layer's filters."""
    check_weights(weights, "digits")
    data = await file.read(MAX_READ)
    digit = read_upload(data, file.filename, _task())
    return answer(weights, digit)


@router.get("/mistakes")
def mistakes(weights: str = DEFAULT, limit: int = 60):
    """The first `limit` MNIST test digits `weights` gets wrong (from its evaluation on the
    10,000 test digits, made once per process), each with its label, answer and picture."""
    check_weights(weights, "digits")
    if not 1 <= limit <= 500:
        raise ApiError(f"limit must be between 1 and 500. Received: limit={limit}")
    result = cached(("evaluation", weights), lambda: _task().evaluate(keras_model(weights)))
    predicted = result["probabilities"].argmax(1)
    wrong = np.flatnonzero(predicted != result["labels_array"])
    return {"weights": weights, "mistakes": int(len(wrong)), "images": result["images"], "error": result["error"],
            "shown": [{"index": int(i), "label": str(int(result["labels_array"][i])), "answer": str(int(predicted[i])),
                       "probability": round(float(result["probabilities"][i].max()), 4),
                       "image": png(result["images_array"][i])} for i in wrong[:limit]]}  # fmt: skip
