"""Export: a shipped weight or a run folder as a file to deploy without the toolkit.

Formats: ONNX (through tf2onnx, as Keras's `Model.export` does), LiteRT (a `.tflite` file that
`ai-edge-litert` runs), a TensorFlow SavedModel folder, and the Keras format. Each file is run
once written, on real inputs of its task, and compared with Keras: the largest absolute
difference is recorded, and above `TOLERANCE` the file is removed and the export fails. A JSON
beside the file (PATH.json) says how to feed it: input and output names and shapes (NHWC), the
preprocessing a caller applies, the labels.
"""

import importlib.metadata
import pathlib

import numpy as np

from toolkit import catalog, hub, tasks
from toolkit.files import read_json, write_json, written, written_folder

FORMATS = {"onnx": ".onnx", "litert": ".tflite", "saved_model": "", "keras": ".keras"}
TOLERANCE = 1e-4


class ExportError(ValueError):
    """A model that cannot be exported in a format, or an export that does not match Keras."""


def exporter_version():
    """The converter an ONNX file comes from, with its version (part of the ONNX cache's key)."""
    try:
        return f"tf2onnx-{importlib.metadata.version('tf2onnx')}"
    except importlib.metadata.PackageNotFoundError:
        return "tf2onnx-none"


def default_path(weights_id, fmt):
    """Where `toolkit export` writes without -o: the weights' name and the format's suffix, here."""
    name = pathlib.Path(weights_id).name  # a catalog id, or a run folder's (or weights file's) name
    return pathlib.Path(f"{name.removesuffix('.weights.h5')}{FORMATS[fmt] or '.saved_model'}")


def _recurrent(network):
    import keras

    return any(isinstance(layer, keras.layers.RNN) for layer in network._flatten_layers())


def export(weights_id, fmt, path=None, *, data_dir=None, replace=False):
    """Write the model of `weights_id` (catalog id or run folder) as `fmt` to `path`, check it
    against Keras on real inputs of its task, and describe it in PATH.json; returns that description.

    Raises:
        ExportError: for a format the model cannot take, or an export whose outputs differ.
        FileExistsError: `path` or PATH.json exists and `replace` is false.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = pathlib.Path(path or default_path(weights_id, fmt))
    if FORMATS[fmt] and path.suffix != FORMATS[fmt]:
        raise ExportError(f"a {fmt} file's name ends in {FORMATS[fmt]}: {path} does not")
    sidecar = path.with_name(path.name + ".json")
    for target in (path, sidecar):
        if target.exists() and not replace:
            raise FileExistsError(f"{target} exists; pass --force to replace it")
    if fmt == "saved_model" and path.exists() and not _exported_here(sidecar, fmt):  # replacing it deletes a folder
        raise ExportError(f"{path} is not a SavedModel the toolkit exported; it is kept as it is (choose another -o)")
    item = catalog.entry(weights_id)
    task = tasks.task_for(weights_id)
    network = task.deployable(hub.load_pretrained(weights_id))
    inputs = task.example_inputs(network, data_dir)
    expected = np.asarray(network(inputs if len(inputs) > 1 else inputs[0], training=False))  # a called model exports
    fixed_batch = fmt == "litert" and _recurrent(network)
    if fixed_batch:  # a recurrent net with a free batch size needs TensorFlow ops no LiteRT interpreter here runs
        inputs, expected = [a[:1] for a in inputs], expected[:1]
    writer = written_folder if fmt == "saved_model" else written
    with writer(path, replace=replace) as temporary:
        _write(network, fmt, temporary, fixed_batch)
        outputs, names, output_names = RUNNERS[fmt](temporary, network, inputs)
        difference = float(np.max(np.abs(outputs - expected)))
        if not difference <= TOLERANCE:
            raise ExportError(f"the {fmt} export of {weights_id} differs from Keras by {difference:.3g} (more than"
                              f" {TOLERANCE:g}) on real inputs of its task; nothing was written")  # fmt: skip
    description = {
        "weights": weights_id,
        "weights_sha256": catalog.recorded_hash(item),
        "format": fmt,
        "file": path.name,
        "sha256": catalog.file_hash(path) if path.is_file() else None,
        "exporter": exporter_version() if fmt == "onnx" else f"keras-{importlib.metadata.version('keras')}",
        "inputs": [{"name": name, "shape": _shape(t.shape, fixed_batch), "dtype": str(t.dtype)}
                   for name, t in zip(names, network.inputs)],  # fmt: skip
        "outputs": [{"name": output_names[0], "shape": _shape(network.outputs[0].shape, fixed_batch), "dtype": "float32"}],
        "layout": "NHWC" if len(network.inputs[0].shape) == 4 else "batch first",
        "preprocessing": task.input_note(network),
        "labels": item.get("labels"),
        "task": item["task"],
        "task_settings": item.get("task_settings", {}),
        "max_abs_difference": difference,
        "checked_on": f"{len(inputs[0])} real inputs of the {item['task']} task",
    }
    if hasattr(network, "get_layer") and any(layer.name == "g_code" for layer in network.layers):
        description["codes"] = network.get_layer("g_code").codes  # an InfoGAN's categorical code
    write_json(sidecar, description, replace=replace)
    return description


def _exported_here(sidecar, fmt):
    try:
        return read_json(sidecar).get("format") == fmt
    except (OSError, ValueError, AttributeError):
        return False


def _shape(shape, fixed_batch):
    return [1 if fixed_batch and i == 0 else s for i, s in enumerate(shape)]


def _write(network, fmt, temporary, fixed_batch):
    import contextlib
    import io
    import logging
    import warnings

    logging.getLogger("tf2onnx").setLevel(logging.CRITICAL)  # an op it cannot convert fails the check, in one line
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():  # the converters' own chatter
        warnings.simplefilter("ignore", FutureWarning)
        if fmt == "keras":
            network.save(temporary)
        elif fmt == "saved_model":
            network.export(str(temporary), format="tf_saved_model", verbose=False)
        elif fmt == "onnx":
            network.export(str(temporary), format="onnx", verbose=False)
        else:
            import tensorflow as tf

            signature = None
            if fixed_batch:
                signature = [tf.TensorSpec((1, *t.shape[1:]), t.dtype, name=t.name) for t in network.inputs]
            network.export(str(temporary), format="litert", verbose=False, input_signature=signature)


def _run_onnx(path, network, inputs):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))[0], names, [o.name for o in session.get_outputs()]


def _run_litert(path, network, inputs):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    details = interpreter.get_input_details()
    by_name = {}  # the file's inputs, in the order of the network's (the file may list them otherwise)
    for tensor in network.inputs:
        by_name[tensor.name] = next(d for d in details if d["name"].split(":")[0] in (tensor.name, f"serving_default_{tensor.name}"))
    for tensor, array in zip(network.inputs, inputs):
        interpreter.resize_tensor_input(by_name[tensor.name]["index"], array.shape)
    interpreter.allocate_tensors()
    for tensor, array in zip(network.inputs, inputs):
        interpreter.set_tensor(by_name[tensor.name]["index"], array)
    interpreter.invoke()
    output = interpreter.get_output_details()[0]
    return interpreter.get_tensor(output["index"]), [by_name[t.name]["name"] for t in network.inputs], [output["name"]]


def _run_saved_model(path, network, inputs):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    outputs = np.asarray(loaded.serve(inputs if len(inputs) > 1 else inputs[0]))
    return outputs, [t.name for t in network.inputs], ["output_0"]  # the names of its `serve` signature


def _run_keras(path, network, inputs):
    import keras

    try:
        loaded = keras.saving.load_model(path, compile=False)
    except (TypeError, ValueError):
        raise ExportError(f"{network.name}'s layers cannot be rebuilt from a .keras file; export it as onnx,"
                          " litert or saved_model, or load its weights with toolkit.build_model") from None  # fmt: skip
    outputs = np.asarray(loaded(inputs if len(inputs) > 1 else inputs[0], training=False))
    return outputs, [t.name for t in network.inputs], [t.name for t in loaded.outputs]


RUNNERS = {"onnx": _run_onnx, "litert": _run_litert, "saved_model": _run_saved_model, "keras": _run_keras}
