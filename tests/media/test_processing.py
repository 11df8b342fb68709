"""Tests for the pure media layer. Every input is built by tests/media/hostile.py."""

from __future__ import annotations

import io
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, features

from redbridge.media.processing import (
    MEDIA_ERROR_CODES,
    ImageLimits,
    MediaError,
    ProbedVideo,
    ProcessedImage,
    VideoLimits,
    ffmpeg_available,
    make_poster,
    probe_video,
    process_image,
)

from . import hostile

METADATA_CHUNKS = {"EXIF", "XMP ", "ICCP"}
PIXEL_CHUNKS = {"VP8 ", "VP8L", "VP8X", "ALPH"}
NOWHERE = "definitely-not-here"


def reopen(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def assert_clean_webp(data: bytes) -> Image.Image:
    """Output is a WebP made of pixel chunks only: no EXIF/GPS, XMP or ICC survives."""
    chunks = hostile.riff_chunks(data)
    assert set(chunks) <= PIXEL_CHUNKS, chunks
    assert not METADATA_CHUNKS & set(chunks)
    img = reopen(data)
    assert img.format == "WEBP"
    assert len(img.getexif()) == 0
    assert not img.getexif().get_ifd(0x8825)
    for key in ("exif", "xmp", "icc_profile", "XML:com.adobe.xmp", "comment"):
        assert key not in img.info, key
    return img


def px(img: Image.Image, x: int, y: int) -> tuple[int, ...]:
    value = img.getpixel((x, y))
    assert isinstance(value, tuple), value
    return value


def code_of(raw: bytes, limits: ImageLimits = ImageLimits()) -> str:
    with pytest.raises(MediaError) as err:
        process_image(raw, limits)
    assert err.value.code in MEDIA_ERROR_CODES
    return err.value.code


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Records every pixel decode, to prove a rejection happened from the header alone."""
    calls: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        calls.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


# -------------------------------------------------------------------------------------------
# MediaError and limits
# -------------------------------------------------------------------------------------------


def test_media_error_carries_a_stable_code() -> None:
    err = MediaError("media.truncated", "cut at byte 10")
    assert err.code == "media.truncated"
    assert err.detail == "cut at byte 10"
    assert "media.truncated" in str(err)
    assert MediaError("media.not_image").detail == ""


def test_media_error_refuses_unknown_codes() -> None:
    with pytest.raises(ValueError):
        MediaError("media.whatever")


@pytest.mark.parametrize(
    "kwargs", [{"max_bytes": 0}, {"max_pixels": -1}, {"max_side": 0}, {"thumb_width": 0}, {"quality": 101}]
)
def test_image_limits_reject_nonsense(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        ImageLimits(**kwargs)


# -------------------------------------------------------------------------------------------
# Metadata and orientation
# -------------------------------------------------------------------------------------------


def test_phone_jpeg_loses_gps_exif_xmp_icc_and_keeps_its_orientation() -> None:
    raw = hostile.jpeg_from_phone((100, 50), orientation=6)
    # The input really does carry everything we claim to strip.
    source = Image.open(io.BytesIO(raw))
    assert source.getexif()[0x0112] == 6
    assert source.getexif().get_ifd(0x8825)[0x0002] == (31.0, 14.0, 0.0)
    assert {"xmp", "icc_profile", "exif"} <= set(source.info)

    out = process_image(raw)

    assert out.content_type == "image/webp"
    assert (out.width, out.height) == (50, 100)  # orientation 6: stored landscape, shown portrait
    img = assert_clean_webp(out.data)
    assert img.size == (50, 100)
    assert b"RedbridgeCam" not in out.data
    assert b"GPS" not in out.data
    # Orientation 6 turns the stored picture clockwise: its bottom-left corner (blue) is shown
    # top-left. A counter-clockwise turn would show green there, a missing one red.
    assert hostile.nearest_colour(px(img, 5, 5)) == "blue"
    assert hostile.nearest_colour(px(img, 45, 95)) == "green"
    assert_clean_webp(out.thumb)


@pytest.mark.parametrize(
    ("orientation", "size", "top_left"),
    [
        (1, (100, 50), "red"),
        (2, (100, 50), "green"),
        (3, (100, 50), "yellow"),
        (4, (100, 50), "blue"),
        (5, (50, 100), "red"),
        (6, (50, 100), "blue"),
        (7, (50, 100), "yellow"),
        (8, (50, 100), "green"),
    ],
)
def test_every_exif_orientation_is_applied(orientation: int, size: tuple[int, int], top_left: str) -> None:
    # No ICC here: colour conversion builds a new image, which must not be the only reason
    # the EXIF disappears.
    out = process_image(hostile.jpeg_from_phone((100, 50), orientation=orientation, icc=False))
    img = assert_clean_webp(out.data)
    assert img.size == size
    assert hostile.nearest_colour(px(img, 5, 5)) == top_left


def test_png_exif_and_text_chunks_are_dropped_and_orientation_applied() -> None:
    raw = hostile.png_with_exif_chunk(orientation=8)
    assert Image.open(io.BytesIO(raw)).getexif()[0x0112] == 8
    out = process_image(raw)
    img = assert_clean_webp(out.data)
    assert img.size == (50, 100)
    assert hostile.nearest_colour(px(img, 5, 5)) == "green"
    assert b"121.4737" not in out.data


def test_broken_exif_block_does_not_reject_the_picture() -> None:
    raw = hostile.encode(hostile.solid((40, 20)), "JPEG", exif=b"Exif\x00\x00MM\x00*\xff\xff\xff\xff")
    out = process_image(raw)
    assert (out.width, out.height) == (40, 20)
    assert_clean_webp(out.data)


# -------------------------------------------------------------------------------------------
# Colour modes, alpha, animation
# -------------------------------------------------------------------------------------------


def test_png_alpha_is_kept() -> None:
    out = process_image(hostile.png_with_alpha((64, 64)))
    img = assert_clean_webp(out.data)
    assert img.mode == "RGBA"
    assert px(img, 5, 32)[3] == 0
    right = px(img, 60, 32)
    assert right[3] == 255
    assert hostile.nearest_colour(right) == "red"
    assert reopen(out.thumb).mode == "RGBA"


def test_fully_opaque_alpha_channel_is_dropped() -> None:
    raw = hostile.encode(hostile.solid((32, 32), (10, 20, 30, 255), mode="RGBA"), "PNG")
    assert reopen(process_image(raw).data).mode == "RGB"


def test_transparent_gif_becomes_rgba() -> None:
    img = Image.new("P", (16, 16), 1)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(0, (0, 0, 8, 16))
    raw = hostile.encode(img, "GIF", transparency=0)
    out = reopen(process_image(raw).data)
    assert out.mode == "RGBA"
    assert px(out, 2, 8)[3] == 0
    assert px(out, 12, 8)[3] == 255


def test_animated_gif_keeps_only_its_first_frame() -> None:
    raw = hostile.animated_gif([(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    assert getattr(Image.open(io.BytesIO(raw)), "n_frames", 1) == 3
    out = process_image(raw)
    img = assert_clean_webp(out.data)
    assert getattr(img, "n_frames", 1) == 1
    assert not getattr(img, "is_animated", False)
    assert hostile.nearest_colour(px(img, 16, 16)) == "red"


def test_mpo_phone_photo_is_accepted_as_its_first_picture() -> None:
    raw = hostile.mpo(hostile.solid((40, 30), (255, 0, 0)), hostile.solid((20, 10), (0, 0, 255)))
    assert Image.open(io.BytesIO(raw)).format == "MPO"
    out = process_image(raw)
    assert (out.width, out.height) == (40, 30)
    assert hostile.nearest_colour(px(reopen(out.data), 20, 15)) == "red"


@pytest.mark.parametrize(
    ("mode", "fmt", "colour"),
    [
        ("1", "PNG", 1),
        ("L", "PNG", 128),
        ("LA", "PNG", (128, 200)),
        ("P", "PNG", 3),
        ("RGB", "PNG", (1, 2, 3)),
        ("L", "JPEG", 128),
        ("CMYK", "JPEG", (0, 255, 255, 0)),
        ("RGBA", "WEBP", (0, 255, 0, 128)),
        ("RGB", "GIF", (0, 0, 255)),
    ],
)
def test_colour_modes_come_out_as_rgb_or_rgba(mode: str, fmt: str, colour: int | tuple[int, ...]) -> None:
    raw = hostile.encode(Image.new(mode, (24, 12), colour), fmt)
    out = process_image(raw)
    img = assert_clean_webp(out.data)
    assert img.mode in {"RGB", "RGBA"}
    assert (out.width, out.height) == (24, 12)


def test_cmyk_jpeg_colours_survive() -> None:
    raw = hostile.encode(Image.new("CMYK", (24, 12), (0, 255, 255, 0)), "JPEG", quality=95)
    img = reopen(process_image(raw).data)
    assert hostile.nearest_colour(px(img, 12, 6)) == "red"


def test_sixteen_bit_png_is_scaled_not_clipped() -> None:
    raw = hostile.encode(Image.new("I;16", (16, 16), 40_000), "PNG")
    assert Image.open(io.BytesIO(raw)).mode.startswith("I")
    r, g, b = px(reopen(process_image(raw).data).convert("RGB"), 8, 8)
    # 40000 / 65535 of full scale is about 156; clipping would give 255.
    assert abs(r - 156) <= 6
    assert r == g == b


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF codec")
def test_avif_is_accepted() -> None:
    raw = hostile.encode(hostile.solid((40, 30), (0, 0, 255)), "AVIF")
    out = process_image(raw)
    assert (out.width, out.height) == (40, 30)
    assert_clean_webp(out.data)


# -------------------------------------------------------------------------------------------
# Sizes: downscale and thumbnails
# -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_large_image_is_downscaled_to_max_side(fmt: str) -> None:
    raw = hostile.encode(hostile.quadrants((4000, 3000)), fmt)
    out = process_image(raw)
    assert (out.width, out.height) == (2160, 1620)
    img = reopen(out.data)
    assert img.size == (2160, 1620)
    assert hostile.nearest_colour(px(img, 100, 100)) == "red"
    assert hostile.nearest_colour(px(img, 2060, 1520)) == "yellow"
    assert (out.thumb_width, out.thumb_height) == (540, 405)


def test_portrait_downscale_uses_the_long_side() -> None:
    out = process_image(hostile.encode(hostile.solid((300, 900)), "PNG"), ImageLimits(max_side=300))
    assert (out.width, out.height) == (100, 300)


def test_image_at_max_side_is_not_resized() -> None:
    out = process_image(hostile.encode(hostile.solid((300, 200)), "PNG"), ImageLimits(max_side=300))
    assert (out.width, out.height) == (300, 200)


@pytest.mark.parametrize(
    ("size", "thumb"),
    [
        ((1080, 1920), (540, 960)),
        ((1000, 333), (540, 180)),  # 179.82 rounds to 180
        ((1000, 1), (540, 1)),  # never collapses to zero rows
        ((541, 1000), (540, 998)),
        ((540, 700), (540, 700)),
        ((100, 60), (100, 60)),  # narrower than the feed column: no upscale
    ],
)
def test_thumbnail_keeps_aspect_ratio(size: tuple[int, int], thumb: tuple[int, int]) -> None:
    out = process_image(hostile.encode(hostile.solid(size), "PNG"))
    assert (out.thumb_width, out.thumb_height) == thumb
    assert reopen(out.thumb).size == thumb


@settings(max_examples=60, deadline=None, database=None)
@given(width=st.integers(1, 400), height=st.integers(1, 400))
def test_size_properties(width: int, height: int) -> None:
    limits = ImageLimits(max_side=128, thumb_width=48)
    out = process_image(hostile.encode(hostile.solid((width, height)), "PNG"), limits)
    long_side = max(width, height)
    if long_side <= 128:
        assert (out.width, out.height) == (width, height)
    else:
        # Each side scaled by the same factor and rounded; a sliver keeps at least one pixel.
        scale = 128 / long_side
        assert (out.width, out.height) == (max(1, round(width * scale)), max(1, round(height * scale)))
    if out.width > 48:
        assert (out.thumb_width, out.thumb_height) == (48, max(1, round(48 * out.height / out.width)))
    else:
        assert (out.thumb_width, out.thumb_height) == (out.width, out.height)
    assert reopen(out.data).size == (out.width, out.height)
    assert reopen(out.thumb).size == (out.thumb_width, out.thumb_height)


# -------------------------------------------------------------------------------------------
# Hostile images
# -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bomb",
    [hostile.png_bomb, hostile.gif_bomb, hostile.jpeg_bomb],
    ids=["png-50000x50000", "gif-65535x65535", "jpeg-65000x65000"],
)
def test_decompression_bomb_is_refused_from_the_header(
    bomb: Callable[[], bytes], no_decoding: list[tuple[int, int]]
) -> None:
    raw = bomb()
    assert len(raw) < 1000
    assert code_of(raw) == "media.too_many_pixels"
    assert no_decoding == []


def test_our_cap_applies_below_pillows(no_decoding: list[tuple[int, int]]) -> None:
    # 48 Mpx: under Pillow's own bomb threshold (about 89 Mpx) but over our 40 Mpx cap.
    raw = hostile.png_bomb(8000, 6000)
    assert (Image.MAX_IMAGE_PIXELS or 0) > 8000 * 6000
    assert code_of(raw) == "media.too_many_pixels"
    assert no_decoding == []


def test_pillow_warning_range_is_refused_without_a_warning_as_error() -> None:
    raw = hostile.png_bomb(10_000, 10_000)  # between MAX_IMAGE_PIXELS and twice that
    with pytest.warns(Image.DecompressionBombWarning):
        assert code_of(raw, ImageLimits(max_pixels=10**9)) == "media.too_many_pixels"


def test_pillow_warning_turned_into_an_error_is_still_a_media_error() -> None:
    raw = hostile.png_bomb(10_000, 10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert code_of(raw, ImageLimits(max_pixels=10**9)) == "media.too_many_pixels"


def test_pixel_cap_boundary(no_decoding: list[tuple[int, int]]) -> None:
    limits = ImageLimits(max_pixels=100)
    assert process_image(hostile.encode(hostile.solid((10, 10)), "PNG"), limits).width == 10
    no_decoding.clear()
    assert code_of(hostile.encode(hostile.solid((11, 10)), "PNG"), limits) == "media.too_many_pixels"
    assert no_decoding == []


def test_pillow_global_limits_are_left_alone() -> None:
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    code_of(hostile.png_bomb())
    process_image(hostile.encode(hostile.solid((8, 8)), "PNG"), ImageLimits(max_pixels=10**10))
    assert before == (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_image_is_refused(fmt: str, fraction: float) -> None:
    raw = hostile.encode(hostile.noise((128, 128)), fmt)
    assert process_image(raw).width == 128  # the whole file is fine
    assert code_of(hostile.truncate(raw, fraction)) == "media.truncated"


def test_jpeg_cut_in_half_is_truncated_not_silently_grey() -> None:
    raw = hostile.jpeg_from_phone((400, 300), orientation=1)
    assert code_of(hostile.truncate(raw, 0.5)) == "media.truncated"


@pytest.mark.parametrize("name", sorted(hostile.NOT_IMAGES))
def test_non_images_named_jpg_are_refused(name: str) -> None:
    assert code_of(hostile.NOT_IMAGES[name]) == "media.not_image"


@pytest.mark.parametrize("name", sorted(hostile.other_formats()))
def test_other_image_formats_are_unsupported(name: str) -> None:
    raw = hostile.other_formats()[name]
    assert code_of(raw) == "media.unsupported_format"


def test_too_large_is_checked_before_anything_else(no_decoding: list[tuple[int, int]]) -> None:
    raw = hostile.encode(hostile.solid((16, 16)), "PNG")
    assert process_image(raw, ImageLimits(max_bytes=len(raw))).width == 16
    no_decoding.clear()
    assert code_of(raw, ImageLimits(max_bytes=len(raw) - 1)) == "media.too_large"
    assert code_of(b"not an image at all", ImageLimits(max_bytes=5)) == "media.too_large"
    assert code_of(hostile.png_bomb(), ImageLimits(max_bytes=10)) == "media.too_large"
    assert no_decoding == []


def test_default_byte_cap() -> None:
    assert code_of(b"\x00" * (20 * 1024 * 1024 + 1)) == "media.too_large"


# -------------------------------------------------------------------------------------------
# Fuzzing: whatever arrives, the only exception is MediaError
# -------------------------------------------------------------------------------------------

FUZZ_LIMITS = ImageLimits(max_pixels=1_000_000, max_side=256, thumb_width=64)


def seeds() -> list[bytes]:
    small = hostile.quadrants((24, 16))
    return [
        hostile.encode(small, "PNG"),
        hostile.encode(small, "JPEG"),
        hostile.encode(small, "JPEG", progressive=True),
        hostile.encode(small, "GIF"),
        hostile.encode(small, "WEBP"),
        hostile.encode(small, "WEBP", lossless=True),
        hostile.png_with_alpha((16, 16)),
        hostile.jpeg_from_phone((24, 16)),
        hostile.animated_gif([(255, 0, 0), (0, 0, 255)], (8, 8)),
    ]


SEEDS = seeds()


def check_outcome(raw: bytes) -> None:
    code: str | None = None
    try:
        out: ProcessedImage | None = process_image(raw, FUZZ_LIMITS)
    except MediaError as err:
        out, code = None, err.code
    if out is None:
        assert code in MEDIA_ERROR_CODES
        return
    assert max(out.width, out.height) <= FUZZ_LIMITS.max_side
    assert_clean_webp(out.data)
    assert reopen(out.thumb).size == (out.thumb_width, out.thumb_height)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=2048))
def test_fuzz_random_bytes(raw: bytes) -> None:
    check_outcome(raw)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(st.one_of(st.integers(0, 63), st.integers(0, 1 << 20)), st.integers(0, 255)),
        max_size=8,
    ),
    cut=st.none() | st.integers(0, 1 << 20),
)
def test_fuzz_mutated_images(seed: bytes, edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(seed)
    for index, value in edits:
        data[index % len(data)] = value
    if cut is not None:
        del data[cut % (len(data) + 1) :]
    check_outcome(bytes(data))


# -------------------------------------------------------------------------------------------
# Video
# -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    hostile.require_ffmpeg()
    return tmp_path_factory.mktemp("video")


@pytest.fixture(scope="module")
def clip(video_dir: Path) -> Path:
    return hostile.make_video(video_dir / "clip.mp4")


def video_code(path: Path, limits: VideoLimits = VideoLimits(), **tools: str) -> str:
    with pytest.raises(MediaError) as err:
        probe_video(path, limits, **tools)
    return err.value.code


def test_ffmpeg_is_available() -> None:
    hostile.require_ffmpeg()
    assert ffmpeg_available()
    assert not ffmpeg_available(ffprobe=NOWHERE)
    assert not ffmpeg_available(ffmpeg=NOWHERE)


def test_probe_mp4(clip: Path) -> None:
    info = probe_video(clip)
    assert isinstance(info, ProbedVideo)
    assert info.duration_s == pytest.approx(2.0, abs=0.25)
    assert (info.width, info.height) == (320, 240)
    assert info.codec in {"h264", "mpeg4"}
    assert info.content_type == "video/mp4"


@pytest.mark.parametrize(
    ("name", "extra", "content_type"),
    [("clip.mov", (), "video/quicktime"), ("clip.mkv", (), "video/webm")],
)
def test_probe_other_accepted_containers(
    clip: Path, video_dir: Path, name: str, extra: tuple[str, ...], content_type: str
) -> None:
    info = probe_video(hostile.remux(clip, video_dir / name, *extra))
    assert info.content_type == content_type
    assert (info.width, info.height) == (320, 240)


def test_probe_webm(video_dir: Path) -> None:
    if not hostile.has_encoder("libvpx-vp9"):
        pytest.skip("this ffmpeg has no VP9 encoder")
    info = probe_video(hostile.make_webm(video_dir / "clip.webm"))
    assert info.content_type == "video/webm"
    assert info.codec == "vp9"
    assert info.duration_s == pytest.approx(2.0, abs=0.25)


def test_rotated_phone_video_reports_the_shape_people_see(clip: Path, video_dir: Path) -> None:
    rotated = hostile.remux(clip, video_dir / "portrait.mp4", "-metadata:s:v:0", "rotate=90")
    info = probe_video(rotated)
    assert (info.width, info.height) == (240, 320)
    poster = make_poster(rotated)
    assert (poster.width, poster.height) == (240, 320)


def test_poster(clip: Path) -> None:
    poster = make_poster(clip)
    assert poster.content_type == "image/webp"
    assert (poster.width, poster.height) == (320, 240)
    assert (poster.thumb_width, poster.thumb_height) == (320, 240)  # narrower than 540: kept
    img = assert_clean_webp(poster.data)
    assert img.size == (320, 240)
    assert_clean_webp(poster.thumb)


def test_poster_obeys_image_limits(clip: Path) -> None:
    poster = make_poster(clip, ImageLimits(max_side=160, thumb_width=80))
    assert (poster.width, poster.height) == (160, 120)
    assert (poster.thumb_width, poster.thumb_height) == (80, 60)


@pytest.mark.parametrize("name", ["-i.mp4", "concat:clip.mp4", "http:clip.mp4", "has space %d.mp4"])
def test_odd_file_names_are_just_file_names(clip: Path, video_dir: Path, name: str) -> None:
    odd = video_dir / name
    shutil.copyfile(clip, odd)
    assert probe_video(odd).width == 320
    assert make_poster(odd).width == 320


def test_audio_only_is_not_a_video(video_dir: Path) -> None:
    assert video_code(hostile.audio_only(video_dir / "tone.m4a")) == "media.not_video"


def test_cover_art_is_not_a_video(video_dir: Path) -> None:
    path = hostile.audio_with_cover_art(video_dir / "song.m4a", video_dir)
    assert video_code(path) == "media.not_video"
    with pytest.raises(MediaError) as err:
        make_poster(path)
    assert err.value.code == "media.not_video"


def test_still_image_is_not_a_video(video_dir: Path) -> None:
    path = video_dir / "photo.mp4"
    path.write_bytes(hostile.encode(hostile.solid((32, 32)), "PNG"))
    assert video_code(path) == "media.not_video"


@pytest.mark.parametrize("name", ["notes.txt", "notes.mp4", "notes.webm"])
def test_text_file_is_refused(video_dir: Path, name: str) -> None:
    path = video_dir / name
    path.write_text("this is not a video, 这不是视频\n" * 20)
    code = video_code(path)
    # ffmpeg picks its "tty" (ANSI art) demuxer for a .txt name, otherwise nothing parses.
    assert code == ("media.not_video" if name.endswith(".txt") else "media.video_unreadable")
    with pytest.raises(MediaError) as err:
        make_poster(path)
    assert err.value.code == code


def test_truncated_video_is_unreadable(clip: Path, video_dir: Path) -> None:
    half = video_dir / "half.mp4"
    half.write_bytes(hostile.truncate(clip.read_bytes(), 0.5))
    assert video_code(half) == "media.video_unreadable"


def test_missing_file_is_unreadable(video_dir: Path) -> None:
    assert video_code(video_dir / "nope.mp4") == "media.video_unreadable"


def test_other_containers_are_unsupported(clip: Path, video_dir: Path) -> None:
    ts = hostile.remux(clip, video_dir / "clip.ts", "-f", "mpegts")
    assert video_code(ts) == "media.unsupported_format"


@pytest.mark.parametrize("build", [hostile.hls_playlist, hostile.ffconcat_script], ids=["hls", "ffconcat"])
def test_playlists_that_point_at_other_files_are_refused(
    clip: Path, video_dir: Path, build: Callable[[Path, Path], Path]
) -> None:
    # Without a demuxer whitelist ffprobe would follow the reference and describe the clip.
    path = build(video_dir / f"evil-{id(build)}.mp4", clip)
    assert video_code(path) == "media.unsupported_format"
    with pytest.raises(MediaError) as err:
        make_poster(path)
    assert err.value.code == "media.unsupported_format"


def test_missing_tools(clip: Path) -> None:
    assert video_code(clip, ffprobe=NOWHERE) == "media.ffmpeg_missing"
    assert video_code(clip, ffmpeg=NOWHERE) == "media.ffmpeg_missing"
    for ffmpeg, ffprobe in ((NOWHERE, "ffprobe"), ("ffmpeg", NOWHERE)):
        with pytest.raises(MediaError) as err:
            make_poster(clip, ffmpeg=ffmpeg, ffprobe=ffprobe)
        assert err.value.code == "media.ffmpeg_missing"


def test_duration_limit(clip: Path) -> None:
    assert video_code(clip, VideoLimits(max_duration_s=1)) == "media.video_too_long"
    assert probe_video(clip, VideoLimits(max_duration_s=2.5)).duration_s <= 2.5


def test_byte_limit_comes_first(clip: Path) -> None:
    assert video_code(clip, VideoLimits(max_bytes=1000)) == "media.too_large"
    # Checked from the file size alone: no tools needed to refuse a huge upload.
    assert video_code(clip, VideoLimits(max_bytes=1000), ffprobe=NOWHERE) == "media.too_large"
    assert probe_video(clip, VideoLimits(max_bytes=clip.stat().st_size)).width == 320


def test_pixel_limit(clip: Path) -> None:
    assert video_code(clip, VideoLimits(max_pixels=320 * 240 - 1)) == "media.too_many_pixels"
    assert probe_video(clip, VideoLimits(max_pixels=320 * 240)).height == 240
