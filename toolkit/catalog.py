"""The weights catalog: one entry per `arch.tag` id (timm's naming, torchvision's metadata).

Each entry of `catalog.json` names its file (shipped with the package) or URL, the hash of that
file, the builder and its arguments, the task, preprocessing, label names, parameter count,
metrics keyed by dataset and split, and the exact seeded command that produced it. The catalog
is read once per process and checked against its schema; a file whose hash does not match is
never loaded. A finished run folder of `toolkit fit` reads as an entry too (its `entry.json`).

This module is a leaf: it imports nothing else of the toolkit.
"""

import copy
import dataclasses
import difflib
import fnmatch
import functools
import hashlib
import json
import os
import pathlib
import warnings

from toolkit.files import read_json, write_text


def _weights_dir():
    """Where the catalog lives: $TOOLKIT_WEIGHTS, else the package's own copy (an installed wheel
    holds it as toolkit/weights), else the checkout's top-level weights/."""
    if os.environ.get("TOOLKIT_WEIGHTS"):
        return pathlib.Path(os.environ["TOOLKIT_WEIGHTS"])
    package = pathlib.Path(__file__).resolve().parent
    installed = package / "weights"
    return installed if (installed / "catalog.json").exists() else package.parent / "weights"


WEIGHTS_DIR = _weights_dir()
CATALOG = WEIGHTS_DIR / "catalog.json"
RUN_ENTRY = "entry.json"  # the catalog entry a finished run folder writes for itself


class WeightsError(ValueError):
    """An unknown id, a missing file, a malformed catalog, or a file whose hash does not match."""


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a catalog entry: its types and whether every entry has it."""

    types: tuple
    required: bool = True


SCHEMA = {
    "arch": Field((str,)),
    "build": Field((dict,)),
    "task": Field((str,)),
    "task_settings": Field((dict,)),
    "file": Field((str,)),
    "url": Field((str, type(None)), required=False),
    "sha256": Field((str,), required=False),
    "md5": Field((str,), required=False),  # only where Keras publishes an md5 for a canonical file
    "file_size": Field((int,), required=False),
    "params": Field((int,)),
    "description": Field((str,)),
    "preprocessing": Field((str,)),
    "labels": Field((list, type(None))),
    "metrics": Field((dict,)),
    "published_metrics": Field((dict,), required=False),
    "floor": Field((dict,), required=False),
    "recipe": Field((dict,)),
    "history": Field((dict,), required=False),
    "run": Field((str,), required=False),  # run folders only
    "onnx": Field((dict,), required=False),  # an ONNX form shipped beside the weights: file, sha256, exporter
}
DESCRIPTION_LIMIT = 200  # one short sentence


def check_entry(weights_id, item, *, shipped=True):
    """Raise `WeightsError` naming the entry and the field that breaks the schema."""
    if not isinstance(item, dict):
        raise WeightsError(f"catalog entry {weights_id!r} is not an object")
    for name in item:
        if name not in SCHEMA:
            raise WeightsError(f"catalog entry {weights_id!r}: unknown field {name!r}")
    for name, field in SCHEMA.items():
        if name not in item:
            if field.required:
                raise WeightsError(f"catalog entry {weights_id!r}: missing field {name!r}")
            continue
        if not isinstance(item[name], field.types) or isinstance(item[name], bool):
            kinds = " or ".join("null" if t is type(None) else t.__name__ for t in field.types)
            raise WeightsError(f"catalog entry {weights_id!r}: field {name!r} must be {kinds}")
    if shipped:
        if not (item.get("sha256") or item.get("md5")):
            raise WeightsError(f"catalog entry {weights_id!r}: field 'sha256' is missing")
        if len(item["description"]) > DESCRIPTION_LIMIT or "\n" in item["description"]:
            raise WeightsError(f"catalog entry {weights_id!r}: field 'description' must be one short sentence")
        if "command" not in item["recipe"]:
            raise WeightsError(f"catalog entry {weights_id!r}: field 'recipe' has no 'command'")


def load_catalog():
    """The catalog as a dict of id -> entry (a copy), read once per process (again only after it changes).

    Raises:
        WeightsError: when the catalog is missing or an entry breaks the schema.
    """
    return copy.deepcopy(_entries())  # callers may change theirs


def _entries():
    """The cached catalog itself, for reads inside this module (never handed out)."""
    try:
        stat = CATALOG.stat()
    except OSError:
        raise WeightsError(
            f"the weights catalog {CATALOG} is missing: the toolkit is installed without its weights"
            " (reinstall it, or point TOOLKIT_WEIGHTS at a folder holding catalog.json)"
        ) from None
    return _read_catalog(str(CATALOG), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_catalog(path, _modified, _size):
    try:
        catalog = json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError) as error:
        raise WeightsError(f"the weights catalog {path} cannot be read: {error}") from None
    if not isinstance(catalog, dict):
        raise WeightsError(f"the weights catalog {path} is not an object of id -> entry")
    for weights_id, item in catalog.items():
        check_entry(weights_id, item)
    return catalog


def save_catalog(catalog):
    """Write the catalog (sorted by id), atomically."""
    for weights_id, item in catalog.items():
        check_entry(weights_id, item)
    write_text(CATALOG, json.dumps(dict(sorted(catalog.items())), indent=2) + "\n", replace=True)


def close_matches(name, names):
    """Up to three of `names` that look like `name`, ignoring case: the "Did you mean" of an error."""
    lowered = {known.lower(): known for known in names}
    return [lowered[match] for match in difflib.get_close_matches(name.lower(), lowered, n=3, cutoff=0.5)]


def list_weights(pattern="*", task=None):
    """Ids of the catalog entries matching a shell-style `pattern`, optionally for one task."""
    return [
        weights_id
        for weights_id, item in _entries().items()
        if fnmatch.fnmatch(weights_id, pattern) and task in (None, item["task"])
    ]


def entry(weights_id):
    """The catalog entry of `weights_id` (a copy), or of a finished run folder.

    Raises:
        WeightsError: for an unknown id, suggesting close ones.
    """
    if os.path.isdir(weights_id):
        return run_entry(weights_id)
    if os.path.isfile(weights_id):  # a weights file of a run: the run's entry, with this file
        folder = pathlib.Path(weights_id).parent
        if not (folder / RUN_ENTRY).exists():
            raise WeightsError(
                f"{weights_id} is a weights file without its model: give the run folder of `toolkit fit` that"
                f" holds it (with its {RUN_ENTRY}), or a catalog id"
            )
        item = run_entry(folder)
        if pathlib.Path(weights_id).resolve() != pathlib.Path(item["file"]):
            item.pop("sha256", None)  # another file than the one the run recorded
        return {**item, "file": str(pathlib.Path(weights_id).resolve())}
    catalog = _entries()
    if weights_id not in catalog:
        close = close_matches(weights_id, catalog)
        hint = f" Did you mean {', '.join(close)}?" if close else " See `toolkit weights list`."
        raise WeightsError(f"Unknown weights {weights_id!r}.{hint}")
    return copy.deepcopy(catalog[weights_id])


def run_entry(run_dir):
    """A finished run folder read as a catalog entry, so `--weights runs/mine` works everywhere.

    The run wrote its entry when it ended; its best weights are the user's own, so not hashed.
    """
    run_dir = pathlib.Path(run_dir)
    if not (run_dir / "config.json").exists():
        raise WeightsError(f"{run_dir} is not a run folder of `toolkit fit` or the benchmarks (no config.json)")
    if not (run_dir / "metrics.json").exists():
        raise WeightsError(f"{run_dir} holds an unfinished run (no metrics.json); finish it first")
    if not (run_dir / RUN_ENTRY).exists():
        raise WeightsError(f"{run_dir} has no {RUN_ENTRY}: it was not finished by this version of the toolkit")
    item = read_json(run_dir / RUN_ENTRY, WeightsError)
    check_entry(str(run_dir), item, shipped=False)
    item["file"] = str(run_dir.resolve() / item["file"])
    item["run"] = str(run_dir.resolve())
    return item


def expected_hash(item):
    """(algorithm, hex digest) an entry promises: sha256 for the toolkit's files, md5 where Keras publishes one."""
    return ("sha256", item["sha256"]) if item.get("sha256") else ("md5", item["md5"])


def recorded_hash(item):
    """The digest an entry (or a run) records of its weights file; None where a run's was deleted."""
    return item.get("sha256") or item.get("md5")


def shipped_onnx(item):
    """The path of the ONNX form shipped beside an entry's weights, checked against its sha256;
    None where the entry has none.

    Raises:
        WeightsError: the file is missing or does not match.
    """
    onnx = item.get("onnx")
    if not onnx:
        return None
    path = WEIGHTS_DIR / onnx["file"]
    if not path.exists() or file_hash(path) != onnx["sha256"]:
        raise WeightsError(f"its ONNX form {path} is missing or does not match its sha256")
    return path


def file_hash(path, algorithm="sha256"):
    """The hex digest of a file by `algorithm` (any of hashlib's)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keras_home():
    """Keras's own folder for downloads and caches ($KERAS_HOME, else ~/.keras)."""
    return pathlib.Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser()


def _cache_dir():
    return keras_home() / "models"


def weights_file(weights_id):
    """The local path of the weights file, downloaded once (into the Keras cache) if it has a URL.

    Raises:
        WeightsError: when the file is missing or its hash does not match the catalog.
    """
    item = entry(weights_id)
    if item.get("run"):  # a run of the user's own: checked against the hash it recorded when it ended
        path = pathlib.Path(item["file"])
        if item.get("sha256") and file_hash(path) != item["sha256"]:
            raise WeightsError(
                f"{path} has changed since its run ended; if you changed it yourself, delete the sha256 line"
                f" of {pathlib.Path(item['run']) / RUN_ENTRY} to accept it"
            )
        return path
    local = WEIGHTS_DIR / item["file"]
    algorithm, expected = expected_hash(item)
    if local.exists():
        path = local
    elif item.get("url"):
        import keras

        cache = _cache_dir()
        cache.mkdir(parents=True, exist_ok=True)  # else Keras falls back to /tmp/.keras
        try:
            path = pathlib.Path(
                keras.utils.get_file(
                    item["file"],
                    origin=item["url"],
                    file_hash=expected,
                    cache_subdir="models",
                    cache_dir=str(cache.parent),
                )
            )
        except Exception as error:
            reason = str(error).splitlines()[0][:120] if str(error).strip() else type(error).__name__
            raise WeightsError(
                f"{weights_id}: cannot get {item['file']} with the expected hash ({reason}); "
                f"download {item['url']} and put it in {cache}"
            ) from None
    else:
        raise WeightsError(f"{weights_id}: the file {local} is missing")
    actual = file_hash(path, algorithm)
    if actual != expected:
        raise WeightsError(
            f"{weights_id}: {path} has {algorithm} {actual[:12]}..., the catalog expects"
            f" {expected[:12]}...; refusing to load it"
        )
    return path


def is_available(weights_id):
    """Whether the file of an entry is on this machine (shipped, or already in the Keras cache)."""
    item = entry(weights_id)
    return (WEIGHTS_DIR / item["file"]).exists() or (_cache_dir() / item["file"]).exists()


def build_args(item):
    """The builder's keyword arguments recorded in a catalog entry."""
    return {k: tuple(v) if k == "input_shape" else v for k, v in item.get("build", {}).items()}


def load_file(model, path):
    """`model.load_weights(path)`, with an error that names the file when it is not a weights file.

    Raises:
        WeightsError: for a file HDF5 cannot read (truncated, corrupt, not HDF5 at all).
    """
    try:
        model.load_weights(str(path))
    except OSError as error:
        reason = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
        raise WeightsError(f"{path}: not a readable weights file ({reason})") from None


def load_into(model, weights_id):
    """Load the catalog weights `weights_id` into an already built `model` (hash checked).

    Raises:
        WeightsError: when the weights were trained for another model or other build arguments.
    """
    path = weights_file(weights_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            load_file(model, path)
            # Keras only warns when it skips a part of the model, which then keeps random weights
            fits = not any("Skipping" in str(warning.message) for warning in caught)
        except WeightsError:
            raise
        except ValueError:
            fits = False
    if not fits:
        item = entry(weights_id)
        built = ", ".join(f"{k}={v!r}" for k, v in item.get("build", {}).items())
        raise WeightsError(
            f"{weights_id} does not fit this {model.name}: it holds the weights of"
            f" build_model({', '.join([repr(item['arch'])] + ([built] if built else []))})."
        ) from None
