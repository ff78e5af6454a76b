"""Inference speed: the tasks' way of running a model on a batch against calling it eagerly.

Every task answers through `predict_batch` (Keras's compiled predict step: a graph on
TensorFlow). This runs it and a plain eager call `model(batch, training=False)` side by side,
in this one process, on the same batches of real test images for three shipped models: the
CIFAR-10 ResNet-56, the nuclei U-Net (its 128x128 tiles) and the digit classifier. Prints
images/second of each way, their ratio (the target is at least 1.0) and the largest difference
between the two outputs.

    TOOLKIT_DATA=../shared/data python benchmarks/inference.py [--images 1024] [--repeats 3]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from toolkit import hub, tasks  # noqa: E402
from toolkit.models._common import predict_batch  # noqa: E402


def real_inputs(weights_id, model, count):
    """`count` real test inputs for the entry's `model`, as its task feeds them, and the task's
    batch size."""
    task = tasks.task_for(weights_id)
    if weights_id == "unet.nuclei":
        images, _ = task.split(None, "validation")
        tile = task.settings["tile"]
        tiles = [image[:tile, :tile] for image in images if min(image.shape) >= tile]
        return np.stack((tiles * (count // len(tiles) + 1))[:count])[..., None].astype("float32"), 8
    if weights_id == "digits.best":
        images, _ = task.load("test", limit=count)
        return np.asarray(task.adapt(images, model.input_shape[1:])), 512
    images, _ = task._load(task.pairs()["test"][:count])
    return task._preprocess(images), 256


def images_per_second(run, batches, repeats):
    run(batches[0])  # warm-up; predict_batch runs a model's first batch eagerly,
    run(batches[0])  # and builds its graph on the second
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            run(batch)
        best = min(best, time.perf_counter() - start)
    return sum(len(b) for b in batches) / best


def compare(weights_id, count, repeats):
    """One line: both ways' images/second on the same batches, their ratio and largest difference."""
    model = hub.load_pretrained(weights_id)
    inputs, batch_size = real_inputs(weights_id, model, count)
    batches = [inputs[i : i + batch_size] for i in range(0, len(inputs), batch_size)]

    def eager(batch):
        return np.asarray(model(batch, training=False))

    def compiled(batch):
        return predict_batch(model, batch)

    slow, fast = images_per_second(eager, batches, repeats), images_per_second(compiled, batches, repeats)
    difference = max(float(np.abs(compiled(b) - eager(b)).max()) for b in batches)
    return (
        f"{weights_id:18} eager {slow:8.1f} img/s   predict_batch {fast:8.1f} img/s   "
        f"ratio {fast / slow:.2f}   largest output difference {difference:.1e}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for weights_id in ("resnet56.cifar10", "unet.nuclei", "digits.best"):
        print(compare(weights_id, args.images, args.repeats), flush=True)


if __name__ == "__main__":
    main()
