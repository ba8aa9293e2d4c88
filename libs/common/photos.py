"""Inspection photos (督促检查 Art. 6.4) accepted safely: the type from the content, the size and pixel
limits before any decoding, the EXIF facts read and then stripped, a JPEG thumbnail. See accept_photo."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, JpegImagePlugin, PngImagePlugin
from pillow_heif import register_heif_opener
from pillow_heif.as_plugin import HeifImageFile

from libs.common import photo_jpeg, photo_png
from libs.common.errors import InvalidInput
from libs.common.photo_exif import ExifFacts, ExifReading, orientation_block, read_exif, swaps_sides
from libs.common.photo_types import HEIC, JPEG, PNG, described, sniff
from libs.common.text import has_bad_characters

__all__ = ["HEIC", "JPEG", "PNG", "AcceptedPhoto", "ExifFacts", "PhotoLimits", "PhotoRejected", "accept_photo"]

# Image.open finds HEIC files too, anywhere in the process (the gateway's previews, tests). accept_photo
# itself opens each type with its own plugin class: the type is decided here, by content, and Pillow's
# decompression-bomb check in Image.open (a warning, an error past twice its limit) never runs - this
# module's pixel limit, read from the header, comes first.
register_heif_opener()

STORED_JPEG_QUALITY = 90  # a HEIC's stored copy: evidence, so close to the original
THUMBNAIL_QUALITY = 80
_NAME_CHARS = 80
# What Pillow and libheif raise on bytes they cannot decode; each becomes "corrupt", never a 500.
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, RuntimeError, struct.error, zlib.error, IndexError)
_INDEXED_FIELD = re.compile(r"\[(\d+)\]$")
_PLACED_NAME = re.compile(r"第\d+张照片")
# EXIF orientation -> the transposition that shows the picture upright (EXIF 2.32, Orientation).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    thumbnail_side: int = 320  # the thumbnail's longer side


@dataclass(frozen=True)
class AcceptedPhoto:
    content_type: str  # of the stored copy (JPEG or PNG)
    data: bytes  # the stored copy: carries no EXIF GPS (see accept_photo)
    width: int  # of the stored copy, as displayed (orientation applied or kept)
    height: int
    thumbnail: bytes  # JPEG, longer side <= limits.thumbnail_side
    original_content_type: str  # what was uploaded, by content
    original_size: int
    original_sha256: str  # hex, of the uploaded bytes (evidence: what the inspector sent)
    exif: ExifFacts


class PhotoRejected(InvalidInput):
    """A photo refused, for one `reason`: "empty" | "type" | "too_large" | "too_many_pixels" | "corrupt".
    The field error (under the field given to accept_photo) is Chinese, for the person; the message is
    English, for logs. The reason also travels on gRPC as the status's ErrorInfo reason."""

    reason: str

    def __init__(self, reason: str, message: str, field: str, field_error: str) -> None:
        super().__init__(message, {field: field_error})
        self.reason = reason


def accept_photo(data: bytes, limits: PhotoLimits = PhotoLimits(), field: str = "photos",
                 name: str = "") -> AcceptedPhoto:
    """Check one uploaded photo and make the copy to store. Raises PhotoRejected.

    `name` (the uploaded file name) only goes into the Chinese message ("照片（IMG_0001.jpg）..."), never
    decides the type; a field with an index ("photos[1]") names the photo by its place ("第2张照片"), and
    so does a name the caller wrote that way ("第2张照片（IMG_0001.jpg）", used as it is).

    Order: empty, byte limit, type (JPEG, PNG, HEIC/HEIF by content), pixel limit from the header (before
    any pixel is decoded), then the structure and the decoding ("corrupt").

    The stored copy carries no EXIF but the Orientation, and no XMP, IPTC, comments or text chunks:
    - JPEG: the segments are copied without re-encoding - tables and entropy-coded scans byte for byte -
      leaving out every APPn but JFIF, ICC profiles and Adobe, every comment and whatever follows the end
      of the image. A photo whose EXIF Orientation is not 1 keeps an APP1 holding that one tag, so what
      turned the upload upright (browsers, phones, image viewers) turns the stored copy alike; code that
      decodes and re-encodes it applies the tag itself (ImageOps.exif_transpose). Width and height are
      the displayed ones (swapped for orientations 5-8).
    - PNG: the chunks are copied without re-encoding, keeping only image data, palette, colour and
      transparency; an Orientation other than 1 stays as a one-tag eXIf, as for JPEG.
    - HEIC: office PCs and DOCX reports cannot show it, so the stored copy is a JPEG (quality 90, ICC
      profile kept, no EXIF), turned upright as the HEIF's own transformations say; the result keeps the
      original's type and sha256.
    The thumbnail is a JPEG, upright, its longer side at most limits.thumbnail_side; for a JPEG it comes
    from the DCT-scaled decoding (Image.draft), so a 1600x1200 photo is decoded at 400x300.
    """
    refuse = _Refusal(field, name)
    if not data:
        raise refuse("empty", "photo is empty", "是空文件，请重新选择")
    if len(data) > limits.max_bytes:
        raise refuse("too_large", f"photo is {len(data)} bytes, over the limit of {limits.max_bytes}",
                     f"大小为{_mb(len(data), up=True)} MB，超过{_mb(limits.max_bytes)} MB的上限")
    kind = sniff(data)
    if not kind:
        what, english = described(data)
        raise refuse("type", f"photo content is not JPEG, PNG or HEIC ({english})",
                     "格式不受支持（只接受JPEG、PNG、HEIC照片），" + (f"文件内容是{what}" if what else "文件内容不是图片"))
    try:
        stored = {JPEG: _from_jpeg, PNG: _from_png, HEIC: _from_heic}[kind](data, limits, refuse)
    except (photo_jpeg.JpegMalformed, photo_png.PngMalformed, *_UNREADABLE) as error:
        raise refuse("corrupt", f"photo is corrupt: {error}", "文件已损坏或不完整，无法读取，请重新上传") from error
    return AcceptedPhoto(
        content_type=stored.content_type, data=stored.data, width=stored.width, height=stored.height,
        thumbnail=stored.thumbnail, original_content_type=kind, original_size=len(data),
        original_sha256=hashlib.sha256(data).hexdigest(), exif=stored.reading.facts,
    )


@dataclass(frozen=True)
class _Stored:
    content_type: str
    data: bytes
    width: int
    height: int
    thumbnail: bytes
    reading: ExifReading


class _Refusal:
    """Builds the PhotoRejected of one upload: the photo named by its place and file name, in Chinese."""

    def __init__(self, field: str, name: str) -> None:
        self.field = field
        index = _INDEXED_FIELD.search(field)
        subject = f"第{int(index.group(1)) + 1}张照片" if index else "照片"
        name = "".join(ch for ch in name if not has_bad_characters(ch)).strip()[:_NAME_CHARS]
        self.subject = f"{subject}（{name}）" if name else subject
        if _PLACED_NAME.match(name):  # the caller named the photo by its place itself: "第2张照片（IMG_0001.jpg）"
            self.subject = name
        self.name = name

    def __call__(self, reason: str, message: str, chinese: str) -> PhotoRejected:
        where = f" ({self.name})" if self.name else ""
        return PhotoRejected(reason, f"{message}{where}", self.field, self.subject + chinese)

    def check_pixels(self, width: int, height: int, limits: PhotoLimits) -> None:
        if width * height > limits.max_pixels:
            raise self("too_many_pixels", f"photo is {width}x{height} pixels, over the limit of {limits.max_pixels}",
                       f"像素过多（{width}×{height}），超过{_pixels(limits.max_pixels)}像素的上限，请缩小后再上传")


def _from_jpeg(data: bytes, limits: PhotoLimits, refuse: _Refusal) -> _Stored:
    header = photo_jpeg.read_header(data)
    refuse.check_pixels(header.width, header.height, limits)
    reading = read_exif(header.exif)
    orientation = reading.orientation
    stored = photo_jpeg.without_metadata(data, header, orientation, orientation_block(orientation))
    # The thumbnail decodes the stored copy: what is kept is proved readable, and libjpeg scales the DCT
    # (1/2, 1/4, 1/8) instead of decoding every pixel and shrinking them.
    image = JpegImagePlugin.JpegImageFile(io.BytesIO(stored))
    image.draft(None, _fitted(image.size, limits.thumbnail_side))
    image.load()
    width, height = _displayed(header.width, header.height, orientation)
    return _Stored(JPEG, stored, width, height, _thumbnail(image, limits, orientation), reading)


def _from_png(data: bytes, limits: PhotoLimits, refuse: _Refusal) -> _Stored:
    refuse.check_pixels(*photo_png.size(data), limits)
    chunks = photo_png.read_chunks(data)
    reading = read_exif(chunks.exif)
    orientation = reading.orientation
    stored = photo_png.without_metadata(data, chunks, orientation, orientation_block(orientation))
    image = PngImagePlugin.PngImageFile(io.BytesIO(stored))
    image.load()
    width, height = _displayed(*image.size, orientation)
    return _Stored(PNG, stored, width, height, _thumbnail(image, limits, orientation), reading)


def _from_heic(data: bytes, limits: PhotoLimits, refuse: _Refusal) -> _Stored:
    image = HeifImageFile(io.BytesIO(data))  # reads the boxes, decodes nothing yet
    refuse.check_pixels(*image.size, limits)
    # The EXIF's Orientation is not used: HEIF turns pictures by its own transformations (irot, imir),
    # which libheif applies while decoding, and pillow-heif resets the EXIF tag to 1 to match.
    reading = read_exif(image.info.get("exif") or b"")
    icc = image.info.get("icc_profile")
    image.load()
    upright = _flattened(image)
    out = io.BytesIO()
    upright.info = {}
    upright.save(out, "JPEG", quality=STORED_JPEG_QUALITY, icc_profile=icc)
    return _Stored(JPEG, out.getvalue(), upright.width, upright.height,
                   _thumbnail(upright.copy(), limits, 1, icc), ExifReading(reading.facts, 1))


def _thumbnail(image: Image.Image, limits: PhotoLimits, orientation: int, icc: bytes | None = None) -> bytes:
    icc = icc if icc is not None else image.info.get("icc_profile")
    image.thumbnail((limits.thumbnail_side, limits.thumbnail_side))
    if orientation in _UPRIGHT:
        image = image.transpose(_UPRIGHT[orientation])
    small = _flattened(image)
    small.info = {}  # nothing of the upload's info (comments, EXIF) rides along into the JPEG
    out = io.BytesIO()
    small.save(out, "JPEG", quality=THUMBNAIL_QUALITY, icc_profile=icc)
    return out.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """RGB or L for a JPEG: transparency over white (a screenshot's clear parts), 16-bit scaled to 8."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode.startswith("I;16") or image.mode == "I":
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _displayed(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if swaps_sides(orientation) else (width, height)


def _mb(size: int, up: bool = False) -> str:
    # 15 MB as "15", 15 MB and a byte as "15.1": a size over the limit never reads as the limit.
    tenths = -(-size * 10 // 1048576) if up else round(size * 10 / 1048576)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def _pixels(count: int) -> str:
    return f"{count // 10000}万" if count % 10000 == 0 else str(count)
