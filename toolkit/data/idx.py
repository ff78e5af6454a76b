"""The IDX format of MNIST (LeCun's): a magic number, the sizes, then the raw bytes.

http://yann.lecun.com/exdb/mnist/ -- magic 0x00000803 for images (uint8, 3 dimensions) and
0x00000801 for labels (uint8, 1 dimension); sizes are big-endian 32-bit integers.
"""

import gzip
import struct
import zlib

import numpy as np


class IDXError(ValueError):
    """An IDX file that is corrupt, truncated or not IDX at all."""


def read_idx(path, expected_dims=None):
    """Read an IDX file (gzip-compressed or raw) into a numpy array.

    Raises:
        IDXError: on a wrong magic number, an unexpected number of dimensions, or a size that
            does not match the header (a truncated or padded file).
    """
    path = str(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise IDXError(f"{path}: the gzip stream is corrupt or truncated ({error})") from None
    if len(raw) < 4:
        raise IDXError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    zero, dtype_code, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise IDXError(f"{path}: not an IDX file of unsigned bytes (magic number {raw[:4].hex()})")
    if expected_dims is not None and dims != expected_dims:
        raise IDXError(f"{path}: expected {expected_dims} dimensions, the header says {dims}")
    header = 4 + 4 * dims
    if len(raw) < header:
        raise IDXError(f"{path}: truncated header")
    shape = struct.unpack(f">{dims}I", raw[4:header])
    size = int(np.prod(shape))
    if len(raw) - header != size:
        raise IDXError(
            f"{path}: the header promises {size:,} bytes of data for shape {shape}, the file has {len(raw) - header:,}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(path, array):
    """Write a uint8 array as a raw IDX file (used to make small test files)."""
    array = np.asarray(array, dtype=np.uint8)
    with open(path, "wb") as f:
        f.write(struct.pack(">HBB", 0, 0x08, array.ndim))
        f.write(struct.pack(f">{array.ndim}I", *array.shape))
        f.write(array.tobytes())
