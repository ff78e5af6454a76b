"""Distortions of image batches in tf.data: small affine moves, elastic deformations, and the
CIFAR-10 recipes' padded crops, flips and cutout.

References: Simard, Steinkraus & Platt, "Best practices for convolutional neural networks
applied to visual document analysis", ICDAR 2003 (elastic distortions; alpha 20 here, milder than
their 34, sigma 4); He et al., "Deep residual learning for image recognition", CVPR 2016, section
4.2 (4 pixels of padding, random 32x32 crops, horizontal flips); DeVries & Taylor, "Improved
regularization of convolutional neural networks with cutout", 2017.
"""

import math

import tensorflow as tf


def _gaussian_kernel(sigma):
    radius = int(3 * sigma)
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    k = tf.exp(-(x**2) / (2 * sigma**2))
    return k / tf.reduce_sum(k)


def _bilinear_sample(images, ys, xs):
    """Sample images (B, H, W, C) at float positions ys, xs (B, H, W), zero outside."""
    shape = tf.shape(images)
    height, width = shape[1], shape[2]
    y0, x0 = tf.floor(ys), tf.floor(xs)
    wy, wx = ys - y0, xs - x0
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
    batch = tf.broadcast_to(tf.range(shape[0])[:, None, None], tf.shape(ys))

    def gather(y, x):
        y = tf.clip_by_value(tf.cast(y, tf.int32) + 1, 0, height + 1)
        x = tf.clip_by_value(tf.cast(x, tf.int32) + 1, 0, width + 1)
        return tf.gather_nd(padded, tf.stack([batch, y, x], -1))

    top = gather(y0, x0) * (1 - wx)[..., None] + gather(y0, x0 + 1) * wx[..., None]
    bottom = gather(y0 + 1, x0) * (1 - wx)[..., None] + gather(y0 + 1, x0 + 1) * wx[..., None]
    return top * (1 - wy)[..., None] + bottom * wy[..., None]


def distort(images, seed, kind="affine", rotation=10.0, shift=2.0, scale=0.1, alpha=20.0, sigma=4.0):
    """Randomly distort a batch of images (B, H, W, C) in [0, 1]; `seed` is a stateless seed pair.

    affine: rotation up to `rotation` degrees, shifts up to `shift` pixels, scaling by up to
    `scale`. elastic: the affine moves plus a smoothed random displacement field.
    """
    if kind == "none":
        return images
    shape = tf.shape(images)
    b, h, w = shape[0], shape[1], shape[2]
    seeds = tf.random.experimental.stateless_split(seed, 5)
    angle = tf.random.stateless_uniform([b], seeds[0], -rotation, rotation) * (math.pi / 180)
    zoom = tf.random.stateless_uniform([b], seeds[1], 1 - scale, 1 + scale)
    offset = tf.random.stateless_uniform([b, 2], seeds[2], -shift, shift)
    cy, cx = (tf.cast(h, tf.float32) - 1) / 2, (tf.cast(w, tf.float32) - 1) / 2
    gy, gx = tf.meshgrid(tf.range(tf.cast(h, tf.float32)), tf.range(tf.cast(w, tf.float32)), indexing="ij")
    gy, gx = gy[None] - cy, gx[None] - cx
    cos, sin = (tf.cos(angle) / zoom)[:, None, None], (tf.sin(angle) / zoom)[:, None, None]
    ys = cos * gy - sin * gx + cy - offset[:, 0, None, None]
    xs = sin * gy + cos * gx + cx - offset[:, 1, None, None]
    if kind == "elastic":
        field = tf.random.stateless_uniform([b, h, w, 2], seeds[3], -1.0, 1.0)
        k = _gaussian_kernel(sigma)
        field = tf.nn.depthwise_conv2d(field, tf.tile(k[:, None, None, None], [1, 1, 2, 1]), [1, 1, 1, 1], "SAME")
        field = tf.nn.depthwise_conv2d(field, tf.tile(k[None, :, None, None], [1, 1, 2, 1]), [1, 1, 1, 1], "SAME")
        ys += alpha * field[..., 0]
        xs += alpha * field[..., 1]
    return _bilinear_sample(images, ys, xs)


def crop_flip(images, seed, pad=4, fill=0.0):
    """Pad a batch (B, H, W, C) by `pad` pixels of `fill` on every side, cut a random H x W window
    out of each image and flip half of them left to right; `seed` is a stateless seed pair."""
    shape = tf.shape(images)
    b, h, w = shape[0], shape[1], shape[2]
    seeds = tf.random.experimental.stateless_split(seed, 3)
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], constant_values=fill)
    dy = tf.random.stateless_uniform([b], seeds[0], 0, 2 * pad + 1, dtype=tf.int32)
    dx = tf.random.stateless_uniform([b], seeds[1], 0, 2 * pad + 1, dtype=tf.int32)
    flip = tf.random.stateless_uniform([b], seeds[2]) < 0.5
    rows = dy[:, None] + tf.range(h)[None]
    cols = dx[:, None] + tf.where(flip[:, None], tf.range(w - 1, -1, -1)[None], tf.range(w)[None])
    return tf.gather(tf.gather(padded, rows, axis=1, batch_dims=1), cols, axis=2, batch_dims=1)


def cutout(images, seed, size, fill=0.0):
    """Set a `size` x `size` square around a random pixel of each image to `fill`, cut off where it
    overhangs the border (cutout)."""
    shape = tf.shape(images)
    b, h, w = shape[0], shape[1], shape[2]
    seeds = tf.random.experimental.stateless_split(seed, 2)
    top = tf.random.stateless_uniform([b], seeds[0], 0, h, dtype=tf.int32) - size // 2
    left = tf.random.stateless_uniform([b], seeds[1], 0, w, dtype=tf.int32) - size // 2
    rows = (tf.range(h)[None] >= top[:, None]) & (tf.range(h)[None] < top[:, None] + size)
    cols = (tf.range(w)[None] >= left[:, None]) & (tf.range(w)[None] < left[:, None] + size)
    square = (rows[:, :, None] & cols[:, None, :])[..., None]
    return tf.where(square, tf.cast(fill, images.dtype), images)
