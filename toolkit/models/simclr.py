"""Self-supervised encoders: SimCLR's contrastive learning of digits without labels.

Reference: Chen, Kornblith, Norouzi & Hinton, "A simple framework for contrastive learning of
visual representations", ICML 2020.
"""

from toolkit._lazy import keras
from toolkit.models._common import check_input_shape, load_weights
from toolkit.registry import register


@register(
    family="selfsupervised",
    year=2020,
    authors="Chen, Kornblith, Norouzi, Hinton",
    paper="A simple framework for contrastive learning of visual representations",
    tasks=("selfsupervised",),
    input_shape=(28, 28, 1),
    params_basis="computed: DigitNet without its top as the encoder, a 2-layer projection head",
)
def simclr(*, weights=None, input_shape=None, projection_units=(128, 64), dropout=0.0, name="simclr"):
    """SimCLR (Chen et al. 2020) for digits: the encoder is DigitNet without its classifier (its
    128-vector), as nested model `backbone`, and a projection head (Dense 128 ReLU, Dense 64)
    whose outputs the self-supervised task's NT-Xent loss pulls together for two distortions of
    one digit and apart for different digits.

    Departs from the paper: a small CNN for 28x28 digits in place of ResNet-50, and the digit
    distortions (affine and elastic) in place of crops and colour jitter.
    """
    from toolkit.models.digitnet import digitnet

    shape = check_input_shape(input_shape, (28, 28, 1), name=name, min_size=28)
    backbone = digitnet(include_top=False, input_shape=shape, dropout=dropout, name="backbone")
    inputs = keras.Input(shape, name="inputs")
    x = backbone(inputs)
    for k, units in enumerate(projection_units):
        last = k == len(projection_units) - 1
        x = keras.layers.Dense(units, activation=None if last else "relu", name=f"projection_{k}")(x)
    model = keras.Model(inputs, x, name=name)
    load_weights(model, weights)
    return model
