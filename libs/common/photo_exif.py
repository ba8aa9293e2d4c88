"""EXIF read from a photo's TIFF block (GPS, time taken, camera, orientation), and the one-tag block a
stripped copy keeps so that it still displays upright.

A small reader of its own rather than Pillow's: it reads only the seven tags the office uses, never
follows more than three IFDs, and treats anything malformed as absent. Pillow's parser warns on broken
EXIF (a warning the project's tests turn into an error) and parses every tag of every IFD.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
from dataclasses import dataclass

from libs.common.text import CONTROL_CLASS

ORIENTATION_TAG = 0x0112
_MAKE, _MODEL, _EXIF_IFD, _GPS_IFD = 0x010F, 0x0110, 0x8769, 0x8825
_DATE_TIME_ORIGINAL = 0x9003
_LAT_REF, _LAT, _LON_REF, _LON = 1, 2, 3, 4
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}
_MAX_ENTRIES = 512  # no real IFD holds more; past it the block is garbage, not a camera's
_CAMERA_PART_CHARS = 64
_DATE = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_UNPRINTABLE = re.compile(f"[{CONTROL_CLASS}\ud800-\udfff]")


@dataclass(frozen=True)
class ExifFacts:
    """What the camera wrote, read before stripping; all optional."""

    latitude: float | None = None  # decimal degrees WGS-84 (EXIF GPS is WGS-84), south/west negative
    longitude: float | None = None
    taken_at: str = ""  # DateTimeOriginal as ISO 8601 without offset ("2026-12-01T10:20:30"), "" if none
    camera: str = ""  # "Make Model", "" if none


@dataclass(frozen=True)
class ExifReading:
    facts: ExifFacts
    orientation: int  # 1-8, 1 when absent or invalid


NOTHING = ExifReading(ExifFacts(), 1)


def read_exif(block: bytes) -> ExifReading:
    """The facts and orientation in a TIFF block (JPEG APP1 after "Exif\\0\\0", PNG eXIf, HEIF Exif item);
    a leading "Exif\\0\\0" is skipped. Never raises: a damaged block reads as what could be read."""
    if block.startswith(b"Exif\x00\x00"):
        block = block[6:]
    if len(block) < 8 or block[:4] not in (b"II*\x00", b"MM\x00*"):
        return NOTHING
    tiff = _Tiff(block, "<" if block[:2] == b"II" else ">")
    ifd0 = tiff.ifd(tiff.u32(4))
    exif = tiff.ifd(tiff.first_int(ifd0.get(_EXIF_IFD)))
    gps = tiff.ifd(tiff.first_int(ifd0.get(_GPS_IFD)))
    orientation = tiff.first_int(ifd0.get(ORIENTATION_TAG))
    latitude, longitude = _position(tiff, gps)
    facts = ExifFacts(latitude=latitude, longitude=longitude,
                      taken_at=_iso_time(tiff.text(exif.get(_DATE_TIME_ORIGINAL))),
                      camera=_camera(tiff.text(ifd0.get(_MAKE)), tiff.text(ifd0.get(_MODEL))))
    return ExifReading(facts, orientation if 1 <= orientation <= 8 else 1)


def orientation_block(orientation: int) -> bytes:
    """A TIFF block holding only IFD0's Orientation: what a stripped photo keeps (26 bytes)."""
    return b"MM\x00*" + struct.pack(">IH", 8, 1) + struct.pack(">HHIHH", ORIENTATION_TAG, 3, 1, orientation, 0) \
        + b"\x00\x00\x00\x00"


def swaps_sides(orientation: int) -> bool:
    """Orientations 5-8 turn the picture a quarter: the displayed width is the stored height."""
    return orientation >= 5


# An entry as stored: (type, count, the 4 bytes of its value or offset).
_Entry = tuple[int, int, bytes]


class _Tiff:
    def __init__(self, data: bytes, endian: str) -> None:
        self.data, self.endian = data, endian

    def u32(self, at: int) -> int:
        return int(struct.unpack_from(self.endian + "I", self.data, at)[0])

    def ifd(self, offset: int) -> dict[int, _Entry]:
        if offset < 8 or offset + 2 > len(self.data):
            return {}
        (count,) = struct.unpack_from(self.endian + "H", self.data, offset)
        if count > _MAX_ENTRIES or offset + 2 + 12 * count > len(self.data):
            return {}
        entries: dict[int, _Entry] = {}
        for at in range(offset + 2, offset + 2 + 12 * count, 12):
            tag, kind, n = struct.unpack_from(self.endian + "HHI", self.data, at)
            entries.setdefault(tag, (kind, n, self.data[at + 8:at + 12]))
        return entries

    def value(self, entry: _Entry | None) -> bytes:
        """The value's bytes, inline or at its offset; b"" when the entry is missing or points outside."""
        if entry is None or entry[0] not in _TYPE_SIZES:
            return b""
        kind, count, field = entry
        size = _TYPE_SIZES[kind] * count
        if size <= 4:
            return field[:size]
        (offset,) = struct.unpack(self.endian + "I", field)
        return self.data[offset:offset + size] if offset + size <= len(self.data) else b""

    def first_int(self, entry: _Entry | None) -> int:
        raw = self.value(entry)
        if entry is None or not raw:
            return 0
        if entry[0] == 3:
            return int(struct.unpack_from(self.endian + "H", raw)[0])
        if entry[0] in (4, 9):
            return int(struct.unpack_from(self.endian + ("I" if entry[0] == 4 else "i"), raw)[0])
        return 0

    def text(self, entry: _Entry | None) -> str:
        if entry is None or entry[0] not in (2, 7):
            return ""
        return self.value(entry).split(b"\x00", 1)[0].decode("utf-8", "replace")

    def rationals(self, entry: _Entry | None) -> list[float]:
        if entry is None or entry[0] not in (5, 10):
            return []
        raw = self.value(entry)
        pairs = struct.iter_unpack(self.endian + ("II" if entry[0] == 5 else "ii"), raw)
        return [num / den if den else math.nan for num, den in pairs]


def _position(tiff: _Tiff, gps: dict[int, _Entry]) -> tuple[float | None, float | None]:
    """Decimal degrees of a GPS IFD; (None, None) unless both axes and their hemispheres are readable.
    (0, 0) exactly is what some phones write without a fix, never a place in this district."""
    latitude = _degrees(tiff.rationals(gps.get(_LAT)), tiff.text(gps.get(_LAT_REF)), "N", "S", 90.0)
    longitude = _degrees(tiff.rationals(gps.get(_LON)), tiff.text(gps.get(_LON_REF)), "E", "W", 180.0)
    if latitude is None or longitude is None or (latitude == 0.0 and longitude == 0.0):
        return None, None
    return latitude, longitude


def _degrees(parts: list[float], ref: str, positive: str, negative: str, bound: float) -> float | None:
    # Degrees, minutes, seconds; some cameras write degrees and decimal minutes, or decimal degrees alone.
    ref = ref.strip().upper()
    if not 1 <= len(parts) <= 3 or ref not in (positive, negative):
        return None
    value = sum(part / 60**i for i, part in enumerate(parts))
    if not math.isfinite(value) or min(parts) < 0 or value > bound:
        return None
    return round(-value if ref == negative else value, 7)  # 7 decimals: about 1 cm


def _iso_time(raw: str) -> str:
    match = _DATE.match(raw.strip())
    if match is None:
        return ""
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return dt.datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:  # "0000:00:00 00:00:00", a 31 February: no time at all
        return ""


def _camera(make: str, model: str) -> str:
    make, model = _clean(make), _clean(model)
    if make and model.lower().startswith(make.lower()):  # "Canon" + "Canon EOS R6": the model says both
        return model
    return f"{make} {model}".strip()


def _clean(part: str) -> str:
    # The camera's name goes into pages, DOCX and XLSX: no control characters, one line, a sane length.
    return " ".join(_UNPRINTABLE.sub("", part).split())[:_CAMERA_PART_CHARS]
