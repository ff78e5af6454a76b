"""Latency of `toolkit serve`: a drawing's full answer (probabilities and every layer's maps of
the default model) at the server and in the browser, and a load test on loopback.

Starts `toolkit serve` on a free port, then measures, each against its target side by side:

- server time (the `server_ms` the app reports: reading the PNG, MNIST's normalisation, one
  pass of the default model that returns every layer) over `--drawings` drawings; target 100 ms;
- in Debian's chromium driven by Playwright: real strokes on the page's canvas, and for each the
  round trip (request sent to answer parsed) and the page's redraw (answer parsed to every
  layer drawn); redraw target 50 ms;
- a load test: `--clients` threads sending `--requests` predictions in all, at once; errors,
  p50 and p95 latency.

    TOOLKIT_DATA=../shared/data python benchmarks/serve_latency.py [--drawings 50] [--clients 20] [--requests 200]
"""

import argparse
import concurrent.futures
import io
import os
import shutil
import statistics
import subprocess
import sys
import time

import httpx
import numpy as np
from PIL import Image, ImageDraw

SERVER_TARGET_MS, REDRAW_TARGET_MS = 100.0, 50.0


def drawings(count, seed=0):
    """`count` PNGs of random strokes, as the page's 280x280 canvas sends them."""
    random = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        image = Image.new("L", (280, 280))
        draw = ImageDraw.Draw(image)
        for _ in range(random.integers(1, 4)):
            draw.line([tuple(p) for p in random.uniform(40, 240, (4, 2))], fill=255, width=20, joint="curve")
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        out.append(buffer.getvalue())
    return out


def start_server():
    process = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", "0"], stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))  # fmt: skip
    line = ""
    while "serving the toolkit at" not in line:
        line = process.stderr.readline()
        if not line:
            sys.exit("toolkit serve stopped before serving")
    return process, line.split(" at ")[1].split()[0]


def percentile(values, q):
    return float(np.percentile(values, q))


def server_times(address, pictures):
    with httpx.Client(base_url=address, timeout=60) as client:
        post = lambda data: client.post("/api/digits/predict", files={"file": ("d.png", data, "image/png")})  # noqa: E731
        post(pictures[0])  # loads the model
        answers = [post(p).json() for p in pictures]
    return [a["server_ms"] for a in answers]


def browser_times(address, strokes):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return None
    random = np.random.default_rng(1)
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{address}/digits")
        page.wait_for_selector("#model option", state="attached")
        box = page.locator("#pad").bounding_box()
        for k in range(strokes + 1):
            page.click("#clear")
            page.evaluate("window.lastTimings = null")
            points = random.uniform(40, 240, (4, 2))
            page.mouse.move(box["x"] + points[0, 0], box["y"] + points[0, 1])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
            page.mouse.up()
            page.wait_for_function("() => window.lastTimings && window.digitsIdle()")  # the stroke's end answered
            if k:  # the first stroke warms the page up
                rows.append(page.evaluate("window.lastTimings"))
        browser.close()
    return rows


def load_test(address, pictures, clients, requests):
    def one(k):
        start = time.perf_counter()
        response = httpx.post(f"{address}/api/digits/predict", timeout=120,
                              files={"file": ("d.png", pictures[k % len(pictures)], "image/png")})  # fmt: skip
        return response.status_code, (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(requests)))
    seconds = time.perf_counter() - start
    latencies = [ms for status, ms in results if status == 200]
    return sum(status != 200 for status, _ in results), latencies, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=50)
    parser.add_argument("--strokes", type=int, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    pictures = drawings(args.drawings)
    process, address = start_server()
    try:
        for _ in range(100):
            try:
                httpx.get(address, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        served = server_times(address, pictures)
        print(f"server, default model, {len(served)} drawings: median {statistics.median(served):.1f} ms, "
              f"p95 {percentile(served, 95):.1f} ms; target {SERVER_TARGET_MS:.0f} ms, "
              f"ratio {statistics.median(served) / SERVER_TARGET_MS:.2f} of the target")  # fmt: skip
        rows = browser_times(address, args.strokes)
        if rows is None:
            print("browser: no chromium found (apt-get install chromium); skipped")
        else:
            trip, redraw = [r["roundtrip_ms"] for r in rows], [r["render_ms"] for r in rows]
            print(f"browser, {len(rows)} strokes: round trip median {statistics.median(trip):.1f} ms "
                  f"(p95 {percentile(trip, 95):.1f}); redraw median {statistics.median(redraw):.1f} ms "
                  f"(p95 {percentile(redraw, 95):.1f}); redraw target {REDRAW_TARGET_MS:.0f} ms, "
                  f"ratio {statistics.median(redraw) / REDRAW_TARGET_MS:.2f} of the target")  # fmt: skip
        errors, latencies, seconds = load_test(address, pictures, args.clients, args.requests)
        print(f"load test, {args.requests} predictions from {args.clients} clients at once: {errors} errors, "
              f"p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms, "
              f"{args.requests / seconds:.1f} answers/s")  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
