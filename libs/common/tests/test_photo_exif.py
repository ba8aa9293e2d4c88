"""The EXIF reader: what Pillow writes reads back, what cameras get wrong reads as absent, garbage never raises."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from libs.common import photo_samples as samples
from libs.common.photo_exif import NOTHING, ExifFacts, orientation_block, read_exif


def gps_exif(latitude: object, latitude_ref: str, longitude: object, longitude_ref: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: latitude_ref, 2: latitude, 3: longitude_ref, 4: longitude})
    return exif.tobytes()


def test_a_phones_exif_reads_back() -> None:
    reading = read_exif(samples.exif_block((31.230416, 121.473701), "2026-12-01T10:20:30", 6))
    assert reading.orientation == 6
    assert reading.facts == ExifFacts(31.230416, 121.473701, "2026-12-01T10:20:30", "Xiaomi Redmi Note 12")


def test_both_byte_orders_and_the_jpeg_prefix() -> None:
    big_endian = orientation_block(8)
    assert big_endian.startswith(b"MM") and len(big_endian) == 26
    assert read_exif(big_endian).orientation == 8 and read_exif(b"Exif\x00\x00" + big_endian).orientation == 8
    little_endian = b"II*\x00" + struct.pack("<IHHHIHH", 8, 1, 0x0112, 3, 1, 3, 0) + b"\x00" * 4
    assert read_exif(little_endian).orientation == 3


def test_degrees_with_decimal_minutes_or_alone() -> None:
    minutes = gps_exif((IFDRational(31), IFDRational(1383, 100)), "N", (IFDRational(1214737, 10000),), "E")
    assert read_exif(minutes).facts.latitude == 31.2305 and read_exif(minutes).facts.longitude == 121.4737


def test_positions_a_camera_got_wrong_read_as_none() -> None:
    d = (IFDRational(31), IFDRational(0), IFDRational(0))
    for exif in (gps_exif(d, "", d, "E"),  # no hemisphere: the sign is unknown
                 gps_exif(d, "X", d, "E"),
                 gps_exif((IFDRational(91), IFDRational(0), IFDRational(0)), "N", d, "E"),  # past the pole
                 gps_exif((IFDRational(0), IFDRational(0), IFDRational(0)), "N",
                          (IFDRational(0), IFDRational(0), IFDRational(0)), "E")):  # no fix: 0, 0
        facts = read_exif(exif).facts
        assert (facts.latitude, facts.longitude) == (None, None)
    only_latitude = Image.Exif()
    only_latitude.get_ifd(0x8825).update({1: "N", 2: d})
    assert read_exif(only_latitude.tobytes()).facts.latitude is None


def test_times_and_cameras_as_cameras_write_them() -> None:
    def facts(taken: str, make: str, model: str) -> ExifFacts:
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = make, model
        exif.get_ifd(0x8769)[0x9003] = taken
        return read_exif(exif.tobytes()).facts

    assert facts("2026:12:01 10:20:30", "Canon", "Canon EOS R6") == ExifFacts(None, None, "2026-12-01T10:20:30",
                                                                               "Canon EOS R6")
    assert facts("0000:00:00 00:00:00", "", "").taken_at == ""  # what a camera without a clock writes
    assert facts("2026:02:30 10:20:30", "HUAWEI", "P60").taken_at == ""
    assert facts("    :  :     :  :  ", "  OPPO\x07 ", "Find\tX7\nUltra").camera == "OPPO Find X7 Ultra"


def test_an_orientation_outside_1_to_8_is_1() -> None:
    exif = Image.Exif()
    exif[0x0112] = 9
    assert read_exif(exif.tobytes()).orientation == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([b"II*\x00", b"MM\x00*", b"Exif\x00\x00II*\x00", b""]))
def test_garbage_reads_as_nothing_and_never_raises(garbage, prefix) -> None:
    reading = read_exif(prefix + garbage)
    assert 1 <= reading.orientation <= 8
    if not prefix:
        assert reading == NOTHING or garbage[:4] in (b"II*\x00", b"MM\x00*") or garbage.startswith(b"Exif")


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damaged_real_exif_never_raises(data) -> None:
    block = bytearray(samples.exif_block((31.2, 121.4), "2026-12-01T10:20:30", 6))
    for _ in range(data.draw(st.integers(1, 8))):
        block[data.draw(st.integers(8, len(block) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(block)))
    read_exif(bytes(block[:cut]))
    # An IFD claiming a huge count is skipped, not walked.
    read_exif(b"II*\x00" + struct.pack("<IH", 8, 65535))
