"""Matplotlib figures built from measured results."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def confusion_figure(confusion, labels, path):
    """The confusion matrix (true class by row, predicted by column) as a PNG."""
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.imshow(np.log1p(confusion), cmap="Blues")
    for (i, j), n in np.ndenumerate(confusion):
        ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color="white" if i == j else "black")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def mistakes_grid(result, labels, path, count=36):
    """The most confident mistakes as an image grid, each titled 'true -> predicted (p)'."""
    probs, truth = result["probabilities"], result["labels_array"]
    predicted = probs.argmax(1)
    wrong = np.flatnonzero(predicted != truth)
    wrong = wrong[np.argsort(-probs[wrong, predicted[wrong]])][:count]
    columns = 6
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.5, rows * 1.7), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(np.squeeze(result["images_array"][i]), cmap="gray")
        ax.set_title(f"{labels[truth[i]]} -> {labels[predicted[i]]} ({probs[i, predicted[i]]:.2f})", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def forecast_figure(task, model, future, path):
    """History, the held-out tail with the model's rolling forecasts, and the future with its interval."""
    series = task.series()
    y = series.frame[series.target]
    _, test_start, end = task.bounds()
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(y.index[:test_start], y.to_numpy()[:test_start], color="black", lw=1, label="history")
    ax.plot(y.index[test_start:], y.to_numpy()[test_start:], color="tab:green", lw=1.5, label="held-out truth")
    h = task.settings["horizon"]
    rolling = task.rolling_forecasts(lambda x: np.asarray(model(x, training=False)), test_start, end)
    origins = y.index[task.first_origin(test_start) : end - h + 1]
    ax.plot(origins, rolling[:, 0], color="tab:orange", lw=1.2, ls="--", label="model, one step ahead")
    ax.plot(future["time"], future["forecast"], color="tab:blue", lw=1.5, label="forecast")
    ax.fill_between(
        future["time"], future["lower"], future["upper"], color="tab:blue", alpha=0.2, label="95 % interval"
    )
    ax.set_title(f"{series.target}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
