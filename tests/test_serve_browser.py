"""`toolkit serve` in a real browser: Debian's chromium driven by Playwright (`executable_path`;
never `playwright install`). Digits drawn with real mouse strokes, every page driven once, and
each page's screenshot written to the test's folder (TOOLKIT_SCREENSHOTS to keep them)."""

import os
import pathlib
import shutil

import pytest

from tests.conftest import ROOT
from tests.test_serve import serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def server(data_dir):
    """A served app on a free port: its address."""
    process, address = serving("--port", "0")
    yield address
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "the browser tests need Debian's chromium (apt-get install chromium); .ci/run installs it"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = pathlib.Path(os.environ.get("TOOLKIT_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stroke(page, points):
    """One stroke of real mouse events over the drawing canvas (points in its 280x280 pixels)."""
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
    page.mouse.up()


def label_after(page, strokes, weights=None):
    page.click("#clear")
    page.evaluate("window.lastTimings = null")
    for points in strokes:
        stroke(page, points)
    # the answer to the stroke's end, after any sent during it
    page.wait_for_function("() => window.lastTimings && window.digitsIdle()", timeout=120_000)
    assert not page.locator("#error").is_visible()
    selector = f".answer[data-weights='{weights}'] .label" if weights else ".answer .label"
    return page.locator(selector).first.inner_text()


ONE = [[(140, 40), (140, 240)]]
SEVEN = [[(70, 50), (210, 50), (120, 245)]]
ZERO = [[(140, 40), (200, 80), (215, 140), (200, 200), (140, 245), (80, 200), (65, 140), (80, 80), (140, 40)]]


def test_drawn_digits_are_read_and_every_layer_is_drawn(page, shots):
    page.goto("/digits")
    page.wait_for_selector("#model option", state="attached")
    assert label_after(page, ONE) == "1"
    assert label_after(page, SEVEN) == "7"
    assert label_after(page, ZERO) == "0"
    assert page.locator(".answer .bars .bar").count() == 10
    layers = page.locator(".answer .layer")
    assert layers.count() >= 8 and page.locator(".answer .layer[data-layer='conv1_1'] canvas").count() == 1
    timings = page.evaluate("window.lastTimings")
    assert timings["server_ms"] > 0 and timings["render_ms"] >= 0
    page.screenshot(path=shots / "digits.png", full_page=True)
    page.select_option("#model", "lenet5.mnist")
    page.wait_for_selector(".answer[data-weights='lenet5.mnist']")
    assert page.locator(".answer .layer[data-layer='c1']").count() == 1
    page.check("#compare")
    page.select_option("#model2", "mlp.mnist")
    page.wait_for_selector(".answer[data-weights='mlp.mnist']")
    assert page.locator(".answer").count() == 2
    assert label_after(page, ONE, "lenet5.mnist") == "1" and label_after(page, ONE, "mlp.mnist") == "1"


def test_an_uploaded_file_and_bad_uploads(page, tmp_path):
    page.goto("/digits")
    page.wait_for_selector("#model option", state="attached")
    page.set_input_files("#upload", str(ROOT / "samples" / "3.png"))
    page.wait_for_selector(".answer .label")
    assert page.locator(".answer .label").inner_text() == "3"
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * 21_000_000)
    page.set_input_files("#upload", str(big))
    page.wait_for_selector("#error.shown")
    assert "too large" in page.locator("#error").inner_text() or "limit" in page.locator("#error").inner_text()
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    page.set_input_files("#upload", str(text))
    page.wait_for_function("() => document.querySelector('#error').textContent.includes('not an image file')")
    assert label_after(page, ONE) == "1"  # the app goes on working
    assert not page.locator("#error").is_visible()


def test_the_mistakes_gallery_opens_a_digit_in_the_live_view(page):
    page.goto("/digits")
    page.wait_for_selector("#model option", state="attached")
    page.select_option("#model", "perceptron.mnist")
    page.click("#mistakes")
    page.wait_for_selector("#gallery figure", timeout=120_000)
    first = page.locator("#gallery figure").first
    answer = first.inner_text().split("→")[1].strip()
    first.click()
    page.wait_for_selector(".answer .label")
    assert page.locator(".answer .label").inner_text() == answer  # the same wrong answer, now live


def test_every_other_page_answers(page, shots):
    page.goto("/photos")
    page.wait_for_selector("#model option", state="attached")
    page.select_option("#model", "resnet20.cifar10")
    page.set_input_files("#upload", str(ROOT / "samples" / "9_paper_photo.jpg"))
    page.wait_for_selector("#answer:not([hidden]) .bar")
    assert page.locator("#top .bar").count() == 5
    page.screenshot(path=shots / "photos.png")

    page.goto("/segmentation")
    page.wait_for_selector("#examples figure")
    page.locator("#examples figure").first.click()
    page.wait_for_function("() => document.querySelector('#numbers').textContent.includes('objects')")
    page.fill("#opacity", "0.8")
    page.screenshot(path=shots / "segmentation.png")

    page.goto("/generation")
    page.wait_for_function("() => document.querySelector('#grid').src.startsWith('data:image/png')")
    page.select_option("#model", "cdcgan.mnist")

    def walk_of_fours(response):
        return "/api/generation/interpolate" in response.url and response.request.post_data_json["digit"] == 4

    with page.expect_response(walk_of_fours) as walk:
        page.select_option("#digit", "4")
    assert walk.value.ok
    page.wait_for_selector("#walk[data-shown='cdcgan.mnist 4 ']")
    page.fill("#slider", "5")
    page.screenshot(path=shots / "generation.png")

    page.goto("/forecasting")
    page.wait_for_selector("#scores tr")
    page.wait_for_timeout(500)
    box = page.locator("#chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelector('#hover').textContent.includes(':')")
    assert page.locator("#scores tr").count() >= 3  # the model and its baselines
    page.screenshot(path=shots / "forecasting.png")

    page.goto("/text")
    page.wait_for_selector("#model option", state="attached")
    page.fill("#n", "120")
    page.click("#write")
    page.wait_for_selector("#out[data-done='yes']", timeout=120_000)
    assert len(page.locator("#out").inner_text()) >= 120  # the prompt and the streamed characters
    page.screenshot(path=shots / "text.png")

    page.goto("/history")
    page.wait_for_selector("#history table", timeout=180_000)
    page.wait_for_function("() => [...document.querySelectorAll('#figures img')].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("#figures img").count() == 5
    page.wait_for_selector("#params table", timeout=300_000)  # every model built once to be measured
    assert page.locator("#params tr").count() > 40  # every registered model
    page.screenshot(path=shots / "history.png")
    for name in ("digits", "photos", "segmentation", "generation", "forecasting", "text", "history"):
        if (shots / f"{name}.png").exists():
            assert (shots / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
