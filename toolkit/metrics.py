"""The measures the tasks report, in one place: classification, segmentation, forecasting and
generation. Plain NumPy (SciPy for connected cells and matrix roots); nothing else of the toolkit.
"""

import numpy as np

# -- classification ---------------------------------------------------------------------------------------


def topk_errors(probabilities, labels, ks=(1, 5)):
    """Top-k error for each k: the share of examples whose label is not among the k best."""
    order = np.argsort(-probabilities, axis=1)
    return {k: float(np.mean([label not in row[:k] for row, label in zip(order, labels)])) for k in ks}


# -- segmentation (binary maps) ------------------------------------------------------------------------------


def pixel_error(predicted, truth):
    return float(np.mean(predicted != truth))


def iou(predicted, truth):
    union = np.logical_or(predicted, truth).sum()
    return float(np.logical_and(predicted, truth).sum() / union) if union else 1.0


def dice(predicted, truth):
    total = predicted.sum() + truth.sum()
    return float(2 * np.logical_and(predicted, truth).sum() / total) if total else 1.0


def _rand_pairs(predicted, truth):
    """Pair counts of the foreground-restricted Rand index over the truth's cell pixels: pairs in
    one cell of both maps, of the truth, of the prediction. Pixels the prediction calls boundary
    join no pair (the challenge leaves out the prediction's zero component too)."""
    from scipy import ndimage

    a, _ = ndimage.label(truth > 0)
    b, _ = ndimage.label(predicted > 0)
    inside = a > 0
    a, b = a[inside].astype(np.int64), b[inside].astype(np.int64)
    _, truth_sizes = np.unique(a, return_counts=True)
    a, b = a[b > 0], b[b > 0]
    _, joint = np.unique(a * (b.max(initial=0) + 1) + b, return_counts=True)
    _, predicted_sizes = np.unique(b, return_counts=True)

    def pairs(sizes):
        return float((sizes.astype(np.float64) * (sizes - 1) / 2).sum())

    return np.array([pairs(joint), pairs(truth_sizes), pairs(predicted_sizes)])


def _f_error(hits, relevant, retrieved):
    """1 - the F-score of precision hits / retrieved and recall hits / relevant."""
    if relevant == 0 and retrieved == 0:
        return 0.0
    return float(1 - 2 * hits / (relevant + retrieved))


def adapted_rand_error(predicted, truth):
    """The ISBI 2012 foreground-restricted Rand error of binary maps (1 = cell): 1 - the F-score of
    the Rand split and merge scores of their connected cells, counted on the truth's cells only."""
    return _f_error(*_rand_pairs(predicted, truth))


ISBI_THRESHOLDS = tuple(round(0.1 * k, 1) for k in range(10))


def isbi_errors(probabilities, truths, thresholds=ISBI_THRESHOLDS):
    """The ISBI 2012 challenge's pixel and Rand errors of a stack of cell-probability maps.

    Each is 1 - the maximal F-score over the thresholds (0.0 to 0.9 by 0.1, a pixel is a cell
    when its probability is above the threshold), the counts pooled over the stack: the
    definitions behind the U-Net paper's 0.0611 and 0.0382 (Arganda-Carreras et al., Frontiers in
    Neuroanatomy 2015, and the challenge's Fiji scripts).
    """
    best = {"isbi_pixel_error": (1.0, None), "isbi_rand_error": (1.0, None)}
    for threshold in thresholds:
        pixels, pairs = np.zeros(3), np.zeros(3)
        for probability, truth in zip(probabilities, truths):
            predicted, truth = probability > threshold, truth > 0
            hits = np.logical_and(predicted, truth).sum()
            pixels += (hits, truth.sum(), predicted.sum())
            pairs += _rand_pairs(predicted, truth)
        for name, counts in (("isbi_pixel_error", pixels), ("isbi_rand_error", pairs)):
            error = _f_error(*counts)
            if error < best[name][0]:
                best[name] = (error, threshold)
    return {name: error for name, (error, _) in best.items()} | {
        name.replace("error", "threshold"): threshold for name, (_, threshold) in best.items()
    }


# -- forecasting -------------------------------------------------------------------------------------------


def forecast_scores(forecast, truth, scale):
    """RMSE, MAE, MAPE (over non-zero truths, in %) and MASE (the MAE over `scale`, the in-sample
    MAE of the seasonal naive forecast; Hyndman & Koehler 2006)."""
    error = forecast - truth
    nonzero = truth != 0
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "mape": float(np.mean(np.abs(error[nonzero] / truth[nonzero])) * 100),
        "mase": float(np.mean(np.abs(error)) / scale),
    }


# -- generation --------------------------------------------------------------------------------------------


def frechet_distance(a, b):
    """The Fréchet distance between Gaussians fitted to two sets of features (FID's formula)."""
    from scipy import linalg

    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b)
    root = root[0] if isinstance(root, tuple) else root
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * np.real(root)))


def inception_score(probabilities, eps=1e-12):
    """exp(E[KL(p(y|x) || p(y))]) of class probabilities: at most the number of classes."""
    marginal = probabilities.mean(0, keepdims=True)
    kl = (probabilities * (np.log(probabilities + eps) - np.log(marginal + eps))).sum(1)
    return float(np.exp(kl.mean()))
