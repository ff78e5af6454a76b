"""`toolkit predict` on the project's own drawn samples and on bad files."""

import json
import pathlib

import pytest
from click.testing import CliRunner

from cli.main import toolkit
from tests.conftest import ROOT

SAMPLES = sorted(p for p in (ROOT / "samples").iterdir() if p.suffix in (".png", ".jpg", ".gif", ".bmp"))


def predict(*args):
    return CliRunner().invoke(toolkit, ["predict", *map(str, args)])


@pytest.mark.parametrize("weights", ["digits.best", "lenet5.mnist"])
def test_reads_every_sample_right(weights):
    result = predict(*SAMPLES, "--weights", weights, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == len(SAMPLES) >= 20
    wrong = [(r["file"], r["label"]) for r in rows if r["label"] != pathlib.Path(r["file"]).name[0]]
    assert not wrong


def test_default_is_the_best_digit_model_and_globs_work():
    result = CliRunner().invoke(toolkit, ["predict", str(ROOT / "samples" / "7*"), "--top", "3", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "file,label,probability,top" and len(lines) == 3
    assert all(line.split(",")[1] == "7" for line in lines[1:])


def test_show_input_saves_what_the_network_saw(tmp_path):
    result = predict(ROOT / "samples" / "4_transparent.png", "--show-input", tmp_path)
    assert result.exit_code == 0, result.output
    from PIL import Image

    assert Image.open(tmp_path / "4_transparent.input.png").size == (28, 28)
    result = predict(ROOT / "samples" / "3_chalk_on_board.jpg", "--weights", "lenet5.cifar10", "--show-input", tmp_path)
    assert result.exit_code == 0, result.output
    seen = Image.open(tmp_path / "3_chalk_on_board.input.png")
    assert seen.size == (32, 32) and seen.mode == "RGB"
    photo = Image.open(ROOT / "samples" / "3_chalk_on_board.jpg").convert("RGB").resize((32, 32))
    import numpy as np

    assert abs(np.asarray(seen, "float32").mean() - np.asarray(photo, "float32").mean()) < 10  # not rescaled


def test_bad_files_are_reported_and_the_rest_predicted(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not an image")
    result = CliRunner().invoke(
        toolkit, ["predict", str(tmp_path / "empty.png"), str(tmp_path / "notes.png"), str(ROOT / "samples" / "3.png")]
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith(("error:", "Error:"))]
    assert len(errors) == 2 and "empty file" in errors[0] and "not an image file" in errors[1]  # a line each
    assert "samples/3.png" in result.output


def test_no_matching_files():
    result = predict("/nonexistent/*.png")
    assert result.exit_code == 1 and "No image files match" in result.output


@pytest.mark.parametrize(
    "weights_id, options, message",
    [
        ("digits.best", ["-o", "mask.png"], "write masks; digits.best is a digits model"),
        ("dcgan.mnist", [], "use `toolkit sample --weights dcgan.mnist`"),
        ("lstm.airline", [], "use `toolkit forecast SERIES.csv --weights lstm.airline`"),
    ],
)
def test_options_and_weights_of_other_tasks_are_refused(tmp_path, monkeypatch, weights_id, options, message):
    monkeypatch.chdir(tmp_path)
    result = predict(str(ROOT / "samples" / "7.png"), "--weights", weights_id, *options)
    assert result.exit_code == 2 and message in result.output
    assert not list(tmp_path.iterdir())


def test_inputs_of_the_same_name_each_get_their_own_file_and_none_is_overwritten(tmp_path):
    for folder, sample in (("a", "0.png"), ("b", "0.png"), ("c", "1.png")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "0.png" if folder != "c" else tmp_path / folder / sample).write_bytes(
            (ROOT / "samples" / sample).read_bytes()
        )
    inputs = [tmp_path / "a" / "0.png", tmp_path / "b" / "0.png", tmp_path / "c" / "1.png"]
    seen = tmp_path / "seen"
    result = predict(*inputs, "--show-input", seen)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in seen.iterdir()) == ["a_0.input.png", "b_0.input.png", "c_1.input.png"]
    before = (seen / "a_0.input.png").read_bytes()
    (seen / "0.input.png").write_bytes(b"a file of mine")  # what one input alone would be saved as
    result = predict(inputs[0], "--show-input", seen)
    assert result.exit_code == 1 and "0.input.png exists; pass --force" in result.output
    assert (seen / "0.input.png").read_bytes() == b"a file of mine" and (seen / "a_0.input.png").read_bytes() == before
    assert predict(inputs[0], "--show-input", seen, "--force").exit_code == 0
