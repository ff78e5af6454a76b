"""`toolkit serve`: the web app's JSON API on the shipped weights, its safety, and the command
that serves it (a real uvicorn on a free port). The pages in a browser: tests/test_serve_browser.py."""

import base64
import io
import os
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from tests.conftest import ROOT
from toolkit import catalog


@pytest.fixture(scope="module")
def client(data_dir):
    from webapp.app import create_app

    return TestClient(create_app())


def drawing(strokes, size=280, width=20):
    """A PNG of white strokes on black, as the page's canvas sends it."""
    image = Image.new("L", (size, size))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=255, width=width, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


ONE = [[(140, 40), (140, 240)]]
SEVEN = [[(70, 50), (210, 50), (120, 240)]]


def predict(client, data, weights="digits.best", name="drawing.png"):
    return client.post("/api/digits/predict", files={"file": (name, data, "image/png")}, data={"weights": weights})


def test_a_drawing_gets_its_label_every_layers_maps_and_the_input_the_network_sees(client):
    answer = predict(client, drawing(ONE)).json()
    assert answer["label"] == "1" and len(answer["probabilities"]) == 10
    assert sum(answer["probabilities"]) == pytest.approx(1, abs=1e-4)
    assert answer["input"]["shape"] == [28, 28] and answer["server_ms"] > 0
    layers = {layer["name"]: layer for layer in answer["layers"]}
    assert layers["conv1_1"]["kind"] == "maps" and layers["conv1_1"]["shape"] == [32, 26, 26]
    assert len(base64.b64decode(layers["conv1_1"]["data"])) == 32 * 26 * 26  # 8-bit maps, channel first
    assert answer["layers"][-1]["name"] == "predictions" and len(answer["layers"][-1]["values"]) == 10
    assert answer["filters"]["layer"] == "conv1_1" and answer["filters"]["shape"] == [32, 3, 3]
    assert predict(client, drawing(SEVEN)).json()["label"] == "7"


def test_each_digit_model_answers_at_its_own_input_size(client):
    models = client.get("/api/digits/models").json()
    assert models[0]["weights"] == "digits.best" and models[0]["default"]
    assert {"lenet5.mnist", "mlp.mnist", "perceptron.mnist"} <= {m["weights"] for m in models}
    lenet = predict(client, drawing(ONE), "lenet5.mnist").json()
    assert lenet["input"]["shape"] == [32, 32]  # the 28x28 digit padded into LeNet's field
    assert [layer["name"] for layer in lenet["layers"]] == ["c1", "s2", "c3", "s4", "c5", "f6", "predictions"]
    perceptron = predict(client, drawing(ONE), "perceptron.mnist").json()
    assert perceptron["filters"]["shape"] == [10, 28, 28]  # each class's weights on the pixels, as a picture


def test_the_mistakes_gallery_is_the_models_evaluation(client):
    result = client.get("/api/digits/mistakes", params={"weights": "perceptron.mnist", "limit": 12}).json()
    recorded = catalog.entry("perceptron.mnist")["metrics"]["mnist/test"]
    assert abs(result["mistakes"] - recorded["mistakes"]) <= 2 and result["images"] == 10_000
    assert len(result["shown"]) == 12 and all(m["label"] != m["answer"] for m in result["shown"])
    assert result["shown"][0]["image"].startswith("data:image/png;base64,")


def png_of_size(width, height):
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, weights, status, message",
    [
        (b"not an image", "digits.best", 400, "drawing.png: not an image file"),
        (b"", "digits.best", 400, "drawing.png: empty file"),
        (png_of_size(8000, 8000), "digits.best", 413, "too large"),  # 64 M pixels in a small file
        (b"\0" * 20_000_001, "digits.best", 413, "limit 20,000,000"),
        (drawing(ONE), "lenet5.nope", 404, "unknown weights 'lenet5.nope'"),
        (drawing(ONE), "unet.membrane", 404, "unknown weights 'unet.membrane' for this page"),
    ],
)
def test_bad_uploads_answer_a_json_error_and_the_app_goes_on(client, data, weights, status, message):
    response = predict(client, data, weights)
    assert response.status_code == status and message in response.json()["error"]
    assert "Traceback" not in response.text
    assert predict(client, drawing(ONE)).json()["label"] == "1"


@pytest.mark.parametrize(
    "path", ["/static/../webapp/app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fsetup.cfg",
             "/static/....//app.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/../setup.cfg"],
)  # fmt: skip
def test_only_the_apps_own_files_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "import" not in response.text and "root:" not in response.text


def test_the_pages_and_the_openapi_schema(client):
    pages = [page["path"] for page in client.get("/api/pages").json()]
    assert pages == ["digits", "photos", "segmentation", "generation", "forecasting", "text", "history"]
    for page in ["", *pages]:
        response = client.get(f"/{page}")
        assert response.status_code == 200 and "<script" in response.text
        for asset in ("/static/app.js", "/static/app.css", f"/static/{page or 'index'}.js"):
            if asset.endswith("index.js"):
                continue
            assert client.get(asset).status_code == 200, asset
    schema = client.get("/openapi.json").json()
    assert {"/api/digits/predict", "/api/photos/predict", "/api/segmentation/predict", "/api/generation/sample",
            "/api/generation/interpolate", "/api/forecasting/series", "/api/history/tables"} <= set(schema["paths"])  # fmt: skip


def test_photos_segmentation_generation_forecasting_and_history_answer(client):
    photo = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((60, 90, 3)) * 255).astype("uint8")).save(photo, "JPEG")
    answer = client.post("/api/photos/predict", files={"file": ("p.jpg", photo.getvalue(), "image/jpeg")},
                         data={"weights": "resnet20.cifar10"}).json()  # fmt: skip
    assert len(answer["top"]) == 5 and answer["top"][0]["probability"] >= answer["top"][1]["probability"]
    assert {t["label"] for t in answer["top"]} <= set(catalog.entry("resnet20.cifar10")["labels"])
    example = client.get("/api/segmentation/examples").json()[0]["image"]
    mask = client.post("/api/segmentation/predict", data={"weights": "unet.nuclei"},
                       files={"file": ("cells.png", base64.b64decode(example.split(",")[1]), "image/png")}).json()  # fmt: skip
    assert mask["objects"] >= 3 and 0.01 < mask["foreground_fraction"] < 0.5 and mask["width"] == 256
    grid = client.post("/api/generation/sample", json={"weights": "cdcgan.mnist", "seed": 3, "n": 16, "digit": 7}).json()
    picture = Image.open(io.BytesIO(base64.b64decode(grid["grid"].split(",")[1])))
    assert picture.size == (8 * 28, 2 * 28)
    refused = client.post("/api/generation/sample", json={"weights": "dcgan.mnist", "digit": 7})
    assert refused.status_code == 400 and "not conditional" in refused.json()["error"]
    walk = client.post("/api/generation/interpolate", json={"weights": "infogan.mnist", "steps": 5, "code": 2}).json()
    assert len(walk["frames"]) == 5
    assert client.post("/api/generation/sample", json={"weights": "vae.mnist", "n": 8}).status_code == 200
    series = client.get("/api/forecasting/series", params={"weights": "lstm.airline", "horizon": 6}).json()
    assert len(series["future"]["forecast"]) == 6 and series["test_start"] == len(series["value"]) - 24
    assert all(lo <= f <= hi for lo, f, hi in zip(series["future"]["lower"], series["future"]["forecast"], series["future"]["upper"]))
    bad = client.post("/api/forecasting/upload", files={"file": ("s.csv", b"a,b\nx,y\n", "text/csv")}, data={"weights": "lstm.airline"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("s.csv: ")
    figure = client.get("/api/history/figure/label_efficiency.png")
    assert figure.headers["content-type"] == "image/png" and figure.content[:4] == b"\x89PNG"
    assert client.get("/api/history/figure/secret.png").status_code == 404
    tables = client.get("/api/history/tables").json()
    googlenet = next(row for row in tables["history"] if row["network"] == "GoogLeNet")
    assert googlenet["lecture's parameters"] == 4_000_000
    params = client.get("/api/history/params").json()
    assert next(row for row in params if row["model"] == "lenet5")["parameters"] == 61_706


def _serve(*args):
    """`toolkit serve` in its own process; (process, the lines it printed up to its address)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", *args], cwd=ROOT, env=env,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)  # fmt: skip
    lines = []
    while True:
        line = process.stderr.readline()
        lines.append(line)
        if "serving the toolkit at" in line or not line:
            break
    return process, lines


def serving(*args):
    """`toolkit serve` started and answering: (process, its address)."""
    process, lines = _serve(*args)
    assert "serving the toolkit at" in lines[-1], "".join(lines)
    address = lines[-1].split(" at ")[1].split()[0]
    for _ in range(100):
        try:
            httpx.get(f"{address}/api/pages", timeout=5)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return process, address


def test_serve_binds_to_loopback_and_answers(data_dir):
    process, address = serving("--port", "0")
    try:
        assert address.startswith("http://127.0.0.1:")
        response = httpx.get(f"{address}/api/pages", timeout=5)
        assert response.status_code == 200 and response.json()[0]["path"] == "digits"
        answer = httpx.post(f"{address}/api/digits/predict", files={"file": ("one.png", drawing(ONE), "image/png")}, timeout=60)
        assert answer.json()["label"] == "1"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_warns_off_loopback_and_refuses_a_busy_port(data_dir):
    process, lines = _serve("--host", "0.0.0.0", "--port", "0")
    process.terminate()
    process.wait(timeout=30)
    assert lines[0].startswith("warning: listening on 0.0.0.0")
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        done = subprocess.run([sys.executable, "-m", "cli.main", "serve", "--port", str(busy.getsockname()[1])],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and done.stderr.startswith("Error: cannot listen on 127.0.0.1:")
    assert "Traceback" not in done.stderr


def test_the_text_page_streams_a_language_models_writing(client):
    models = client.get("/api/text/models").json()
    assert "gpt.dom_casmurro" in {m["weights"] for m in models}
    request = {"weights": "gpt.dom_casmurro", "prompt": "Capitú", "n": 60, "temperature": 0.8, "seed": 0}
    with client.stream("POST", "/api/text/generate", json=request) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        text = "".join(response.iter_text())
    from toolkit import hub, tasks

    expected = tasks.task_for("gpt.dom_casmurro").generate(hub.load_pretrained("gpt.dom_casmurro"), "Capitú", 60,
                                                          temperature=0.8, seed=0)  # fmt: skip
    assert text == expected  # the same seeded draw as `toolkit generate`
    refused = client.post("/api/text/generate", json={**request, "prompt": "caf\u2603"})
    assert refused.status_code == 400 and "U+2603" in refused.json()["error"]
