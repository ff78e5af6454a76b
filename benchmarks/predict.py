"""Prediction through ONNX Runtime against Keras: fresh commands, and warm throughput.

Side by side, each in fresh processes (the median of --repeats runs): `toolkit predict samples/`
with the default model, and `toolkit predict` of one CIFAR-10 test image with
resnet20.cifar10_soup, each with `--runtime onnx` and `--runtime keras` (wall time and peak
memory, and their ratios); `toolkit --help`. Then, in this process, warm throughput at batch 256
of ONNX Runtime against Keras's compiled predict for digits.best and resnet20.cifar10_soup.
ONNX forms not shipped are exported into the cache first, so every timed run finds one.

    TOOLKIT_DATA=../shared/data python benchmarks/predict.py [--repeats 3]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = pathlib.Path(__file__).resolve().parents[1]
# runs a command and prints its wall time and peak memory (the child's maximum resident set, KiB)
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
seconds = time.perf_counter() - start
if done.returncode:
    sys.exit(done.stderr[-2000:])
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(command, repeats):
    """(median wall seconds, median peak MiB) of `command` run `repeats` times in fresh processes."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", MEASURE, *command], cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()[-2000:]}")
        seconds, kib = done.stdout.split()
        runs.append((float(seconds), int(kib) / 1024))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def cifar_image():
    from toolkit.data.paths import data_dir

    folder = data_dir() / "cifar10" / "test"
    return str(sorted(sorted(folder.iterdir())[0].iterdir())[0])


def warm_throughput(weights_id, batch_size=256, repeats=10):
    """Images per second of ONNX Runtime and of Keras's compiled predict, warm, at one batch size."""
    import numpy as np

    from toolkit import hub, runtime, tasks
    from toolkit.models._common import predict_batch

    task = tasks.task_for(weights_id)
    keras_model, onnx_model = hub.load_pretrained(weights_id), runtime.load_model(weights_id, "onnx")
    (batch,) = task.example_inputs(keras_model, count=batch_size)
    batch = np.resize(batch, (batch_size, *batch.shape[1:]))  # repeated where the task gives fewer
    models = {"onnx": onnx_model, "keras": keras_model}
    best = dict.fromkeys(models, float("inf"))
    for model in models.values():
        predict_batch(model, batch), predict_batch(model, batch)  # warm: Keras builds its graph on the second
    for _ in range(repeats):  # in turns, so a busy moment of the machine falls on both
        for name, model in models.items():
            start = time.perf_counter()
            predict_batch(model, batch)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: batch_size / seconds for name, seconds in best.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from toolkit import runtime
    from toolkit.machine import describe_machine

    for weights_id in ("digits.best", "resnet20.cifar10_soup"):
        runtime.onnx_form(weights_id, create=True)  # the cache filled before any timing
    print(f"machine: {describe_machine()}, load average {os.getloadavg()[0]:.2f}")
    toolkit = [sys.executable, "-m", "cli.main"]
    commands = {
        "predict samples/ (20 images, digits.best)": ["predict", "samples/"],
        "predict 1 CIFAR-10 image (resnet20.cifar10_soup)": ["predict", cifar_image(), "--weights", "resnet20.cifar10_soup"],
    }  # fmt: skip
    results = {}
    for name, command in commands.items():
        onnx = measure(toolkit + command + ["--runtime", "onnx"], args.repeats)
        keras = measure(toolkit + command + ["--runtime", "keras"], args.repeats)
        results[name] = {"onnx_seconds": onnx[0], "keras_seconds": keras[0], "speedup": keras[0] / onnx[0],
                         "onnx_mib": onnx[1], "keras_mib": keras[1]}  # fmt: skip
        print(f"{name}: onnx {onnx[0]:.2f} s, {onnx[1]:.0f} MiB | keras {keras[0]:.2f} s, {keras[1]:.0f} MiB"
              f" | {keras[0] / onnx[0]:.1f}x faster, {keras[1] / onnx[1]:.1f}x less memory")  # fmt: skip
    help_seconds = measure(toolkit + ["--help"], args.repeats)[0]
    print(f"toolkit --help: {help_seconds:.2f} s")
    for weights_id in ("digits.best", "resnet20.cifar10_soup"):
        rates = warm_throughput(weights_id)
        results[f"warm {weights_id}"] = rates
        print(f"warm, batch 256, {weights_id}: onnx {rates['onnx']:,.0f} images/s | keras {rates['keras']:,.0f}"
              f" images/s | ratio {rates['onnx'] / rates['keras']:.2f}")  # fmt: skip
    results["help_seconds"] = help_seconds
    print(json.dumps(results))


if __name__ == "__main__":
    main()
