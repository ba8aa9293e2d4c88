"""PNG chunks: the size from IHDR, the EXIF from eXIf, and a copy keeping only the chunks that say how
the picture looks - its image data unchanged (no re-encoding).

Kept, by name: IHDR, PLTE, IDAT, IEND and the colour and transparency chunks (tRNS, gAMA, cHRM, sRGB,
iCCP, sBIT, cICP, mDCV, cLLI, pHYs, bKGD, hIST). Everything else goes: eXIf, the text chunks (tEXt,
zTXt, iTXt: XMP, authors, comments, "Raw profile type exif"), tIME, animation chunks (the default image
stays) and any private chunk, whatever it carries.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"cICP",
         b"mDCV", b"cLLI", b"mDCv", b"cLLi", b"pHYs", b"bKGD", b"hIST"}
_CRITICAL = {b"IHDR", b"PLTE", b"IDAT", b"IEND"}
_MAX_LENGTH = 2**31 - 1


class PngMalformed(ValueError):
    """Not a well-formed PNG stream (a bad chunk CRC, a chunk past the end, no image data, no IEND)."""


@dataclass(frozen=True)
class PngChunks:
    exif: bytes  # the eXIf chunk's TIFF block, b"" if none
    kept: tuple[tuple[int, int], ...]  # [start, end) spans of the chunks to copy, IHDR first, IEND last


def size(data: bytes) -> tuple[int, int]:
    """Width and height from IHDR, which the format puts first. Raises PngMalformed."""
    if len(data) < 33 or data[12:16] != b"IHDR" or data[8:12] != b"\x00\x00\x00\x0d":
        raise PngMalformed("IHDR is not the first chunk")
    width, height = struct.unpack_from(">II", data, 16)
    if not (0 < width <= _MAX_LENGTH and 0 < height <= _MAX_LENGTH):
        raise PngMalformed(f"impossible size {width}x{height}")
    return width, height


def read_chunks(data: bytes) -> PngChunks:
    """Check every chunk's length and CRC up to IEND (what follows IEND is ignored). Raises PngMalformed."""
    size(data)
    view = memoryview(data)
    kept: list[tuple[int, int]] = []
    exif = b""
    seen_data = False
    at = len(SIGNATURE)
    while True:
        if at + 12 > len(data):
            raise PngMalformed("truncated: no IEND")
        length, kind = struct.unpack_from(">I4s", data, at)
        end = at + 12 + length
        if length > _MAX_LENGTH or end > len(data):
            raise PngMalformed(f"chunk {kind!r} at offset {at} runs past the end")
        if zlib.crc32(view[at + 4:end - 4]) != struct.unpack_from(">I", data, end - 4)[0]:
            raise PngMalformed(f"chunk {kind!r} at offset {at} fails its CRC")
        if kind[0] & 0x20 == 0 and kind not in _CRITICAL:
            raise PngMalformed(f"unknown critical chunk {kind!r}")  # Apple's CgBI, say: no viewer reads it
        seen_data |= kind == b"IDAT"
        if kind == b"eXIf" and not exif:
            exif = bytes(view[at + 8:end - 4])
        elif kind in _KEPT:
            if kept and kept[-1][1] == at:
                kept[-1] = (kept[-1][0], end)
            else:
                kept.append((at, end))
        at = end
        if kind == b"IEND":
            break
    if not seen_data:
        raise PngMalformed("no image data")
    return PngChunks(exif, tuple(kept))


def without_metadata(data: bytes, chunks: PngChunks, orientation: int, orientation_tiff: bytes) -> bytes:
    """The stored copy: the kept chunks, with an eXIf holding only the Orientation (when it is not 1)
    right after IHDR."""
    view = memoryview(data)
    spans = list(chunks.kept)
    parts: list[bytes | memoryview] = [SIGNATURE]
    if orientation != 1:
        ihdr_end = len(SIGNATURE) + 25
        first_start, first_end = spans[0]
        parts.append(view[first_start:ihdr_end])
        parts.append(chunk(b"eXIf", orientation_tiff))
        spans[0] = (ihdr_end, first_end)
    parts.extend(view[start:end] for start, end in spans)
    return b"".join(parts)


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
