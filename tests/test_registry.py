import pytest

import toolkit
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
