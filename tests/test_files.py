"""Writing files: atomic, exclusive unless replacing is asked for, and nothing left half-written."""

import multiprocessing
import os
import resource
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from toolkit.files import write_text, written


def test_a_write_that_fails_leaves_the_target_as_it_was_and_no_temporary_file(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    with pytest.raises(RuntimeError), written(target, replace=True) as temporary:
        temporary.write_text("half")
        raise RuntimeError("the disk is full")
    assert target.read_text() == "mine" and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_an_existing_file_is_replaced_only_when_asked(tmp_path):
    target = tmp_path / "best.weights.h5"
    write_text(target, "first")
    with pytest.raises(FileExistsError, match="best.weights.h5 exists; pass --force"):
        write_text(target, "second")
    write_text(target, "third", replace=True)
    assert target.read_text() == "third" and len(list(tmp_path.iterdir())) == 1


def test_the_temporary_file_keeps_the_suffixes_writers_go_by(tmp_path):
    with written(tmp_path / "run.weights.h5") as temporary:
        assert temporary.parent == tmp_path and temporary.name.endswith(".weights.h5")
        temporary.write_bytes(b"x")


def _write_after_the_check(target, text, barrier, outcomes):
    """Pass the "does it exist" check, wait until the other writer has too, then write."""
    try:
        with written(target) as temporary:
            temporary.write_text(text)
            barrier.wait()
        outcomes.put("written")
    except FileExistsError as error:
        outcomes.put(str(error))


def test_of_two_writers_that_both_passed_the_check_one_fails_clearly(tmp_path):
    """Two commands writing the same new file at once: one result is written whole, the other
    writer is told, and neither result is silently lost."""
    target = tmp_path / "same.png"
    context = multiprocessing.get_context("fork")
    barrier, outcomes = context.Barrier(2), context.Queue()
    writers = [context.Process(target=_write_after_the_check, args=(target, text * 1000, barrier, outcomes))
               for text in "ab"]  # fmt: skip
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    results = sorted(outcomes.get(timeout=5) for _ in writers)
    assert results == [f"{target} was written by something else meanwhile; it is kept as it is", "written"]
    assert target.read_text() in ("a" * 1000, "b" * 1000)
    assert [p.name for p in tmp_path.iterdir()] == ["same.png"]


def test_a_fit_that_runs_out_of_disk_says_so_in_one_line_and_leaves_no_broken_weights(data_dir, tmp_path):
    """A file-size limit stands in for a full disk: every write past it fails as a full disk's would."""

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    out = tmp_path / "run"
    command = [sys.executable, "-m", "cli.main", "fit", "--model", "lenet5", "--limit", "500", "--epochs", "2",
               "--out", str(out)]  # fmt: skip
    environment = {**os.environ, "TOOLKIT_DATA": str(data_dir), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, preexec_fn=limit_file_size)
    assert done.returncode == 1, done.stderr
    error = done.stderr.strip().splitlines()[-1].split("Error: ")[-1]  # after Keras's progress bar
    assert error == f"{out / 'best.weights.h5'} could not be written: File too large", done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert not (out / "metrics.json").exists()  # the run is not finished
    assert not (out / "best.weights.h5").exists()  # nor is a truncated weights file left to load
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # nor a temporary file


# functions that draw or serialise into the path their caller gives them (a temporary one)
WRITERS_TO_A_GIVEN_PATH = {"save_grid", "write_table", "_overlay", "write_idx", "plot_history", "write_text"}
WRITING_METHODS = {"write_text", "write_bytes", "to_csv", "to_json", "to_html", "savefig", "save_weights", "save"}


def test_every_file_the_toolkit_writes_goes_through_written():
    """No command or library function writes a file in place: each writes the temporary path of
    `toolkit.files.written` (named `temporary`), or is a drawing function handed one."""
    import ast

    offences = []
    for path in [*(ROOT / "toolkit").rglob("*.py"), *(ROOT / "cli").rglob("*.py")]:
        if path.name == "plots.py":  # figures, drawn into the paths they are given
            continue
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or function.name in WRITERS_TO_A_GIVEN_PATH:
                continue
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                if not isinstance(call.func, ast.Attribute) and getattr(call.func, "id", "") != "open":
                    continue  # toolkit.files's own write_text and write_json
                name = call.func.attr if isinstance(call.func, ast.Attribute) else "open"
                writes = name in WRITING_METHODS or (name == "open" and any(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) and set(a.value) & set("wax")
                    for a in call.args[1:]))  # fmt: skip
                if not writes:
                    continue
                target = call.func.value if name in ("write_text", "write_bytes") else (call.args or [None])[0]
                names = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)} if target is not None else set()
                names |= {n.attr for n in ast.walk(target) if isinstance(n, ast.Attribute)} if target is not None else set()
                if not names & {"temporary", "devnull", "buffer"}:  # a buffer: bytes in memory, no file
                    offences.append(f"{path.relative_to(ROOT)}:{call.lineno} {name}")
    assert not offences, offences
