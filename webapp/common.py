"""What every page of the web app shares: errors as JSON, uploads read as the CLI reads files,
loaded models kept once per process, and arrays sent as PNG or compact bytes."""

import base64
import io
import pathlib
import tempfile
import threading

import numpy as np

MAX_UPLOAD = 20_000_000  # bytes; images also meet toolkit.data.images.MAX_PIXELS
MAX_READ = MAX_UPLOAD + 1  # read one byte over the limit, so an oversized upload is recognised


class ApiError(Exception):
    """A request the app refuses: answered as {"error": message} with `status`."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


_models, _loading, _lock = {}, {}, threading.Lock()


def shipped(task=None, arch=None):
    """{weights id: catalog entry} of the weights that can be loaded now (shipped, or downloaded
    into the cache), of `task` (a name or a tuple of names) and `arch` where given."""
    from toolkit import catalog

    tasks = (task,) if isinstance(task, str) else task
    return {
        weights_id: item
        for weights_id, item in catalog.load_catalog().items()
        if (tasks is None or item["task"] in tasks) and (arch is None or item["arch"] == arch)
        and catalog.is_available(weights_id)
    }  # fmt: skip


def check_weights(weights_id, task):
    """`weights_id` if it is loadable weights of `task`, else an ApiError naming the choices."""
    choices = shipped(task)
    if weights_id not in choices:
        raise ApiError(f"unknown weights {weights_id!r} for this page; choose one of {', '.join(sorted(choices))}", 404)
    return weights_id


def cached(key, load):
    """`load()` once per process for `key` (models, their layer viewers, evaluations); a slow
    load holds up only the requests that need the same thing."""
    if key in _models:
        return _models[key]
    with _lock:
        loading = _loading.setdefault(key, threading.Lock())
    with loading:
        if key not in _models:
            _models[key] = load()
    return _models[key]


def task_of(weights_id):
    """The task of `weights_id` with its settings, once per process."""
    from toolkit import tasks

    return cached(("task", weights_id), lambda: tasks.task_for(weights_id))


def keras_model(weights_id):
    """The Keras model of `weights_id`, loaded once per process."""
    from toolkit import hub

    return cached(("keras", weights_id), lambda: hub.load_pretrained(weights_id))


def fast_model(weights_id):
    """The model of `weights_id` on the fastest runtime there is (ONNX where it can be had), once."""
    from toolkit import runtime

    return cached(("runtime", weights_id), lambda: runtime.load_model(weights_id, "auto"))


def keras_lock(key):
    """One lock per model: Keras calls on one model run one at a time."""
    return cached(("lock", key), threading.Lock)


def check_size(data, filename):
    """An ApiError for an empty upload or one over MAX_UPLOAD bytes."""
    if not data:
        raise ApiError(f"{filename}: empty file")
    if len(data) > MAX_UPLOAD:
        raise ApiError(f"{filename}: {len(data):,} bytes is too large (limit {MAX_UPLOAD:,})", 413)


def read_upload(data, filename, task):
    """The uploaded bytes read by `task.read` exactly as `toolkit predict` reads a file; errors
    name the upload, not the temporary file."""
    from toolkit.data.images import ImageError

    check_size(data, filename)
    suffix = pathlib.Path(filename or "upload").suffix.lower()[:8]
    with tempfile.TemporaryDirectory(prefix="toolkit-serve-") as folder:
        path = pathlib.Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            return task.read(path)
        except ImageError as error:
            message = str(error).replace(str(path), filename or "upload")
            raise ApiError(message, 413 if "too large" in message else 400) from None


def png(array):
    """A 2-D (gray) or 3-D (RGB) array in [0, 1] or uint8 as a base64 PNG data URL."""
    from PIL import Image

    pixels = np.asarray(array)
    if pixels.dtype != np.uint8:
        pixels = (np.clip(pixels, 0, 1) * 255).round().astype("uint8")
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def quantized(array):
    """An array as 8-bit numbers between its minimum and maximum: {"shape", "low", "high",
    "data" (base64 bytes)}; the page scales them back."""
    values = np.asarray(array, "float32")
    low, high = float(values.min()), float(values.max())
    scaled = np.zeros(values.shape, "uint8") if high <= low else ((values - low) / (high - low) * 255).round()
    return {"shape": list(values.shape), "low": low, "high": high,
            "data": base64.b64encode(scaled.astype("uint8").tobytes()).decode()}  # fmt: skip
