"""Training speed: `toolkit fit` for LeNet-5 against a plain Keras script, side by side.

Both train the same network (the lecture's LeNet-5, Adam, batch 128) on the same 55,000 real
MNIST training digits padded to 32x32, validating on the same 5,000 after each epoch, for the
same number of epochs, each in a fresh process. Prints images/second of each (the median over
the epochs after the first, which traces; training and validation, not the toolkit's checkpoint
saving) and their ratio, for several rounds that take turns, then the median ratio; the target
is at least 1.2. The toolkit runs seeded (same seed, same weights); the plain script does not.
Where PyTorch is installed, an eager PyTorch loop of the same LeNet-5 on the same data runs too,
as a third reference.

    TOOLKIT_DATA=../shared/data python benchmarks/fit_lenet5.py [--epochs 4] [--rounds 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from cli.main import toolkit  # noqa: E402
from toolkit.tasks.digits import DigitsTask  # noqa: E402


def plain_keras(epochs, batch_size):
    """The plain script: numpy arrays into model.fit, a hand-written Sequential LeNet-5."""
    images, labels = DigitsTask().load("train")
    images = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    val_images, val_labels = DigitsTask().load("validation")
    val_images = np.pad(val_images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 1)),
            keras.layers.Conv2D(6, 5, activation="tanh"),
            keras.layers.AveragePooling2D(2),
            keras.layers.Conv2D(16, 5, activation="tanh"),
            keras.layers.AveragePooling2D(2),
            keras.layers.Conv2D(120, 5, activation="tanh"),
            keras.layers.Flatten(),
            keras.layers.Dense(84, activation="tanh"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(
        images,
        labels,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(val_images, val_labels),
        callbacks=[Timer()],
        verbose=0,
    )
    return len(images) / statistics.median(times[1:])


def pytorch_loop(epochs, batch_size):
    """The same LeNet-5 in an eager PyTorch loop (Adam, batch 128, shuffled each epoch), or None
    without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    images, labels = DigitsTask().load("train")
    x = torch.from_numpy(np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0))).transpose(0, 3, 1, 2).copy())
    y = torch.from_numpy(labels.astype(np.int64))
    val_images, val_labels = DigitsTask().load("validation")
    vx = torch.from_numpy(np.pad(val_images, ((0, 0), (2, 2), (2, 2), (0, 0))).transpose(0, 3, 1, 2).copy())
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                          nn.AvgPool2d(2), nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(), nn.Linear(120, 84),
                          nn.Tanh(), nn.Linear(84, 10))  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for rows in torch.randperm(len(x)).split(batch_size):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(vx[k : k + 512]).argmax(1).numpy() == val_labels[k : k + 512]).sum()
                          for k in range(0, len(vx), 512))  # fmt: skip
        times.append(time.perf_counter() - start)
    assert correct > 0.9 * len(vx)  # it learned, so it timed real training
    return len(x) / statistics.median(times[1:])


def toolkit_fit(epochs, batch_size):
    """`toolkit fit --model lenet5 --task digits`, through the real command."""
    with tempfile.TemporaryDirectory() as out:
        args = ["fit", "--model", "lenet5", "--epochs", str(epochs), "--batch-size", str(batch_size), "--out", out]
        result = CliRunner().invoke(toolkit, args)
        if result.exit_code:
            raise SystemExit(result.output)
        metrics = json.loads(open(os.path.join(out, "metrics.json")).read())
    return (60_000 - 5_000) / statistics.median(metrics["epoch_seconds"][1:])


RUNNERS = {"toolkit": toolkit_fit, "keras": plain_keras, "pytorch": pytorch_loop}


def measure(runner, epochs, batch_size):
    """Images/second of one runner, each in a fresh process: no thread pool, setting or cache of
    one run is left to the next."""
    command = [sys.executable, __file__, "--only", runner, "--epochs", str(epochs), "--batch-size", str(batch_size)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{runner} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of toolkit, plain Keras (and PyTorch), in turn")
    parser.add_argument("--only", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        print(json.dumps(RUNNERS[args.only](args.epochs, args.batch_size)))
        return
    from toolkit.machine import describe_machine

    print(f"machine: {describe_machine()}")
    ratios, torch_ratios = [], []
    for number in range(1, args.rounds + 1):
        load = os.getloadavg()[0]
        ours, plain = measure("toolkit", args.epochs, args.batch_size), measure("keras", args.epochs, args.batch_size)
        torch = measure("pytorch", args.epochs, args.batch_size)
        ratios.append(ours / plain)
        line = f"round {number} (load average {load:.2f}): toolkit fit {ours:,.0f}, plain Keras {plain:,.0f}"
        if torch is not None:
            torch_ratios.append(ours / torch)
            line += f", PyTorch {torch:,.0f}"
        print(f"{line} images/s; ratio {ratios[-1]:.2f}", flush=True)
    if not torch_ratios:
        print("PyTorch: not installed; its reference is skipped (pip install torch)")
    else:
        print(f"median ratio toolkit / PyTorch: {statistics.median(torch_ratios):.2f}")
    print(f"median ratio toolkit / plain Keras: {statistics.median(ratios):.2f} (target: at least 1.2)")


if __name__ == "__main__":
    main()
