"""One module per family of networks; importing this package registers every builder."""

from toolkit.models import (  # noqa: F401
    alexnet,
    autoencoder,
    digitnet,
    gan,
    googlenet,
    inception,
    language,
    lenet,
    mixer,
    mlp,
    perceptron,
    recurrent,
    resnet,
    simclr,
    unet,
    vgg,
)
