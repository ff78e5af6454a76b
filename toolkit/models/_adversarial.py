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
    its own. With `codes` (InfoGAN), the generator reads a categorical code off the first `codes`
    numbers of z (their argmax), the discriminator also returns the code's logits, and both
    networks add the cross-entropy of the fakes' codes to their losses (Chen et al. 2016). With
    `r1` (a weight gamma such as 1.0) the discriminator also minimises gamma/2 times the mean
    squared norm of its logit's gradient on the real images, the R1 penalty (Mescheder et al.
    2018), which keeps it from growing steep around the data.
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        num_classes=0,
        label_smoothing=0.1,
        seed=0,
        ema=0.0,
        codes=0,
        r1=0.0,
        **kwargs,
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
        self.codes = codes
        self.r1 = r1
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
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        super().compile(optimizer=OptimizerPair(self.d_optimizer, self.g_optimizer), **kwargs)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.digit_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def _fake_inputs(self, batch):
        """(generator inputs, the digits or codes they ask for as (n, 1) int32, or None)."""
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        if self.codes:
            code = keras.ops.argmax(z[:, : self.codes], axis=1)
            return z, keras.ops.reshape(keras.ops.cast(code, "int32"), (-1, 1))
        if not self.num_classes:
            return z, None
        digits = keras.random.randint((batch, 1), 0, self.num_classes, seed=self.seed_generator)
        return [z, digits], digits

    def _judge_inputs(self, images, digits):
        return [images, digits] if self.num_classes else images

    @staticmethod
    def _judgement(outputs):
        """(real/fake logits, digit or code logits, or None) from the discriminator's outputs."""
        return tuple(outputs) if isinstance(outputs, (list, tuple)) else (outputs, None)

    def _judge(self, images, digits, training):
        return self._judgement(self.discriminator(self._judge_inputs(images, digits), training=training))

    def _split(self, data):
        """(real images, their digits as (n, 1) int32 or None) from a batch."""
        if self.num_classes:
            return data[0], keras.ops.reshape(keras.ops.cast(data[1], "int32"), (-1, 1))
        return (data[0] if isinstance(data, (tuple, list)) else data), None

    def _d_loss(
        self, real_logits, fake_logits, real_digits, real_digit_logits, fake_codes, fake_code_logits, slopes=None
    ):
        """The discriminator's loss; `slopes` is the gradient of its real logits with respect to the
        real images, which the R1 penalty needs."""
        ops = keras.ops
        loss = self.bce(ops.ones_like(real_logits) * (1 - self.label_smoothing), real_logits)
        loss += self.bce(ops.zeros_like(fake_logits), fake_logits)
        if self.r1:
            loss += self.r1 / 2 * ops.mean(ops.sum(ops.square(slopes), axis=tuple(range(1, len(slopes.shape)))))
        if self.codes:
            return loss + self.digit_loss(fake_codes, fake_code_logits)
        return loss + self.digit_loss(real_digits, real_digit_logits) if self.num_classes else loss

    def _g_loss(self, fake_logits, fake_digits, fake_digit_logits):
        loss = self.bce(keras.ops.ones_like(fake_logits), fake_logits)
        return loss + self.digit_loss(fake_digits, fake_digit_logits) if fake_digits is not None else loss

    def _averaged_weights(self):
        """(average, weight) pairs that the moving average follows: the generator's trained weights
        (its batch-norm statistics come from `calibrate_average`)."""
        if self.generator_ema is None:
            return []
        return [(a, w) for a, w in zip(self.generator_ema.weights, self.generator.weights) if w.trainable]

    def train_step(self, *args):
        """One discriminator step, then one generator step. TensorFlow's trainer calls it with the
        batch and expects the variables updated in place; JAX's calls it with the state (every
        variable's value) and the batch, and expects the logs and the new state."""
        if keras.backend.backend() == "jax":
            return self._stateless_train_step(*args)
        return self._tensorflow_train_step(*args)

    def _tensorflow_train_step(self, data):
        import tensorflow as tf

        real, real_digits = self._split(data)
        batch = tf.shape(real)[0]
        fake_inputs, fake_digits = self._fake_inputs(batch)
        real = tf.convert_to_tensor(real)
        with tf.GradientTape() as tape:
            fake = self.generator(fake_inputs, training=True)
            with tf.GradientTape() as slope_tape:
                slope_tape.watch(real)
                real_logits, real_digit_logits = self._judge(real, real_digits, True)
                real_sum = tf.reduce_sum(real_logits)
            slopes = slope_tape.gradient(real_sum, real) if self.r1 else None
            fake_logits, fake_digit_logits = self._judge(fake, fake_digits, True)
            d_loss = self._d_loss(
                real_logits, fake_logits, real_digits, real_digit_logits, fake_digits, fake_digit_logits, slopes
            )
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        fake_inputs, fake_digits = self._fake_inputs(batch)
        with tf.GradientTape() as tape:
            fake_logits, fake_digit_logits = self._judge(self.generator(fake_inputs, training=True), fake_digits, True)
            g_loss = self._g_loss(fake_logits, fake_digits, fake_digit_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        for average, weight in self._averaged_weights():
            average.assign(self.ema * average + (1 - self.ema) * weight)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}

    def _stateless_train_step(self, state, data):
        """The same step as a pure function of the state (JAX): every network runs through
        `stateless_call` on its slice of the model's variables, and the slices are put back."""
        import jax

        trainable, non_trainable, optimizer_values, metric_values = state
        trainable, non_trainable = list(trainable), list(non_trainable)
        where = {id(v): i for i, v in enumerate(self.trainable_variables)}
        where_fixed = {id(v): i for i, v in enumerate(self.non_trainable_variables)}

        def take(values, positions, variables):
            return [values[positions[id(v)]] for v in variables]

        def put(values, positions, variables, new):
            for v, value in zip(variables, new):
                values[positions[id(v)]] = value

        g, d = self.generator, self.discriminator
        g_train, d_train = take(trainable, where, g.trainable_variables), take(trainable, where, d.trainable_variables)
        g_fixed = take(non_trainable, where_fixed, g.non_trainable_variables)
        d_fixed = take(non_trainable, where_fixed, d.non_trainable_variables)

        real, real_digits = self._split(data)
        batch = real.shape[0]
        seed = self.seed_generator.state
        with keras.StatelessScope(state_mapping=[(seed, non_trainable[where_fixed[id(seed)]])]) as scope:
            d_inputs, d_digits = self._fake_inputs(batch)
            g_inputs, g_digits = self._fake_inputs(batch)
            non_trainable[where_fixed[id(seed)]] = scope.get_current_value(seed)

        def judge(d_train, d_fixed, images, digits):
            outputs, d_fixed = d.stateless_call(d_train, d_fixed, self._judge_inputs(images, digits), training=True)
            return self._judgement(outputs), d_fixed

        def d_loss_fn(d_train, d_fixed, g_fixed):
            fake, g_fixed = g.stateless_call(g_train, g_fixed, d_inputs, training=True)

            def judge_real(images):
                (real_logits, real_digit_logits), fixed = judge(d_train, d_fixed, images, real_digits)
                return real_logits.sum(), (real_logits, real_digit_logits, fixed)

            slopes = None
            if self.r1:
                judged, slopes = jax.value_and_grad(judge_real, has_aux=True)(real)
            else:
                judged = judge_real(real)
            real_logits, real_digit_logits, d_fixed = judged[1]
            (fake_logits, fake_digit_logits), d_fixed = judge(d_train, d_fixed, fake, d_digits)
            loss = self._d_loss(
                real_logits, fake_logits, real_digits, real_digit_logits, d_digits, fake_digit_logits, slopes
            )
            return loss, (d_fixed, g_fixed)

        (d_loss, (d_fixed, g_fixed)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_train, d_fixed, g_fixed)
        d_count = len(self.d_optimizer.variables)
        d_train, d_optimizer_values = self.d_optimizer.stateless_apply(optimizer_values[:d_count], grads, d_train)

        def g_loss_fn(g_train, g_fixed, d_fixed):
            fake, g_fixed = g.stateless_call(g_train, g_fixed, g_inputs, training=True)
            (fake_logits, fake_digit_logits), d_fixed = judge(d_train, d_fixed, fake, g_digits)
            return self._g_loss(fake_logits, g_digits, fake_digit_logits), (g_fixed, d_fixed)

        (g_loss, (g_fixed, d_fixed)), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(g_train, g_fixed, d_fixed)
        g_train, g_optimizer_values = self.g_optimizer.stateless_apply(optimizer_values[d_count:], grads, g_train)

        put(trainable, where, g.trainable_variables, g_train)
        put(trainable, where, d.trainable_variables, d_train)
        put(non_trainable, where_fixed, g.non_trainable_variables, g_fixed)
        put(non_trainable, where_fixed, d.non_trainable_variables, d_fixed)
        for average, weight in self._averaged_weights():
            k = where_fixed[id(average)]
            non_trainable[k] = self.ema * non_trainable[k] + (1 - self.ema) * trainable[where[id(weight)]]
        logs, new_metric_values, start = {}, [], 0
        for metric, value in zip(self.metrics, (d_loss, g_loss)):
            count = len(metric.variables)
            values = metric.stateless_update_state(metric_values[start : start + count], value)
            logs[metric.name] = metric.stateless_result(values)
            new_metric_values += values
            start += count
        state = trainable, non_trainable, d_optimizer_values + g_optimizer_values, new_metric_values
        return logs, state


class OptimizerPair(keras.optimizers.Optimizer):
    """The discriminator's and the generator's optimizers seen as one: a trainer that carries a
    single optimizer's state through its steps (JAX's) then carries both. Each is built on its
    own network's variables and applied by `GAN.train_step`; the pair never applies anything."""

    def __init__(self, d_optimizer, g_optimizer, name="gan_optimizers", **kwargs):
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    @property
    def variables(self):
        return self.d_optimizer.variables + self.g_optimizer.variables

    # The two optimizers are saved with the model as its own attributes: saving the pair would
    # store their state twice.
    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass
