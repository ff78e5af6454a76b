"""The adversarial training loop as a Keras model (imported only when a GAN is built)."""

import keras


@keras.saving.register_keras_serializable(package="toolkit")
class GAN(keras.Model):
    """A generator and a discriminator trained against each other.

    `model.sampler` (the generator, or its moving average) alone is all sampling needs:
    `sampler(z)`, or `sampler([z, digits])` when the GAN is conditional (`num_classes > 0`). The
    discriminator outputs logits. `fit` alternates one discriminator and one generator step per
    batch, with the stabilisers people expect: the non-saturating generator loss (Goodfellow et
    al. 2014), one-sided label smoothing of the real labels (Salimans et al. 2016), Adam with
    beta_1 = 0.5 (Radford et al. 2016). With `ema` (e.g. 0.999) it also keeps `generator_ema`, an
    exponential moving average of the generator's trained weights after every step (Yazici et al.
    2019), which `sampler` returns once `calibrate_average` has given it batch-norm statistics of
    its own.
    """

    def __init__(
        self, generator, discriminator, latent_dim, num_classes=0, label_smoothing=0.1, seed=0, ema=0.0, **kwargs
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.ema = ema
        self.generator_ema = None
        if ema:
            self.generator_ema = keras.models.clone_model(generator)
            self.generator_ema.set_weights(generator.get_weights())
            self.generator_ema.trainable = False
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def build(self, input_shape=None):
        # both networks are built functional models already
        self.built = True

    @property
    def sampler(self):
        """The generator to draw samples from: the moving average when there is one."""
        return self.generator if self.generator_ema is None else self.generator_ema

    def calibrate_average(self, samples=2048, seed=0):
        """Set the averaged generator's batch-norm statistics from one large batch of its own
        samples ("standing statistics", Brock et al. 2019): the trained generator's statistics do
        not fit the averaged weights. The generation task calls this after every epoch."""
        import numpy as np

        if self.generator_ema is None:
            return
        inputs = np.random.default_rng(seed).normal(size=(samples, self.latent_dim)).astype("float32")
        if self.num_classes:
            inputs = [inputs, (np.arange(samples) % self.num_classes).astype("int32").reshape(-1, 1)]
        norms = [layer for layer in self.generator_ema.layers if isinstance(layer, keras.layers.BatchNormalization)]
        momenta = [layer.momentum for layer in norms]
        for layer in norms:
            layer.trainable, layer.momentum = True, 0.0  # the moving statistics become this batch's
        self.generator_ema(inputs, training=True)
        for layer, momentum in zip(norms, momenta):
            layer.trainable, layer.momentum = False, momentum

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def compile(self, d_optimizer=None, g_optimizer=None, learning_rate=2e-4, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.digit_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def _fake_inputs(self, batch):
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        if not self.num_classes:
            return z, None
        digits = keras.random.randint((batch, 1), 0, self.num_classes, seed=self.seed_generator)
        return [z, digits], digits

    def _judge(self, images, digits, training):
        """The real/fake logits, and the digit logits (None when unconditional)."""
        if digits is None:
            return self.discriminator(images, training=training), None
        return self.discriminator([images, digits], training=training)

    def train_step(self, data):
        import tensorflow as tf

        if self.num_classes:
            real, real_digits = data[0], tf.reshape(tf.cast(data[1], "int32"), (-1, 1))
        else:
            real, real_digits = (data[0] if isinstance(data, (tuple, list)) else data), None
        batch = tf.shape(real)[0]
        fake_inputs, fake_digits = self._fake_inputs(batch)
        with tf.GradientTape() as tape:
            fake = self.generator(fake_inputs, training=True)
            real_logits, real_digit_logits = self._judge(real, real_digits, True)
            fake_logits, _ = self._judge(fake, fake_digits, True)
            d_loss = self.bce(tf.ones_like(real_logits) * (1 - self.label_smoothing), real_logits) + self.bce(
                tf.zeros_like(fake_logits), fake_logits
            )
            if self.num_classes:
                d_loss += self.digit_loss(real_digits, real_digit_logits)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        fake_inputs, fake_digits = self._fake_inputs(batch)
        with tf.GradientTape() as tape:
            fake_logits, fake_digit_logits = self._judge(self.generator(fake_inputs, training=True), fake_digits, True)
            g_loss = self.bce(tf.ones_like(fake_logits), fake_logits)
            if self.num_classes:
                g_loss += self.digit_loss(fake_digits, fake_digit_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        if self.generator_ema is not None:
            for average, weight in zip(self.generator_ema.weights, self.generator.weights):
                if weight.trainable:  # batch-norm statistics come from calibrate_average
                    average.assign(self.ema * average + (1 - self.ema) * weight)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}
