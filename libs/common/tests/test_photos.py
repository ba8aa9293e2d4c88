"""Inspection photos accepted: the stored copy of any photo - upright at its displayed size, no GPS or other
metadata, the JPEG's scans and the PNG's image data the uploaded bytes - HEIC stored as JPEG, thumbnails.
The refusals: test_photo_refusals.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageCms, ImageOps, ImageStat, JpegImagePlugin

from libs.common import photo_samples as samples
from libs.common.photo_exif import orientation_block
from libs.common.photos import HEIC, JPEG, PNG, ExifFacts, PhotoLimits, accept_photo

GPS_IFD = 0x8825
XMP_ID = b"http://ns.adobe.com/xap/1.0/"
PERSON = samples.PERSON.encode()
# Chunks a stored PNG may hold: image data, palette, colour, transparency (and the one-tag eXIf).
PNG_DISPLAY_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
                      b"pHYs", b"bKGD", b"eXIf"}


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
