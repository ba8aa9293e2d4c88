"""Inspection photos refused: empty, too large, not a photo by its content, too many pixels (read from the
header, a decompression bomb never decoded), corrupt - each with its Chinese field error - and damaged
bytes that never raise anything else."""

from __future__ import annotations

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
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from libs.common import photo_samples as samples
from libs.common.grpc_errors import to_status
from libs.common.photos import JPEG, PNG, PhotoLimits, PhotoRejected, accept_photo

ROOT = Path(__file__).resolve().parents[3]
GPS_IFD = 0x8825


def refused(data: bytes, **kwargs) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        accept_photo(data, **kwargs)
    return caught.value


@pytest.fixture(scope="module")
def iphone_photo() -> bytes:
    return samples.heic(480, 360, orientation=6)


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
