"""Files behind one small interface: a local directory by default, S3-compatible storage in the cloud.

Keys are service-chosen paths such as "tracking/<item>/notice.docx"; content is addressed by key only.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> str: ...

    def get(self, key: str) -> bytes: ...


def _safe(key: str) -> str:
    parts = [p for p in key.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ValueError(f"bad storage key {key!r}")
    return "/".join(parts)


class LocalStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> str:
        key = _safe(key)
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # readers never see half a file
        return key

    def get(self, key: str) -> bytes:
        return (self.root / _safe(key)).read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
