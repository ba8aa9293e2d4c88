"""Photos in, rows out: every uploaded photo is checked and stripped (libs.common.photos), then its
stored copy and thumbnail are written to the shared storage - before the transaction that records them,
so no database lock is held while photos are decoded or written. A transaction that then fails leaves
files no row names (harmless, and never served: files are only reached through their row)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence

from duban.inspection.v1 import inspection_pb2
from libs.common.photos import JPEG, AcceptedPhoto, PhotoRejected, accept_photo
from services.inspection import metrics
from services.inspection.context import Inspection
from services.inspection.orm import Photo

_EXTENSIONS = {JPEG: "jpg", "image/png": "png"}
# Photos decoded at once in this process: a 12-MP HEIC takes ~200 MB while it is decoded, and a server
# thread pool of 16 receiving nine each would take gigabytes; the others wait their turn (measured: 4 findings
# of 9 such photos at once peaked at 888 MB).
_DECODING = threading.BoundedSemaphore(4)


def accept_all(inspection: Inspection, uploads: Sequence[inspection_pb2.Photo], field: str = "photos") -> list[
        tuple[inspection_pb2.Photo, AcceptedPhoto]]:
    """Check every photo first: one bad photo refuses the whole request, and nothing is stored."""
    accepted = []
    for n, upload in enumerate(uploads, start=1):
        try:
            with _DECODING:
                photo = accept_photo(upload.data, inspection.photo_limits, field,
                                     name=f"第{n}张照片（{upload.filename}）" if upload.filename else f"第{n}张照片")
            accepted.append((upload, photo))
        except PhotoRejected as refusal:
            metrics.PHOTOS_REJECTED.labels(refusal.reason).inc()
            raise
    return accepted


def store(inspection: Inspection, finding_id: str, stage: str, round_: int,
          accepted: list[tuple[inspection_pb2.Photo, AcceptedPhoto]], first_position: int = 0) -> list[Photo]:
    rows = []
    for position, (upload, photo) in enumerate(accepted, start=first_position):
        photo_id = str(uuid.uuid4())
        folder = f"inspection/{finding_id[:2]}/{finding_id}"
        key = inspection.storage.put(f"{folder}/{photo_id}.{_EXTENSIONS.get(photo.content_type, 'bin')}", photo.data)
        thumb = inspection.storage.put(f"{folder}/{photo_id}.thumb.jpg", photo.thumbnail)
        metrics.PHOTO_BYTES.inc(len(photo.data) + len(photo.thumbnail))
        rows.append(Photo(
            id=photo_id, finding_id=finding_id, stage=stage, round=round_, position=position,
            filename=upload.filename[:200], content_type=photo.content_type, size=len(photo.data), width=photo.width,
            height=photo.height, sha256=photo.original_sha256, taken_at=photo.exif.taken_at,
            exif_latitude=photo.exif.latitude, exif_longitude=photo.exif.longitude, storage_key=key,
            thumbnail_key=thumb))
    return rows
