"""Draw the sample digits in this folder: hand-made strokes, not copied from any dataset.

Each digit is a few pen strokes in a unit box; the variants stress what `toolkit predict` must
handle: dark ink on paper, light ink on a dark board, off-centre, thin and thick pens, large
images, transparent backgrounds, palette GIFs, noisy BMPs and JPEGs. Run `python samples/draw.py`
to remake them (deterministic). File names start with the digit drawn.
"""

import math
import pathlib

import numpy as np
from PIL import Image, ImageDraw

HERE = pathlib.Path(__file__).resolve().parent


def arc(cx, cy, rx, ry, start, end, steps=24):
    """Points along an ellipse from angle `start` to `end` (degrees, 0 = right, 90 = down)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in np.linspace(start, end, steps)
    ]


STROKES = {
    0: [arc(0.5, 0.5, 0.28, 0.44, 0, 360, 48)],
    1: [[(0.42, 0.15), (0.56, 0.05), (0.53, 0.95)]],
    2: [arc(0.5, 0.3, 0.27, 0.24, 190, 360) + arc(0.5, 0.3, 0.27, 0.24, 0, 40, 6) + [(0.2, 0.93), (0.82, 0.93)]],
    3: [arc(0.48, 0.28, 0.25, 0.22, 200, 450) + arc(0.48, 0.72, 0.28, 0.23, 270, 520)],
    4: [[(0.6, 0.95), (0.6, 0.05), (0.15, 0.66), (0.85, 0.66)]],
    5: [[(0.78, 0.06), (0.33, 0.06), (0.28, 0.45)] + arc(0.5, 0.66, 0.29, 0.28, 215, 505)],
    6: [arc(0.55, 0.5, 0.32, 0.45, 280, 180, 16) + arc(0.5, 0.7, 0.26, 0.24, 180, 540, 40)],
    7: [[(0.15, 0.07), (0.85, 0.07), (0.42, 0.95)]],
    8: [arc(0.5, 0.27, 0.21, 0.21, 90, 450, 40), arc(0.5, 0.71, 0.26, 0.23, -90, 270, 40)],
    9: [arc(0.5, 0.3, 0.25, 0.24, 0, 360, 40), [(0.75, 0.3), (0.66, 0.95)]],
}


def draw(digit, size=280, box=0.7, centre=(0.5, 0.5), pen=0.07, ink=0, paper=255, slant=0.0, mode="L"):
    """One digit drawn with a round pen of width `pen` (fraction of the box) on a square canvas."""
    image = Image.new(mode, (size, size), paper)
    canvas = ImageDraw.Draw(image)
    side = box * size
    x0, y0 = centre[0] * size - side / 2, centre[1] * size - side / 2
    width = max(1, round(pen * side))
    for stroke in STROKES[digit]:
        points = [(x0 + (x + slant * (0.5 - y)) * side * 0.8 + side * 0.1, y0 + y * side) for x, y in stroke]
        canvas.line(points, fill=ink, width=width, joint="curve")
        r = width / 2
        for x, y in (points[0], points[-1]):
            canvas.ellipse((x - r, y - r, x + r, y + r), fill=ink)
    return image


def main():
    rng = np.random.default_rng(2026)
    for digit in range(10):
        draw(digit, slant=0.15).save(HERE / f"{digit}.png")
    # the variants: (file, image)
    draw(3, ink=235, paper=20).convert("RGB").save(HERE / "3_chalk_on_board.jpg", quality=85)
    draw(7, size=400, box=0.4, centre=(0.3, 0.7)).save(HERE / "7_off_centre.png")
    draw(2, size=1000, pen=0.025).save(HERE / "2_thin_pen_large.png")
    draw(5, pen=0.2).save(HERE / "5_thick_marker.png")
    rgba = draw(4, ink=(20, 20, 160, 255), paper=(0, 0, 0, 0), mode="RGBA")
    rgba.save(HERE / "4_transparent.png")
    draw(8, ink=0, paper=255).convert("P", palette=Image.ADAPTIVE, colors=4).save(HERE / "8_palette.gif")
    noisy = np.asarray(draw(6, slant=0.1), dtype=np.float64)
    noisy = noisy + rng.normal(0, 25, noisy.shape)
    specks = rng.random(noisy.shape) < 0.004
    noisy[specks] = 0
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(HERE / "6_noisy.bmp")
    photo = np.asarray(draw(9, size=480, ink=60, paper=205).convert("RGB"), dtype=np.float64)
    photo = photo * np.linspace(0.85, 1.1, 480)[None, :, None] * np.array([1.0, 0.97, 0.9])
    Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).save(HERE / "9_paper_photo.jpg", quality=80)
    draw(1, slant=-0.2, ink=(200, 30, 30), paper=(250, 250, 240), mode="RGB").save(HERE / "1_red_pen.png")
    draw(0, size=120, box=0.8).save(HERE / "0_small.png")


if __name__ == "__main__":
    main()
