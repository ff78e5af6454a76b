"""Runtimes: the same predictions through Keras, or through ONNX Runtime without TensorFlow.

`load_model(weights_id, runtime)` gives the Keras model, or an `OnnxModel` that answers the calls
the tasks make of a model (`model(batch)`, `predict_on_batch`, `input_shape`), so a task's
preprocessing and answers are the same code for both. The ONNX form of a weight is the file
shipped beside it (the catalog's `onnx` field), or one `toolkit.export` wrote into the cache on
first use, named by the weights' sha256 and the exporter's version. A file whose sha256 does not
match is never used.
"""

import logging
import os
import pathlib

import numpy as np

from toolkit import catalog

RUNTIMES = ("auto", "onnx", "keras")
log = logging.getLogger(__name__)


class RuntimeUnavailable(RuntimeError):
    """No ONNX form of a weight can be had here."""


def cache_dir():
    """Where ONNX forms exported on first use are kept (beside Keras's own cache)."""
    return catalog.keras_home() / "toolkit" / "onnx"


class OnnxModel:
    """An ONNX file seen as the part of a Keras model the tasks use."""

    def __init__(self, path, description):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [(i.name, spec["dtype"]) for i, spec in zip(self.session.get_inputs(), description["inputs"])]
        self.input_shape = tuple(description["inputs"][0]["shape"])
        self.name = description["weights"]
        self.codes = description.get("codes")  # an InfoGAN's categorical code
        self.path = pathlib.Path(path)

    def __call__(self, inputs, training=False):
        arrays = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        feed = {name: np.asarray(array, dtype) for (name, dtype), array in zip(self.inputs, arrays)}
        return self.session.run(None, feed)[0]

    def predict_on_batch(self, inputs):
        return self(inputs)

    @property
    def sampler(self):  # a GAN's ONNX form is its sampler already
        return self


def cached_path(weights_id):
    """The cache's ONNX file for `weights_id` (whether or not it exists yet)."""
    from toolkit.export import exporter_version

    return cache_dir() / f"{catalog.recorded_hash(catalog.entry(weights_id))}-{exporter_version()}.onnx"


def onnx_form(weights_id, create=False):
    """(path, description) of a checked ONNX form of `weights_id`, or None when there is none (and
    `create` is false). With `create`, one is exported into the cache (this needs TensorFlow once).

    Raises:
        RuntimeUnavailable: the form is missing, damaged, or cannot be exported.
    """
    from toolkit.files import read_json

    item = catalog.entry(weights_id)
    try:
        shipped = catalog.shipped_onnx(item)
    except catalog.WeightsError as error:
        raise RuntimeUnavailable(f"{weights_id}: {error}") from None
    if shipped:
        return shipped, read_json(shipped.with_name(shipped.name + ".json"))
    if not catalog.recorded_hash(item):
        raise RuntimeUnavailable(f"{weights_id}: its weights have no recorded sha256 to name an ONNX form by")
    path = cached_path(weights_id)
    sidecar = path.with_name(path.name + ".json")
    if path.exists() and sidecar.exists():
        description = read_json(sidecar, RuntimeUnavailable)
        if catalog.file_hash(path) == description.get("sha256"):
            return path, description
        log.warning("%s does not match its recorded sha256; exporting it again", path)
    if not create:
        return None
    from toolkit.export import ExportError, export

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path, export(weights_id, "onnx", path, replace=True)
    except (ExportError, ImportError, OSError, ValueError) as error:
        raise RuntimeUnavailable(f"{weights_id}: no ONNX form could be exported ({error})") from None


def load_model(weights_id, runtime="auto"):
    """The model of `weights_id` on `runtime`: "keras", "onnx" (exported into the cache on first
    use), or "auto": ONNX Runtime where it is installed and an ONNX form is or can be had, else Keras.

    Raises:
        RuntimeUnavailable: `runtime="onnx"` and no ONNX form can be had.
    """
    from toolkit import hub

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}. Received: runtime={runtime!r}")
    if runtime == "keras":
        return hub.load_pretrained(weights_id)
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        if runtime == "onnx":
            raise RuntimeUnavailable("the onnx runtime needs the onnxruntime package (pip install onnxruntime)") from None
        return hub.load_pretrained(weights_id)
    try:
        path, description = onnx_form(weights_id, create=True)
    except RuntimeUnavailable as reason:
        if runtime == "onnx":
            raise
        log.debug("%s; predicting with Keras", reason)
        return hub.load_pretrained(weights_id)
    return OnnxModel(path, description)
