"""Inspection photos: every refusal, HEIC stored as JPEG, and the stored copy of any photo - upright at its
displayed size, no GPS or other metadata, the JPEG's scans and the PNG's image data the uploaded bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import random
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageCms, ImageOps, ImageStat, JpegImagePlugin

from libs.common import photo_samples as samples
from libs.common.grpc_errors import to_status
from libs.common.photo_exif import orientation_block
from libs.common.photos import HEIC, JPEG, PNG, ExifFacts, PhotoLimits, PhotoRejected, accept_photo

ROOT = Path(__file__).resolve().parents[3]
GPS_IFD = 0x8825
XMP_ID = b"http://ns.adobe.com/xap/1.0/"
PERSON = samples.PERSON.encode()
# Chunks a stored PNG may hold: image data, palette, colour, transparency (and the one-tag eXIf).
PNG_DISPLAY_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
                      b"pHYs", b"bKGD", b"eXIf"}


def refused(data: bytes, **kwargs) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        accept_photo(data, **kwargs)
    return caught.value


def displayed(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation >= 5 else (width, height)


# --- JPEG and PNG read back independently of photo_jpeg / photo_png ---------------------------------

def jpeg_segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes, bytes]:
    """(marker, payload) of every segment before the first scan, the bytes from the first SOS to EOI
    inclusive (scans and the tables between them), and what follows EOI."""
    assert data[:2] == b"\xff\xd8"
    segments, at = [], 2
    while data[at + 1] != 0xDA:
        (length,) = struct.unpack_from(">H", data, at + 2)
        segments.append((data[at + 1], data[at + 4:at + 2 + length]))
        at += 2 + length
    end = data.index(b"\xff\xd9", at) + 2  # 0xFF in entropy-coded data is always followed by 0x00 or RSTn
    return segments, data[at:end], data[end:]


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        chunks.append((kind, data[at + 8:at + 8 + length]))
        at += 12 + length
    return chunks


def assert_carries_no_metadata(stored: bytes, orientation: int) -> None:
    image = Image.open(io.BytesIO(stored))
    exif = image.getexif()
    assert exif.get_ifd(GPS_IFD) == {} and GPS_IFD not in exif
    assert dict(exif) == ({} if orientation == 1 else {0x0112: orientation})
    # Raw bytes: an EXIF block only for an orientation, holding that one tag; no XMP, no photographer.
    # (Searched for outside the compressed image data, where any short string turns up by chance.)
    only_orientation = [] if orientation == 1 else [orientation_block(orientation)]
    if stored.startswith(b"\x89PNG"):
        assert [payload for kind, payload in png_chunks(stored) if kind == b"eXIf"] == only_orientation
        metadata = b"".join(payload for kind, payload in png_chunks(stored) if kind not in (b"IDAT", b"eXIf"))
    else:
        segments, _, after = jpeg_segments(stored)
        metadata = b"".join(payload for _, payload in segments) + after
        assert metadata.count(b"Exif\x00\x00") == len(only_orientation)
        assert [metadata[at + 6:at + 32] for at in _find_all(metadata, b"Exif\x00\x00")] == only_orientation
        metadata = metadata.replace(b"Exif\x00\x00" + orientation_block(orientation), b"")
    assert XMP_ID not in stored and PERSON not in stored
    for trace in (b"Exif", b"MM\x00*", b"II*\x00", b"GPS", b"MIUI", b"Xiaomi", b"8BIM", b"Photoshop"):
        assert trace not in metadata


def mean_difference(one: Image.Image, other: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(one, other).convert("L")).mean[0])


def _find_all(data: bytes, needle: bytes) -> list[int]:
    found, at = [], data.find(needle)
    while at >= 0:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


# --- the stored copy of any photo ------------------------------------------------------------------

gps_values = st.one_of(st.none(), st.tuples(
    st.floats(-89.9, 89.9, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
    st.floats(-179.9, 179.9, allow_nan=False).filter(lambda v: abs(v) > 1e-3)))
times = st.one_of(st.just(""), st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda t: t.replace(microsecond=0).isoformat()))


def fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(size))
    return round(size[0] * scale), round(size[1] * scale)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(width=st.integers(1, 480), height=st.integers(1, 480), orientation=st.integers(1, 8), gps=gps_values,
       taken_at=times, progressive=st.booleans(), camera=st.sampled_from([None, samples.CAMERA, ("Canon", "Canon EOS R6")]))
def test_a_jpeg_is_stored_upright_without_metadata_and_with_its_scans_unchanged(
        width, height, orientation, gps, taken_at, progressive, camera) -> None:
    upload = samples.jpeg(width, height, gps=gps, taken_at=taken_at, orientation=orientation, camera=camera,
                          progressive=progressive, seed=width * height)
    photo = accept_photo(upload, PhotoLimits(thumbnail_side=64))

    assert (photo.content_type, photo.original_content_type) == (JPEG, JPEG)
    assert (photo.width, photo.height) == displayed(width, height, orientation)
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(photo.data)))
    assert shown.size == (photo.width, photo.height)  # decodes, and a viewer turns it as the upload
    assert_carries_no_metadata(photo.data, orientation)
    assert jpeg_segments(photo.data)[1] == jpeg_segments(upload)[1]  # the entropy-coded data, byte for byte
    assert jpeg_segments(photo.data)[2] == b""  # the phone's second image after EOI is gone
    segments = jpeg_segments(photo.data)[0]
    assert {marker for marker, _ in segments} <= {0xE0, 0xE1, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD}
    assert all(len(payload) == 14 for marker, payload in segments if marker == 0xE0)  # JFIF, no thumbnail

    assert photo.exif.taken_at == taken_at
    assert photo.exif.camera == ("" if camera is None else "Canon EOS R6" if camera[0] == "Canon" else "Xiaomi Redmi Note 12")
    if gps is None:
        assert (photo.exif.latitude, photo.exif.longitude) == (None, None)
    else:
        assert photo.exif.latitude == pytest.approx(gps[0], abs=1e-6)
        assert photo.exif.longitude == pytest.approx(gps[1], abs=1e-6)
    assert (photo.original_size, photo.original_sha256) == (len(upload), hashlib.sha256(upload).hexdigest())
    thumbnail = Image.open(io.BytesIO(photo.thumbnail))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) <= 64
    expected = fitted((photo.width, photo.height), 64)
    assert abs(thumbnail.width - expected[0]) <= 1 and abs(thumbnail.height - expected[1]) <= 1


@settings(max_examples=30, deadline=None)
@given(width=st.integers(1, 300), height=st.integers(1, 300), orientation=st.integers(1, 8), gps=gps_values,
       mode=st.sampled_from(["RGB", "RGBA", "L", "P"]))
def test_a_png_is_stored_without_text_or_exif_and_with_its_image_data_unchanged(
        width, height, orientation, gps, mode) -> None:
    upload = samples.png(width, height, gps=gps, taken_at=samples.TAKEN_AT, orientation=orientation, mode=mode)
    photo = accept_photo(upload)

    assert (photo.content_type, photo.original_content_type) == (PNG, PNG)
    assert (photo.width, photo.height) == displayed(width, height, orientation)
    assert ImageOps.exif_transpose(Image.open(io.BytesIO(photo.data))).size == (photo.width, photo.height)
    assert_carries_no_metadata(photo.data, orientation)
    kinds = [kind for kind, _ in png_chunks(photo.data)]
    assert set(kinds) <= PNG_DISPLAY_CHUNKS and kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    idat = [payload for kind, payload in png_chunks(upload) if kind == b"IDAT"]
    assert [payload for kind, payload in png_chunks(photo.data) if kind == b"IDAT"] == idat
    assert photo.exif.taken_at == samples.TAKEN_AT
    assert photo.exif.latitude == (None if gps is None else pytest.approx(gps[0], abs=1e-6))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_thumbnail_is_upright_as_a_viewer_shows_the_photo(orientation) -> None:
    upload = samples.jpeg(400, 200, orientation=orientation, seed=7)
    thumbnail = Image.open(io.BytesIO(accept_photo(upload).thumbnail)).convert("RGB")
    reference = ImageOps.exif_transpose(Image.open(io.BytesIO(upload))).convert("RGB").resize(thumbnail.size)
    assert mean_difference(thumbnail, reference) < 6  # a wrong turn gives 30 and more


def test_the_jpeg_thumbnail_comes_from_the_dct_scaled_decoding(monkeypatch) -> None:
    decoded: list[tuple[int, int]] = []
    load = JpegImagePlugin.JpegImageFile.load

    def recording_load(self):
        decoded.append(self.size)
        return load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", recording_load)
    photo = accept_photo(samples.jpeg(1600, 1200))
    assert decoded[0] == (400, 300)  # the decoding: 1/4 of each side, never the 1.9 million pixels
    assert Image.open(io.BytesIO(photo.thumbnail)).size == (320, 240)


def test_a_phone_jpeg_loses_xmp_iptc_comment_and_its_appended_image() -> None:
    upload = samples.jpeg(320, 240, gps=(31.2, 121.4))
    assert XMP_ID in upload and b"Photoshop 3.0" in upload and PERSON in upload  # the sample carries them
    photo = accept_photo(upload)
    segments, _, after = jpeg_segments(photo.data)
    assert b"Photoshop 3.0" not in photo.data and XMP_ID not in photo.data and PERSON not in photo.data
    assert after == b"" and all(marker not in (0xED, 0xFE) for marker, _ in segments)
    assert photo.exif == ExifFacts(31.2, 121.4, samples.TAKEN_AT, "Xiaomi Redmi Note 12")
    assert len(photo.data) < len(upload)


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def test_makers_segments_and_the_jfif_thumbnail_are_dropped() -> None:
    upload = samples.jpeg(64, 48, extras=False)
    assert upload[2:6] == b"\xff\xe0\x00\x10"  # Pillow's JFIF, replaced by one with a thumbnail
    jfif = b"JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x02\x01" + b"\x10\x20\x30" * 2  # a 2x1 RGB thumbnail
    makers = [_segment(0xE0, jfif), _segment(0xE2, b"MPF\x00II*\x00" + PERSON), _segment(0xE2, b"FPXR\x00" + PERSON),
              _segment(0xE0, b"JFXX\x00\x10" + PERSON), _segment(0xEF, PERSON), _segment(0xFE, PERSON)]
    upload = upload[:2] + b"".join(makers) + upload[2 + 18:]
    segments, _, _ = jpeg_segments(accept_photo(upload).data)
    assert [payload for marker, payload in segments if 0xE0 <= marker <= 0xEF or marker == 0xFE] == [jfif[:12] + b"\x00\x00"]


def test_the_colour_profile_and_the_adobe_segment_stay() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    samples.picture(64, 48).save(out, "JPEG", icc_profile=profile)
    photo = accept_photo(out.getvalue())
    assert Image.open(io.BytesIO(photo.data)).info["icc_profile"] == profile
    assert Image.open(io.BytesIO(photo.thumbnail)).info["icc_profile"] == profile

    out = io.BytesIO()
    Image.new("CMYK", (64, 48), (0, 255, 255, 0)).save(out, "JPEG")  # red, inverted as Adobe's APP14 says
    photo = accept_photo(out.getvalue())
    assert any(marker == 0xEE for marker, _ in jpeg_segments(photo.data)[0])
    assert mean_difference(Image.open(io.BytesIO(photo.thumbnail)), Image.new("RGB", (64, 48), "red")) < 10


def test_southern_and_western_positions_are_negative() -> None:
    photo = accept_photo(samples.jpeg(32, 32, gps=(-33.868820, -151.209296)))
    assert (photo.exif.latitude, photo.exif.longitude) == (pytest.approx(-33.86882), pytest.approx(-151.209296))


# --- HEIC -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def iphone_photo() -> bytes:
    return samples.heic(480, 360, orientation=6, gps=(30.5728, 104.0668))


def test_heic_is_stored_as_an_upright_jpeg_without_exif(iphone_photo) -> None:
    photo = accept_photo(iphone_photo, name="IMG_0001.HEIC")
    assert (photo.content_type, photo.original_content_type) == (JPEG, HEIC)
    assert photo.original_sha256 == hashlib.sha256(iphone_photo).hexdigest()
    assert photo.original_size == len(iphone_photo)
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.format == "JPEG" and stored.size == (photo.width, photo.height) == (360, 480)  # turned
    assert_carries_no_metadata(photo.data, 1)
    assert photo.exif == ExifFacts(30.5728, 104.0668, samples.TAKEN_AT, "Apple iPhone 15")
    upright = Image.open(io.BytesIO(iphone_photo)).convert("RGB")  # pillow-heif applies the HEIF rotation
    assert mean_difference(stored.convert("RGB"), upright) < 4
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) == 320


@settings(max_examples=15, deadline=None)
@given(width=st.integers(24, 160), height=st.integers(24, 160), orientation=st.integers(1, 8), gps=gps_values)
def test_any_heic_is_stored_as_an_upright_jpeg_at_its_displayed_size(width, height, orientation, gps) -> None:
    upload = samples.heic(width, height, gps=gps, orientation=orientation, quality=90)
    photo = accept_photo(upload)
    assert (photo.content_type, photo.original_content_type) == (JPEG, HEIC)
    assert (photo.width, photo.height) == displayed(width, height, orientation)
    sensor = samples.picture(width, height)
    sensor.getexif()[0x0112] = orientation
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.size == (photo.width, photo.height)
    assert mean_difference(stored.convert("RGB"), ImageOps.exif_transpose(sensor)) < 8  # about 1.5; a wrong turn 25+
    assert_carries_no_metadata(photo.data, 1)
    assert photo.exif.latitude == (None if gps is None else pytest.approx(gps[0], abs=1e-6))
    assert photo.exif.longitude == (None if gps is None else pytest.approx(gps[1], abs=1e-6))


def test_pillows_own_bomb_check_never_runs(monkeypatch, iphone_photo) -> None:
    # Image.open warns past MAX_IMAGE_PIXELS and raises past twice that; warnings are errors here, and
    # the pixel limit is PhotoLimits' alone.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    for upload in (samples.jpeg(64, 48), samples.png(64, 48), iphone_photo):
        assert accept_photo(upload).width > 0


# --- refusals ---------------------------------------------------------------------------------------

def test_empty() -> None:
    error = refused(b"", field="photos[1]", name="IMG_0001.jpg")
    assert error.reason == "empty" and error.field_errors == {"photos[1]": "第2张照片（IMG_0001.jpg）是空文件，请重新选择"}


def test_over_the_byte_limit_is_refused_before_anything_is_read() -> None:
    upload = samples.jpeg(64, 48)
    assert accept_photo(upload, PhotoLimits(max_bytes=len(upload))).original_size == len(upload)
    assert refused(upload, limits=PhotoLimits(max_bytes=len(upload) - 1)).reason == "too_large"
    error = refused(b"\xff\xd8\xff" + os.urandom(15 * 1024 * 1024))  # garbage: never looked at
    assert error.reason == "too_large"
    assert error.field_errors == {"photos": "照片大小为15.1 MB，超过15 MB的上限"}


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()


def _pillow(format_name: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format_name)
    return out.getvalue()


@pytest.mark.parametrize(("upload", "says"), [
    pytest.param(b"MZ\x90\x00" + os.urandom(2000), "文件内容是可执行程序", id="renamed-exe"),
    pytest.param(b"\x7fELF\x02\x01\x01" + os.urandom(500), "文件内容是可执行程序", id="elf"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "文件内容是PDF文档", id="pdf"),
    pytest.param(_gif(), "文件内容是GIF图片", id="gif"),
    pytest.param(_pillow("WEBP"), "文件内容是WebP图片", id="webp"),
    pytest.param(_pillow("BMP"), "文件内容是BMP图片", id="bmp"),
    pytest.param(_pillow("TIFF"), "文件内容是TIFF图片", id="tiff"),
    pytest.param(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "文件内容是AVIF图片", id="avif"),
    pytest.param(random.Random(1).randbytes(4096), "文件内容不是图片", id="random"),
    pytest.param("现场照片".encode(), "文件内容不是图片", id="text"),
])
def test_anything_but_jpeg_png_heic_is_refused_by_its_content(upload, says) -> None:
    error = refused(upload, name="IMG_0001.jpg")
    assert error.reason == "type"
    assert error.field_errors == {"photos": f"照片（IMG_0001.jpg）格式不受支持（只接受JPEG、PNG、HEIC照片），{says}"}
    assert "IMG_0001.jpg" in error.message and "not JPEG, PNG or HEIC" in error.message


def test_the_message_for_unknown_content_is_the_agreed_one() -> None:
    assert refused(b"hello").field_errors == {"photos": "照片格式不受支持（只接受JPEG、PNG、HEIC照片），文件内容不是图片"}


def test_the_file_name_never_decides_the_type() -> None:
    assert accept_photo(samples.png(16, 16), name="evidence.jpg").original_content_type == PNG
    assert accept_photo(samples.jpeg(16, 16), name="virus.exe").original_content_type == JPEG


def test_pixels_over_the_limit_are_refused_from_the_header(iphone_photo) -> None:
    assert accept_photo(samples.jpeg(40, 30), PhotoLimits(max_pixels=1200)).width == 40
    for upload in (samples.jpeg(40, 30), samples.png(40, 30)):
        assert refused(upload, limits=PhotoLimits(max_pixels=1199)).reason == "too_many_pixels"
    assert refused(iphone_photo, limits=PhotoLimits(max_pixels=480 * 360 - 1)).reason == "too_many_pixels"
    error = refused(samples.huge_jpeg_header(30000, 30000), field="photos[0]")
    assert error.field_errors == {"photos[0]": "第1张照片像素过多（30000×30000），超过4000万像素的上限，请缩小后再上传"}


def test_a_decompression_bomb_is_refused_without_allocating_it() -> None:
    # A child process whose address space cannot hold the 900 MB the bomb would decode to.
    child = textwrap.dedent("""
        import resource
        from libs.common import photo_samples, photos
        bomb = photo_samples.bomb_png(30000)
        size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize"))
        resource.setrlimit(resource.RLIMIT_AS, (size + 256 * 1024 * 1024, resource.RLIM_INFINITY))
        try:
            photos.accept_photo(bomb)
        except photos.PhotoRejected as error:
            print(error.reason, len(bomb))
    """)
    done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    reason, size = done.stdout.split()
    assert reason == "too_many_pixels" and int(size) < 200_000


def _broken_png_crc() -> bytes:
    data = bytearray(samples.png(64, 48, extras=False))
    data[data.index(b"IDAT") + 10] ^= 0xFF
    return bytes(data)


def _png_with_bad_image_data() -> bytes:
    """Every CRC right, the compressed image data garbage: only decoding finds it."""
    data = samples.png(64, 48, extras=False)
    at = data.index(b"IDAT") - 4
    (length,) = struct.unpack_from(">I", data, at)
    garbage = random.Random(2).randbytes(length)
    return data[:at + 8] + garbage + struct.pack(">I", zlib.crc32(b"IDAT" + garbage)) + data[at + 12 + length:]


def _jpeg_header_then_garbage() -> bytes:
    data = samples.jpeg(64, 48, extras=False)
    return data[:data.index(b"\xff\xda")] + random.Random(3).randbytes(3000)


def _heic_cut(keep: float) -> bytes:
    data = samples.heic(64, 48)
    return data[:int(len(data) * keep)]


@pytest.mark.parametrize("make", [
    pytest.param(samples.truncated_jpeg, id="truncated-jpeg"),
    pytest.param(_jpeg_header_then_garbage, id="jpeg-garbage-after-header"),
    pytest.param(lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF", id="jpeg-header-only"),
    pytest.param(_broken_png_crc, id="png-chunk-crc"),
    pytest.param(lambda: samples.png(64, 48)[:-40], id="truncated-png"),
    pytest.param(_png_with_bad_image_data, id="png-garbage-image-data"),
    pytest.param(lambda: b"\x89PNG\r\n\x1a\n" + os.urandom(100), id="png-garbage-after-signature"),
    pytest.param(lambda: _heic_cut(0.5), id="truncated-heic"),
    pytest.param(lambda: _heic_cut(0.05), id="heic-boxes-cut"),
])
def test_corrupt_photos_are_refused_not_failed(make) -> None:
    error = refused(make(), name="坏.jpg")
    assert error.reason == "corrupt"
    assert error.field_errors == {"photos": "照片（坏.jpg）文件已损坏或不完整，无法读取，请重新上传"}


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(["jpeg", "png", "progressive"]), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=6))
def test_damaged_photos_are_accepted_or_refused_never_an_exception(kind, cut, flips) -> None:
    upload = bytearray(_SMALL[kind])
    for where, value in flips:
        upload[int(where * (len(upload) - 1))] = value
    damaged = bytes(upload[:max(1, int(len(upload) * cut))] if cut < 0.98 else upload)
    try:
        photo = accept_photo(damaged)
    except PhotoRejected as error:
        assert error.reason in ("corrupt", "type", "too_many_pixels")
    else:
        assert GPS_IFD not in Image.open(io.BytesIO(photo.data)).getexif()


_SMALL = {"jpeg": samples.jpeg(48, 32, gps=(31.0, 121.0)), "png": samples.png(48, 32, gps=(31.0, 121.0)),
          "progressive": samples.jpeg(48, 32, progressive=True)}


def test_a_refusal_reaches_grpc_as_invalid_argument_with_the_field_error() -> None:
    status = to_status(refused(b"", field="photos[2]"))
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    details = status_pb2.Status.FromString(dict(status.trailing_metadata)["grpc-status-details-bin"])
    bad = error_details_pb2.BadRequest()
    assert any(detail.Unpack(bad) for detail in details.details if detail.Is(bad.DESCRIPTOR))
    assert [(v.field, v.description) for v in bad.field_violations] == [("photos[2]", "第3张照片是空文件，请重新选择")]


def test_a_caller_may_name_the_photo_by_its_place_itself() -> None:
    error = refused(b"", name="第2张照片（IMG_0001.jpg）")
    assert error.field_errors == {"photos": "第2张照片（IMG_0001.jpg）是空文件，请重新选择"}


def test_control_characters_in_the_file_name_stay_out_of_the_message() -> None:
    error = refused(b"", name="a\x07b\x00.jpg")
    assert error.field_errors == {"photos": "照片（ab.jpg）是空文件，请重新选择"}
