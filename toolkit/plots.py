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
    rolling = task.rolling_forecasts(model, test_start, end)
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


def _label_points(ax, xs, ys, labels):
    for x, y, label in zip(xs, ys, labels):
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=8)


def error_vs_parameters(history, path):
    """Error against parameters (log scale), one labelled point per network: ImageNet and CIFAR-10."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    imagenet = history.dropna(subset=["parameters", "ILSVRC top-5 error (challenge entry)"])
    axes[0].scatter(imagenet["parameters"], imagenet["ILSVRC top-5 error (challenge entry)"] * 100)
    _label_points(axes[0], imagenet["parameters"], imagenet["ILSVRC top-5 error (challenge entry)"] * 100,
                  imagenet["network"])  # fmt: skip
    axes[0].set_title("ImageNet: published challenge top-5 error\nagainst parameters measured here")
    cifar = history.dropna(subset=["CIFAR-10 parameters", "CIFAR-10 test error"])
    axes[1].scatter(cifar["CIFAR-10 parameters"], cifar["CIFAR-10 test error"] * 100, color="tab:orange")
    _label_points(axes[1], cifar["CIFAR-10 parameters"], cifar["CIFAR-10 test error"] * 100, cifar["network"])
    axes[1].set_title("CIFAR-10: test error of the small-input variants,\nmeasured here")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel("error (%)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def error_vs_year(history, path):
    """Published ILSVRC top-5 error and measured CIFAR-10 test error against the year of each network."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    winners = history[history["ILSVRC place"] == 1]
    imagenet = winners.dropna(subset=["ILSVRC top-5 error (challenge entry)"]).drop_duplicates("year", keep="last")
    ax.plot(imagenet["year"], imagenet["ILSVRC top-5 error (challenge entry)"] * 100, "o-",
            label="ILSVRC winner's top-5 error (published)")  # fmt: skip
    _label_points(ax, imagenet["year"], imagenet["ILSVRC top-5 error (challenge entry)"] * 100, imagenet["network"])
    cifar = history.dropna(subset=["CIFAR-10 test error"])
    ax.plot(cifar["year"], cifar["CIFAR-10 test error"] * 100, "s", color="tab:orange",
            label="CIFAR-10 test error (measured here)")  # fmt: skip
    _label_points(ax, cifar["year"], cifar["CIFAR-10 test error"] * 100, cifar["network"])
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("year")
    ax.set_ylabel("error (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plain_vs_residual(curves, path):
    """Training (dashed) and validation (solid) error per epoch of plain and residual nets (He et al. Fig. 6)."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, kind in zip(axes, ("plain", "resnet")):
        for (name, history), color in zip(sorted(curves.items()), plt.cm.tab10.colors):
            if not name.startswith(kind):
                continue
            epochs = np.arange(1, len(history["accuracy"]) + 1)
            ax.plot(epochs, 100 - 100 * np.array(history["accuracy"]), "--", color=color, label=f"{name} training")
            ax.plot(epochs, 100 - 100 * np.array(history["val_accuracy"]), "-", color=color,
                    label=f"{name} validation")  # fmt: skip
        ax.set_title("plain networks" if kind == "plain" else "residual networks")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("error (%)")
    axes[0].set_ylim(0, 60)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def label_efficiency(frame, path):
    """MNIST test error against the number of labelled digits (log-log), one line per start:
    from scratch, a frozen self-supervised encoder (linear probe), or that encoder fine-tuned."""
    kinds = {"from scratch": "o-", "self-supervised, linear probe": "s--", "self-supervised, fine-tuned": "^-"}
    start = np.where(frame["start"] == "scratch", "from scratch",
                     np.where(frame["start"].str.contains("frozen"), "self-supervised, linear probe",
                              "self-supervised, fine-tuned"))  # fmt: skip
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for kind, style in kinds.items():
        rows = frame[start == kind].sort_values("labels")
        if len(rows):
            ax.plot(rows["labels"].astype(float), rows["test error"] * 100, style, label=kind)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("labelled training digits")
    ax.set_ylabel("MNIST test error (%)")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


MAXOUT_PIECES = ((-1.0, -1.0), (0.25, 0.0), (1.5, -1.5))  # (weight, bias) of each affine piece drawn


def activations():
    """The lecture's activation functions as NumPy functions, with the toolkit's own settings:
    leaky ReLU's slope and ELU's alpha from `toolkit.layers`, and a maxout unit of three pieces."""
    from toolkit.layers import ELU_ALPHA, LEAKY_RELU_SLOPE

    return {
        "step (perceptron)": lambda x: (x >= 0).astype(float),
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "tanh": np.tanh,
        "scaled tanh (LeNet-5)": lambda x: 1.7159 * np.tanh(2 * x / 3),
        "ReLU (AlexNet)": lambda x: np.maximum(x, 0),
        f"leaky ReLU (slope {LEAKY_RELU_SLOPE:g})": lambda x: np.where(x > 0, x, LEAKY_RELU_SLOPE * x),
        f"ELU (alpha {ELU_ALPHA:g})": lambda x: np.where(x > 0, x, ELU_ALPHA * np.expm1(np.minimum(x, 0))),
        "maxout (3 pieces, dashed)": lambda x: np.max([w * x + b for w, b in MAXOUT_PIECES], axis=0),
    }


def activation_functions(path):
    """The lecture's activation functions on one figure (a maxout unit with its pieces dashed)."""
    x = np.linspace(-4, 4, 401)
    fig, axes = plt.subplots(2, 4, figsize=(14, 6), sharex=True)
    for ax, (name, f) in zip(axes.ravel(), activations().items()):
        if name.startswith("maxout"):
            for w, b in MAXOUT_PIECES:
                ax.plot(x, w * x + b, "--", color="gray", lw=0.8)
            ax.set_ylim(-2, 5)
        ax.plot(x, f(x))
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_title(name)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def overlay(image, mask, color=(255, 40, 40)):
    """A gray image in [0, 1] as RGB with the mask's pixels tinted half-way to `color`."""
    rgb = np.repeat((image * 255).astype("uint8")[..., None], 3, axis=-1)
    rgb[mask] = (0.5 * rgb[mask] + 0.5 * np.array(color)).astype("uint8")
    return rgb


def latent_space(codes, labels, path):
    """Each digit's 2-D code as a point coloured by its label (which training never saw)."""
    fig, ax = plt.subplots(figsize=(6.5, 6))
    points = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=2, alpha=0.6, vmin=-0.5, vmax=9.5)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    ax.set_title("test digits in the 2-D code")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def attention_heads(weights, text, path):
    """Heat maps of one layer's attention, a panel per head: row i is where the character after
    text[i] is predicted from, column j how much text[j] weighs in it (each row sums to 1)."""
    heads = len(weights)
    labels = [{"\n": "⏎", " ": "␣"}.get(c, c) for c in text]
    columns = min(heads, 2)
    rows = -(-heads // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(7 * columns, 7 * rows), squeeze=False)
    for ax in axes.flat[heads:]:
        ax.axis("off")
    for head, ax in enumerate(axes.flat[:heads]):
        ax.imshow(weights[head], cmap="viridis", vmin=0, vmax=1)
        ax.set_title(f"head {head + 1}")
        ticks, size = range(0, len(text), max(1, len(text) // 64)), 8 if len(text) <= 64 else 5
        ax.set_xticks(ticks, [labels[i] for i in ticks], fontsize=size)
        ax.set_yticks(ticks, [labels[i] for i in ticks], fontsize=size)
        ax.set_xlabel("attended character")
        ax.set_ylabel("reading character")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def gradient_reach(reach, path):
    """How far back the gradient reaches: for each model, the norm of the gradient of the loss
    with respect to the input k characters back (log scale), as `TextTask.gradient_reach` gives it."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, norms in reach.items():
        ax.plot(np.arange(1, len(norms) + 1), norms, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("characters back from the predicted one")
    ax.set_ylabel("gradient norm at the input")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
