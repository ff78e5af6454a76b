"""Load torchvision's ImageNet state dicts into the toolkit's torchvision-variant builders.

`read_state_dict` reads a PyTorch checkpoint (the zip format of `torch.save`, as torchvision's
weight files are) with NumPy alone: its unpickler accepts only tensors, storages and ordered
dicts, so a checkpoint cannot run code. `convert` maps the tensors onto `alexnet_torchvision` or
`googlenet_torchvision`: convolution kernels from (out, in, h, w) to (h, w, in, out), dense
kernels transposed (AlexNet's first one also reordered from channels-first flattening), batch
norm's weight, bias, running mean and variance to gamma, beta and the moving statistics.
"""

import collections
import pickle
import struct
import zipfile
import zlib

import numpy as np

STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16, "LongStorage": np.int64,
    "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}  # fmt: skip
ARCHS = ("alexnet_torchvision", "googlenet_torchvision")


class ConvertError(ValueError):
    """A file that is not a PyTorch state dict, or one that does not fit the architecture."""


def _rebuild_tensor(storage, offset, size, stride, *_):
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    if len(size) != len(stride) or min((offset, *size, *stride), default=0) < 0:
        raise ConvertError(f"a tensor of size {size} and stride {stride} is malformed")
    if all(size) and offset + sum((n - 1) * step for n, step in zip(size, stride)) >= len(storage):
        raise ConvertError(f"a tensor of size {size} reaches past the end of its storage")  # never read beyond it
    itemsize = storage.dtype.itemsize
    return np.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                           strides=tuple(n * itemsize for n in stride)).copy()  # fmt: skip


class _StateDictUnpickler(pickle.Unpickler):
    ALLOWED = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): lambda data, *_: data,
    }

    def __init__(self, file, archive, prefix):
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return self.ALLOWED[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise ConvertError(f"the checkpoint holds {module}.{name}, which a state dict of tensors never does")

    def persistent_load(self, pid):
        _, dtype, key, _, numel = pid  # ("storage", storage type, key, location, size)
        data = self.archive.read(f"{self.prefix}/data/{key}")
        return np.frombuffer(data, dtype=dtype, count=numel)


def read_state_dict(path):
    """The tensors of a PyTorch checkpoint as a dict of NumPy arrays (no PyTorch needed).

    Raises:
        ConvertError: for a file that is not a zip-format PyTorch checkpoint of tensors.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
            if len(pickles) != 1:
                raise ConvertError("not a PyTorch checkpoint (no data.pkl inside)")
            prefix = pickles[0][: -len("/data.pkl")]
            with archive.open(pickles[0]) as f:
                state = _StateDictUnpickler(f, archive, prefix).load()
    except ConvertError as error:
        raise ConvertError(f"{path}: {error}") from None
    except zipfile.BadZipFile as error:
        raise ConvertError(f"{path}: not a PyTorch checkpoint (torch.save's zip format): {error}") from None
    except (pickle.UnpicklingError, OSError, EOFError, zlib.error, NotImplementedError, KeyError, ValueError,
            TypeError, IndexError, AttributeError, struct.error, RecursionError) as error:  # fmt: skip
        reason = str(error).splitlines()[0][:120] if str(error).strip() else type(error).__name__
        raise ConvertError(f"{path}: cannot read its tensors ({reason})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, np.ndarray) for v in state.values()):
        raise ConvertError(f"{path}: not a state dict of tensors")
    return dict(state)


def _alexnet_names():
    """torchvision module path -> Keras layer name for AlexNet."""
    convs = dict(zip(("features.0", "features.3", "features.6", "features.8", "features.10"),
                     ("conv1", "conv2", "conv3", "conv4", "conv5")))  # fmt: skip
    return convs | {"classifier.1": "fc1", "classifier.4": "fc2", "classifier.6": "predictions"}


def _keras_weights(state, arch, model):
    """{Keras layer name: [arrays in the layer's weight order]} from a torchvision state dict."""
    try:
        return _map_weights(dict(state), arch, model)
    except KeyError as error:
        raise ConvertError(f"not a torchvision {arch} state dict: it has no tensor {error}") from None


def _map_weights(state, arch, model):
    layers = {}
    if arch == "alexnet_torchvision":
        for module, layer in _alexnet_names().items():
            layers[layer] = [state.pop(f"{module}.weight"), state.pop(f"{module}.bias")]
        # torchvision flattens (channels, 6, 6); Keras flattens (6, 6, channels)
        fc1 = layers["fc1"][0]
        channels = model.get_layer("pool5").output.shape[-1]
        side = int(round((fc1.shape[1] / channels) ** 0.5))
        layers["fc1"][0] = fc1.reshape(-1, channels, side, side).transpose(0, 2, 3, 1).reshape(fc1.shape[0], -1)
    else:
        for key in [k for k in state if k.endswith(".conv.weight")]:
            module = key[: -len(".conv.weight")]
            name = module.replace(".", "_")
            layers[f"{name}_conv"] = [state.pop(key)]
            layers[f"{name}_bn"] = [
                state.pop(f"{module}.bn.{p}") for p in ("weight", "bias", "running_mean", "running_var")
            ]
            state.pop(f"{module}.bn.num_batches_tracked", None)
        layers["predictions"] = [state.pop("fc.weight"), state.pop("fc.bias")]
        for key in [k for k in state if k.startswith(("aux1.", "aux2."))]:
            state.pop(key)  # the auxiliary heads only help training
    if state:
        raise ConvertError(f"{len(state)} tensors fit no layer of {arch}, e.g. {sorted(state)[0]!r}")
    converted = {}
    for name, arrays in layers.items():
        kernel = arrays[0]
        if kernel.ndim == 4:
            arrays[0] = kernel.transpose(2, 3, 1, 0)
        elif kernel.ndim == 2:
            arrays[0] = kernel.T
        converted[name] = [np.asarray(a, "float32") for a in arrays]
    return converted


def convert(state_dict, arch, num_classes=None):
    """A Keras `arch` model holding the weights of a torchvision state dict.

    Raises:
        ConvertError: when the tensors do not fit the architecture (names or shapes).
    """
    from toolkit import hub

    if arch not in ARCHS:
        raise ConvertError(f"convert knows {', '.join(ARCHS)}. Received: arch={arch!r}")
    state = dict(state_dict)
    head = state.get("classifier.6.weight", state.get("fc.weight"))
    if head is None:
        raise ConvertError(f"not a torchvision {arch.split('_')[0]} state dict (no classifier weights)")
    model = hub.build_model(arch, num_classes=num_classes or head.shape[0])
    weights = _keras_weights(state, arch, model)
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in weights:
            raise ConvertError(f"the state dict has no weights for {arch}'s layer {layer.name!r}")
        arrays = weights.pop(layer.name)
        expected = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in arrays] != expected:
            raise ConvertError(f"{layer.name}: shapes {[a.shape for a in arrays]} do not fit {expected}")
        layer.set_weights(arrays)
    if weights:
        raise ConvertError(f"no layer of {arch} is named {sorted(weights)[0]!r}")
    return model
