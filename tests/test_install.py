"""A plain install works: a built wheel carries the catalog and the weights, and predicts from anywhere."""

import json
import os
import pathlib
import site
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner

from cli.main import toolkit as cli
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)],
        check=True,
        capture_output=True,
    )
    (path,) = dist.glob("toolkit-*.whl")
    return path


def test_the_wheel_holds_every_module_the_catalog_and_every_shipped_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for folder in ("toolkit", "cli") for p in (ROOT / folder).rglob("*.py")}
    assert sources <= names, sources - names
    catalog = json.loads((ROOT / "weights" / "catalog.json").read_text())
    shipped = {f"toolkit/weights/{item['file']}" for item in catalog.values() if not item.get("url")}
    assert {"toolkit/weights/catalog.json", "toolkit/reports/README.template.md", *shipped} <= names


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_environment_predicts_from_another_directory(wheel, tmp_path):
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(env / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    # The dependencies (TensorFlow and the rest) come from the test's own environment, appended
    # after the new environment's site-packages, so the toolkit itself is only the installed wheel.
    (purelib,) = (env / "lib").glob("python3*/site-packages")
    (purelib / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TOOLKIT_WEIGHTS")}

    def run(*args):
        return subprocess.run(args, cwd=elsewhere, env=environ, capture_output=True, text=True, timeout=600)

    where = run(
        str(env / "bin" / "python"), "-c", "import toolkit, toolkit.catalog as c; print(toolkit.__file__, c.CATALOG)"
    )
    assert where.returncode == 0, where.stderr
    assert all(pathlib.Path(p).is_relative_to(env) for p in where.stdout.split()), where.stdout

    predicted = run(str(env / "bin" / "toolkit"), "predict", str(ROOT / "samples"), "--format", "json")
    assert predicted.returncode == 0, predicted.stderr
    rows = json.loads(predicted.stdout)
    assert len(rows) == len(list((ROOT / "samples").glob("[0-9]*.*")))
    assert all(row["label"] == pathlib.Path(row["file"]).name[0] for row in rows)

    verified = run(str(env / "bin" / "toolkit"), "weights", "verify", "digits.best", "lenet5.mnist", "unet.membrane")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count(": ok") == 3


def test_a_missing_catalog_is_an_error_that_says_so(tmp_path, monkeypatch):
    from toolkit import catalog

    monkeypatch.setattr(catalog, "CATALOG", tmp_path / "catalog.json")
    result = CliRunner().invoke(cli, ["predict", str(ROOT / "samples" / "0.png")])
    assert result.exit_code == 1
    assert f"the weights catalog {tmp_path / 'catalog.json'} is missing" in result.output
    with pytest.raises(catalog.WeightsError, match="is missing"):
        catalog.load_catalog()


def test_an_entry_that_breaks_the_schema_is_named(tmp_path, monkeypatch):
    from toolkit import catalog

    broken = json.loads((ROOT / "weights" / "catalog.json").read_text())
    broken["lenet5.mnist"]["params"] = "61706"
    (tmp_path / "catalog.json").write_text(json.dumps(broken))
    monkeypatch.setattr(catalog, "CATALOG", tmp_path / "catalog.json")
    with pytest.raises(catalog.WeightsError, match="entry 'lenet5.mnist': field 'params' must be int"):
        catalog.load_catalog()


def test_the_catalog_is_read_once_per_process_until_it_changes(tmp_path, monkeypatch):
    import shutil

    from toolkit import catalog, hub

    shutil.copyfile(catalog.CATALOG, tmp_path / "catalog.json")
    monkeypatch.setattr(catalog, "CATALOG", tmp_path / "catalog.json")
    catalog._read_catalog.cache_clear()
    for weights_id in ("lenet5.mnist", "digits.best"):
        catalog.entry(weights_id), catalog.build_args(catalog.entry(weights_id)), hub.list_weights()
    assert catalog._read_catalog.cache_info().misses == 1
    entries = catalog.load_catalog()
    entries["lenet5.mnist"]["description"] = "Changed."
    catalog.save_catalog(entries)
    assert catalog.entry("lenet5.mnist")["description"] == "Changed."
    assert catalog._read_catalog.cache_info().misses == 2
