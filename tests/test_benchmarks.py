"""The CIFAR-10 benchmark: `toolkit fit --recipe cifar10` for each family, its soups, its resumes."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("cifar10_benchmark", ROOT / "benchmarks" / "cifar10.py")
cifar10 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cifar10)


def benchmark(data_dir, out, *options):
    environment = {**os.environ, "TOOLKIT_DATA": str(data_dir), "KERAS_BACKEND": "tensorflow"}
    command = [sys.executable, str(ROOT / "benchmarks" / "cifar10.py"), "--out", str(out), *options]
    return subprocess.run(command, env=environment, capture_output=True, text=True, cwd=out.parent)


@pytest.mark.slow
def test_each_model_is_a_run_of_toolkit_fit_with_the_recipe(data_dir, tmp_path):
    """LeNet-5 for one epoch on 20 images a class: a `toolkit fit` run folder whose command repeats it,
    with the recipe's settings for LeNet-5 (a learning rate of 0.01) and the options given."""
    out = tmp_path / "runs"
    done = benchmark(data_dir, out, "--models", "lenet5", "--epochs", "1", "--per-class", "20", "--cutout", "8")
    assert done.returncode == 0, done.stderr[-3000:] + (out / "lenet5.log").read_text()[-3000:]
    run = out / "lenet5"
    config = json.loads((run / "config.json").read_text())
    assert config["command"].startswith("toolkit fit --model lenet5 --task folder --recipe cifar10 --epochs 1")
    assert " --lr 0.01 --optimizer sgd " in config["command"] and " --cutout 8 " in config["command"]
    assert config["hyperparameters"] == {
        "optimizer": "sgd, nesterov momentum 0.9", "learning_rate": 0.01, "schedule": "warmup-cosine",
        "batch_size": 128, "weight_decay": 0.005, "augment": "pad 4 + random crop, horizontal flip, cutout 8x8",
        "training_images": 180, "precision": "float32",
    }  # fmt: skip
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["concurrent_runs"] == 1 and len(metrics["epoch_seconds"]) == 1
    assert "lenet5: 1 epochs" in done.stdout
    # a second call with --resume keeps the finished run as it was
    before = (run / "best.weights.h5").read_bytes()
    again = benchmark(data_dir, out, "--models", "lenet5", "--epochs", "1", "--per-class", "20", "--resume")
    assert again.returncode == 0 and "0 runs" in again.stdout
    assert (run / "best.weights.h5").read_bytes() == before


@pytest.mark.slow
def test_a_soup_is_the_mean_of_its_runs_as_a_run_folder(data_dir, tmp_path):
    """`--seeds 3,5`: the runs' weights, histories and times make one run folder that publish takes."""
    from toolkit import hub, runs

    out = tmp_path / "runs"
    done = benchmark(data_dir, out, "--models", "lenet5", "--epochs", "2", "--per-class", "10", "--seeds", "3,5")
    assert done.returncode == 0, done.stderr[-3000:]
    parts = [hub.load_pretrained(str(out / f"seed{seed}" / "lenet5")) for seed in (3, 5)]
    soup = hub.load_pretrained(str(out / "lenet5"))  # its entry.json loads it, hash and all
    for mean, a, b in zip(soup.get_weights(), *(part.get_weights() for part in parts)):
        np.testing.assert_allclose(mean, (a + b) / 2, rtol=1e-6, atol=1e-7)
    assert not np.allclose(parts[0].get_weights()[0], parts[1].get_weights()[0])  # two seeds, two runs
    config = json.loads((out / "lenet5" / "config.json").read_text())
    assert config["command"].endswith("cifar10.py --models lenet5 --epochs 2 --seeds 3,5 --per-class 10")
    assert config["hyperparameters"]["soup"] == "the mean of the weights of 2 runs, seeds 3, 5"
    histories = [runs.history(out / f"seed{seed}" / "lenet5" / "history.csv") for seed in (3, 5)]
    np.testing.assert_allclose(
        runs.history(out / "lenet5" / "history.csv")["accuracy"],
        np.mean([h["accuracy"] for h in histories], axis=0),
        atol=1e-4,
    )
    metrics = json.loads((out / "lenet5" / "metrics.json").read_text())
    parts_metrics = [json.loads((out / f"seed{s}" / "lenet5" / "metrics.json").read_text()) for s in (3, 5)]
    assert metrics["runs"] == 2 and metrics["concurrent_runs"] == 2
    assert metrics["seconds"] == round(sum(m["seconds"] for m in parts_metrics), 1)
    assert metrics["epoch_seconds"] == [m["epoch_seconds"][1] for m in parts_metrics]  # the first epochs aside


def test_an_unknown_model_or_foreign_start_is_refused(data_dir, tmp_path):
    done = benchmark(data_dir, tmp_path / "runs", "--models", "resnet21")
    assert done.returncode == 2 and "unknown model 'resnet21'" in done.stderr
    done = benchmark(data_dir, tmp_path / "runs", "--models", "lenet5", "--start-weights", "resnet20.cifar10")
    assert done.returncode == 2 and "not weights of lenet5" in done.stderr


def test_machines_that_share_a_name_are_told_apart_by_their_vector_unit():
    import pathlib

    from toolkit.machine import describe_machine, vector_extension

    assert vector_extension("fpu sse2 avx avx2 avx512f avx512_bf16".split()) == " (AVX-512)"
    assert vector_extension("fpu sse2 avx avx2".split()) == " (AVX2)"
    assert vector_extension(["fpu", "sse2"]) == ""
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if cpuinfo.exists() and "avx2" in cpuinfo.read_text():
        assert "(AVX" in describe_machine()
