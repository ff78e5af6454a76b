"""Printed digits: rendered from Debian's fonts, the test fonts never seen in training, read as well as handwriting."""

import numpy as np
import pytest
from PIL import ImageFont

from toolkit import catalog, runtime
from toolkit.data.paths import DataNotFoundError
from toolkit.data.printed import font_files, printed_digits, render
from toolkit.tasks.digits import PRINTED_TEST, DigitsTask


def _families(files):
    return {ImageFont.truetype(f, 12).getname()[0] for f in files}


def test_the_test_fonts_are_other_families_than_the_training_fonts():
    train, test = font_files("train"), font_files("test")
    assert len(train) >= 40 and len(test) >= 40
    assert not set(train) & set(test) and not _families(train) & _families(test)
    assert font_files("validation") == train  # the validation split renders the training fonts, with its own seed


def test_renderings_come_from_the_seed_alone():
    first, labels = printed_digits("test", 30)
    again, _ = printed_digits("test", 30)
    np.testing.assert_array_equal(first, again)
    assert labels.tolist() == [k % 10 for k in range(30)] and first.shape == (30, 28, 28)
    assert not np.array_equal(first, printed_digits("validation", 30)[0])


def test_a_small_digit_on_a_large_page_is_found():
    rng = np.random.default_rng(0)
    page = render(7, font_files("test")[0], rng)
    from PIL import Image

    from toolkit.data.images import normalize_digit

    large = Image.new("RGB", (1200, 900), page.getpixel((0, 0)))
    large.paste(page.resize((page.width // 3, page.height // 3)), (900, 650))
    digit = normalize_digit(np.asarray(large.convert("L")))
    assert digit.max() > 0.5 and abs(np.argwhere(digit > 0.5).mean(0) - 14).max() < 3  # centred, as MNIST


def test_missing_fonts_say_which_packages_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_FONTS", str(tmp_path))
    with pytest.raises(DataNotFoundError, match="install the Debian packages fonts-dejavu-core"):
        font_files("test")


READERS = sorted(k for k, v in catalog.load_catalog().items() if "printed/test" in v["metrics"])


@pytest.mark.slow
@pytest.mark.parametrize("weights_id", READERS)
def test_printed_digits_are_read_as_recorded(data_dir, weights_id):
    """The default model reads at least 99 % of 2,000 digits in fonts it never saw; every recorded
    printed-digit accuracy (its MNIST-only predecessor's too) comes back."""
    result = DigitsTask().evaluate(runtime.load_model(weights_id), data_dir=data_dir, split="printed")
    recorded = catalog.entry(weights_id)["metrics"]["printed/test"]
    assert result["images"] == recorded["images"] == PRINTED_TEST and result["mistakes"] == recorded["mistakes"]
    assert "digits.best" in READERS and (weights_id != "digits.best" or result["accuracy"] >= 0.99)
