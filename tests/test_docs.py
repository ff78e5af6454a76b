"""The documentation site: `mkdocs build --strict` (a broken link, a missing page or a page left
out of the navigation fails it), with the generated pages, the reports and the lecture's
notebooks, executed as the site is built, in it."""

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_the_site_builds_strictly_with_every_page(tmp_path, data_dir):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", TOOLKIT_DATA=str(data_dir))
    notebooks_before = sorted((ROOT / "notebooks").iterdir())
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted((ROOT / "notebooks").iterdir()) == notebooks_before  # running the notebooks leaves no file beside them
    for page in ("index.html", "cli/index.html", "api/index.html", "models/index.html", "serve/index.html",
                 "reports/index.html", "reports/figures/label_efficiency.png", "images/serve-digits.png"):  # fmt: skip
        assert (tmp_path / page).exists(), page
    api = (tmp_path / "api" / "index.html").read_text()
    assert "build_model" in api and "load_pretrained" in api  # generated from the docstrings
    assert "62,378,344" in (tmp_path / "models" / "index.html").read_text()  # the generated model table
    assert "fonts.googleapis" not in (tmp_path / "index.html").read_text()  # reads offline
    gates = re.sub("<[^>]+>", "", (tmp_path / "notebooks" / "01_neuronio_e_portas_logicas" / "index.html").read_text())
    assert re.search(r"perceptron no XOR: \[[01, ]+\] — erros: [1-4]", gates)  # an output of the build's own run
