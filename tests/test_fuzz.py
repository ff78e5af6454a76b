"""Fuzzing the loaders of what users hand in: byte-level mutations of real files (Hypothesis).

Each loader either reads a mutated file or refuses it with its own one-line error; nothing else
escapes. The profiles are in conftest.py: by default a fixed set of examples (the same in every
run, so CI does not flake); `pytest tests/test_fuzz.py --hypothesis-profile long` tries many more.
"""

import gzip
import io
import json
import pickle
import shutil
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.conftest import ROOT


@st.composite
def mutations(draw, original):
    """`original` bytes with up to four byte flips, insertions, deletions or a truncation."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


def read_or_refused(read, refusal, naming=None):
    """What `read()` returns, or None where it refuses with a one-line `refusal` (naming `naming`)."""
    try:
        return read()
    except refusal as error:
        text = str(error).strip()
        assert text and "\n" not in text, repr(text)
        assert naming is None or str(naming) in text, text
        return None


def saved(tmp_path_factory, name, data):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    return path


# -- images: every format Pillow writes, from an image the project drew --------------------------
def _image_bytes(fmt):
    image = Image.open(ROOT / "samples" / "3.png").convert("RGB").resize((24, 24))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


IMAGES = {fmt: _image_bytes(fmt) for fmt in ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP")}


@pytest.mark.parametrize("fmt", sorted(IMAGES))
def test_mutated_images_are_read_or_refused_in_one_line(fmt, tmp_path_factory):
    from toolkit.data.images import ImageError, read_image

    @given(mutations(IMAGES[fmt]))
    def check(data):
        path = saved(tmp_path_factory, f"image.{fmt.lower()}", data)
        array = read_or_refused(lambda: read_image(path, "RGB"), ImageError, naming=path)
        assert array is None or (array.dtype == np.uint8 and array.ndim == 3)

    check()


def test_mutated_masks_are_read_or_refused_in_one_line(tmp_path_factory):
    from toolkit.data.masks import MaskError, read_mask

    buffer = io.BytesIO()
    Image.fromarray((np.arange(24 * 24).reshape(24, 24) % 7 == 0).astype("uint8") * 255).save(buffer, format="PNG")

    @given(mutations(buffer.getvalue()))
    def check(data):
        mask = read_or_refused(lambda: read_mask(saved(tmp_path_factory, "mask.png", data), (24, 24)), MaskError)
        assert mask is None or set(np.unique(mask)) <= {0, 1}

    check()


def test_mutated_segmentation_pairs_are_read_or_refused_in_one_line(data_dir, tmp_path_factory):
    """A real membrane slice and its mask (shrunk, as PNG) in the image/ and label/ layout, one of them damaged."""
    from toolkit.data.masks import MaskError, find_pairs, load_pairs

    def png(path):
        buffer = io.BytesIO()
        Image.open(path).convert("L").resize((64, 64), Image.NEAREST).save(buffer, format="PNG")
        return buffer.getvalue()

    source = data_dir / "membrane" / "train"
    image_path = sorted((source / "image").iterdir())[0]
    originals = {"image": png(image_path), "label": png(source / "label" / image_path.name)}

    @given(st.sampled_from(["image", "label"]), st.data())
    def check(damaged, data):
        folder = tmp_path_factory.mktemp("pairs")
        for kind, content in originals.items():
            (folder / kind).mkdir()
            bytes_ = data.draw(mutations(content)) if kind == damaged else content
            (folder / kind / "0.png").write_bytes(bytes_)
        loaded = read_or_refused(lambda: load_pairs(find_pairs(folder)), MaskError)
        assert loaded is None or loaded[0][0].shape == loaded[1][0].shape

    check()


# -- IDX files: the first real MNIST test images ------------------------------------------------------
def test_mutated_idx_files_are_read_or_refused_in_one_line(data_dir, tmp_path_factory):
    from toolkit.data.idx import IDXError, read_idx, write_idx

    with gzip.open(data_dir / "mnist" / "t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16)[: 8 * 28 * 28].reshape(8, 28, 28)
    source = tmp_path_factory.mktemp("idx") / "images-idx3-ubyte"
    write_idx(source, images)
    original = source.read_bytes()

    @given(mutations(original), st.booleans())
    def check(data, compressed):
        path = saved(tmp_path_factory, "images-idx3-ubyte" + (".gz" if compressed else ""),
                     gzip.compress(data) if compressed else data)  # fmt: skip
        array = read_or_refused(lambda: read_idx(path, expected_dims=3), IDXError, naming=path)
        assert array is None or array.ndim == 3

    check()


# -- CSV series: a real one ---------------------------------------------------------------------------
def test_mutated_series_are_read_or_refused_in_one_line(data_dir, tmp_path_factory):
    from toolkit.data.series import SeriesError, read_series

    original = (data_dir / "series" / "airline-passengers.csv").read_bytes()

    @given(mutations(original))
    def check(data):
        series = read_or_refused(lambda: read_series(saved(tmp_path_factory, "series.csv", data)), SeriesError)
        assert series is None or (np.isfinite(series.values).all() and len(series.values) >= 2)

    check()


# -- run folders: the JSON a finished run leaves ----------------------------------------------------
def test_mutated_run_entries_are_read_or_refused_in_one_line(tmp_path_factory):
    from toolkit import catalog

    run = tmp_path_factory.mktemp("run")
    item = {**catalog.entry("lenet5.mnist"), "file": "best.weights.h5"}
    item.pop("sha256")
    for name in ("config.json", "metrics.json"):
        (run / name).write_text("{}")
    shutil.copy(catalog.WEIGHTS_DIR / catalog.entry("lenet5.mnist")["file"], run / "best.weights.h5")
    original = json.dumps(item, indent=2).encode()

    @given(mutations(original))
    def check(data):
        (run / catalog.RUN_ENTRY).write_bytes(data)
        loaded = read_or_refused(lambda: catalog.entry(str(run)), catalog.WeightsError)
        assert loaded is None or loaded["arch"]

    check()


@given(st.sampled_from(["arch", "build", "task", "file", "labels", "params", "metrics", "recipe", "description"]),
       st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))  # fmt: skip
def test_catalog_entries_with_fields_of_any_type_are_checked_in_one_line(field, value):
    from toolkit import catalog

    item = catalog.entry("lenet5.mnist")
    item[field] = value
    read_or_refused(lambda: catalog.check_entry("lenet5.mnist", item), catalog.WeightsError, naming="lenet5.mnist")


# -- PyTorch checkpoints: read without unpickling anything but tensors ---------------------------------
def test_mutated_state_dicts_are_read_or_refused_in_one_line(tmp_path_factory):
    from toolkit.convert import ConvertError, read_state_dict

    original = (ROOT / "tests" / "fixtures" / "googlenet_stem.pth").read_bytes()

    @given(mutations(original))
    def check(data):
        state = read_or_refused(lambda: read_state_dict(saved(tmp_path_factory, "model.pth", data)), ConvertError)
        assert state is None or all(isinstance(v, np.ndarray) for v in state.values())

    check()


class _Hostile:
    def __reduce__(self):
        import os

        return os.system, ("touch HACKED",)


def test_a_hostile_checkpoint_is_refused_never_unpickled(tmp_path, monkeypatch):
    from toolkit.convert import ConvertError, read_state_dict

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "hostile.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"conv1.weight": _Hostile()}))
    with pytest.raises(ConvertError, match="hostile.pth: the checkpoint holds posix.system, which a state dict"):
        read_state_dict(path)
    assert not (tmp_path / "HACKED").exists()


# -- through the command line: one line and exit 1, never a traceback ---------------------------------
def test_predict_on_mutated_images_answers_or_says_why_in_one_line(tmp_path_factory):
    from click.testing import CliRunner

    from cli.main import toolkit

    @settings(max_examples=15)
    @given(mutations(IMAGES["PNG"]))
    def check(data):
        path = saved(tmp_path_factory, "digit.png", data)
        result = CliRunner().invoke(toolkit, ["predict", str(path), "--format", "json"])
        assert result.exit_code in (0, 1), result.output
        assert isinstance(result.exception, (SystemExit, type(None))), result.exception
        if result.exit_code == 1:
            assert result.output.strip().splitlines() == [f"error: {path}: " + result.output.split(": ", 2)[-1].strip()]

    check()
