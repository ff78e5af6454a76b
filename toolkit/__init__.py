"""toolkit: the landmark neural networks of deep learning's history, in Keras 3.

>>> import toolkit
>>> toolkit.list_models("vgg1?")
['vgg11', 'vgg13', 'vgg16', 'vgg19']
>>> model = toolkit.build_model("lenet5")
"""

from toolkit.hub import build_model, get_model, list_models, list_weights, load_pretrained, model_info

__version__ = "0.1.0"
__all__ = ["build_model", "get_model", "list_models", "list_weights", "load_pretrained", "model_info", "__version__"]
