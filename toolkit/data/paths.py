"""Where datasets live: the data directory given, else `$TOOLKIT_DATA`, else `~/.toolkit/data`."""

import os
import pathlib

from toolkit.errors import InputError


class DataNotFoundError(FileNotFoundError):
    """A dataset is not on disk and could not be fetched; the message says which files to put where."""


def data_dir(explicit=None):
    """The data directory in effect (it may not exist yet)."""
    if explicit:
        return pathlib.Path(explicit).expanduser()
    if os.environ.get("TOOLKIT_DATA"):
        return pathlib.Path(os.environ["TOOLKIT_DATA"]).expanduser()
    return pathlib.Path("~/.toolkit/data").expanduser()


def locate(name, explicit=None):
    """The dataset `name` names: the path itself when it exists (or is absolute), else `name`
    inside the data directory (`cifar10`, `membrane`, `series/airline-passengers.csv`)."""
    path = pathlib.Path(name).expanduser()
    if path.exists() or path.is_absolute():
        return path
    return data_dir(explicit) / path


def not_found(name, explicit=None, kind="folder", error=InputError):
    """The `error` to raise when `locate(name, explicit)` found nothing: where it looked, and which
    setting to change (the dataset given, or the data directory it was looked for in)."""
    path, root = pathlib.Path(name).expanduser(), data_dir(explicit)
    if path.is_absolute() and root not in path.parents:
        return error(f"{path}: no such {kind}", setting="data")
    name = path.relative_to(root) if path.is_absolute() else name
    message = f"{name}: no such {kind} here or in the data directory {root}; set $TOOLKIT_DATA or give another"
    return error(message, setting="data_dir")


def portable(path, explicit=None):
    """`path` relative to the data directory when it lies inside it, so recorded settings travel."""
    if not path:
        return path
    absolute = pathlib.Path(path).expanduser().resolve()
    try:
        return str(absolute.relative_to(data_dir(explicit).expanduser().resolve()))
    except ValueError:
        return str(absolute) if pathlib.Path(path).exists() else str(path)
