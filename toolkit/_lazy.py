"""Import heavy modules on first use, so `toolkit --help` and `toolkit models` stay instant."""

import importlib
import types


class LazyModule(types.ModuleType):
    """A stand-in for a module that is imported the first time one of its attributes is read."""

    def __init__(self, name):
        super().__init__(name)
        self._module = None

    def __getattr__(self, attr):
        if attr == "_module":
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self.__name__)
        return getattr(self._module, attr)


keras = LazyModule("keras")
ops = LazyModule("keras.ops")
np = LazyModule("numpy")
pd = LazyModule("pandas")
