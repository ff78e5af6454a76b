"""The benchmark scripts' own pieces: the CIFAR-10 augmentation, learning-rate schedule and resume."""

import importlib.util
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("cifar10_benchmark", ROOT / "benchmarks" / "cifar10.py")
cifar10 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cifar10)


def test_augment_crops_and_flips_within_the_padding():
    images = np.random.default_rng(0).integers(1, 255, (64, 32, 32, 3)).astype("uint8")
    out = cifar10.augment(images, np.random.default_rng(1), pad=4)
    assert out.shape == images.shape
    for original, crop in zip(images, out):
        padded = np.pad(original, [(4, 4), (4, 4), (0, 0)])
        windows = [padded[y : y + 32, x : x + 32] for y in range(9) for x in range(9)]
        assert any(np.array_equal(crop, w) or np.array_equal(crop, w[:, ::-1]) for w in windows)
    changed = sum(not np.array_equal(o, c) for o, c in zip(images, out))
    assert changed > 0  # not every image is left as it was


def test_cutout_blanks_one_square_cut_off_at_the_border():
    images = np.random.default_rng(0).uniform(0.5, 1, (200, 32, 32, 3)).astype("float32")
    out = cifar10.cutout(images, np.random.default_rng(1), 8)
    assert out.shape == images.shape and out.dtype == images.dtype
    blanked = (out == 0).all(axis=3)
    assert np.array_equal(out[~blanked], images[~blanked])  # the rest is left as it was
    sizes = []
    for mask in blanked:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        assert mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].all() and mask.sum() == len(rows) * len(cols)
        sizes.append((len(rows), len(cols)))
    assert max(sizes) == (8, 8) and min(min(sizes)) < 8  # whole squares, and some cut off at a border


def test_learning_rate_warms_up_then_decays():
    rates = [cifar10.learning_rate(e, 10, 0.1) for e in range(10)]
    assert rates[0] == 0.1 * 0.1 and rates[1] == 0.1
    assert all(a > b for a, b in zip(rates[1:], rates[2:])) and rates[-1] < 0.05 * 0.1


def test_a_soup_is_the_mean_of_its_runs_as_a_run_folder(tmp_path):
    """`--seeds 3,5`: the runs' weights, histories and times make one run folder that publish takes."""
    import toolkit

    model = toolkit.build_model("lenet5", **cifar10.BUILD_ARGS)
    runs = []
    for seed, value in ((3, 1.0), (5, 4.0)):
        run = tmp_path / f"seed{seed}" / "lenet5"
        run.mkdir(parents=True)
        model.set_weights([np.full(w.shape, value, "float32") for w in model.get_weights()])
        model.save_weights(str(run / "best.weights.h5"))
        command = f"python benchmarks/cifar10.py --models lenet5 --epochs 2 --seed {seed} --lr 0.02"
        recipe = {"learning_rate": 0.02}
        config = {"model": "lenet5", "command": command, "hyperparameters": recipe, "build": cifar10.BUILD_ARGS,
                  "task_settings": {**cifar10.TASK_SETTINGS, "class_names": list("abcdefghij")}}  # fmt: skip
        (run / "config.json").write_text(json.dumps(config))
        (run / "history.csv").write_text(f"epoch,accuracy,val_accuracy\n0,0.{seed},NA\n1,0.{seed + 1},NA\n")
        metrics = {"epochs": 2, "seconds": 10 * seed, "epoch_seconds": [9, seed], "epoch_machines": ["m", "m"],
                   "machine": "m", "concurrent_runs": 2}  # fmt: skip
        (run / "metrics.json").write_text(json.dumps(metrics))
        runs.append(run)
    cifar10.make_soup(runs, tmp_path / "lenet5")
    soup = tmp_path / "lenet5"
    model.load_weights(str(soup / "best.weights.h5"))
    assert all(np.allclose(w, 2.5) for w in model.get_weights())
    config = json.loads((soup / "config.json").read_text())
    assert config["command"].endswith("--epochs 2 --seeds 3,5 --lr 0.02")
    assert config["hyperparameters"] == {"learning_rate": 0.02, "soup": "the mean of the weights of 2 runs, seeds 3, 5"}
    from toolkit import hub, runs

    assert runs.history(soup / "history.csv") == {"accuracy": [0.4, 0.5]}
    metrics = json.loads((soup / "metrics.json").read_text())
    assert (metrics["seconds"], metrics["seconds_per_epoch"], metrics["epochs_timed"], metrics["runs"]) == (80, 4, 2, 2)
    assert hub.load_pretrained(str(soup)).count_params() == model.count_params()  # its entry.json loads it


def test_seconds_per_epoch_are_those_of_the_machine_named():
    """A run carried across hosts: the median is over the final host's epochs, the warm-up aside."""
    times, machines = [900, 500, 510, 4000, 730, 740, 750], [None, None, None, None, "b", "b", "b"]
    assert cifar10.seconds_per_epoch(times, machines, "b") == (740, 3)
    assert cifar10.seconds_per_epoch(times, [None] * 7, "b") == (735, 6)  # runs before hosts were recorded


def test_machines_that_share_a_name_are_told_apart_by_their_vector_unit():
    from toolkit.machine import describe_machine, vector_extension

    assert vector_extension("fpu sse2 avx avx2 avx512f avx512_bf16".split()) == " (AVX-512)"
    assert vector_extension("fpu sse2 avx avx2".split()) == " (AVX2)"
    assert vector_extension(["fpu", "sse2"]) == ""
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if cpuinfo.exists() and "avx2" in cpuinfo.read_text():
        assert "(AVX" in describe_machine()


def worker_command(tmp_path, *options):
    """The command of a LeNet-5 worker of 6 epochs on random images, and its environment."""
    rng = np.random.default_rng(0)
    images = lambda n: rng.uniform(-1, 1, (n, 32, 32, 3)).astype("float32")  # noqa: E731
    np.savez(tmp_path / "cache.npz", train_x=images(512), train_y=rng.integers(0, 10, 512),
             validation_x=images(128), validation_y=rng.integers(0, 10, 128))  # fmt: skip
    command = [sys.executable, str(ROOT / "benchmarks" / "cifar10.py"), "--worker", "lenet5", "--epochs", "6",
               "--out", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache.npz"),
               "--classes", ",".join("abcdefghij"), "--machine", "test", *options]  # fmt: skip
    return command, {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}


def start_and_stop_a_worker(tmp_path, *options):
    """Start a LeNet-5 worker of 6 epochs on random images; kill it once its run folder holds an epoch."""
    command, env = worker_command(tmp_path, *options)
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    progress = tmp_path / "runs" / "lenet5" / "progress.json"
    while not progress.exists() and worker.poll() is None:
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    stopped_at = len(json.loads(progress.read_text())["epoch_seconds"])
    assert 1 <= stopped_at < 6, "the worker finished before it could be stopped"
    return command, env, stopped_at


@pytest.mark.slow
def test_a_second_run_of_shipped_weights_on_all_training_images(tmp_path):
    """`--start-weights` starts from a catalog entry (recorded, for the catalog's `starts_from`);
    `--all-training-images` holds none out and keeps the last epoch."""
    from toolkit import hub, runs

    options = ["--epochs", "2", "--lr", "1e-9", "--cutout", "8", "--all-training-images",
               "--start-weights", "lenet5.cifar10"]  # fmt: skip
    command, env = worker_command(tmp_path, *options)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    run = tmp_path / "runs" / "lenet5"
    config = json.loads((run / "config.json").read_text())
    assert config["start_weights"] == "lenet5.cifar10" and config["hyperparameters"]["training_images"] == 640
    assert config["hyperparameters"]["augment"].endswith("cutout 8x8") and config["hyperparameters"]["learning_rate"] == 1e-9
    assert config["command"].endswith(
        "--epochs 2 --seed 0 --weight-decay 0.005 --lr 1e-09 --cutout 8 --all-training-images"
        " --start-weights lenet5.cifar10"
    )
    assert runs.history(run / "history.csv").keys() == {"accuracy"}  # nothing held out to validate on
    trained, shipped = hub.load_pretrained("lenet5.cifar10"), hub.load_pretrained("lenet5.cifar10")
    trained.load_weights(str(run / "best.weights.h5"))
    for after, before in zip(trained.get_weights(), shipped.get_weights()):
        np.testing.assert_allclose(after, before, atol=1e-6)  # a learning rate of 1e-9 leaves the start as it was


@pytest.mark.slow
def test_a_stopped_run_resumes_where_it_stopped(tmp_path):
    """Kill a worker after its first epoch; `--resume` finishes the run with one history."""
    command, env, stopped_at = start_and_stop_a_worker(tmp_path)
    done = subprocess.run(command + ["--resume"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"resumed after epoch {stopped_at}/6" in done.stdout
    assert_finished(tmp_path / "runs" / "lenet5")


def assert_finished(run):
    history = (run / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == [str(e) for e in range(6)]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs"] == 6 and len(metrics["epoch_seconds"]) == 6
    assert metrics["epoch_machines"] == ["test"] * 6 and metrics["epochs_timed"] == 5  # the warm-up aside
    assert not (run / "last.weights.h5").exists()
    entry = json.loads((run / "entry.json").read_text())  # so `--weights RUN` loads it
    assert entry["arch"] == "lenet5" and entry["task"] == "folder" and entry["params"] == metrics["parameters"]
