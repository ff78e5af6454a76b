"""The few custom layers the history needs, and the lecture's activations by name.

Every layer here is registered as serializable under the package `toolkit`, so `.keras` files
that use them load again.
"""

import keras
from keras import ops

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "maxout", "step", "linear")
LEAKY_RELU_SLOPE = 0.1  # the lecture's slope, not Keras's default of 0.2
ELU_ALPHA = 1.0  # Clevert et al. 2016: the value ELU saturates to is -alpha


@keras.saving.register_keras_serializable(package="toolkit")
class Step(keras.layers.Layer):
    """The threshold unit of McCulloch-Pitts and Rosenblatt: y = 1 if u >= 0 else 0."""

    def call(self, inputs):
        return ops.cast(ops.greater_equal(inputs, 0), self.compute_dtype)


@keras.saving.register_keras_serializable(package="toolkit")
class Maxout(keras.layers.Layer):
    """A maxout unit: the maximum of `pieces` affine functions per output.

    Reference: Goodfellow et al., "Maxout Networks", ICML 2013.
    """

    def __init__(self, units, pieces=5, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.pieces = pieces

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.units * self.pieces), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(self.units * self.pieces,), initializer="zeros")

    def call(self, inputs):
        z = ops.matmul(inputs, self.kernel) + self.bias
        z = ops.reshape(z, (-1, self.units, self.pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces}


def activation_layer(name, *, layer_name=None, alpha=None):
    """A Keras layer for one of the lecture's activations (not `maxout`, which is a Dense-like layer).

    `alpha` sets leaky ReLU's negative slope (0.1 by default, the lecture's) or ELU's alpha
    (1.0 by default); other activations take none.

    Raises:
        ValueError: for an unknown activation, or an `alpha` the activation does not take.
    """
    if name not in ACTIVATIONS or name == "maxout":
        raise ValueError(
            f"Unknown activation {name!r}; choose one of {', '.join(a for a in ACTIVATIONS if a != 'maxout')}."
            f" Received: activation={name!r}"
        )
    if alpha is not None and name not in ("leaky_relu", "elu"):
        raise ValueError(f"alpha sets leaky_relu's slope or elu's alpha; {name} takes none. Received: alpha={alpha!r}")
    if name == "step":
        return Step(name=layer_name)
    if name == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=LEAKY_RELU_SLOPE if alpha is None else alpha, name=layer_name)
    if name == "elu":
        return keras.layers.ELU(alpha=ELU_ALPHA if alpha is None else alpha, name=layer_name)
    return keras.layers.Activation(name, name=layer_name)


@keras.saving.register_keras_serializable(package="toolkit")
class Subsampling(keras.layers.Layer):
    """LeNet-1998's trainable subsampling: the 2x2 sum of each map times a coefficient plus a bias.

    Two parameters per feature map (S2: 12, S4: 32). Reference: LeCun et al. 1998, section II.B.
    """

    def build(self, input_shape):
        channels = input_shape[-1]
        self.coefficient = self.add_weight(name="coefficient", shape=(channels,), initializer="ones")
        self.bias = self.add_weight(name="bias", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        pooled = ops.average_pool(inputs, pool_size=2, strides=2, padding="valid") * 4.0
        return pooled * self.coefficient + self.bias

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, None if h is None else h // 2, None if w is None else w // 2, c)


# LeNet-1998 Table I: which S2 maps (rows) feed each C3 map (columns 0-15).
LENET_C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip


@keras.saving.register_keras_serializable(package="toolkit")
class SparseConv2D(keras.layers.Layer):
    """A valid convolution in which each output map sees only the input maps its table names.

    LeNet-1998's C3: 60 connections of 5x5 kernels plus 16 biases = 1,516 parameters. Only the
    connected kernels are weights; they are scattered into a dense kernel for one convolution.
    """

    def __init__(self, kernel_size=5, table=LENET_C3_TABLE, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = kernel_size
        self.table = tuple(tuple(row) for row in table)

    def build(self, input_shape):
        self.input_channels = input_shape[-1]
        pairs = [(i, o) for o, inputs in enumerate(self.table) for i in inputs]
        self.pairs = pairs
        k = self.kernel_size
        fan_in = k * k * max(len(row) for row in self.table)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(len(pairs), k, k),
            initializer=keras.initializers.RandomUniform(-2.4 / fan_in, 2.4 / fan_in),
        )
        self.bias = self.add_weight(name="bias", shape=(len(self.table),), initializer="zeros")

    def call(self, inputs):
        k = self.kernel_size
        dense = ops.scatter(
            ops.convert_to_tensor(self.pairs, dtype="int32"),
            self.kernel,
            (self.input_channels, len(self.table), k, k),
        )
        dense = ops.transpose(dense, (2, 3, 0, 1))
        return ops.conv(inputs, dense, padding="valid") + self.bias

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        k = self.kernel_size
        return (b, None if h is None else h - k + 1, None if w is None else w - k + 1, len(self.table))

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "table": self.table}


@keras.saving.register_keras_serializable(package="toolkit")
class RBFOutput(keras.layers.Layer):
    """LeNet-1998's Euclidean radial basis function output: y_i = sum_j (x_j - w_ij)^2.

    A penalty per class (lower is better); no bias. 84 x 10 = 840 parameters. The paper fixes
    the centres to stylised 7x12 bitmaps of the characters; here they start at random +/-1 codes
    and are trainable.
    """

    def __init__(self, units=10, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        def plus_minus_one(shape, dtype=None):
            return ops.sign(keras.random.uniform(shape, -1.0, 1.0, seed=1998, dtype=dtype))

        self.centres = self.add_weight(name="centres", shape=(input_shape[-1], self.units), initializer=plus_minus_one)

    def call(self, inputs):
        diff = ops.expand_dims(inputs, -1) - self.centres
        return ops.sum(ops.square(diff), axis=-2)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="toolkit")
class ScaledTanh(keras.layers.Layer):
    """LeNet-1998's squashing function f(a) = 1.7159 tanh(2a/3) (appendix A)."""

    def call(self, inputs):
        return 1.7159 * ops.tanh(inputs * (2.0 / 3.0))


@keras.saving.register_keras_serializable(package="toolkit")
class LocalResponseNormalization(keras.layers.Layer):
    """Local response normalisation across channels (Krizhevsky et al. 2012, section 3.3).

    b = a / (k + alpha * sum of a^2 over `depth` neighbouring maps)^beta, with the paper's
    k=2, n=5, alpha=1e-4, beta=0.75 by default. No parameters.
    """

    def __init__(self, depth=5, k=2.0, alpha=1e-4, beta=0.75, **kwargs):
        super().__init__(**kwargs)
        self.depth, self.k, self.alpha, self.beta = depth, k, alpha, beta

    def call(self, inputs):
        half = self.depth // 2
        squares = ops.pad(ops.square(inputs), [(0, 0), (0, 0), (0, 0), (half, half)])
        channels = ops.shape(inputs)[-1]
        total = sum(squares[..., i : i + channels] for i in range(self.depth))
        return inputs / ops.power(self.k + self.alpha * total, self.beta)

    def get_config(self):
        return {**super().get_config(), "depth": self.depth, "k": self.k, "alpha": self.alpha, "beta": self.beta}


@keras.saving.register_keras_serializable(package="toolkit")
class ZeroPadShortcut(keras.layers.Layer):
    """The CIFAR ResNets' parameter-free shortcut (He et al. 2016, option A).

    Subsamples the map with `stride` and pads the new channels with zeros, so a residual block
    that halves the map and doubles the width keeps an identity-like shortcut.
    """

    def __init__(self, filters, stride=2, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.stride = filters, stride

    def call(self, inputs):
        x = inputs[:, :: self.stride, :: self.stride, :]
        extra = self.filters - x.shape[-1]
        return ops.pad(x, [(0, 0), (0, 0), (0, 0), (extra // 2, extra - extra // 2)])

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        h, w = (None if s is None else -(-s // self.stride) for s in (h, w))
        return (n, h, w, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "stride": self.stride}


@keras.saving.register_keras_serializable(package="toolkit")
class CategoricalCode(keras.layers.Layer):
    """InfoGAN's categorical code read off Gaussian noise (Chen et al. 2016).

    The first `codes` numbers of z become the one-hot vector of their largest (the argmax of
    independent Gaussians is uniform over the codes); the rest of z passes unchanged. So a
    generator with a code still samples from plain Gaussian z.
    """

    def __init__(self, codes, **kwargs):
        super().__init__(**kwargs)
        self.codes = codes

    def call(self, inputs):
        # the one-hot of the argmax, written as "equals the largest" (Gaussian numbers never tie):
        # Keras's argmax on TensorFlow takes bit operations that ONNX has no counterpart for
        numbers = inputs[:, : self.codes]
        code = ops.cast(ops.equal(numbers, ops.max(numbers, axis=1, keepdims=True)), inputs.dtype)
        return ops.concatenate([code, inputs[:, self.codes :]], axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "codes": self.codes}


@keras.saving.register_keras_serializable(package="toolkit")
class GaussianCode(keras.layers.Layer):
    """The VAE's code z from the encoder's mean and log-variance: mean + exp(log_var / 2) * eps
    when training (the reparameterisation trick), the mean otherwise. Adds the KL divergence of
    N(mean, exp(log_var)) from N(0, I), averaged over the batch, to the model's losses."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        mean, log_var = inputs
        self.add_loss(ops.mean(kl_divergence(mean, log_var)))
        if not training:
            return mean
        noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * noise

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example, in nats (Kingma & Welling's eq. 10)."""
    return -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


@keras.saving.register_keras_serializable(package="toolkit")
def gelu(x):
    """GELU (Hendrycks & Gimpel 2016), exactly: x * Phi(x) = x/2 (1 + erf(x / sqrt 2)); written
    with erf so that ONNX, which has no erfc, can run it."""
    return 0.5 * x * (1.0 + ops.erf(x * 0.7071067811865476))


@keras.saving.register_keras_serializable(package="toolkit")
class TiedEmbedding(keras.layers.Layer):
    """A token embedding whose matrix also makes the output logits (weight tying; Press & Wolf
    2017, as in GPT): `layer(tokens)` embeds, `layer(vectors, reverse=True)` scores every token
    as vectors @ embeddings.T + bias."""

    def __init__(self, vocab_size, dim, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.dim = vocab_size, dim

    def build(self, input_shape):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.vocab_size, self.dim),
                                          initializer=keras.initializers.RandomNormal(stddev=0.02))  # fmt: skip
        self.bias = self.add_weight(name="bias", shape=(self.vocab_size,), initializer="zeros")

    def call(self, inputs, reverse=False):
        if reverse:
            return ops.matmul(inputs, ops.transpose(self.embeddings)) + self.bias
        return ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "dim": self.dim}


@keras.saving.register_keras_serializable(package="toolkit")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned vector for each position 0..length-1 to a sequence of vectors (GPT's)."""

    def __init__(self, length, **kwargs):
        super().__init__(**kwargs)
        self.length = length

    def build(self, input_shape):
        self.positions = self.add_weight(name="positions", shape=(self.length, input_shape[-1]),
                                         initializer=keras.initializers.RandomNormal(stddev=0.02))  # fmt: skip

    def call(self, inputs):
        return inputs + ops.cast(self.positions[: ops.shape(inputs)[1]], inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "length": self.length}
