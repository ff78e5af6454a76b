"""Generative adversarial networks: the 2014 MLP GAN, the DCGAN and its conditional and
InfoGAN variants, for 28x28 images.

References:
    Goodfellow et al., "Generative adversarial nets", NeurIPS 2014.
    Radford, Metz & Chintala, "Unsupervised representation learning with deep convolutional
    generative adversarial networks", ICLR 2016.
    Chen et al., "InfoGAN: interpretable representation learning by information maximizing
    generative adversarial nets", NeurIPS 2016.

Images are scaled to [-1, 1] (tanh output) for the DCGAN and to [0, 1] (sigmoid) for the MLP GAN.
Every builder takes `ema`: with a decay such as 0.999 the model also keeps a moving average of
its generator's weights, and samples are drawn from that (see `GAN`).
"""

from toolkit._lazy import keras
from toolkit.registry import register


def _finish_gan(generator, discriminator, latent_dim, name, weights, num_classes=0, ema=0.0, codes=0, r1=0.0):
    from toolkit.models._adversarial import GAN
    from toolkit.models._common import load_weights

    model = GAN(generator, discriminator, latent_dim, num_classes=num_classes, ema=ema, codes=codes, r1=r1, name=name)
    model.build()
    load_weights(model, weights)
    return model


_GAN = dict(tasks=("generation",), input_shape=(100,), output_range=(-1.0, 1.0))  # tanh generators


@register(
    family="gan",
    year=2014,
    authors="Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville, Bengio",
    paper="Generative adversarial nets",
    params_basis="computed: generator 2,503,984 + discriminator 1,231,441",
    **{**_GAN, "output_range": (0.0, 1.0)},  # a sigmoid generator
)
def gan_mlp(*, weights=None, latent_dim=100, image_shape=(28, 28, 1), ema=0.0, name="gan_mlp"):
    """The 2014 GAN's MNIST networks (the paper's released code).

    Generator: z (100) -> 1200 ReLU -> 1200 ReLU -> 784 sigmoid. Discriminator: maxout 240x5
    -> maxout 240x5 -> 1 logit, with dropout 0.2 on its input and 0.5 after each maxout layer.

    Departs from the paper: uniform noise replaced by Gaussian, one discriminator step per
    generator step.
    """
    from toolkit.layers import Maxout

    pixels = image_shape[0] * image_shape[1] * image_shape[2]
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(1200, activation="relu", name="g_fc1")(z)
    x = keras.layers.Dense(1200, activation="relu", name="g_fc2")(x)
    x = keras.layers.Dense(pixels, activation="sigmoid", name="g_fc3")(x)
    x = keras.layers.Reshape(image_shape, name="g_image")(x)
    generator = keras.Model(z, x, name="generator")

    image = keras.Input(image_shape, name="image")
    x = keras.layers.Flatten(name="d_flatten")(image)
    x = keras.layers.Dropout(0.2, name="d_input_dropout")(x)
    x = Maxout(240, 5, name="d_maxout1")(x)
    x = keras.layers.Dropout(0.5, name="d_dropout1")(x)
    x = Maxout(240, 5, name="d_maxout2")(x)
    x = keras.layers.Dropout(0.5, name="d_dropout2")(x)
    x = keras.layers.Dense(1, name="d_logit")(x)
    discriminator = keras.Model(image, x, name="discriminator")
    return _finish_gan(generator, discriminator, latent_dim, name, weights, ema=ema)


@register(
    family="gan",
    year=2015,
    authors="Radford, Metz, Chintala",
    paper="Unsupervised representation learning with deep convolutional generative adversarial networks",
    published_params=2_330_944 + 212_865,
    params_basis="TensorFlow tutorial DCGAN on MNIST: generator 2,330,944 + discriminator 212,865",
    **_GAN,
)
def dcgan(*, weights=None, latent_dim=100, ema=0.0, paper_discriminator=False, r1=0.0, name="dcgan"):
    """The DCGAN for 28x28 digits, as in the TensorFlow tutorial.

    Generator: dense 7x7x256, then 5x5 transposed convolutions to 128 (7x7), 64 (14x14) and
    1 (28x28, tanh), with batch norm and leaky ReLU. Discriminator: 5x5/2 convolutions of 64 and
    128 with leaky ReLU and dropout 0.3, then one logit.

    Departs from the paper: sized for 28x28 MNIST rather than 64x64 LSUN; the discriminator has
    dropout and no batch norm (the tutorial's choice). With `paper_discriminator=True` it is the
    paper's instead: batch norm after the second convolution, leaky ReLU of slope 0.2, no dropout.
    `r1` is the weight of the R1 penalty in training (see `GAN`); `dcgan.mnist` used 1.0.
    """
    generator, discriminator = _dcgan_networks(latent_dim, paper_discriminator=paper_discriminator)
    return _finish_gan(generator, discriminator, latent_dim, name, weights, ema=ema, r1=r1)


def _dcgan_networks(latent_dim, num_classes=0, paper_discriminator=False, codes=0):
    """The tutorial's DCGAN networks (with `paper_discriminator`, the paper's discriminator: see
    `dcgan`). With `codes` the generator reads a categorical code off z and the discriminator
    also returns the code's logits (InfoGAN: see `infogan`). With `num_classes` the generator
    gets the digit's embedding beside z, and the discriminator, which sees the image alone, adds the inner product of the
    digit's embedding with its features to the logit (Miyato & Koyama's projection discriminator,
    2018) and also names the digit (Odena et al.'s auxiliary classifier, AC-GAN, 2017): it
    returns [real/fake logit, digit logits]."""
    from toolkit.layers import CategoricalCode

    z = keras.Input((latent_dim,), name="z")
    x, g_inputs = z, [z]
    if codes:
        x = CategoricalCode(codes, name="g_code")(z)
    if num_classes:
        digit = keras.Input((1,), dtype="int32", name="g_digit")
        d = keras.layers.Embedding(num_classes, 50, name="g_digit_embedding")(digit)
        x = keras.layers.Concatenate(name="g_condition")([z, keras.layers.Flatten(name="g_digit_flat")(d)])
        g_inputs.append(digit)
    x = keras.layers.Dense(7 * 7 * 256, use_bias=False, name="g_fc")(x)
    x = keras.layers.BatchNormalization(name="g_fc_bn")(x)
    x = keras.layers.LeakyReLU(name="g_fc_relu")(x)
    x = keras.layers.Reshape((7, 7, 256), name="g_reshape")(x)
    for i, (filters, strides) in enumerate(((128, 1), (64, 2)), start=1):
        x = keras.layers.Conv2DTranspose(
            filters, 5, strides=strides, padding="same", use_bias=False, name=f"g_deconv{i}"
        )(x)
        x = keras.layers.BatchNormalization(name=f"g_deconv{i}_bn")(x)
        x = keras.layers.LeakyReLU(name=f"g_deconv{i}_relu")(x)
    x = keras.layers.Conv2DTranspose(
        1, 5, strides=2, padding="same", use_bias=False, activation="tanh", name="g_deconv3"
    )(x)
    generator = keras.Model(g_inputs if num_classes else z, x, name="generator")

    image = keras.Input((28, 28, 1), name="image")
    x = image
    for i, filters in enumerate((64, 128), start=1):
        x = keras.layers.Conv2D(filters, 5, strides=2, padding="same", name=f"d_conv{i}")(x)
        if paper_discriminator:
            if i > 1:
                x = keras.layers.BatchNormalization(name=f"d_conv{i}_bn")(x)
            x = keras.layers.LeakyReLU(0.2, name=f"d_conv{i}_relu")(x)
        else:
            x = keras.layers.LeakyReLU(name=f"d_conv{i}_relu")(x)
            x = keras.layers.Dropout(0.3, name=f"d_conv{i}_dropout")(x)
    features = keras.layers.Flatten(name="d_flatten")(x)
    x = keras.layers.Dense(1, name="d_logit")(features)
    if codes:
        q = keras.layers.Dense(128, name="q_fc")(features)
        q = keras.layers.BatchNormalization(name="q_fc_bn")(q)
        q = keras.layers.LeakyReLU(0.2, name="q_fc_relu")(q)
        q = keras.layers.Dense(codes, name="q_code_logits")(q)
        return generator, keras.Model(image, [x, q], name="discriminator")
    if not num_classes:
        return generator, keras.Model(image, x, name="discriminator")
    digit = keras.Input((1,), dtype="int32", name="d_digit")
    e = keras.layers.Embedding(num_classes, features.shape[-1], name="d_digit_projection")(digit)
    e = keras.layers.Flatten(name="d_projection_flat")(e)
    x = keras.layers.Add(name="d_conditional_logit")([x, keras.layers.Dot(axes=1, name="d_projection")([e, features])])
    digit_logits = keras.layers.Dense(num_classes, name="d_digit_logits")(features)
    discriminator = keras.Model([image, digit], [x, digit_logits], name="discriminator")
    return generator, discriminator


@register(
    family="gan",
    year=2014,
    authors="Mirza, Osindero",
    paper="Conditional generative adversarial nets",
    params_basis="computed: the DCGAN plus a 50-d digit embedding in the generator, a projection and a digit classifier in the discriminator",
    **_GAN,
    conditional=True,
)
def cdcgan(*, weights=None, latent_dim=100, num_classes=10, ema=0.0, name="cdcgan"):
    """A conditional DCGAN: both networks are told the digit (Mirza & Osindero 2014).

    `model.generator([z, digits])` draws the requested digits. Departs from the paper: the
    networks are DCGAN's; the generator's condition is a learned embedding beside z; the
    discriminator uses the digit through a projection term (Miyato & Koyama 2018) and has an
    auxiliary digit classifier (Odena et al. 2017) whose verdict the generator is also trained on.
    """
    generator, discriminator = _dcgan_networks(latent_dim, num_classes)
    return _finish_gan(generator, discriminator, latent_dim, name, weights, num_classes, ema)


@register(
    family="gan",
    year=2016,
    authors="Chen, Duan, Houthooft, Schulman, Sutskever, Abbeel",
    paper="InfoGAN: interpretable representation learning by information maximizing generative adversarial nets",
    params_basis="computed: the DCGAN (paper's discriminator) plus the Q head, 128 units to the code's logits",
    **_GAN,
)
def infogan(*, weights=None, latent_dim=100, codes=10, ema=0.0, name="infogan"):
    """The DCGAN with InfoGAN's categorical code: a digit-like choice learned without labels.

    The generator reads a `codes`-way categorical code off the first numbers of z (see
    `CategoricalCode`), so one Gaussian no longer has to be torn between ten digit shapes. A Q
    head on the discriminator's features (dense 128, batch norm, leaky ReLU, `codes` logits)
    names the code of each fake, and both networks also minimise its cross-entropy, a lower
    bound on the mutual information between code and image (weight 1, the paper's for discrete
    codes). The codes are not digits: which code draws which digit is learned.

    Departs from the paper: the networks are `dcgan`'s, with the DCGAN paper's discriminator,
    instead of InfoGAN's MNIST networks; no continuous codes.
    """
    if not 1 < codes < latent_dim:
        raise ValueError(f"infogan needs 2 or more codes and a longer z: got codes={codes}, latent_dim={latent_dim}")
    generator, discriminator = _dcgan_networks(latent_dim, paper_discriminator=True, codes=codes)
    return _finish_gan(generator, discriminator, latent_dim, name, weights, ema=ema, codes=codes)
