import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import json  # noqa: E402
import pathlib  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]

# the fuzz tests' examples: the same 40 per loader in every run (CI does not flake), or 3,000 new
# ones with `--hypothesis-profile long`
settings.register_profile("ci", max_examples=40, derandomize=True, deadline=None,
                          suppress_health_check=list(HealthCheck))  # fmt: skip
settings.register_profile("long", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile("ci")


@pytest.fixture(scope="session")
def data_dir():
    """The real data directory ($TOOLKIT_DATA); missing data fails under TOOLKIT_REQUIRE_DATA=1."""
    path = os.environ.get("TOOLKIT_DATA")
    if not path or not pathlib.Path(path).is_dir():
        message = "real data not found: set TOOLKIT_DATA to the data directory (e.g. ../shared/data)"
        if os.environ.get("TOOLKIT_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return pathlib.Path(path)


@pytest.fixture(scope="session")
def shipped_result(data_dir):
    """shipped_result(weights_id): a shipped entry evaluated on its real test split, once per test session."""
    from toolkit import catalog, hub, tasks

    loaded, results = {}, {}

    def evaluate(weights_id):
        if weights_id not in results:
            item = catalog.entry(weights_id)
            key = json.dumps([item["task"], item.get("task_settings")], sort_keys=True)
            task = loaded.setdefault(key, tasks.task_for(weights_id))  # the same settings share loaded images
            results[weights_id] = task.evaluate(hub.load_pretrained(weights_id), data_dir=data_dir)
        return results[weights_id]

    return evaluate


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    yield
    import sys

    if "keras" in sys.modules:  # Python's own collector frees the models; a full collection each test costs half the run
        sys.modules["keras"].backend.clear_session(free_memory=False)
