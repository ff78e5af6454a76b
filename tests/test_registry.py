import pytest

import toolkit
from tests.conftest import ROOT
from toolkit import registry


def test_wildcards_and_task_filter():
    assert toolkit.list_models("vgg1?") == ["vgg11", "vgg13", "vgg16", "vgg19"]
    assert toolkit.list_models("*_cifar") == ["alexnet_cifar", "googlenet_cifar", "vgg11_cifar", "vgg16_cifar"]
    assert set(toolkit.list_models(task="digits")) >= {"lenet5", "lenet5_1998", "mlp"}
    assert "unet" in toolkit.list_models(task="segmentation")
    assert toolkit.list_models("nothing*") == []


def test_every_issue_model_is_registered():
    expected = {
        "and_gate", "or_gate", "not_gate", "nand_gate", "nor_gate", "perceptron", "xor_mlp", "mlp",
        "lenet5", "lenet5_1998", "alexnet", "zfnet", "vgg11", "vgg13", "vgg16", "vgg19", "googlenet",
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "plain18", "plain34", "unet",
        "gan_mlp", "dcgan", "rnn", "lstm", "gru", "mlp_mixer", "resnet20", "resnet56", "plain20", "plain56",
        "alexnet_cifar", "vgg11_cifar", "vgg16_cifar", "googlenet_cifar", "alexnet_torchvision", "googlenet_torchvision",
    }  # fmt: skip
    assert expected <= set(toolkit.list_models())


def test_registering_twice_is_an_error():
    with pytest.raises(ValueError, match="already registered"):

        @registry.register(family="x", year=2000, authors="", paper="", tasks=(), input_shape=(1,))
        def lenet5():
            pass


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match="Did you mean .*resnet50"):
        toolkit.build_model("resnet05")
    with pytest.raises(ValueError, match="Did you mean lenet5"):
        toolkit.build_model("LeNet5")


@pytest.mark.parametrize("name", toolkit.list_models())
def test_model_info_is_complete(name):
    info = toolkit.model_info(name)
    assert info.year and info.authors and info.paper and info.tasks and info.family
    doc = info.builder.__doc__
    assert doc and doc.strip(), f"{name} has no docstring"


def test_a_new_model_is_one_registered_function_that_every_command_knows(data_dir, tmp_path, monkeypatch):
    """A model added by one `@register`ed function is listed, fits its task, evaluates and predicts
    through the CLI, with no other code to change."""
    import json

    from click.testing import CliRunner

    from cli.main import toolkit as cli
    from tests.conftest import ROOT
    from toolkit._lazy import keras
    from toolkit.models._common import finish

    toolkit.list_models()  # every family registered first; the throwaway model then leaves with the test
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))

    @registry.register(family="throwaway", year=2026, authors="a test", paper="none", tasks=("digits", "forecasting"),
                       input_shape=(28, 28, 1))  # fmt: skip
    def throwaway_net(*, weights=None, input_shape=None, num_classes=10, classifier_activation="softmax",
                      name="throwaway_net"):  # fmt: skip
        """A flat linear layer, for images or windows of a series: the smallest net a task can fit."""
        inputs = keras.Input(tuple(input_shape or (28, 28, 1)))
        x = keras.layers.Flatten(name="flatten")(inputs)
        outputs = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
        return finish(inputs, outputs, name=name, weights=weights)

    runner = CliRunner()
    listed = runner.invoke(cli, ["models", "throwaway*", "--task", "digits", "--format", "json"])
    assert [row["name"] for row in json.loads(listed.output)] == ["throwaway_net"]
    run = tmp_path / "run"
    fitted = runner.invoke(cli, ["fit", "--model", "throwaway_net", "--task", "digits", "--epochs", "1", "--limit", "500",
                                 "--batch-size", "500", "--out", str(run)])  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    assert json.loads((run / "metrics.json").read_text())["parameters"] == 28 * 28 * 10 + 10
    evaluated = runner.invoke(cli, ["evaluate", "--weights", str(run), "--limit", "1000"])
    assert evaluated.exit_code == 0 and "test error" in evaluated.output, evaluated.output
    predicted = runner.invoke(cli, ["predict", str(ROOT / "samples" / "7.png"), "--weights", str(run), "--format", "json"])
    assert predicted.exit_code == 0, predicted.output
    assert json.loads(predicted.output)[0]["label"] in [str(d) for d in range(10)]
    series = runner.invoke(cli, ["fit", "--model", "throwaway_net", "--task", "forecasting", "--epochs", "1",
                                 "--data", "series/airline-passengers.csv", "--lookback", "12", "--out",
                                 str(tmp_path / "series")])  # fmt: skip
    assert series.exit_code == 0, series.output


def test_every_published_figure_of_the_registry_is_in_docs_reference():
    """Issue 46: the sources of the published numbers live in the repository (docs/reference.md)."""
    page = (ROOT / "docs" / "reference.md").read_text()
    for name in toolkit.list_models():
        info = toolkit.model_info(name)
        for count in (info.published_params, info.paper_params, info.lecture_params):
            if count:
                assert f"{count:,}" in page, (name, count)
        for key, value in info.errors.items():
            if key != "ilsvrc_place":
                assert f"{value * 100:.4g} %" in page or f"{value:g}" in page, (name, key, value)
