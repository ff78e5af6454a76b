"""`toolkit fit` on the real MNIST: checkpoints, resume after a kill, seeds, strategies."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import toolkit
from tests.conftest import ROOT


def fit(out, *extra, model="lenet5"):
    args = ["fit", "--model", model, "--task", "digits", "--limit", "1000", "--batch-size", "100", "--out", str(out)]
    return CliRunner().invoke(toolkit, args + list(extra))


def test_short_fit_gives_a_loadable_checkpoint(data_dir, tmp_path):
    result = fit(tmp_path / "run", "--epochs", "1", "--tensorboard", "--augment", "elastic")
    assert result.exit_code == 0, result.output
    run = tmp_path / "run"
    for name in ("best.weights.h5", "config.json", "metrics.json", "history.csv", "history.png"):
        assert (run / name).exists(), name
    assert (run / "tensorboard").is_dir()
    assert json.loads((run / "config.json").read_text())["command"].startswith("toolkit fit --model lenet5")
    entry = json.loads((run / "entry.json").read_text())  # what loading the run needs, written when it ended
    assert (entry["arch"], entry["task"], entry["file"], entry["params"]) == ("lenet5", "digits", "best.weights.h5", 61_706)
    result = CliRunner().invoke(
        toolkit, ["evaluate", "--model", "lenet5", "--checkpoint", str(run / "best.weights.h5"), "--limit", "500"]
    )
    assert result.exit_code == 0, result.output
    assert "test error" in result.output
    for option in (["--model", "mlp"], ["--model", "lenet5", "--task", "folder"]):
        result = CliRunner().invoke(toolkit, ["evaluate", *option, "--checkpoint", str(run / "best.weights.h5")])
        assert result.exit_code == 2 and f"comes from a run of {option[-2]} " in result.output


def test_a_run_folder_is_weights_for_every_command(data_dir, tmp_path):
    import toolkit as api

    run = tmp_path / "run"
    assert fit(run, "--epochs", "1").exit_code == 0
    model = api.build_model("lenet5", weights=str(run))
    trained = api.build_model("lenet5", input_shape=(32, 32, 1))
    trained.load_weights(run / "best.weights.h5")
    for ours, theirs in zip(model.get_weights(), trained.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    result = CliRunner().invoke(toolkit, ["predict", str(ROOT / "samples" / "7.png"), "--weights", str(run)])
    assert result.exit_code == 0 and "7.png" in result.output, result.output
    result = CliRunner().invoke(toolkit, ["evaluate", "--weights", str(run), "--limit", "500"])
    assert result.exit_code == 0 and f"{run}: test error" in result.output, result.output
    with pytest.raises(ValueError, match="does not fit this resnet20: it holds the weights of build_model.'lenet5'"):
        api.build_model("resnet20", weights=str(run))
    result = CliRunner().invoke(toolkit, ["predict", "x.png", "--weights", str(tmp_path)])
    assert result.exit_code == 1 and "is not a run folder" in result.output


def test_a_finished_run_is_not_overwritten(data_dir, tmp_path):
    assert fit(tmp_path / "run", "--epochs", "1").exit_code == 0
    result = fit(tmp_path / "run", "--epochs", "1")
    assert result.exit_code == 1 and "--force" in result.output
    history = (tmp_path / "run" / "history.csv").read_text()
    result = fit(tmp_path / "run", "--epochs", "2", "--resume")  # it kept no backup to go on from
    assert result.exit_code == 1 and "holds a finished run, with nothing to resume" in result.output
    assert (tmp_path / "run" / "history.csv").read_text() == history
    assert fit(tmp_path / "run", "--epochs", "1", "--force").exit_code == 0


def _weights(path):
    with h5py.File(path) as f:
        arrays = []
        f.visititems(lambda name, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


@pytest.mark.slow
def test_same_seed_same_weights(data_dir, tmp_path):
    for name in ("a", "b"):
        assert fit(tmp_path / name, "--epochs", "1", "--seed", "7", "--augment", "affine").exit_code == 0
    for x, y in zip(_weights(tmp_path / "a" / "best.weights.h5"), _weights(tmp_path / "b" / "best.weights.h5")):
        np.testing.assert_array_equal(x, y)
    assert fit(tmp_path / "c", "--epochs", "1", "--seed", "8").exit_code == 0
    assert any(
        not np.array_equal(x, y)
        for x, y in zip(_weights(tmp_path / "a" / "best.weights.h5"), _weights(tmp_path / "c" / "best.weights.h5"))
    )


def _kill_after(command, out, env, epochs):
    """Start `command` and kill -9 it once its history.csv records `epochs` epochs."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history = out / "history.csv"
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        if history.exists() and len(history.read_text().splitlines()) >= 1 + epochs:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"


def _assert_same_run(run, unbroken):
    for x, y in zip(_weights(run / "best.weights.h5"), _weights(unbroken / "best.weights.h5"), strict=True):
        np.testing.assert_array_equal(x, y)
    ours, theirs = (pd.read_csv(r / "history.csv").drop(columns="seconds") for r in (run, unbroken))
    pd.testing.assert_frame_equal(ours, theirs)


@pytest.mark.slow
def test_killed_fit_resumes_from_its_last_epoch(data_dir, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "cli.main", "fit", "--model", "mlp", "--limit", "3000", "--batch-size", "32"]
    command += ["--epochs", "8", "--out", str(out)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    _kill_after(command, out, env, epochs=2)
    history = out / "history.csv"
    done = pd.read_csv(history)["epoch"].tolist()
    assert (out / "backup").exists() and not (out / "metrics.json").exists()
    other = subprocess.run(command + ["--lr", "0.5"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert other.returncode == 2 and "unfinished run started with other learning_rate" in other.stderr
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    epochs = pd.read_csv(history)["epoch"].tolist()
    assert len(done) >= 2 and epochs == list(range(8))  # continued, each epoch logged once
    assert (out / "metrics.json").exists()
    # and it ends where an unbroken run of the same command ends, to the bit
    unbroken = tmp_path / "unbroken"
    subprocess.run(command[:-1] + [str(unbroken)], cwd=ROOT, env=env, check=True, capture_output=True)
    _assert_same_run(out, unbroken)


RANDOM_RUNS = {  # training data or noise drawn by something other than a tf.data pipeline's seed
    "segmentation: crops drawn by NumPy": ["--model", "unet", "--task", "segmentation", "--data", "membrane",
        "--limit", "4", "--batch-size", "2", "--tile", "64", "--depth", "2", "--base-filters", "4"],
    "gan: noise from a seed generator": ["--model", "gan_mlp", "--task", "generation", "--limit", "2048",
        "--batch-size", "64"],
    "gan on jax: a PyDataset shuffled by NumPy": ["--model", "gan_mlp", "--task", "generation", "--limit", "2048",
        "--batch-size", "64"],
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("case", RANDOM_RUNS)
def test_a_killed_run_goes_on_with_the_random_numbers_of_the_unbroken_run(data_dir, tmp_path, case):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TOOLKIT_DATA": str(data_dir.resolve())}
    if "jax" in case:
        env.update(KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    command = [sys.executable, "-m", "cli.main", "fit", *RANDOM_RUNS[case], "--epochs", "4"]
    run, unbroken = tmp_path / "run", tmp_path / "unbroken"
    _kill_after(command + ["--out", str(run)], run, env, epochs=2)
    for out in (run, unbroken):
        subprocess.run(command + ["--out", str(out)], cwd=ROOT, env=env, check=True, capture_output=True)
    _assert_same_run(run, unbroken)


@pytest.mark.slow
def test_mirrored_strategy_on_two_cpu_devices(data_dir, tmp_path):
    code = (
        "import tensorflow as tf\n"
        "cpu = tf.config.list_physical_devices('CPU')[0]\n"
        "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)\n"
        "from click.testing import CliRunner\n"
        "from cli.main import toolkit\n"
        f"r = CliRunner().invoke(toolkit, ['fit', '--model', 'lenet5', '--limit', '512', '--batch-size', '64', "
        f"'--epochs', '1', '--strategy', 'mirrored', '--out', {str(tmp_path / 'm')!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(len(tf.config.list_logical_devices('CPU')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "2"
    assert (tmp_path / "m" / "best.weights.h5").exists()


def test_unknown_model_and_task(data_dir, tmp_path):
    result = CliRunner().invoke(toolkit, ["fit", "--model", "lenet6", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "Did you mean lenet5" in result.output
    result = CliRunner().invoke(toolkit, ["fit", "--model", "lenet5", "--task", "poetry", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "'poetry' is not one of 'autoencoding', 'digits', 'folder'" in result.output
    result = CliRunner().invoke(toolkit, ["fit", "--model", "unet", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "cannot take 28x28 digits" in result.output


def test_a_fit_that_fails_leaves_no_empty_folders(tmp_path):
    out = tmp_path / "new" / "run"
    result = CliRunner().invoke(toolkit, ["fit", "--model", "lenet5", "--task", "folder", "--data",
                                          str(tmp_path / "no-such-data"), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 1 and "no such folder" in result.output
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("model", ["perceptron", "alexnet"])
def test_any_fitting_model_adapts_to_digits(data_dir, model):
    from toolkit.tasks import get_task

    task = get_task("digits")
    built = task.build(model)
    images, _ = task.load("test", limit=4)
    assert np.asarray(task.probabilities(built, images)).shape == (4, 10)


def test_an_option_of_another_task_is_refused(tmp_path):
    result = fit(tmp_path / "run", "--lookback", "12")
    assert result.exit_code == 2 and "--lookback is not an option of the digits task" in result.output
    assert not (tmp_path / "run").exists()


def test_every_option_of_a_task_is_declared_once_in_its_options():
    """`toolkit fit`'s task options are the fields of the tasks' `Options`, so adding a setting is one field."""
    import dataclasses

    from cli.commands.fit import fit_command
    from toolkit.tasks import TASKS, task_class

    common = {"model_name", "task_name", "epochs", "batch_size", "learning_rate", "optimizer", "seed", "augment", "out",
              "resume", "force", "strategy", "tensorboard", "limit", "data_dir", "model_args", "weight_decay",
              "schedule", "precision", "recipe"}  # fmt: skip
    declared = {field.name for name in TASKS for field in dataclasses.fields(task_class(name).Options)}
    assert {param.name for param in fit_command.params} == common | declared


def test_force_replaces_the_run_files_and_keeps_every_other_file(data_dir, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    for name in ("config.json", "metrics.json"):  # a finished run
        (run / name).write_text("{}")
    (run / "important.txt").write_text("notes of my own")
    result = fit(run, "--epochs", "1", "--force")
    assert result.exit_code == 0, result.output
    assert (run / "important.txt").read_text() == "notes of my own"
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 1


@pytest.mark.parametrize("resume", [False, True])
def test_a_run_stopped_in_its_first_epoch_is_run_again_by_the_same_command(data_dir, tmp_path, resume):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")  # all a fit leaves when it is killed before an epoch ends
    result = fit(run, "--epochs", "1", *(["--resume"] if resume else []))
    assert result.exit_code == 0, result.output
    assert (run / "metrics.json").exists()
    # killed after its history logged the epoch, before the backup of it: the epoch is logged once
    for name in ("metrics.json", "entry.json"):
        (run / name).unlink()
    result = fit(run, "--epochs", "1", *(["--resume"] if resume else []))
    assert result.exit_code == 0, result.output
    assert pd.read_csv(run / "history.csv")["epoch"].tolist() == [0]


def test_a_weights_file_of_a_run_works_as_weights_and_a_lone_one_says_what_it_needs(data_dir, tmp_path):
    import shutil

    run = tmp_path / "run"
    assert fit(run, "--epochs", "1").exit_code == 0
    digit = str(ROOT / "samples" / "7.png")
    result = CliRunner().invoke(toolkit, ["predict", digit, "--weights", str(run / "best.weights.h5")])
    assert result.exit_code == 0, result.output
    lone = tmp_path / "elsewhere" / "mine.weights.h5"
    lone.parent.mkdir()
    shutil.copyfile(run / "best.weights.h5", lone)
    result = CliRunner().invoke(toolkit, ["predict", digit, "--weights", str(lone)])
    assert result.exit_code == 1
    assert f"{lone} is a weights file without its model: give the run folder" in result.output


def test_a_broken_weights_file_is_named_in_a_one_line_error(data_dir, tmp_path):
    run = tmp_path / "run"
    assert fit(run, "--epochs", "1", "--limit", "200").exit_code == 0
    (run / "best.weights.h5").write_bytes(b"not HDF5 at all")
    entry = json.loads((run / "entry.json").read_text())
    del entry["sha256"]  # accepted as changed, so the file itself is read
    (run / "entry.json").write_text(json.dumps(entry))
    result = CliRunner().invoke(toolkit, ["predict", str(ROOT / "samples" / "7.png"), "--weights", str(run)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {run.resolve() / 'best.weights.h5'}: not a readable weights file (")


def test_weights_changed_after_their_run_ended_are_refused_until_accepted(data_dir, tmp_path):
    run = tmp_path / "run"
    assert fit(run, "--epochs", "1", "--limit", "200").exit_code == 0
    with h5py.File(run / "best.weights.h5", "r+") as f:  # still a valid file, with one weight changed
        kernels = []
        f.visititems(lambda name, item: kernels.append(item) if isinstance(item, h5py.Dataset) else None)
        kernels[0][...] = kernels[0][()] + 1.0
    predict = ["predict", str(ROOT / "samples" / "7.png"), "--weights", str(run)]
    result = CliRunner().invoke(toolkit, predict)
    assert result.exit_code == 1 and "has changed since its run ended" in result.output
    entry = json.loads((run / "entry.json").read_text())
    del entry["sha256"]  # as the message says
    (run / "entry.json").write_text(json.dumps(entry))
    assert CliRunner().invoke(toolkit, predict).exit_code == 0


def test_the_learning_rate_schedules():
    """cosine: from the rate given to 1 % of it; warmup-cosine: a tenth for one epoch, then cosine towards 0."""
    from toolkit.tasks.training import learning_rate_at

    cosine = [learning_rate_at(e, 10, 0.1) for e in range(11)]
    assert cosine[0] == 0.1 and cosine[10] == pytest.approx(0.001) and all(a > b for a, b in zip(cosine, cosine[1:]))
    warm = [learning_rate_at(e, 10, 0.1, "warmup-cosine") for e in range(10)]
    assert warm[0] == pytest.approx(0.01) and warm[1] == 0.1 and warm[9] < 0.05 * 0.1
    assert all(a > b for a, b in zip(warm[1:], warm[2:]))
    with pytest.raises(ValueError, match="schedule must be cosine or warmup-cosine"):
        learning_rate_at(0, 10, 0.1, "step")


def test_a_recipe_gives_the_settings_the_command_line_does_not(data_dir, tmp_path):
    """The cifar10 recipe's settings, LeNet-5's own learning rate among them; options given win,
    and the recorded command spells every setting out."""
    out = tmp_path / "run"
    result = CliRunner().invoke(toolkit, ["fit", "--recipe", "cifar10", "--model", "lenet5", "--epochs", "1",
                                      "--per-class", "10", "--weight-decay", "1e-3", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert (config["task"], config["learning_rate"], config["weight_decay"], config["optimizer"]) == ("folder", 0.01, 1e-3, "sgd")
    assert config["task_settings"]["validation_split"] == 0.1 and config["task_settings"]["image_size"] == 32
    assert config["command"] == (
        "toolkit fit --model lenet5 --task folder --recipe cifar10 --epochs 1 --batch-size 128 --lr 0.01"
        " --optimizer sgd --seed 0 --augment crop-flip --strategy default --weight-decay 0.001 --schedule warmup-cosine"
        f" --data cifar10 --image-size 32 --per-class 10 --validation-split 0.1 --out {out}"
    )
    assert config["schedule"] == "warmup-cosine" and config["hyperparameters"]["augment"].startswith("pad 4")


@pytest.mark.parametrize(
    "options, message",
    [
        (["--task", "digits", "--augment", "crop-flip"], "--augment crop-flip: the digits task takes none, affine, elastic"),
        (["--recipe", "cifar10", "--task", "digits"], "the cifar10 recipe trains the folder task, not digits"),
        (["--recipe", "cifar100"], "Invalid value for '--recipe'"),
    ],
)
def test_settings_a_task_cannot_train_with_are_refused(tmp_path, options, message):
    result = CliRunner().invoke(toolkit, ["fit", "--model", "lenet5", *options, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "run").exists()


def test_a_run_folder_in_use_by_another_fit_is_refused(data_dir, tmp_path):
    """A second fit into the folder a running fit holds says so and touches nothing; once the lock
    is let go, the same command trains."""
    from toolkit import files

    out = tmp_path / "run"
    out.mkdir()
    held = files.lock(out)  # as a running fit holds it
    result = fit(out, "--epochs", "1")
    assert result.exit_code == 1 and result.output == (
        f"Error: {out} is in use by another toolkit process; wait for it to end or choose another folder\n"
    )
    assert [p.name for p in out.iterdir()] == [files.LOCK_FILE]
    held.close()
    assert fit(out, "--epochs", "1").exit_code == 0


def test_training_across_processes_on_tensorflow_is_refused_with_the_reason(tmp_path):
    """Keras 3's fit cannot train under TensorFlow's MultiWorkerMirroredStrategy (keras-team/keras#20585):
    the toolkit says so before it touches anything, instead of failing inside the first batch."""
    result = fit(tmp_path / "run", "--strategy", "multi-worker")
    assert result.exit_code == 2 and "needs the JAX backend (KERAS_BACKEND=jax)" in result.output
    assert "keras-team/keras#20585" in result.output and not (tmp_path / "run").exists()


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers(out, port, epochs, data_dir):
    """Two `toolkit fit --strategy multi-worker` processes of one run, on the JAX backend."""
    command = [sys.executable, "-m", "cli.main", "fit", "--model", "lenet5", "--limit", "1024", "--batch-size", "64",
               "--epochs", str(epochs), "--strategy", "multi-worker", "--out", str(out)]  # fmt: skip
    processes = []
    for index in range(2):
        env = {**os.environ, "KERAS_BACKEND": "jax", "TOOLKIT_DATA": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "3",
               "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{port}", "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
               "KERAS_DISTRIBUTION_PROCESS_ID": str(index)}  # fmt: skip
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))  # fmt: skip
    return processes


def _digests(processes):
    outputs = [process.communicate(timeout=300)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    return [re.search(r"process \d of 2: weights digest (\w+)", output)[1] for output in outputs]


@pytest.mark.slow
def test_two_processes_train_one_run_and_recover_from_a_killed_one(data_dir, tmp_path):
    """Two processes on 127.0.0.1 train one run data-parallel (each reads half of every batch): both
    end with the same weights, and the first alone writes the run folder. A process killed in the
    middle stops the run; the same two commands again go on from the last epoch both backed up."""
    out = tmp_path / "run"
    first, second = _digests(_workers(out, _free_port(), 2, data_dir))
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # the second process's own state is gone
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == [0, 1]
    config = json.loads((out / "config.json").read_text())
    assert config["command"].startswith("KERAS_BACKEND=jax toolkit fit") and "--strategy multi-worker" in config["command"]

    stopped = tmp_path / "stopped"
    processes = _workers(stopped, _free_port(), 6, data_dir)
    backup = stopped / "backup" / "training_metadata.json"
    deadline = time.time() + 300
    while time.time() < deadline and not (backup.exists() and json.loads(backup.read_text())["epoch"] >= 2):
        time.sleep(0.05)
    processes[1].kill()  # one machine goes down mid-run
    try:
        processes[0].wait(timeout=30)  # the other one fails, or waits for it forever
    except subprocess.TimeoutExpired:
        processes[0].kill()
    for process in processes:
        process.communicate()
    assert not (stopped / "metrics.json").exists()
    first, second = _digests(_workers(stopped, _free_port(), 6, data_dir))  # the documented recovery: both again
    assert first == second
    epochs = pd.read_csv(stopped / "history.csv")["epoch"].tolist()
    assert epochs == list(range(6))  # went on from its backup, one row per epoch
