"""Test photos made on the spot, so the repository holds no binary files: photo-like JPEG, PNG and HEIC
with the EXIF a phone writes (GPS, time taken, camera, orientation) and the other metadata phones and
editors add, a decompression bomb, a truncated JPEG. The tests, the benchmark and the demo data use them.

`width` and `height` are the encoded pixels, as a camera's sensor writes them; `orientation` is the EXIF
tag that tells a viewer how to turn them (5-8 show the picture a quarter turned: height by width).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import random
import struct
import zlib

from PIL import Image, ImageChops, ImageOps, PngImagePlugin
from PIL.TiffImagePlugin import IFDRational
from pillow_heif import register_heif_opener

from libs.common.photo_png import SIGNATURE, chunk

register_heif_opener()  # heic() saves through Pillow

CAMERA = ("Xiaomi", "Redmi Note 12")
TAKEN_AT = "2026-12-01T10:20:30"
PERSON = "张三"  # the photographer's name, as editors write it into XMP, IPTC and text chunks
_GPS_IFD, _EXIF_IFD = 0x8825, 0x8769
_DMS_SECONDS_SCALE = 10_000  # seconds to 1/10000": about 3 mm


def picture(width: int, height: int, seed: int = 0) -> Image.Image:
    """An RGB picture that compresses like a photo: sky to ground, broad colour areas, finer detail and
    sensor noise (about 215 KB as a quality-85 JPEG at 1600x1200)."""
    rnd = random.Random(seed)
    scene = ImageOps.colorize(Image.linear_gradient("L").resize((width, height)), "#8fb3dc", "#5f6e45", mid="#c9c2a8")
    image = Image.blend(scene, _blotches(rnd, width, height, 64), 0.3)
    image = Image.blend(image, _blotches(rnd, width, height, 16), 0.25)
    noise = Image.frombytes("L", (width, height), rnd.randbytes(width * height)).point(lambda v: v * 6 // 256)
    return ImageChops.add(image, Image.merge("RGB", (noise, noise, noise)), offset=-3)


def exif_block(gps: tuple[float, float] | None = None, taken_at: str = TAKEN_AT, orientation: int = 1,
               camera: tuple[str, str] | None = CAMERA) -> bytes:
    """EXIF as a phone writes it ("Exif\\0\\0" and the TIFF block, as Pillow's save takes it); "" / None
    leave a tag out."""
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    if camera is not None:
        exif[0x010F], exif[0x0110] = camera
    exif[0x0131] = "MIUI 14"  # Software: one more tag the stored copy must lose
    if taken_at:
        exif.get_ifd(_EXIF_IFD)[0x9003] = dt.datetime.fromisoformat(taken_at).strftime("%Y:%m:%d %H:%M:%S")
    if gps is not None:
        latitude, longitude = gps
        exif.get_ifd(_GPS_IFD).update({
            0: b"\x02\x02\x00\x00", 1: "N" if latitude >= 0 else "S", 2: _dms(latitude),
            3: "E" if longitude >= 0 else "W", 4: _dms(longitude), 18: "WGS-84",
        })
    return exif.tobytes()


def xmp_packet(gps: tuple[float, float] | None = None) -> bytes:
    """An XMP packet naming the photographer and, with gps, repeating the position (as editors do)."""
    where = (f' exif:GPSLatitude="{abs(gps[0]):.6f}{"N" if gps[0] >= 0 else "S"}"'
             f' exif:GPSLongitude="{abs(gps[1]):.6f}{"E" if gps[1] >= 0 else "W"}"') if gps else ""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'
        ' xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f'{where}><dc:creator><rdf:Seq><rdf:li>{PERSON}</rdf:li></rdf:Seq></dc:creator></rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def jpeg(width: int = 1600, height: int = 1200, gps: tuple[float, float] | None = (31.230416, 121.473701),
         taken_at: str = TAKEN_AT, orientation: int = 1, target_bytes: int | None = None, *,
         camera: tuple[str, str] | None = CAMERA, quality: int = 85, progressive: bool = False,
         extras: bool = True, seed: int = 0) -> bytes:
    """A phone's JPEG. `target_bytes` picks the quality whose file comes closest to it from below
    (the lowest quality, 5, if none fits). `extras` adds what phones and editors add beyond EXIF: an XMP
    packet with the position and the photographer, a comment, an IPTC block (APP13) and, after the
    end of the image, a second small JPEG with its own EXIF - as phones append depth maps."""
    image = picture(width, height, seed)
    exif = exif_block(gps, taken_at, orientation, camera)

    def encoded(q: int) -> bytes:
        out = io.BytesIO()
        options = {"xmp": xmp_packet(gps), "comment": f"{PERSON} 现场拍摄".encode()} if extras else {}
        image.save(out, "JPEG", quality=q, exif=exif, progressive=progressive, **options)
        data = out.getvalue()
        return data[:2] + _iptc_segment() + data[2:] + _second_image(exif) if extras else data

    if target_bytes is None:
        return encoded(quality)
    low, high, best = 5, 95, encoded(5)
    while low <= high:  # the file grows with the quality: bisect for the largest that fits
        middle = (low + high) // 2
        data = encoded(middle)
        if len(data) <= target_bytes:
            best, low = data, middle + 1
        else:
            high = middle - 1
    return best


def png(width: int = 800, height: int = 600, gps: tuple[float, float] | None = None, taken_at: str = "",
        orientation: int = 1, *, camera: tuple[str, str] | None = None, mode: str = "RGB",
        extras: bool = True, seed: int = 0) -> bytes:
    """A PNG (a screenshot, or a photo an app saved as PNG) with eXIf when there is anything to say, and
    with `extras`: text chunks - the author (iTXt), a comment (zTXt), an XMP packet with the position."""
    image = picture(width, height, seed)
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize((width, height)))
    elif mode != "RGB":
        image = image.convert(mode)
    info = PngImagePlugin.PngInfo()
    if extras:
        info.add_itxt("Author", PERSON)
        info.add_text("Comment", f"{PERSON} 截图", zip=True)
        info.add_itxt("XML:com.adobe.xmp", xmp_packet(gps).decode())
    out = io.BytesIO()
    exif = exif_block(gps, taken_at, orientation, camera) if (gps or taken_at or orientation != 1 or camera) else b""
    image.save(out, "PNG", pnginfo=info, **({"exif": exif} if exif else {}))
    return out.getvalue()


def heic(width: int = 800, height: int = 600, gps: tuple[float, float] | None = (31.230416, 121.473701),
         taken_at: str = TAKEN_AT, orientation: int = 1, *, camera: tuple[str, str] | None = ("Apple", "iPhone 15"),
         quality: int = 80, seed: int = 0) -> bytes:
    """An iPhone's HEIC (pillow-heif's x265 encoder): the orientation becomes the HEIF's own rotation and
    mirroring, as phones write it; EXIF and an XMP packet ride along."""
    out = io.BytesIO()
    picture(width, height, seed).save(out, "HEIF", quality=quality, exif=exif_block(gps, taken_at, orientation, camera),
                                      xmp=xmp_packet(gps))
    return out.getvalue()


@functools.cache
def bomb_png(side: int = 30000) -> bytes:
    """A PNG of side x side black pixels in about 110 KB (30000: 900 million pixels, a 900 MB image once
    decoded) - every byte valid, so only a limit read from the header stops it."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + one bit a pixel
    deflate = zlib.compressobj(6)
    rows = [deflate.compress(row * 256) for _ in range(side // 256)]
    idat = b"".join([*rows, deflate.compress(row * (side % 256)), deflate.flush()])
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def huge_jpeg_header(width: int = 30000, height: int = 30000) -> bytes:
    """A small JPEG whose frame header claims width x height: what a bomb looks like before its scans."""
    data = jpeg(64, 48, gps=None, extras=False)
    sof = data.index(b"\xff\xc0")
    return data[:sof + 5] + struct.pack(">HH", height, width) + data[sof + 9:]


def truncated_jpeg(keep: float = 0.6) -> bytes:
    """A photo cut off part way through its image data, as an interrupted upload leaves it."""
    data = jpeg(640, 480, extras=False)
    return data[:int(len(data) * keep)]


def _blotches(rnd: random.Random, width: int, height: int, scale: int) -> Image.Image:
    small = (max(2, width // scale), max(2, height // scale))
    return Image.frombytes("RGB", small, rnd.randbytes(small[0] * small[1] * 3)).resize(
        (width, height), Image.Resampling.BICUBIC)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * _DMS_SECONDS_SCALE)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, _DMS_SECONDS_SCALE)


def _iptc_segment() -> bytes:
    # APP13 "Photoshop 3.0" with one 8BIM IPTC resource holding the by-line (2:80).
    by_line = PERSON.encode()
    iptc = b"\x1c\x02\x50" + struct.pack(">H", len(by_line)) + by_line
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + b"\x00" * (len(iptc) % 2)
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def _second_image(exif: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("L", (64, 48), 90).save(out, "JPEG", exif=exif)
    return out.getvalue()
