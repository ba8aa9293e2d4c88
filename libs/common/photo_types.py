"""What an uploaded file is, by its first bytes: the photo types accepted, and a Chinese name for the
usual other things people send (so the refusal can say "文件内容是PDF文档"). Never the file name or the
type the browser declared: a renamed file is what its bytes are."""

from __future__ import annotations

import struct

JPEG, PNG, HEIC = "image/jpeg", "image/png", "image/heic"

# HEIF brands of HEVC-coded pictures (what phones write). A HEIF holding AV1 (AVIF) is another codec,
# one this build's libheif cannot decode.
_HEVC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_AVIF_BRANDS = {b"avif", b"avis"}
_GIF, _TIFF, _PROGRAM = ("GIF图片", "GIF"), ("TIFF图片", "TIFF"), ("可执行程序", "an executable")
_OTHERS: tuple[tuple[bytes, int, tuple[str, str]], ...] = (  # (magic, offset, (Chinese, English))
    (b"GIF87a", 0, _GIF), (b"GIF89a", 0, _GIF), (b"WEBP", 8, ("WebP图片", "WebP")), (b"BM", 0, ("BMP图片", "BMP")),
    (b"II*\x00", 0, _TIFF), (b"MM\x00*", 0, _TIFF), (b"%PDF-", 0, ("PDF文档", "PDF")),
    (b"MZ", 0, _PROGRAM), (b"\x7fELF", 0, _PROGRAM), (b"\xcf\xfa\xed\xfe", 0, _PROGRAM),
    (b"\xca\xfe\xba\xbe", 0, _PROGRAM), (b"PK\x03\x04", 0, ("压缩包或Office文档", "a ZIP or Office file")),
)
UNKNOWN = ("", "unknown")


def sniff(data: bytes) -> str:
    """JPEG, PNG or HEIC when the bytes start like one; "" otherwise."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if _brands(data) & _HEVC_BRANDS:
        return HEIC
    return ""


def described(data: bytes) -> tuple[str, str]:
    """What a file that is not an accepted photo is, in Chinese (for the refusal) and English (for the
    log); UNKNOWN when its first bytes say nothing known."""
    if _brands(data) & _AVIF_BRANDS:
        return "AVIF图片", "AVIF"
    for magic, offset, name in _OTHERS:
        if data[offset:offset + len(magic)] == magic:
            return name
    return UNKNOWN


def _brands(data: bytes) -> set[bytes]:
    """The major and compatible brands of an ISO-BMFF file's leading ftyp box (empty if there is none)."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return set()
    (size,) = struct.unpack_from(">I", data)
    end = min(size, len(data), 4096)
    if size < 16:
        return set()
    return {data[8:12]} | {data[at:at + 4] for at in range(16, end - 3, 4)}
