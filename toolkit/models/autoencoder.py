"""Autoencoders: the deep autoencoder, a convolutional one, and the variational autoencoder.

References: Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural networks",
Science 313, 2006; Vincent, Larochelle, Bengio & Manzagol, "Extracting and composing robust
features with denoising autoencoders", ICML 2008; Kingma & Welling, "Auto-encoding variational
Bayes", ICLR 2014 (arXiv 2013); Burda, Grosse & Salakhutdinov, "Importance weighted
autoencoders", ICLR 2016 (the VAE architecture and the test NLL it is compared with).

Every autoencoder here holds two nested models, `encoder` (image to code) and `decoder` (code to
the probability of each pixel being ink), and outputs the decoder's picture of its input. The
`autoencoding` task trains them to maximise the Bernoulli likelihood of the input's pixels.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, load_weights
from toolkit.registry import register

_AUTOENCODER = dict(family="autoencoder", tasks=("autoencoding",), input_shape=(28, 28, 1))


def _dense_encoder(shape, hidden, activation):
    """(image input, its last hidden layer): the flattened image through Dense layers of `hidden`."""
    inputs = keras.Input(shape, name="image")
    x = keras.layers.Flatten(name="flatten")(inputs)
    for k, units in enumerate(hidden):
        x = keras.layers.Dense(units, activation=activation, name=f"encoder_dense_{k}")(x)
    return inputs, x


def _dense_decoder(latent_dim, hidden, activation, shape, name="decoder"):
    codes = keras.Input((latent_dim,), name="code")
    x = codes
    for k, units in enumerate(reversed(hidden)):
        x = keras.layers.Dense(units, activation=activation, name=f"decoder_dense_{k}")(x)
    x = keras.layers.Dense(shape[0] * shape[1] * shape[2], activation="sigmoid", name="pixels")(x)
    return keras.Model(codes, keras.layers.Reshape(shape, name="image")(x), name=name)


def _autoencoder(encoder, decoder, shape, name, weights):
    inputs = keras.Input(shape, name="inputs")
    model = keras.Model(inputs, decoder(encoder(inputs)), name=name)
    load_weights(model, weights)
    return model


@register(
    year=2006,
    authors="Hinton, Salakhutdinov",
    paper="Reducing the dimensionality of data with neural networks",
    params_basis="computed: the paper's 784-1000-500-250-30 encoder and its mirror, weights and biases",
    **_AUTOENCODER,
)
def autoencoder(
    *, weights=None, input_shape=None, latent_dim=30, hidden_units=(1000, 500, 250), activation="relu", name="autoencoder"
):
    """The deep autoencoder of Hinton & Salakhutdinov (2006): 784-1000-500-250-30 and its mirror,
    a linear code layer and logistic output pixels; `latent_dim=2` gives their 2-D pictures of
    the digits.

    Departs from the paper: trained end to end with Adam from a random start (ReLU hidden units)
    instead of layer-wise RBM pretraining and conjugate-gradient fine-tuning of logistic units.
    """
    shape = check_input_shape(input_shape, (28, 28, 1), name=name)
    inputs, x = _dense_encoder(shape, hidden_units, activation)
    code = keras.layers.Dense(latent_dim, name="code")(x)
    encoder = keras.Model(inputs, code, name="encoder")
    return _autoencoder(encoder, _dense_decoder(latent_dim, hidden_units, activation, shape), shape, name, weights)


@register(
    year=2011,
    authors="Masci, Meier, Ciresan, Schmidhuber",
    paper="Stacked convolutional auto-encoders for hierarchical feature extraction",
    params_basis="computed: two 3x3 stride-2 convolutions, a dense code and their mirror",
    **_AUTOENCODER,
)
def conv_autoencoder(*, weights=None, input_shape=None, latent_dim=16, filters=(32, 64), name="conv_autoencoder"):
    """A convolutional autoencoder: 3x3 stride-2 convolutions (28 to 14 to 7), a dense code of
    `latent_dim`, and transposed convolutions back to the image; trained as a denoising
    autoencoder with the task's `--noise` (Vincent et al. 2008).

    Departs from Masci et al. (2011): strided convolutions in place of max-pooling, trained as
    one network rather than stacked layer by layer.
    """
    shape = check_input_shape(input_shape, (28, 28, 1), name=name)
    if shape[0] % 4 or shape[1] % 4:
        raise ValueError(f"{name} halves the image twice: its sides must be multiples of 4. Received: input_shape={shape}")
    inputs = keras.Input(shape, name="image")
    x = inputs
    for k, f in enumerate(filters):
        x = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation="relu", name=f"encoder_conv_{k}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    encoder = keras.Model(inputs, keras.layers.Dense(latent_dim, name="code")(x), name="encoder")
    codes = keras.Input((latent_dim,), name="code")
    side = (shape[0] // 4, shape[1] // 4)
    x = keras.layers.Dense(side[0] * side[1] * filters[-1], activation="relu", name="decoder_dense")(codes)
    x = keras.layers.Reshape((*side, filters[-1]), name="decoder_reshape")(x)
    for k, f in enumerate(reversed(filters[:-1])):
        x = keras.layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu", name=f"decoder_deconv_{k}")(x)
    x = keras.layers.Conv2DTranspose(shape[-1], 3, strides=2, padding="same", activation="sigmoid", name="pixels")(x)
    decoder = keras.Model(codes, x, name="decoder")
    return _autoencoder(encoder, decoder, shape, name, weights)


@register(
    year=2013,
    authors="Kingma, Welling",
    paper="Auto-encoding variational Bayes",
    params_basis="computed: Burda et al. 2016's one-stochastic-layer VAE, 784-200-200-(50, 50) and 50-200-200-784",
    errors={"binarized_mnist_test_nll_nats": 86.76},  # Burda et al. 2016, table 1, VAE k = 1
    **_AUTOENCODER,
)
def vae(*, weights=None, input_shape=None, latent_dim=50, hidden_units=(200, 200), activation="tanh", seed=None, name="vae"):
    """The variational autoencoder (Kingma & Welling 2013) in the size of Burda et al. (2016):
    an encoder 784-200-200 of tanh units to the mean and log-variance of a 50-d Gaussian code, the
    reparameterised code, and a decoder 50-200-200-784 of Bernoulli pixels. The KL term of the
    ELBO is the model's own loss (`model.losses`); the task adds the pixels' cross-entropy.
    `latent_dim=2` gives the 2-D latent space of the paper's figure 4.

    Departs from Burda et al.: trained with Adam on a cosine schedule, not their 3,280 epochs of
    Adam with a stepped learning rate.
    """
    shape = check_input_shape(input_shape, (28, 28, 1), name=name)
    inputs, x = _dense_encoder(shape, hidden_units, activation)
    mean = keras.layers.Dense(latent_dim, name="code_mean")(x)
    log_var = keras.layers.Dense(latent_dim, name="code_log_var")(x)
    encoder = keras.Model(inputs, [mean, log_var], name="encoder")
    decoder = _dense_decoder(latent_dim, hidden_units, activation, shape)
    image = keras.Input(shape, name="inputs")
    from toolkit.layers import GaussianCode

    code = GaussianCode(seed=seed, name="code")(encoder(image))
    model = keras.Model(image, decoder(code), name=name)
    load_weights(model, weights)
    return model
