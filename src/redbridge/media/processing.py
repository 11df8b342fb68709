"""Pure media processing: uploaded bytes or files in, clean media or a ``MediaError`` out.

No database, no web. Everything an upload can carry is treated as hostile: images are
re-encoded from decoded pixels (so no metadata survives), their size is checked from the
header before any pixel is decoded, and videos are only ever opened by ffprobe/ffmpeg with a
demuxer and protocol whitelist, no shell and a timeout.
"""

from __future__ import annotations

import functools
import io
import json
import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from PIL import Image, features

from redbridge.moderation import images
from redbridge.moderation.images import NSFWScorer

__all__ = [
    "MEDIA_ERROR_CODES",
    "ImageLimits",
    "MediaError",
    "ProbedVideo",
    "ProcessedImage",
    "VideoLimits",
    "ffmpeg_available",
    "make_poster",
    "probe_video",
    "process_image",
    "strip_video_metadata",
]

MEDIA_ERROR_CODES: Final[frozenset[str]] = frozenset(
    {
        "media.not_image",
        "media.truncated",
        "media.too_many_pixels",
        "media.too_large",
        "media.unsupported_format",
        "media.not_video",
        "media.video_too_long",
        "media.ffmpeg_missing",
        "media.video_unreadable",
    }
)


class MediaError(Exception):
    """code is a stable reason code, one of: "media.not_image", "media.truncated", "media.too_many_pixels",
    "media.too_large", "media.unsupported_format", "media.not_video", "media.video_too_long",
    "media.ffmpeg_missing", "media.video_unreadable"."""

    code: str
    detail: str

    def __init__(self, code: str, detail: str = "") -> None:
        # Callers translate codes into user messages; an unknown code would surface as an
        # untranslated string, so refuse it where it is made.
        if code not in MEDIA_ERROR_CODES:
            raise ValueError(f"unknown media error code: {code!r}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail

    def __reduce__(self) -> tuple[type[MediaError], tuple[str, str]]:
        # Raised in an image worker process and re-raised here: rebuild from code and detail,
        # not from the formatted message (which __init__ would refuse as an unknown code).
        return (MediaError, (self.code, self.detail))


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000  # decompression-bomb cap, checked from the header BEFORE decoding
    # Memory the decoded pixels take (after JPEG draft scaling), also checked before decoding.
    max_decode_bytes: int = 160 * 1024 * 1024
    max_side: int = 2160  # the stored copy is downscaled so its long side <= this
    thumb_width: int = 540  # feed thumbnail width (two-column masonry), aspect ratio kept
    quality: int = 82

    def __post_init__(self) -> None:
        if min(self.max_bytes, self.max_pixels, self.max_decode_bytes, self.max_side, self.thumb_width) < 1:
            raise ValueError("image limits must be positive")
        if not 1 <= self.quality <= 100:
            raise ValueError("quality must be within 1..100")


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes  # re-encoded image (WebP; JPEG only if this Pillow lacks WebP)
    content_type: str  # "image/webp"
    width: int
    height: int
    thumb: bytes  # thumbnail, same format
    thumb_width: int
    thumb_height: int
    # Image moderation's measurements (``moderation.images.analyse``), taken from the thumbnail.
    phash: int | None = None
    nsfw_score: float | None = None  # None: no scorer was given


# Pillow format names we decode. AVIF is the AV1 flavour of HEIF and Pillow decodes it
# natively; "HEIF" only exists when pillow-heif has registered its opener.
_ACCEPTED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF", "AVIF", "HEIF")
# The JPEG opener hands back MPO for phone photos that carry extra pictures (depth maps,
# previews); the first picture is an ordinary JPEG.
_ACCEPTED_RESULTS: Final = frozenset({*_ACCEPTED_FORMATS, "MPO"})

_HEIF_BRANDS: Final = {
    b"avif": "AVIF",
    b"avis": "AVIF",
    b"heic": "HEIF",
    b"heix": "HEIF",
    b"heim": "HEIF",
    b"heis": "HEIF",
    b"hevc": "HEIF",
    b"hevx": "HEIF",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
}

# Recognised only to give a precise "unsupported" answer. Sniffing magic numbers, rather
# than letting every Pillow plugin parse the bytes, keeps exotic decoders away from uploads.
_OTHER_IMAGE_MAGIC: Final = (
    b"II*\x00",  # TIFF, little endian (also most camera RAW files)
    b"MM\x00*",  # TIFF, big endian
    b"II+\x00",  # BigTIFF
    b"MM\x00+",
    b"BM",  # BMP
    b"\x00\x00\x01\x00",  # ICO
    b"\x00\x00\x02\x00",  # CUR
    b"8BPS",  # Photoshop
    b"DDS ",
    b"qoif",
    b"icns",
    b"\xff\x4f\xff\x51",  # JPEG 2000 codestream
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000 (JP2)
    b"\xff\x0a",  # JPEG XL codestream
    b"\x00\x00\x00\x0cJXL \r\n\x87\n",  # JPEG XL container
    b"%!PS",  # EPS
    b"\xc5\xd0\xd3\xc6",  # DOS EPS
    b"\x01\xda",  # SGI
    b"gimp xcf",
    b"P1",
    b"P2",
    b"P3",
    b"P4",
    b"P5",
    b"P6",
    b"P7",  # netpbm family
)

_WEBP_MAX_SIDE: Final = 16383  # libwebp cannot encode a larger canvas


def _sniff_accepted(raw: bytes) -> str | None:
    """The accepted format the leading bytes claim, whether or not the rest parses."""
    if raw.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if raw.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "WEBP"
    if raw[4:8] == b"ftyp":
        return _HEIF_BRANDS.get(raw[8:12])
    return None


def _registered_formats() -> list[str]:
    # Asking Pillow for a format it has no plugin for raises KeyError instead of skipping it,
    # and HEIF support can be registered at any time by the application, so ask each call.
    Image.init()
    return [name for name in _ACCEPTED_FORMATS if name in Image.OPEN]


def _pixel_cap(limits: ImageLimits) -> int:
    # Pillow warns (and only warns) between MAX_IMAGE_PIXELS and twice that. Capping at its
    # threshold makes every such warning an image we reject anyway, without touching the
    # process-wide setting that other code relies on.
    pillow_cap = Image.MAX_IMAGE_PIXELS
    return limits.max_pixels if pillow_cap is None else min(limits.max_pixels, pillow_cap)


def _open_header(raw: bytes, limits: ImageLimits) -> Image.Image:
    """Parse only the header of an accepted format and enforce the pixel cap."""
    formats = _registered_formats()
    try:
        img = Image.open(io.BytesIO(raw), formats=formats)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning arrives as an exception when the process runs with -W error.
        raise MediaError("media.too_many_pixels", str(exc)) from exc
    except Exception as exc:
        # Plugins raise a zoo of types (SyntaxError, struct.error, ValueError, ...) on hostile
        # headers; every one of them means "not an image we can open".
        raise _classify_unopenable(raw, formats) from exc

    if img.format not in _ACCEPTED_RESULTS:  # pragma: no cover - guarded by formats=
        img.close()
        raise MediaError("media.unsupported_format", str(img.format))
    width, height = img.size
    if width < 1 or height < 1:
        img.close()
        raise MediaError("media.not_image", "empty canvas")
    if width * height > _pixel_cap(limits):
        img.close()
        raise MediaError("media.too_many_pixels", f"{width}x{height}")
    return img


def _classify_unopenable(raw: bytes, formats: list[str]) -> MediaError:
    claimed = _sniff_accepted(raw)
    if claimed is not None:
        if claimed in formats:
            # The signature of a format we decode but a header that does not parse: a cut-off
            # upload or a damaged file. Both read as "truncated" to the uploader.
            return MediaError("media.truncated", f"unreadable {claimed} header")
        return MediaError("media.unsupported_format", f"{claimed} support is not installed")
    if raw.startswith(_OTHER_IMAGE_MAGIC):
        return MediaError("media.unsupported_format", "only JPEG, PNG, WebP, GIF and HEIF/AVIF are accepted")
    return MediaError("media.not_image")


# Bytes per pixel as Pillow holds an image in memory: one byte for 1/L/P, two for the 16-bit
# modes, four for everything else (three-band modes such as RGB and YCbCr are padded to four).
_ONE_BYTE_MODES: Final = frozenset({"1", "L", "P"})


def decoded_bytes(mode: str, size: tuple[int, int]) -> int:
    """Memory Pillow allocates for the pixels of an image of ``mode`` and ``size``."""
    if mode in _ONE_BYTE_MODES:
        per_pixel = 1
    elif mode.startswith("I;16"):
        per_pixel = 2
    else:
        per_pixel = 4
    return size[0] * size[1] * per_pixel


def _decode(img: Image.Image, limits: ImageLimits) -> None:
    width, height = img.size
    if img.format in {"JPEG", "MPO"} and max(width, height) > limits.max_side:
        # libjpeg can decode at 1/2, 1/4 or 1/8 scale; for a big phone photo that is most of
        # the decode time and memory. draft() never goes below the requested size.
        scale = limits.max_side / max(width, height)
        img.draft("RGB" if img.mode == "RGB" else None, (math.ceil(width * scale), math.ceil(height * scale)))
    # After draft() the size is what libjpeg will really produce; other formats decode in full.
    # A mode other than RGB/RGBA/CMYK is converted to a four-byte one before scaling, and both
    # copies exist for a moment.
    needed = decoded_bytes(img.mode, img.size)
    if img.mode not in {"RGB", "RGBA", "CMYK"}:
        needed += decoded_bytes("RGBA", img.size)
    if needed > limits.max_decode_bytes:
        raise MediaError(
            "media.too_many_pixels", f"{img.size[0]}x{img.size[1]} {img.mode}: {needed} bytes decoded"
        )
    try:
        # LOAD_TRUNCATED_IMAGES stays off on purpose: a short read must fail here.
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError("media.too_many_pixels", str(exc)) from exc
    except Exception as exc:
        # As with headers, decoders signal damaged data with many exception types.
        raise MediaError("media.truncated", str(exc)[:200]) from exc


_ORIENTATION_TAG: Final = 0x0112
# EXIF orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(img: Image.Image) -> Image.Transpose | None:
    """The transpose the picture's EXIF (or XMP) orientation asks for, read before scaling.

    Applied after downscaling (the long-side cap is the same either way), so the full-size
    decode is never copied just to turn it.
    """
    try:
        value = img.getexif().get(_ORIENTATION_TAG)
    except Exception:  # noqa: BLE001 - broken EXIF must not sink the picture; pixels are fine
        # Metadata is about to be dropped anyway; showing the picture unrotated beats
        # rejecting an otherwise valid upload because its camera wrote a bad EXIF block.
        return None
    return _TRANSPOSE.get(value) if isinstance(value, int) else None


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or img.has_transparency_data


def _normalise_mode(img: Image.Image) -> Image.Image:
    """RGB or RGBA (CMYK kept for the colour-managed conversion that follows)."""
    if img.mode in {"RGB", "RGBA", "CMYK"}:
        return img
    if img.mode.startswith("I;16") or img.mode == "I":
        # A plain convert() clips 16-bit samples to 255, which turns most pictures white.
        img = img.convert("I").point(lambda v: v / 256).convert("L")
    return img.convert("RGBA" if _has_alpha(img) else "RGB")


def _fit(img: Image.Image, max_side: int) -> Image.Image:
    width, height = img.size
    if max(width, height) <= max_side:
        return img
    scale = max_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _to_srgb(img: Image.Image, icc: object) -> Image.Image:
    """Bake an embedded colour profile into sRGB pixels, since the profile itself is dropped."""
    if not isinstance(icc, bytes) or not icc or img.mode not in {"RGB", "RGBA", "CMYK"}:
        return img
    try:
        # Imported late: Pillow can be built without LittleCMS, and then colour stays as is.
        from PIL import ImageCms
    except ImportError:
        return img
    try:
        converted = ImageCms.profileToProfile(
            img,
            ImageCms.ImageCmsProfile(io.BytesIO(icc)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if img.mode == "RGBA" else "RGB",
        )
    except Exception:  # noqa: BLE001 - a broken profile only costs colour accuracy
        return img
    return img if converted is None else converted


def _drop_opaque_alpha(img: Image.Image) -> Image.Image:
    # PNG screenshots often carry an alpha channel that is fully opaque; dropping it makes
    # the WebP smaller and lets the JPEG fallback work without compositing.
    if img.mode == "RGBA" and img.getchannel("A").getextrema() == (255, 255):
        return img.convert("RGB")
    return img


def _bare(img: Image.Image) -> Image.Image:
    # A new image built from pixel bytes alone has an empty info dict and no cached EXIF, so
    # nothing from the upload (EXIF, GPS, XMP, ICC, comments, GIF loop data) can reach the encoder.
    return Image.frombytes(img.mode, img.size, img.tobytes())


@functools.cache
def _webp_supported() -> bool:
    return bool(features.check("webp"))


def _encode(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    if _webp_supported():
        img.save(buf, "WEBP", quality=quality, method=4)
    else:
        if img.mode == "RGBA":
            flat = Image.new("RGB", img.size, (255, 255, 255))
            flat.paste(img, mask=img.getchannel("A"))
            img = flat
        img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
    return buf.getvalue()


def _thumbnail(img: Image.Image, thumb_width: int) -> Image.Image:
    width, height = img.size
    if width <= thumb_width:
        return img  # never upscale: a blurry enlargement helps nobody
    size = (thumb_width, max(1, round(thumb_width * height / width)))
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def process_image(raw: bytes, limits: ImageLimits = ImageLimits(), scorer: NSFWScorer | None = None) -> ProcessedImage:
    """Validate an uploaded image and return a metadata-free WebP copy plus a feed thumbnail.

    The first frame of an animation is kept. Orientation from EXIF is applied to the pixels
    before the metadata is discarded, and an embedded colour profile is converted to sRGB.
    The thumbnail — decoded, upright, small — is also what image moderation measures: its pHash,
    and its NSFW score when a ``scorer`` is given (no second decode of the upload).
    """
    if len(raw) > limits.max_bytes:
        raise MediaError("media.too_large", f"{len(raw)} bytes > {limits.max_bytes}")

    img = _open_header(raw, limits)
    try:
        _decode(img, limits)
        icc = img.info.get("icc_profile")
        turn = _orientation(img)
        work = _normalise_mode(img)
        if work is not img:
            img.close()  # frees the decoded pixels now rather than at the end
        max_side = min(limits.max_side, _WEBP_MAX_SIDE) if _webp_supported() else limits.max_side
        fitted = _fit(work, max_side)
        if fitted is not work:
            work.close()
        work = fitted if turn is None else fitted.transpose(turn)
        work = _to_srgb(work, icc)
        if work.mode not in {"RGB", "RGBA"}:
            work = work.convert("RGB")
        work = _bare(_drop_opaque_alpha(work))
        thumb = _thumbnail(work, limits.thumb_width)
        signals = images.analyse(thumb, scorer)
        return ProcessedImage(
            data=_encode(work, limits.quality),
            content_type="image/webp" if _webp_supported() else "image/jpeg",
            width=work.width,
            height=work.height,
            thumb=_encode(thumb, limits.quality),
            thumb_width=thumb.width,
            thumb_height=thumb.height,
            phash=signals.phash,
            nsfw_score=signals.nsfw_score,
        )
    finally:
        img.close()


# --------------------------------------------------------------------------------------------
# Video
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoLimits:
    max_bytes: int = 200 * 1024 * 1024
    max_duration_s: float = 15 * 60
    max_pixels: int = 4096 * 2160


@dataclass(frozen=True)
class ProbedVideo:
    duration_s: float
    width: int  # as displayed, i.e. after any rotation the container asks for
    height: int
    codec: str
    content_type: str  # "video/mp4" | "video/webm" | "video/quicktime"


# The only demuxers ffmpeg may use on an upload. Without this list a file named .mp4 that
# is really an HLS playlist or a concat script makes ffmpeg open other local files or URLs.
_SAFE_DEMUXERS: Final = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"
_FFPROBE_TIMEOUT_S: Final = 20.0
_FFMPEG_TIMEOUT_S: Final = 30.0
_NOT_WHITELISTED: Final = re.compile(r"\[([\w,]+) @ [^\]]*\] Format not on whitelist")


def ffmpeg_available(*, ffmpeg: str = "ffmpeg", ffprobe: str = "ffprobe") -> bool:
    return shutil.which(ffmpeg) is not None and shutil.which(ffprobe) is not None


def _require_tools(ffmpeg: str, ffprobe: str) -> tuple[str, str]:
    ffmpeg_path, ffprobe_path = shutil.which(ffmpeg), shutil.which(ffprobe)
    if ffmpeg_path is None or ffprobe_path is None:
        missing = [name for name, found in ((ffmpeg, ffmpeg_path), (ffprobe, ffprobe_path)) if found is None]
        raise MediaError("media.ffmpeg_missing", ", ".join(missing))
    return ffmpeg_path, ffprobe_path


def _input_args(path: Path) -> list[str]:
    # "file:" plus an absolute path stops a name like "-x.mp4" reading as an option and a
    # name like "concat:a|b" or "http://..." selecting another protocol.
    return [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        _SAFE_DEMUXERS,
        "-i",
        f"file:{path.resolve()}",
    ]


def _run(argv: list[str], timeout: float, what: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(  # noqa: S603 - fixed argv, resolved binary, no shell
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError("media.video_unreadable", f"{what} timed out after {timeout:g} s") from exc
    except OSError as exc:
        raise MediaError("media.ffmpeg_missing", f"{what}: {exc}") from exc


def _last_line(stderr: bytes, path: Path) -> str:
    # The detail ends up in logs and API errors: name the upload, not where the server keeps it.
    text = stderr.decode("utf-8", "replace").replace(f"file:{path.resolve()}", path.name)
    lines = text.strip().splitlines()
    return lines[-1][:300] if lines else ""


def _ffprobe(ffprobe_path: str, path: Path) -> dict[str, Any]:
    proc = _run(
        [
            ffprobe_path,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "-show_chapters",
            *_input_args(path),
        ],
        _FFPROBE_TIMEOUT_S,
        "ffprobe",
    )
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace")
        rejected = _NOT_WHITELISTED.search(stderr)
        if rejected is not None:
            demuxer = rejected.group(1)
            # ffmpeg recognised the container but it is not one we serve. Still images (image2,
            # *_pipe) and text files (tty, picked by a .txt name) are not videos at all.
            if demuxer in {"image2", "tty"} or demuxer.endswith("_pipe"):
                raise MediaError("media.not_video", demuxer)
            raise MediaError("media.unsupported_format", demuxer)
        raise MediaError("media.video_unreadable", _last_line(proc.stderr, path))
    try:
        info = json.loads(proc.stdout)
    except ValueError as exc:
        raise MediaError("media.video_unreadable", "ffprobe printed no JSON") from exc
    if not isinstance(info, dict):
        raise MediaError("media.video_unreadable", "ffprobe printed unexpected JSON")
    return info


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _video_stream(info: dict[str, Any]) -> dict[str, Any]:
    streams = info.get("streams")
    for stream in streams if isinstance(streams, list) else []:
        stream_d = _dict(stream)
        # Cover art in an audio file is a "video" stream of one picture: not a video.
        if stream_d.get("codec_type") == "video" and not _dict(stream_d.get("disposition")).get(
            "attached_pic"
        ):
            return stream_d
    raise MediaError("media.not_video", "no video stream")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _duration(info: dict[str, Any], stream: dict[str, Any]) -> float | None:
    for candidate in (_dict(info.get("format")).get("duration"), stream.get("duration")):
        seconds = _number(candidate)
        if seconds is not None and seconds >= 0:
            return seconds
    return None


def _content_type(info: dict[str, Any]) -> str:
    fmt = _dict(info.get("format"))
    names = set(str(fmt.get("format_name", "")).split(","))
    if names & {"matroska", "webm"}:
        return "video/webm"
    if names & {"mov", "mp4"}:
        brand = str(_dict(fmt.get("tags")).get("major_brand", "")).strip().lower()
        return "video/quicktime" if brand == "qt" else "video/mp4"
    raise MediaError("media.unsupported_format", str(fmt.get("format_name", "unknown")))


def _rotation(stream: dict[str, Any]) -> float | None:
    """Degrees the player turns the frames: display-matrix side data, or an old ``rotate`` tag."""
    rotation = _number(_dict(stream.get("tags")).get("rotate"))
    side_data = stream.get("side_data_list")
    for item in side_data if isinstance(side_data, list) else []:
        rotation = _number(_dict(item).get("rotation")) if "rotation" in _dict(item) else rotation
    return rotation


def _display_size(stream: dict[str, Any]) -> tuple[int, int]:
    width, height = _number(stream.get("width")), _number(stream.get("height"))
    if width is None or height is None or width < 1 or height < 1:
        raise MediaError("media.video_unreadable", "video stream has no frame size")
    rotation = _rotation(stream)
    # Phones record portrait video as landscape frames plus a rotation; the feed needs the
    # shape people will see (ffmpeg applies the same rotation when grabbing the poster).
    if rotation is not None and round(rotation) % 180 == 90:
        return int(height), int(width)
    return int(width), int(height)


def probe_video(
    path: Path,
    limits: VideoLimits = VideoLimits(),
    *,
    ffmpeg: str = "ffmpeg",
    ffprobe: str = "ffprobe",
) -> ProbedVideo:
    """Check an uploaded video against the limits and describe it."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaError("media.video_unreadable", str(exc)) from exc
    if size > limits.max_bytes:
        raise MediaError("media.too_large", f"{size} bytes > {limits.max_bytes}")
    _, ffprobe_path = _require_tools(ffmpeg, ffprobe)

    info = _ffprobe(ffprobe_path, path)
    content_type = _content_type(info)
    stream = _video_stream(info)
    duration = _duration(info, stream)
    if duration is None:
        raise MediaError("media.video_unreadable", "unknown duration")
    if duration > limits.max_duration_s:
        raise MediaError("media.video_too_long", f"{duration:.1f} s > {limits.max_duration_s:g} s")
    width, height = _display_size(stream)
    if width * height > limits.max_pixels:
        raise MediaError("media.too_many_pixels", f"{width}x{height}")
    return ProbedVideo(
        duration_s=duration,
        width=width,
        height=height,
        codec=str(stream.get("codec_name") or "unknown"),
        content_type=content_type,
    )


# Tags the muxers write themselves, whatever the input said; none of them describes the person,
# the phone, the place or the time. Anything else surviving a remux is refused (see below).
_TECHNICAL_FORMAT_TAGS: Final = frozenset({"major_brand", "minor_version", "compatible_brands"})
_TECHNICAL_STREAM_TAGS: Final = frozenset({"handler_name", "vendor_id", "language", "duration"})
_WEBM_CODECS: Final = frozenset({"vp8", "vp9", "av1", "opus", "vorbis"})


def _muxer(info: dict[str, Any], content_type: str) -> str:
    if content_type == "video/quicktime":
        return "mov"
    if content_type == "video/mp4":
        return "mp4"
    # "video/webm" covers all Matroska; the webm muxer takes only the codecs WebM allows.
    streams = info.get("streams")
    codecs = {
        str(_dict(s).get("codec_name"))
        for s in (streams if isinstance(streams, list) else [])
        if _dict(s).get("codec_type") in {"video", "audio"}
    }
    return "webm" if codecs <= _WEBM_CODECS else "matroska"


# Every ffmpeg run: no prompts, errors only, overwrite the (temporary) output.
_FFMPEG_QUIET = ("-nostdin", "-hide_banner", "-v", "error", "-y")


def _remux(ffmpeg_path: str, src: Path, dst: Path, muxer: str, rotate_tag: str | None) -> None:
    # Remuxing rebuilds the container from scratch: only the first video and audio streams and
    # their packets are copied, so udta/meta/XMP boxes, chapters, data and subtitle tracks the
    # demuxer does not understand are simply not written. -map_metadata -1 (global and per
    # stream) drops every tag the demuxer did understand; bitexact keeps ffmpeg's own version
    # string and the muxing time out. -c copy keeps the display matrix side data (rotation).
    rotate = ["-metadata:s:v:0", f"rotate={rotate_tag}"] if rotate_tag is not None else []
    proc = _run(
        [
            ffmpeg_path,
            *_FFMPEG_QUIET,
            *_input_args(src),
            "-map",
            "0:v:0",
            "-map",
            "0:a:0?",
            "-c",
            "copy",
            "-map_metadata",
            "-1",
            "-map_metadata:s:v",
            "-1",
            "-map_metadata:s:a",
            "-1",
            "-map_chapters",
            "-1",
            *rotate,
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            *(["-movflags", "+faststart"] if muxer in {"mp4", "mov"} else []),
            "-f",
            muxer,
            f"file:{dst.resolve()}",
        ],
        _FFMPEG_TIMEOUT_S,
        "ffmpeg",
    )
    if proc.returncode != 0:
        raise MediaError("media.video_unreadable", _last_line(proc.stderr, src))


def _leftover_tags(info: dict[str, Any]) -> list[str]:
    """Tag names in ``info`` that are not the muxers' technical ones (plus chapters)."""
    found = [
        k
        for k, v in _dict(_dict(info.get("format")).get("tags")).items()
        # Matroska's muxer names itself even when bitexact: "Lavf", no version.
        if k not in _TECHNICAL_FORMAT_TAGS and not (k == "encoder" and str(v).startswith("Lavf"))
    ]
    streams = info.get("streams")
    for stream in streams if isinstance(streams, list) else []:
        found += [k for k in _dict(_dict(stream).get("tags")) if k.lower() not in _TECHNICAL_STREAM_TAGS]
    chapters = info.get("chapters")
    if isinstance(chapters, list) and chapters:
        found.append("chapters")
    return found


def _same_rotation(a: float | None, b: float | None) -> bool:
    return round(a or 0.0) % 360 == round(b or 0.0) % 360


def strip_video_metadata(
    src: Path, dst: Path, *, ffmpeg: str = "ffmpeg", ffprobe: str = "ffprobe"
) -> Path:
    """Write to ``dst`` a copy of the video ``src`` with no container or stream metadata.

    Packets are copied, not re-encoded: same pictures, same sound, same rotation, but no GPS
    location (``location``, ``com.apple.quicktime.location.ISO6709``, ``location-eng``), no
    make/model/software, no creation times, no chapters and no XMP. The copy is probed again and
    refused (``media.video_unreadable``) if any non-technical tag survived, so a future ffmpeg
    that starts copying something new fails closed instead of leaking it.
    """
    ffmpeg_path, ffprobe_path = _require_tools(ffmpeg, ffprobe)
    info = _ffprobe(ffprobe_path, src)
    content_type = _content_type(info)
    stream = _video_stream(info)
    wanted = _rotation(stream)
    muxer = _muxer(info, content_type)
    _remux(ffmpeg_path, src, dst, muxer, None)
    out = _ffprobe(ffprobe_path, dst)
    if not _same_rotation(wanted, _rotation(_video_stream(out))):
        # An ffmpeg that reports rotation as a stream tag (before 5.0) writes it back only from
        # that tag, which -map_metadata just removed: hand it back explicitly.
        tag = _dict(stream.get("tags")).get("rotate")
        _remux(ffmpeg_path, src, dst, muxer, str(tag) if tag is not None else f"{round(-(wanted or 0.0)) % 360}")
        out = _ffprobe(ffprobe_path, dst)
        if not _same_rotation(wanted, _rotation(_video_stream(out))):
            raise MediaError("media.video_unreadable", "rotation could not be kept")
    leftover = _leftover_tags(out)
    if leftover:
        raise MediaError("media.video_unreadable", "metadata survived: " + ", ".join(sorted(leftover)))
    return dst


def _grab_frame(
    ffmpeg_path: str, path: Path, stream_index: int, at_s: float, out: Path, max_side: int
) -> None:
    box = f"scale=w='min(iw,{max_side})':h='min(ih,{max_side})':force_original_aspect_ratio=decrease"
    proc = _run(
        [
            ffmpeg_path,
            *_FFMPEG_QUIET,
            "-ss",
            f"{at_s:.3f}",
            *_input_args(path),
            "-map",
            f"0:{stream_index}",
            "-frames:v",
            "1",
            "-an",
            "-sn",
            "-dn",
            # Scaling inside ffmpeg keeps the intermediate PNG small for 4K sources.
            "-vf",
            box,
            "-pix_fmt",
            "rgb24",
            "-f",
            "image2",
            "-update",
            "1",
            "-c:v",
            "png",
            str(out),
        ],
        _FFMPEG_TIMEOUT_S,
        "ffmpeg",
    )
    if proc.returncode != 0:
        raise MediaError("media.video_unreadable", _last_line(proc.stderr, path))


def make_poster(
    path: Path,
    limits: ImageLimits = ImageLimits(),
    *,
    ffmpeg: str = "ffmpeg",
    ffprobe: str = "ffprobe",
) -> ProcessedImage:
    """Grab a frame at 10% of the video and treat it exactly like an uploaded image."""
    ffmpeg_path, ffprobe_path = _require_tools(ffmpeg, ffprobe)
    info = _ffprobe(ffprobe_path, path)
    stream = _video_stream(info)
    index = _number(stream.get("index"))
    stream_index = int(index) if index is not None else 0
    duration = _duration(info, stream) or 0.0

    with tempfile.TemporaryDirectory(prefix="redbridge-poster-") as tmp:
        out = Path(tmp) / "poster.png"
        # Seeking can land past the last decodable frame of an oddly timed file; the very
        # first frame is the fallback.
        for at_s in dict.fromkeys((round(duration * 0.1, 3), 0.0)):
            _grab_frame(ffmpeg_path, path, stream_index, at_s, out, limits.max_side)
            if out.is_file() and out.stat().st_size > 0:
                break
        else:
            raise MediaError("media.video_unreadable", "no frame could be decoded")
        frame = out.read_bytes()
    # The byte cap guards uploads; this PNG is our own intermediate, so only pixels count.
    return process_image(frame, replace(limits, max_bytes=max(limits.max_bytes, len(frame))))
