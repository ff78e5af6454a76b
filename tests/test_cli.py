import csv
import io
import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import toolkit
from cli.output import render
from tests.conftest import ROOT


def run(*args):
    return CliRunner().invoke(toolkit, list(args))


def test_help_and_models_do_not_import_tensorflow():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from cli.main import toolkit\n"
        "for args in (['--help'], ['models'], ['models', '--format', 'json']):\n"
        "    result = CliRunner().invoke(toolkit, args)\n"
        "    assert result.exit_code == 0, result.output\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'pandas') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_an_error_is_one_line_without_tensorflow_noise():
    # TensorFlow's C++ core logs a oneDNN notice on import that TF_CPP_MIN_LOG_LEVEL does not silence
    code = (
        "import sys\n"
        "from cli.main import toolkit\n"
        "try:\n"
        "    toolkit(['sample', '--weights', 'dcgan.mnist', '--digit', '3', '-o', 'x.png', '--runtime', 'keras'],"
        " prog_name='toolkit')\n"
        "except SystemExit as exit:\n"
        "    print('tensorflow' in sys.modules, exit.code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.split() == ["True", "1"]
    assert done.stderr.splitlines() == ["Error: dcgan is not conditional; drawing a given digit needs cdcgan weights (--digit)"]


def test_models_formats():
    result = run("models", "vgg1?", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == ["vgg11", "vgg13", "vgg16", "vgg19"]
    assert rows[2]["published parameters"] == 138_000_000  # the paper's figure, not keras.applications' count
    result = run("models", "--task", "segmentation", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith("unet,")


def test_models_no_match_is_an_error():
    result = run("models", "zzz*")
    assert result.exit_code == 1
    assert "No model matches" in result.output


def test_summary_alexnet_table():
    result = run("summary", "alexnet")
    assert result.exit_code == 0, result.output
    assert "55x55x96" in result.output and "37,752,832" in result.output
    assert "62,378,344 parameters" in result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines() if line.strip()}
    assert rows["input"][1:3] == ["Input", "227x227x3"] and rows["output"][1:3] == ["Output", "1,000"]
    assert rows["fc1"][2] == "4,096" and rows["fc1"][5] == "4,096"  # every count grouped, as on the slide
    assert "AlexNet as in the lecture's table" in result.output  # the variant the builder makes


def test_summary_lenet5_as_in_the_lectures_table():
    """Issue 46: an input row of 32x32 and, with pool_activation=tanh, tanh on S2 and S4."""
    result = run("summary", "lenet5", "--arg", "pool_activation=tanh", "--format", "json")
    layers = {row["layer"]: row for row in json.loads(result.output)["layers"]}
    assert layers["input"]["output size"] == "32x32x1"
    assert [layers[name]["activation"] for name in ("c1", "s2", "c3", "s4", "c5", "f6")] == ["tanh"] * 6
    assert json.loads(result.output)["parameters"] == 61_706
    plain = {row["layer"]: row for row in json.loads(run("summary", "lenet5", "--format", "json").output)["layers"]}
    assert plain["s2"]["activation"] == "" and len(plain) == len(layers)
    assert "LeNet-5 as published in 1998" in run("summary", "lenet5_1998").output


def test_summary_json_and_builder_args():
    result = run("summary", "alexnet", "--arg", "groups=2", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["parameters"] == 60_965_224


@pytest.mark.parametrize("written", ["false", "False", "FALSE"])
def test_builder_arg_false_is_a_boolean(written):
    """`--arg include_top=false` drops the head; read as the string "false" it would keep it."""
    result = run("summary", "alexnet", "--arg", f"include_top={written}", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["parameters"] == 3_747_200  # AlexNet's five convolutions


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("summary", "alexnett"), 1, "Did you mean alexnet"),
        (("summary", "alexnet", "--input-shape", "32,32,3"), 1, "at least 67x67"),
        (("summary", "alexnet", "--input-shape", "big"), 2, "is not a shape"),
        (("summary", "alexnet", "--arg", "groups"), 2, "key=value"),
        (("nonsense",), 2, "No such command"),
    ],
)
def test_errors_and_exit_codes(args, code, message):
    result = run(*args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_gates_truth_tables():
    result = run("gates", "--format", "json")
    assert result.exit_code == 0, result.output
    tables = json.loads(result.output)
    assert [r["XOR"] for r in tables["two_inputs"]] == [0, 1, 1, 0]
    assert [r["AND"] for r in tables["two_inputs"]] == [0, 0, 0, 1]
    assert [r["NOT"] for r in tables["not"]] == [1, 0]
    # issue 46: the slides' weights and thresholds, and the XOR network's hidden columns
    units = {r["unit"]: (r["w1"], r["w2"], r["threshold"]) for r in tables["weights"]}
    assert units["AND"] == (1, 1, 1.5) and units["OR"] == (1, 1, 0.5) and units["NOT"] == (-1, None, -0.5)
    assert units["NAND"] == (-1, -1, -1.5) and units["NOR"] == (-1, -1, -0.5)
    assert units["XOR z1"] == (1, 1, 1.5) and units["XOR y (on z1, z2)"] == (-1, 1, 0.5)
    network = tables["xor_network"]
    assert [r["z1 (AND)"] for r in network] == [0, 0, 0, 1] and [r["z2 (OR)"] for r in network] == [0, 1, 1, 1]
    assert [r["XOR"] for r in network] == [0, 1, 1, 0]


def test_demo_transposed_conv_works_the_slides_example():
    """Issue 46: [[0,1],[2,3]] with the kernel [[0,1],[2,3]] gives [[0,0,1],[0,4,6],[4,12,9]],
    the sum of four partial products, each an input pixel times the kernel at its place."""
    result = run("demo", "transposed-conv", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["result"] == [[0, 0, 1], [0, 4, 6], [4, 12, 9]]
    products = {tuple(p["position"]): p["product"] for p in data["partial_products"]}
    assert products[(1, 0)] == [[0, 0, 0], [0, 2, 0], [4, 6, 0]] and len(products) == 4
    wide = json.loads(run("demo", "transposed-conv", "--stride", "2", "--format", "json").output)
    assert wide["result"] == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]
    assert "4    12     9" in run("demo", "transposed-conv").output
    bad = run("demo", "transposed-conv", "--input", "1,2;3")
    assert bad.exit_code == 2 and "every row needs as many numbers" in bad.output


def test_report_params_formats_and_no_overwrite(tmp_path):
    for suffix in ("csv", "md", "html", "json"):
        out = tmp_path / f"params.{suffix}"
        result = run("report", "params", "lenet*", "-o", str(out))
        assert result.exit_code == 0, result.output
        assert "61706" in out.read_text() or "61,706" in out.read_text()
    result = run("report", "params", "lenet*", "-o", str(tmp_path / "params.csv"))
    assert result.exit_code == 1 and "--force" in result.output
    result = run("report", "params", "lenet*", "-o", str(tmp_path / "params.txt"))
    assert result.exit_code == 1 and "report format" in result.output


def test_report_readme_needs_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# notes\n")
    result = run("report", "readme", str(readme))
    assert result.exit_code == 1 and "no generated table to replace: put the lines <!-- models:start" in result.output
    assert readme.read_text() == "# notes\n"


@pytest.mark.slow
def test_reports_print_in_the_cli_formats(tmp_path):
    result = run("report", "params", "lenet5", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output)[0]["parameters"] == 61_706
    result = run("report", "errors", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert next(r for r in rows if r["weights"] == "resnet20.cifar10")["epochs"] == "40"
    result = run("report", "history", "--format", "csv", "-o", str(tmp_path / "history.md"))
    assert result.exit_code == 2 and "-o" in result.output and not (tmp_path / "history.md").exists()


def test_tables_print_counts_as_integers_and_rates_with_four_decimals():
    rows = [{"images": 10000.0, "error": 0.157, "MB": 0.28}, {"images": None, "error": 0.1, "MB": 9.84}]
    header, _, first, second = render(rows, "table").splitlines()
    assert first.split() == ["10,000", "0.1570", "0.28"] and second.split() == ["0.1000", "9.84"]


@pytest.mark.slow
def test_committed_params_report_and_readme_match_the_code():
    from toolkit.reports import params_report, readme_models_table, readme_weights_table

    computed = params_report()
    committed = pd.read_csv(ROOT / "reports" / "params.csv")
    assert committed["model"].tolist() == computed["model"].tolist()
    assert committed["parameters"].tolist() == computed["parameters"].tolist()
    assert committed["MACs"].tolist() == computed["MACs"].tolist()
    assert readme_models_table(computed) in (ROOT / "docs" / "models.md").read_text()
    assert readme_weights_table() in (ROOT / "README.md").read_text()


def test_readme_commands_name_real_commands_and_weights():
    import re

    from toolkit import catalog

    readme = (ROOT / "README.md").read_text()
    made_here = set(re.findall(r"--id ([\w.]+)", readme))  # ids the README's own commands create
    named = set(re.findall(r"--weights ([a-z]\w*\.\w+)\b(?!\.h5)", readme)) - made_here
    assert named and named <= set(catalog.load_catalog()), named - set(catalog.load_catalog())
    import click

    known = set(toolkit.list_commands(click.Context(toolkit)))
    commands = set(re.findall(r"^toolkit ([a-z]+)", readme, flags=re.MULTILINE))
    assert commands and commands <= known, commands - known


def test_readme_python_example_runs_and_gives_what_its_comments_say():
    import ast
    import re

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## From Python\n\n```python\n(.*?)```", readme, flags=re.DOTALL).group(1)
    namespace, checked = {}, 0
    for line in block.splitlines():
        code, _, comment = line.partition("  # ")
        exec(code, namespace)
        if comment.startswith("["):  # a shown result
            assert eval(code, namespace) == ast.literal_eval(comment), line
            checked += 1
        elif count := re.match(r"([\d,]+) parameters", comment):
            assert namespace["model"].count_params() == int(count.group(1).replace(",", "")), line
            checked += 1
        elif comment.startswith("resnet20.cifar10"):
            assert namespace["model"].input_shape == (None, 32, 32, 3) and namespace["model"].output_shape == (None, 10)
            checked += 1
    assert checked == 4


def test_the_cli_reference_is_generated_from_the_commands():
    from cli.reference import reference

    assert (ROOT / "docs" / "cli.md").read_text() == reference()


def test_the_readme_is_a_front_page_whose_links_all_lead_somewhere():
    import re

    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 200
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def test_reports_check_their_outputs_before_any_work(tmp_path, monkeypatch):
    def measured(*args):
        raise AssertionError("the models were measured before the output was checked")

    monkeypatch.setattr("toolkit.reports.params_report", measured)
    existing = tmp_path / "params.md"
    existing.write_text("a table of mine")
    result = run("report", "params", "-o", str(existing))
    assert result.exit_code == 1 and "params.md exists; pass --force" in result.output
    assert existing.read_text() == "a table of mine"
    out = tmp_path / "reports"
    out.mkdir()
    for name in ("params.csv", "params.md", "errors.md"):  # reports without their README
        (out / name).write_text("mine")
    result = run("report", "all", "-o", str(out))
    assert result.exit_code == 1 and "already holds reports" in result.output
    assert all((out / name).read_text() == "mine" for name in ("params.csv", "params.md", "errors.md"))


def test_an_output_that_cannot_be_written_is_refused_before_any_work(tmp_path, monkeypatch):
    def loaded(*args, **kwargs):
        raise AssertionError("the model was loaded before the output was checked")

    monkeypatch.setattr("toolkit.hub.load_pretrained", loaded)
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    series = tmp_path / "series.csv"
    series.write_text("month,value\n" + "".join(f"2020-{m:02d},{m}\n" for m in range(1, 13)))
    result = run("forecast", str(series), "--weights", "lstm.airline", "-o", str(blocker / "forecast.csv"))
    assert result.exit_code == 1 and result.output == f"Error: {blocker}: cannot write there ({blocker} is a file)\n"
    assert blocker.read_text() == "mine"
