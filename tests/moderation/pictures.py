"""Photo-like test pictures made on the spot (no real photo, and certainly no NSFW one, can ship in
the repository): overlapping waves and shapes from a seed, with the edits people make to a picture
they post again — re-encoding, resizing, cropping."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw


def picture(seed: int, size: tuple[int, int] = (960, 720)) -> Image.Image:
    """A deterministic picture with structure at several scales (as a photo has), RGB."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) / max(width, height)
    pixels = np.zeros((height, width, 3), dtype=np.float32)
    for _ in range(7):
        fx, fy = rng.uniform(-5, 5, 2)
        wave = np.sin(2 * np.pi * (fx * x + fy * y) + rng.uniform(0, 2 * np.pi))
        pixels += wave[..., None] * rng.uniform(0, 1, 3)[None, None, :]
    span = np.ptp(pixels) or 1.0
    pixels = (pixels - pixels.min()) / span * 255
    img = Image.fromarray(pixels.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = int(rng.uniform(0, width)), int(rng.uniform(0, height))
        x1, y1 = x0 + int(rng.uniform(width / 12, width / 3)), y0 + int(rng.uniform(height / 12, height / 3))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.uniform() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=colour)
    return img


def encoded(img: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    return buf.getvalue()


def jpeg(img: Image.Image, quality: int = 90) -> bytes:
    return encoded(img, "JPEG", quality=quality)


def resized(img: Image.Image, factor: float) -> Image.Image:
    return img.resize((max(1, round(img.width * factor)), max(1, round(img.height * factor))),
                      Image.Resampling.LANCZOS)


def cropped(img: Image.Image, fraction: float) -> Image.Image:
    """``fraction`` of the width and height cut off, split between the sides (an off-centre crop)."""
    dx, dy = round(img.width * fraction), round(img.height * fraction)
    return img.crop((dx // 3, dy // 3, img.width - (dx - dx // 3), img.height - (dy - dy // 3)))


def variants(img: Image.Image) -> dict[str, bytes]:
    """The copies a re-upload of ``img`` may be: each as the bytes that would be uploaded."""
    return {
        "jpeg q30": jpeg(img, 30),
        "jpeg q60": jpeg(img, 60),
        "jpeg q95": jpeg(img, 95),
        "webp q50": encoded(img, "WEBP", quality=50),
        "png": encoded(img, "PNG"),
        "half size": jpeg(resized(img, 0.5)),
        "quarter size": jpeg(resized(img, 0.25)),
        "1.5x": jpeg(resized(img, 1.5)),
        "crop 2%": jpeg(cropped(img, 0.02)),
        "crop 5%": jpeg(cropped(img, 0.05)),
        "crop 5% + half + q50": jpeg(resized(cropped(img, 0.05), 0.5), 50),
    }
