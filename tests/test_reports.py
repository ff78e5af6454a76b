"""`toolkit report history` and `toolkit report all`: the committed reports are what the code computes."""

import filecmp

import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import toolkit as cli
from tests.conftest import ROOT
from toolkit import catalog
from toolkit.analysis import measure
from toolkit.reports.narrative import (
    _chatgpt_text,
    _cifar_ranking_text,
    _context_text,
    _generative_text,
    _plain_vs_residual_text,
    _published_gap_text,
    _reach_text,
)
from toolkit.reports.tables import HISTORY, generation_report


def run(*args):
    return CliRunner().invoke(cli, list(map(str, args)))


@pytest.mark.slow
def test_report_all_regenerates_the_committed_reports(data_dir, tmp_path):
    out = tmp_path / "reports"
    result = run("report", "all", "-o", out, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    committed = ROOT / "reports"
    for table in ("params", "errors", "history", "segmentation", "generation", "forecasting", "autoencoding",
                  "label_efficiency", "text", "context_length"):
        for suffix in ("csv", "md"):
            assert filecmp.cmp(out / f"{table}.{suffix}", committed / f"{table}.{suffix}", shallow=False), (
                f"reports/{table}.{suffix} is stale: run `toolkit report all -o reports --force`"
            )
    assert (out / "README.md").read_text() == (committed / "README.md").read_text()
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert figures == sorted(p.name for p in (committed / "figures").iterdir())
    for name in figures:
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"figures/{name}" in (out / "README.md").read_text()
    again = run("report", "all", "-o", out)
    assert again.exit_code == 1 and "--force" in again.output


def test_history_report_keeps_challenge_and_single_model_errors_apart(tmp_path):
    result = run("report", "history", "-o", tmp_path / "history.csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "history.csv")
    assert frame["network"].tolist() == [network for network, _, _ in HISTORY]
    row = frame.set_index("network").loc["VGG-16"]
    assert row["ILSVRC top-5 error (challenge entry)"] == 0.073  # the team's entry
    assert row["top-5 error (single model, published)"] == 0.099  # one network, one crop
    assert row["parameters"] == 138_357_544 and row["published parameters"] == 138_000_000  # the paper's Table 2
    # issue 46: the lecture's figure, the paper's and the measured one, never a computed count as "published"
    googlenet = frame.set_index("network").loc["GoogLeNet"]
    assert (googlenet["lecture's parameters"], googlenet["published parameters"]) == (4_000_000, 5_000_000)
    assert googlenet["parameters"] == 6_998_552
    assert frame.set_index("network").loc["AlexNet", "lecture's parameters"] == 60_000_000
    assert frame.set_index("network")["published parameters"].isna()["ZFNet"]  # its paper states none
    resnet20 = frame.set_index("network").loc["ResNet-20"]
    assert resnet20["CIFAR-10 parameters"] == 271_098 and resnet20["CIFAR-10 published test error"] == 0.0875
    assert 0 < resnet20["CIFAR-10 test error"] < 0.5  # measured: far better than chance (0.9)


def test_plain_versus_residual_text_follows_the_curves():
    deeper_worse = {"plain20": {"accuracy": [0.5, 0.9], "val_accuracy": [0.5, 0.85]},
                    "plain56": {"accuracy": [0.4, 0.8], "val_accuracy": [0.4, 0.78]}}  # fmt: skip
    assert "higher training error" in _plain_vs_residual_text(deeper_worse)
    deeper_better = {"plain20": deeper_worse["plain56"], "plain56": deeper_worse["plain20"]}
    assert "unlike the paper" in _plain_vs_residual_text(deeper_better)
    residual = {"resnet20": {"accuracy": [0.6, 0.93], "val_accuracy": [0.6, 0.88]},
                "resnet56": {"accuracy": [0.6, 0.95], "val_accuracy": [0.6, 0.9]}}  # fmt: skip
    text = _plain_vs_residual_text({**deeper_worse, **residual})
    assert "The deeper residual net has lower training error than the shallower one, as in" in text
    assert (
        "Same depth, same budget (2 epochs each): the shortcuts take training error from 10.0% (`plain20`)"
        " to 7.0% (`resnet20`) and validation error from 15.0% to 12.0%." in text
    )
    assert "Same depth, same budget" not in _plain_vs_residual_text(
        {**deeper_worse, "resnet20": {"accuracy": [0.6, 0.7, 0.93], "val_accuracy": [0.6, 0.7, 0.88]}}
    )  # unequal budgets: no such line
    decays = {"plain20": 5e-4, "plain56": 5e-4, "resnet20": 5e-3, "resnet56": 5e-4}
    text = _plain_vs_residual_text(
        {n: {**h, "weight_decay": decays[n]} for n, h in {**deeper_worse, **residual}.items()}
    )
    assert "(`plain20`) to" not in text and "(`plain56`) to" in text  # 20: the same epochs, not the same decay
    assert "not get the same weight decay (plain20 0.0005, plain56 0.0005, resnet20 0.005, resnet56 0.0005)" in text


def test_cifar_ranking_text_names_each_break_of_the_historical_order():
    frame = pd.DataFrame({"year": [1998, 2012, 2015, 2015], "epochs": [30, 60, 20, 5],
                          "CIFAR-10 model": ["lenet5", "alexnet_cifar", "resnet20", "plain20"],
                          "CIFAR-10 test error": [0.40, 0.15, 0.18, 0.60], "CIFAR-10 test images": 10000})  # fmt: skip
    text = _cifar_ranking_text(frame)
    assert "`resnet20` (2015, 18.00% after 20 epochs) is worse than the older `alexnet_cifar`" in text
    assert "fewer epochs" in text and "lenet5" not in text and "plain20" not in text  # plain nets are controls
    assert "significant" not in text  # 3 points: 2 x sqrt(.18 x .82 / 1e4 + .15 x .85 / 1e4) = 1.04 points
    frame["weight decay"] = [5e-4, 5e-3, 5e-4, 5e-4]
    assert "fewer epochs and it was trained with less weight decay" in _cifar_ranking_text(frame)
    frame["weight decay"] = 5e-4
    frame.loc[2, "epochs"] = 90
    assert "explained neither by the budget, the computation per image nor the test set's sampling error" in (
        _cifar_ranking_text(frame)
    )
    frame["CIFAR-10 MACs"] = [1e6, 40e6, 20e6, 20e6]  # resnet20 does half of alexnet_cifar's multiply-adds
    assert "it does 50% of the older net's multiply-adds per image (20 M against 40 M)" in _cifar_ranking_text(frame)
    frame["CIFAR-10 MACs"] = [1e6, 40e6, 21e6, 20e6]
    assert "multiply-adds" not in _cifar_ranking_text(frame)
    frame.loc[2, "CIFAR-10 test error"] = 0.16
    assert "fewer epochs" not in (text := _cifar_ranking_text(frame))
    assert "its gap of 1.00 points is under two standard errors (1.02 points), so not significant" in text
    frame.loc[2, "CIFAR-10 test images"] = 100_000  # a larger test set can tell a 1-point gap apart
    assert "explained neither" in _cifar_ranking_text(frame)
    frame.loc[2, "CIFAR-10 test error"] = 0.09
    assert _cifar_ranking_text(frame).startswith("Every family ranks as the history suggests")


def test_published_gap_text_sets_each_error_beside_its_papers():
    frame = pd.DataFrame({"epochs": [40, 40, 40], "CIFAR-10 model": ["vgg11_cifar", "resnet20", "resnet56"],
                          "CIFAR-10 test error": [0.14, 0.135, None],
                          "CIFAR-10 published test error": [None, 0.0875, 0.0697],
                          "CIFAR-10 published epochs": [None, 164, 164]})  # fmt: skip
    assert _published_gap_text(frame) == (
        "Against the published errors, measured on the original images:\n\n"
        "- `resnet20`: 13.50% after 40 epochs, against the paper's 8.75% after about 164 (24% of its epochs)."
    )  # vgg11_cifar has no published error, resnet56 no measured one
    assert _published_gap_text(frame.iloc[:1]) == ""
    longer = {"resnet20": [("resnet20.cifar10_164ep", {"metrics": {"cifar10/test": {"error": 0.1181}},
                                                       "recipe": {"epochs": 164}})]}  # fmt: skip
    assert _published_gap_text(frame, longer).endswith(
        "(24% of its epochs); the same recipe run for 164 epochs (`resnet20.cifar10_164ep`) reaches 11.81%."
    )
    second = {"metrics": {"cifar10/test": {"error": 0.105}},
              "recipe": {"epochs": 200, "starts_from": [{"epochs": 164}], "command": "... --start-weights x.y --seed 0",
                         "hyperparameters": {"augment": "crops, cutout 16x16", "training_images": 50000}}}  # fmt: skip
    longer["resnet20"].append(("resnet20.cifar10_z", second))
    assert _published_gap_text(frame, longer).endswith(
        "reaches 11.81%; `resnet20.cifar10_z`, 36 more epochs from `x.y` (crops, cutout 16x16; 50,000 training"
        " images), reaches 10.50%."
    )
    second["recipe"]["hyperparameters"]["soup"] = "the mean of the weights of 3 runs, seeds 0, 1, 2"
    assert _published_gap_text(frame, longer).endswith(
        "50,000 training images; the mean of the weights of 3 runs, seeds 0, 1, 2), reaches 10.50%."
    )


def test_the_resnet_papers_cifar10_schedule():
    """He et al. 2016, section 4.2: 64k iterations of mini-batches of 128, on the 50k training images."""
    from toolkit import hub

    for name in ("resnet20", "resnet56"):
        assert hub.model_info(name).published_epochs == {"cifar10": 164}
    assert hub.model_info("plain20").published_epochs == {}


def test_resnet20_on_the_papers_schedule_beats_the_shared_budget():
    """The shipped 164-epoch run differs from the 40-epoch one only in length, and ends nearer the paper."""
    import toolkit
    from toolkit import catalog, hub

    entries = catalog.load_catalog()
    shared, longer = entries["resnet20.cifar10"], entries["resnet20.cifar10_164ep"]
    assert longer["recipe"]["epochs"] == hub.model_info("resnet20").published_epochs["cifar10"]
    assert longer["recipe"]["hyperparameters"] == shared["recipe"]["hyperparameters"]
    error = {item["recipe"]["epochs"]: item["metrics"]["cifar10/test"]["error"] for item in (shared, longer)}
    assert hub.model_info("resnet20").errors["cifar10_test_error"] < error[164] < error[40]
    model = toolkit.build_model("resnet20", weights="cifar10_164ep")
    assert model.count_params() == longer["params"]
    recipes = (ROOT / "docs" / "cifar10.md").read_text()
    assert longer["recipe"]["command"].removeprefix("KERAS_BACKEND=tensorflow ") in recipes


def test_the_second_resnet20_run_comes_nearest_the_paper():
    """`resnet20.cifar10_cutout` goes on from the 164-epoch run, which its recipe lists and counts;
    the command in docs/cifar10.md is the catalog's, and its error is lower than the first two ResNet-20s', still
    above the issue's 10 % target."""
    import re

    from toolkit import catalog

    entries = catalog.load_catalog()
    second, first = entries["resnet20.cifar10_cutout"], entries["resnet20.cifar10_164ep"]
    recipe = second["recipe"]
    assert [stage["command"] for stage in recipe["starts_from"]] == [first["recipe"]["command"]]
    assert recipe["epochs"] == first["recipe"]["epochs"] + int(re.search(r"--epochs (\d+)", recipe["command"])[1])
    assert "--start-weights resnet20.cifar10_164ep" in recipe["command"]
    assert recipe["hyperparameters"]["training_images"] == 50_000 and "cutout 16x16" in recipe["hyperparameters"]["augment"]
    recipes = " ".join((ROOT / "docs" / "cifar10.md").read_text().replace("\\\n", " ").split())
    assert recipe["command"].removeprefix("KERAS_BACKEND=tensorflow ") in recipes
    errors = [entries[f"resnet20.{tag}"]["metrics"]["cifar10/test"]["error"] for tag in ("cifar10", "cifar10_164ep")]
    assert 0.10 < second["metrics"]["cifar10/test"]["error"] < min(errors)


def test_the_resnet20_soup_meets_the_10_percent_target():
    """`resnet20.cifar10_soup` is the mean of the weights of runs that each go on from
    `resnet20.cifar10_cutout` with another seed; both earlier runs are in its recipe, the command
    in docs/cifar10.md is the catalog's, and its test error is the lowest of the ResNet-20s, within the issue's 10 %."""
    import re

    from toolkit import catalog

    entries = catalog.load_catalog()
    first, second, soup = (entries[f"resnet20.{tag}"] for tag in ("cifar10_164ep", "cifar10_cutout", "cifar10_soup"))
    recipe = soup["recipe"]
    assert [stage["command"] for stage in recipe["starts_from"]] == [
        first["recipe"]["command"],
        second["recipe"]["command"],
    ]
    assert recipe["epochs"] == second["recipe"]["epochs"] + int(re.search(r"--epochs (\d+)", recipe["command"])[1])
    seeds = re.search(r"--seeds (\S+)", recipe["command"])[1].split(",")
    assert "--start-weights resnet20.cifar10_cutout " in recipe["command"] and len(seeds) >= 2
    assert recipe["hyperparameters"]["soup"] == f"the mean of the weights of {len(seeds)} runs, seeds {', '.join(seeds)}"
    recipes = " ".join((ROOT / "docs" / "cifar10.md").read_text().replace("\\\n", " ").split())
    assert recipe["command"].removeprefix("KERAS_BACKEND=tensorflow ") in recipes
    errors = [item["metrics"]["cifar10/test"]["error"] for key, item in entries.items() if key.startswith("resnet20.")]
    assert soup["metrics"]["cifar10/test"]["error"] == min(errors) <= 0.10


@pytest.mark.slow
def test_the_shipped_cifar10_nets_show_the_resnet_papers_finding():
    """As docs/cifar10.md says: all nine families share one budget, and with it the deeper plain net ends
    with higher training and test error than the shallower one, and the deeper residual net with
    lower (He et al. 2016, Figure 6). The test errors are recomputed in test_weights.py."""
    from toolkit import catalog

    entries = catalog.load_catalog()
    shared = ("lenet5", "alexnet_cifar", "vgg11_cifar", "vgg16_cifar", "googlenet_cifar", "plain20", "plain56", "resnet20",
              "resnet56")  # fmt: skip
    entries = {arch: entries[f"{arch}.cifar10"] for arch in shared}
    assert len({(e["recipe"]["epochs"], e["recipe"]["hyperparameters"]["weight_decay"]) for e in entries.values()}) == 1
    test_error = {arch: entry["metrics"]["cifar10/test"]["error"] for arch, entry in entries.items()}
    train_error = {arch: 1 - entry["history"]["accuracy"][-1] for arch, entry in entries.items()}
    for error in (test_error, train_error):
        assert error["plain56"] > error["plain20"] and error["resnet56"] < error["resnet20"]
    # docs/cifar10.md: the older GoogLeNet ends lowest, and does the most multiply-adds per image.
    assert min(test_error, key=test_error.get) == "googlenet_cifar"
    macs = {arch: round(measure(arch, input_shape=(32, 32, 3), num_classes=10)[1] / 1e6) for arch in shared}
    assert (macs["googlenet_cifar"], macs["resnet56"], macs["resnet20"]) == (363, 125, 41)
    assert max(macs, key=macs.get) == "googlenet_cifar"


def test_the_vae_sits_in_the_generators_table_and_the_generative_paragraph():
    """Issue 45: the VAE's prior samples are judged as the GANs' are, and the paragraph on
    discriminative against generative models names the shipped models of each kind."""
    frame = generation_report()
    vae = frame[frame["weights"] == "vae.mnist"]
    recorded = catalog.entry("vae.mnist")["metrics"]["binarized_mnist/test"]["prior_samples"]
    assert len(vae) == 1 and vae["FID"].iloc[0] == recorded["fid"]
    assert vae["Inception Score"].iloc[0] == recorded["inception_score"]
    text = _generative_text(frame, catalog.load_catalog())
    assert f"an FID of {recorded['fid']:.2f}" in text
    gans = frame[frame["evaluated on"] == "mnist/generated"]
    assert f"against {gans['FID'].min():.2f} for the best GAN" in text
    for kind_member in ("`vae.mnist`", "`dcgan.mnist`", "`digitnet`", "`unet`"):
        assert kind_member in text


def test_the_gradient_reach_text_says_where_each_curve_falls_a_thousandfold():
    import numpy as np

    reach = {"rnn": 10.0 ** -np.arange(10.0), "gpt": np.linspace(1, 0.5, 10)}
    text = _reach_text(reach)
    assert "10 characters back, what reaches the input is this part of the gradient at the last character read: 1e-09 for `rnn`" in text
    assert "below 1/1,000 of its value at the last character read after 5 characters for `rnn`" in text
    assert "It never does within the window for `gpt`" in text
    assert _reach_text({}) == ""


def test_the_context_text_gives_each_models_gain():
    frame = pd.DataFrame({"weights": ["a", "b"], "8 characters (nats)": [2.0, 1.9], "128 characters (nats)": [1.5, 1.85]})
    assert _context_text(frame) == "From windows of 8 characters to windows of 128, the loss falls by 0.500 nats for `a`, 0.050 nats for `b`."


def test_the_chatgpt_section_sets_the_shipped_gpt_beside_gpt2_gpt3_and_its_lstm():
    entries = catalog.load_catalog()
    text = _chatgpt_text(entries)
    gpt = entries["gpt.tinyshakespeare"]  # the GPT that read the most characters
    assert f"`gpt.tinyshakespeare` has {gpt['params']:,} parameters" in text
    assert f"{124e6 / gpt['params']:,.0f} times as many" in text and f"{175e9 / gpt['params']:,.0f} times" in text
    for corpus in ("dom_casmurro", "tinyshakespeare"):
        bits = [next(iter(entries[f"{m}.{corpus}"]["metrics"].values()))["bits_per_char"] for m in ("gpt", "char_lstm")]
        assert f"{bits[0]:.3f} bits against {bits[1]:.3f} on {corpus}.txt" in text
