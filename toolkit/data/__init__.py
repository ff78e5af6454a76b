"""Loaders that turn what a user has into tensors: IDX files, image files, folders, CSV series."""

from toolkit.data.paths import DataNotFoundError, data_dir

__all__ = ["DataNotFoundError", "data_dir"]
