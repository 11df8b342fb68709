"""Builders for ordinary and hostile test media.

Every input is made here, in memory or under a pytest tmp path: nothing is downloaded and no
fixture files are checked in, so each test shows exactly what it feeds the pipeline.
"""

from __future__ import annotations

import io
import random
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageCms

QUADRANT_COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
}

# EXIF "GPSInfo" IFD as a phone writes it: 31°14'N 121°28'E (central Shanghai).
GPS_IFD: dict[int, Any] = {
    0x0001: "N",
    0x0002: (31.0, 14.0, 0.0),
    0x0003: "E",
    0x0004: (121.0, 28.0, 0.0),
    0x0006: 4.0,
}

XMP_WITH_LOCATION = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="31,14.0N" '
    b'exif:GPSLongitude="121,28.0E"/></rdf:RDF></x:xmpmeta>'
)


def encode(img: Image.Image, fmt: str, **params: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def solid(size: tuple[int, int], colour: tuple[int, ...] = (200, 120, 40), mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Incompressible pixels, so the encoded file is mostly image data (cuts land in it)."""
    rnd = random.Random(seed)
    return Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))


def quadrants(size: tuple[int, int] = (100, 50)) -> Image.Image:
    """Top-left red, top-right green, bottom-left blue, bottom-right yellow."""
    w, h = size
    img = Image.new("RGB", size)
    img.paste(QUADRANT_COLOURS["red"], (0, 0, w // 2, h // 2))
    img.paste(QUADRANT_COLOURS["green"], (w // 2, 0, w, h // 2))
    img.paste(QUADRANT_COLOURS["blue"], (0, h // 2, w // 2, h))
    img.paste(QUADRANT_COLOURS["yellow"], (w // 2, h // 2, w, h))
    return img


def nearest_colour(pixel: tuple[int, ...]) -> str:
    return min(
        QUADRANT_COLOURS,
        key=lambda name: sum((a - b) ** 2 for a, b in zip(QUADRANT_COLOURS[name], pixel[:3], strict=True)),
    )


def camera_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "RedbridgeCam"  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[0x0112] = orientation
    exif[0x0131] = "CameraFirmware 1.0"  # Software
    exif[0x8825] = GPS_IFD
    return exif


def jpeg_from_phone(size: tuple[int, int] = (100, 50), orientation: int = 6, *, icc: bool = True) -> bytes:
    """A JPEG carrying what a phone leaks: EXIF with GPS, XMP with location, an ICC profile."""
    extra: dict[str, Any] = {}
    if icc:
        extra["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        quadrants(size),
        "JPEG",
        quality=95,
        exif=camera_exif(orientation),
        xmp=XMP_WITH_LOCATION,
        comment=b"taken at home",
        **extra,
    )


def png_with_alpha(size: tuple[int, int] = (64, 64)) -> bytes:
    """Left half fully transparent, right half opaque red."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    img.paste((255, 0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return encode(img, "PNG")


def png_with_exif_chunk(orientation: int = 6) -> bytes:
    """PNG metadata lives in eXIf and tEXt chunks rather than APP segments."""
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Location", "31.2304 N, 121.4737 E")
    return encode(quadrants(), "PNG", exif=camera_exif(orientation), pnginfo=text)


def animated_gif(colours: list[tuple[int, int, int]], size: tuple[int, int] = (32, 32)) -> bytes:
    frames = [Image.new("RGB", size, c) for c in colours]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def mpo(first: Image.Image, second: Image.Image) -> bytes:
    return encode(first, "MPO", save_all=True, append_images=[second])


# -------------------------------------------------------------------------------------------
# Forged headers: tiny files whose headers claim a huge canvas
# -------------------------------------------------------------------------------------------


def forge_png_size(png: bytes, width: int, height: int) -> bytes:
    """Rewrite IHDR width/height and fix its CRC; the pixel data stays 1x1-sized."""
    assert png[12:16] == b"IHDR"
    ihdr = bytearray(png[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return png[:16] + bytes(ihdr) + crc + png[33:]


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    return forge_png_size(encode(Image.new("L", (1, 1)), "PNG"), width, height)


def forge_gif_size(gif: bytes, width: int, height: int) -> bytes:
    """The logical screen descriptor follows the 6-byte signature, little-endian."""
    return gif[:6] + struct.pack("<HH", width, height) + gif[10:]


def gif_bomb(width: int = 65_535, height: int = 65_535) -> bytes:
    return forge_gif_size(encode(Image.new("P", (1, 1)), "GIF"), width, height)


def forge_jpeg_size(jpeg: bytes, width: int, height: int) -> bytes:
    """Rewrite the frame header (SOF0..SOF2): FFCx, length(2), precision(1), height(2), width(2)."""
    for marker in (b"\xff\xc0", b"\xff\xc1", b"\xff\xc2"):
        at = jpeg.find(marker)
        if at != -1:
            return jpeg[: at + 5] + struct.pack(">HH", height, width) + jpeg[at + 9 :]
    raise AssertionError("no SOF marker")


def jpeg_bomb(width: int = 65_000, height: int = 65_000) -> bytes:
    return forge_jpeg_size(encode(Image.new("RGB", (8, 8)), "JPEG"), width, height)


def truncate(data: bytes, fraction: float = 0.5) -> bytes:
    return data[: int(len(data) * fraction)]


# -------------------------------------------------------------------------------------------
# Things that are not (accepted) images
# -------------------------------------------------------------------------------------------


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("photo.jpg", b"\xff\xd8\xff not really")
    return buf.getvalue()


NOT_IMAGES: dict[str, bytes] = {
    "empty": b"",
    "text": "just some text, 一些文字\n".encode(),
    "html": b"<!doctype html><html><body><script>alert(1)</script><img src=x></body></html>",
    "svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "zip": zip_bytes(),
    "pdf": b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
    "elf": b"\x7fELF\x02\x01\x01" + b"\x00" * 57,
}


def other_formats() -> dict[str, bytes]:
    img = solid((16, 16))
    return {
        "tiff": encode(img, "TIFF"),
        "tiff-big-endian": b"MM\x00*" + encode(img, "TIFF")[4:],
        "bmp": encode(img, "BMP"),
        "ico": encode(img, "ICO"),
        "ppm": encode(img, "PPM"),
        "eps-header": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n",
    }


# -------------------------------------------------------------------------------------------
# WebP container inspection
# -------------------------------------------------------------------------------------------


def riff_chunks(webp: bytes) -> list[str]:
    """FourCCs of the top-level chunks of a WebP file (EXIF, XMP and ICCP are metadata)."""
    assert webp[:4] == b"RIFF", webp[:16]
    assert webp[8:12] == b"WEBP", webp[:16]
    chunks: list[str] = []
    pos = 12
    while pos + 8 <= len(webp):
        fourcc = webp[pos : pos + 4].decode("latin-1")
        (size,) = struct.unpack("<I", webp[pos + 4 : pos + 8])
        chunks.append(fourcc)
        pos += 8 + size + (size & 1)
    return chunks


# -------------------------------------------------------------------------------------------
# Video (real files produced by the ffmpeg the code under test will run)
# -------------------------------------------------------------------------------------------


def require_ffmpeg() -> tuple[str, str]:
    """Video tests need the real tools; their absence is a broken environment, not a skip."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if ffmpeg is None or ffprobe is None:
        pytest.fail("ffmpeg and ffprobe must be installed for the video tests (apt-get install ffmpeg)")
    return ffmpeg, ffprobe


def ffmpeg_run(*args: str) -> None:
    ffmpeg, _ = require_ffmpeg()
    proc = subprocess.run(
        [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y", *args],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"ffmpeg {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")


def has_encoder(name: str) -> bool:
    ffmpeg, _ = require_ffmpeg()
    out = subprocess.run(
        [ffmpeg, "-hide_banner", "-encoders"], capture_output=True, timeout=30, check=False
    ).stdout.decode(errors="replace")
    return any(line.split()[1:2] == [name] for line in out.splitlines() if line.strip())


def make_video(path: Path, *, seconds: float = 2, size: str = "320x240", rate: int = 10) -> Path:
    codec = "libx264" if has_encoder("libx264") else "mpeg4"
    ffmpeg_run(
        "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}",
        "-t", f"{seconds:g}", "-c:v", codec, "-pix_fmt", "yuv420p", str(path),
    )  # fmt: skip
    return path


def make_webm(path: Path, *, seconds: float = 2) -> Path:
    ffmpeg_run(
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-t", f"{seconds:g}",
        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", str(path),
    )  # fmt: skip
    return path


def remux(src: Path, dst: Path, *extra: str) -> Path:
    ffmpeg_run("-i", str(src), "-c", "copy", *extra, str(dst))
    return dst


def audio_only(path: Path) -> Path:
    ffmpeg_run("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(path))
    return path


def audio_with_cover_art(path: Path, tmp: Path) -> Path:
    """An m4a whose only "video" stream is album art: still not a video."""
    cover = tmp / "cover.png"
    cover.write_bytes(encode(solid((64, 64)), "PNG"))
    ffmpeg_run(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-i", str(cover),
        "-map", "0", "-map", "1", "-c:a", "aac", "-c:v", "png",
        "-disposition:v:0", "attached_pic", str(path),
    )  # fmt: skip
    return path


def hls_playlist(path: Path, target: Path) -> Path:
    """The classic ffmpeg SSRF / local-file upload: a playlist that names other files."""
    path.write_text(
        f"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\nfile://{target.resolve()}\n#EXT-X-ENDLIST\n"
    )
    return path


def ffconcat_script(path: Path, target: Path) -> Path:
    path.write_text(f"ffconcat version 1.0\nfile '{target.resolve()}'\n")
    return path
