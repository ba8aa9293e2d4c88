"""JPEG segments: the frame's size and EXIF read from the header, and a copy without metadata whose
tables and entropy-coded scans are the uploaded bytes, unchanged (no re-encoding, no loss).

Kept: the JFIF header (without its optional thumbnail), ICC colour profiles (APP2 ICC_PROFILE), the
Adobe segment (APP14: it says how CMYK/YCCK decode), every table, frame and scan. Dropped: every other
APPn (Exif and XMP in APP1, MPF and FlashPix in APP2, IPTC/Photoshop in APP13, makers' own), comments,
and whatever follows the end of the image (phones append depth maps and "second images" there, each
with its own EXIF and GPS).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
_APP0, _APP1, _APP2, _APP14, _COM = 0xE0, 0xE1, 0xE2, 0xEE, 0xFE
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: markers without a length
# Start-of-frame markers (C0-CF but DHT C4, JPG C8, DAC CC): they carry the frame's size.
_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Inside a scan, 0xFF is followed by 0x00 (a stuffed byte) or RSTn; anything else starts the next marker.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")
_EXIF_ID, _ICC_ID, _ADOBE_ID, _JFIF_ID = b"Exif\x00\x00", b"ICC_PROFILE\x00", b"Adobe", b"JFIF\x00"


class JpegMalformed(ValueError):
    """The bytes are not a well-formed JPEG stream (truncated, no frame, a segment running past the end)."""


@dataclass(frozen=True)
class JpegHeader:
    width: int  # of the frame as encoded (before any EXIF orientation)
    height: int
    exif: bytes  # the first Exif APP1's TIFF block, b"" if none
    jfif: bytes  # the JFIF APP0 segment rewritten without a thumbnail, b"" if none
    kept: tuple[tuple[int, int], ...]  # [start, end) spans of the header segments to copy, in order
    first_scan: int  # offset of the first SOS marker


def read_header(data: bytes) -> JpegHeader:
    """Walk the segments up to the first scan. Raises JpegMalformed."""
    if data[:2] != b"\xff\xd8":
        raise JpegMalformed("no start-of-image marker")
    kept: list[tuple[int, int]] = []
    exif = jfif = b""
    size: tuple[int, int] | None = None
    at = 2
    while True:
        marker, at = _marker(data, at)
        if marker == SOS:
            break
        if marker in (SOI, EOI):
            raise JpegMalformed(f"marker 0x{marker:02X} before the first scan")
        if marker in _STANDALONE:
            at += 2
            continue
        end = _segment_end(data, at)
        payload = data[at + 4:end]
        if marker in _SOF:
            if size is not None or len(payload) < 6:
                raise JpegMalformed("a second or short frame header")
            height, width = struct.unpack_from(">HH", payload, 1)
            if not (width and height):
                raise JpegMalformed("a frame without a size (DNL is not supported)")
            size = (width, height)
        if marker == _APP1 and payload.startswith(_EXIF_ID) and not exif:
            exif = payload[len(_EXIF_ID):]
        elif marker == _APP0 and payload.startswith(_JFIF_ID) and len(payload) >= 14 and not jfif:
            jfif = b"\xff\xe0\x00\x10" + payload[:12] + b"\x00\x00"  # no thumbnail: it may show what was cropped
        elif _keeps(marker, payload):
            _add(kept, at, end)
        at = end
    if size is None:
        raise JpegMalformed("a scan before the frame header")
    return JpegHeader(size[0], size[1], exif, jfif, tuple(kept), at)


def without_metadata(data: bytes, header: JpegHeader, orientation: int, orientation_tiff: bytes) -> bytes:
    """The stored copy: SOI, JFIF, an APP1 holding only the Orientation (when it is not 1), the kept
    header segments, and every scan and table to the end of the image, byte for byte. Raises JpegMalformed."""
    kept = list(header.kept)
    at = header.first_scan
    while True:
        marker, at = _marker(data, at)
        if marker == EOI:
            _add(kept, at, at + 2)
            break
        if marker in (SOI,):
            raise JpegMalformed("a start-of-image marker inside the image")
        if marker in _STANDALONE:
            _add(kept, at, at + 2)
            at += 2
            continue
        end = _segment_end(data, at)
        if marker == SOS:
            found = _SCAN_END.search(data, end)
            if found is None:
                raise JpegMalformed("truncated: the scan has no end")
            end = found.start()
        if marker == SOS or _keeps(marker, data[at + 4:at + 20]):
            _add(kept, at, end)
        at = end
    view = memoryview(data)
    parts: list[bytes | memoryview] = [b"\xff\xd8", header.jfif]
    if orientation != 1:
        parts.append(b"\xff\xe1" + struct.pack(">H", 2 + len(_EXIF_ID) + len(orientation_tiff)) + _EXIF_ID
                     + orientation_tiff)
    parts.extend(view[start:end] for start, end in kept)
    return b"".join(parts)


def _keeps(marker: int, payload: bytes) -> bool:
    if marker == _APP2:
        return payload.startswith(_ICC_ID)
    if marker == _APP14:
        return payload.startswith(_ADOBE_ID)
    return not (0xE0 <= marker <= 0xEF or marker == _COM)


def _add(spans: list[tuple[int, int]], start: int, end: int) -> None:
    # Adjacent spans merge, so a copy is a handful of slices however many segments it keeps.
    if spans and spans[-1][1] == start:
        spans[-1] = (spans[-1][0], end)
    else:
        spans.append((start, end))


def _marker(data: bytes, at: int) -> tuple[int, int]:
    """The marker at `at` and where it starts, after any 0xFF fill bytes."""
    if at + 1 >= len(data) or data[at] != 0xFF:
        raise JpegMalformed(f"truncated or no marker at offset {at}")
    while at + 1 < len(data) and data[at + 1] == 0xFF:
        at += 1
    if at + 1 >= len(data):
        raise JpegMalformed("truncated: fill bytes to the end")
    return data[at + 1], at


def _segment_end(data: bytes, at: int) -> int:
    if at + 4 > len(data):
        raise JpegMalformed(f"truncated segment at offset {at}")
    (length,) = struct.unpack_from(">H", data, at + 2)
    end = at + 2 + length
    if length < 2 or end > len(data):
        raise JpegMalformed(f"segment at offset {at} runs past the end")
    return end
