"""Printed digits, rendered: typeset 0-9 as people photograph and scan them.

Each image is one digit in a font from Debian's font packages, in a random size, weight, slant,
width, outline or fill, ink and paper colour (white or tinted, sometimes light ink on dark),
placed anywhere on a page up to 8 times its size (480 pixels at most), rotated up to 10 degrees, blurred and saved
as JPEG. The training and the test fonts are different font families (`FONTS`), so a test
accuracy says how well unseen typefaces are read. Everything is drawn from one seed.
"""

import fnmatch
import io
import os
import pathlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from toolkit.data.paths import DataNotFoundError

FONT_DIRS = ("/usr/share/fonts",)
# font files by split, as glob patterns on their paths below a font folder; one family is never in both
FONTS = {
    "train": (
        "truetype/dejavu/DejaVuSans*", "truetype/dejavu/DejaVuSerif*", "truetype/freefont/*", "fonts-go/*",
        "truetype/lato/*", "opentype/cantarell/*", "truetype/hack/*", "truetype/inconsolata/*",
        "truetype/firacode/*",
    ),
    "test": (
        "opentype/urw-base35/Nimbus*", "opentype/urw-base35/C059-*", "opentype/urw-base35/P052-*",
        "opentype/urw-base35/URW*", "truetype/liberation/*", "truetype/crosextra/*",
        "truetype/jetbrains-mono/*", "opentype/comic-neue/*", "opentype/ebgaramond/*",
    ),
}  # fmt: skip
PACKAGES = (
    "fonts-dejavu-core fonts-dejavu-extra fonts-freefont-ttf fonts-go fonts-lato fonts-cantarell fonts-hack"
    " fonts-inconsolata fonts-firacode fonts-urw-base35 fonts-liberation fonts-crosextra-carlito"
    " fonts-crosextra-caladea fonts-jetbrains-mono fonts-comic-neue fonts-ebgaramond"
)
SEEDS = {"train": 1, "validation": 2, "test": 3}  # the validation split renders the training fonts anew
PAPERS = [(255, 255, 255), (250, 246, 232), (235, 242, 250), (252, 248, 200), (250, 228, 232), (228, 240, 226)]


def font_files(split):
    """The font files of a split ("train", "validation" or "test") found on this machine, sorted.

    Raises:
        DataNotFoundError: when none of the split's fonts are installed.
    """
    roots = [pathlib.Path(p) for p in os.environ.get("TOOLKIT_FONTS", os.pathsep.join(FONT_DIRS)).split(os.pathsep)]
    patterns = FONTS["train" if split == "validation" else split]
    found = sorted(
        str(path)
        for root in roots
        if root.is_dir()
        for path in root.rglob("*")
        if path.suffix.lower() in (".ttf", ".otf")
        and any(fnmatch.fnmatch(path.relative_to(root).as_posix(), p) for p in patterns)
    )
    if not found:
        raise DataNotFoundError(f"no {split} fonts for printed digits in {', '.join(map(str, roots))}; install"
                                f" the Debian packages {PACKAGES}")  # fmt: skip
    return found


def render(digit, font_file, rng):
    """One printed `digit` as a user's photo or scan would show it: an RGB PIL image."""
    size = int(rng.integers(18, 120))  # a digit 13 to 85 pixels high: 10 pt at 100 dpi and up
    font = ImageFont.truetype(font_file, size)
    dark_page = rng.random() < 0.1  # light ink on dark, as in screenshots of dark themes
    paper = np.array(PAPERS[rng.integers(len(PAPERS))]) if not dark_page else rng.integers(10, 70, 3)
    ink = rng.integers(0, 90, 3) if not dark_page else rng.integers(190, 256, 3)
    if rng.random() < 0.25:  # coloured or gray ink
        ink = np.clip(ink + rng.integers(0, 80, 3) * (1 if not dark_page else -1), 0, 255)
    style = rng.choice(["plain", "bold", "outlined", "filled"], p=[0.55, 0.2, 0.15, 0.1])
    stroke = max(1, size // 25) if style in ("bold", "outlined", "filled") else 0
    glyph = Image.new("RGB", (size * 2 + 4 * stroke, size * 2 + 4 * stroke), tuple(int(v) for v in paper))
    draw = ImageDraw.Draw(glyph)
    position = (size // 2, size // 4)
    if style == "outlined":  # the outline in ink, the inside in paper
        draw.text(position, str(digit), font=font, fill=tuple(int(v) for v in paper), stroke_width=stroke,
                  stroke_fill=tuple(int(v) for v in ink))  # fmt: skip
    elif style == "filled":  # an outline in ink around a gray or tinted inside
        inside = (paper * 0.45 + ink * 0.55).astype(int)
        draw.text(position, str(digit), font=font, fill=tuple(int(v) for v in inside), stroke_width=stroke,
                  stroke_fill=tuple(int(v) for v in ink))  # fmt: skip
    else:
        draw.text(position, str(digit), font=font, fill=tuple(int(v) for v in ink), stroke_width=stroke,
                  stroke_fill=tuple(int(v) for v in ink))  # fmt: skip
    # width (condensed or wide), slant (italic) and rotation of the glyph, about its centre
    width, slant, angle = rng.uniform(0.65, 1.15), rng.uniform(-0.1, 0.3), rng.uniform(-10, 10)
    glyph = glyph.resize((max(8, int(glyph.width * width)), glyph.height), Image.BICUBIC)
    fill = tuple(int(v) for v in paper)
    glyph = glyph.transform(glyph.size, Image.AFFINE, (1, slant, -slant * glyph.height / 2, 0, 1, 0),
                            Image.BICUBIC, fillcolor=fill)  # fmt: skip
    glyph = glyph.rotate(angle, Image.BICUBIC, expand=True, fillcolor=fill)
    # the page: the glyph anywhere on it, the page up to 8 times the glyph's size (and 480 pixels)
    largest = max(1.0, min(8.0, 480 / max(glyph.size)))
    scale = rng.uniform(1.0, largest) if rng.random() < 0.4 else rng.uniform(1.0, min(1.6, largest))
    page = Image.new("RGB", (int(glyph.width * scale), int(glyph.height * scale)), fill)
    page.paste(glyph, (int(rng.integers(0, page.width - glyph.width + 1)), int(rng.integers(0, page.height - glyph.height + 1))))
    if rng.random() < 0.5:  # out of focus: up to 1.5 pixels, less for small digits, which would vanish
        page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, max(0.4, min(1.5, size / 30)))))
    noise = rng.normal(0, rng.uniform(0, 6), (page.height, page.width, 1))
    page = Image.fromarray(np.clip(np.asarray(page, dtype=np.float32) + noise, 0, 255).astype(np.uint8))
    if rng.random() < 0.6:
        buffer = io.BytesIO()
        page.save(buffer, "JPEG", quality=int(rng.integers(30, 95)))
        page = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return page


def printed_digits(split, count, seed=None):
    """`count` rendered digits of a split as (images, labels): what `toolkit predict` makes of each
    rendering (28x28 float32 in [0, 1], light ink on black), the digits cycling 0-9 over the fonts."""
    from toolkit.data.images import ImageError, normalize_digit

    fonts = font_files(split)
    rng = np.random.default_rng(SEEDS[split] if seed is None else seed)
    labels = np.arange(count) % 10
    images = np.empty((count, 28, 28), np.float32)
    for k, digit in enumerate(labels):
        while True:  # a page whose digit faded away (a hairline font, small, gray and blurred) is drawn anew
            page = render(digit, fonts[rng.integers(len(fonts))], rng)
            try:
                images[k] = normalize_digit(np.asarray(page.convert("L")))
                break
            except ImageError:
                continue
    return images, labels.astype(np.int32)
