"""Files behind one small interface: a local directory by default, an S3-compatible bucket when set.

Keys are service-chosen paths such as "tracking/<item>/notice.docx"; content is addressed by key only.
A local directory serves one process (or pods sharing a ReadWriteMany volume); a bucket (AWS S3, MinIO,
Ceph, Aliyun OSS, ...) lets every replica read what any of them wrote - what the Helm chart's
`storage.s3` settings choose. A missing key is FileNotFoundError on both.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import Counter, Histogram

from libs.common.config import ConfigError, env_str

STORAGE_SECONDS = Histogram(
    "duban_storage_operation_seconds", "time to put or get one file, by backend", ["backend", "op"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STORAGE_FAILURES = Counter(
    "duban_storage_failures_total", "puts and gets that failed (a missing key counts too)", ["backend", "op"],
)
STORAGE_BYTES = Counter("duban_storage_bytes_total", "bytes written and read, by backend", ["backend", "op"])


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> str: ...

    def get(self, key: str) -> bytes: ...


def _safe(key: str) -> str:
    parts = [p for p in key.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ValueError(f"bad storage key {key!r}")
    return "/".join(parts)


@contextmanager
def _measured(backend: str, op: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    except Exception:
        STORAGE_FAILURES.labels(backend, op).inc()
        raise
    finally:
        STORAGE_SECONDS.labels(backend, op).observe(time.perf_counter() - started)


class LocalStorage:
    backend = "local"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> str:
        key = _safe(key)
        with _measured(self.backend, "put"):
            path = self.root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # readers never see half a file
        STORAGE_BYTES.labels(self.backend, "put").inc(len(data))
        return key

    def get(self, key: str) -> bytes:
        key = _safe(key)
        with _measured(self.backend, "get"):
            data = (self.root / key).read_bytes()
        STORAGE_BYTES.labels(self.backend, "get").inc(len(data))
        return data

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)


class S3Storage:
    """Objects in one bucket of an S3-compatible store. Credentials come the SDK's usual way (the
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment the chart fills from a Secret, or the pod's
    identity); a custom endpoint (MinIO, OSS, ...) is addressed path-style, as those stores expect."""

    backend = "s3"

    def __init__(self, bucket: str, endpoint: str = "", region: str = "") -> None:
        import boto3  # only when a bucket is configured
        from botocore.config import Config

        self.bucket = bucket
        self.endpoint = endpoint
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint or None,
            region_name=region or "us-east-1",
            config=Config(
                s3={"addressing_style": "path"} if endpoint else {},
                retries={"mode": "standard", "max_attempts": 5},
                connect_timeout=5,
                read_timeout=60,
            ),
        )

    def put(self, key: str, data: bytes) -> str:
        key = _safe(key)
        with _measured(self.backend, "put"):
            self._client.put_object(Bucket=self.bucket, Key=key, Body=data)
        STORAGE_BYTES.labels(self.backend, "put").inc(len(data))
        return key

    def get(self, key: str) -> bytes:
        key = _safe(key)
        with _measured(self.backend, "get"):
            try:
                data: bytes = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except self._client.exceptions.NoSuchKey:
                raise FileNotFoundError(f"no object {key!r} in bucket {self.bucket!r}") from None
        STORAGE_BYTES.labels(self.backend, "get").inc(len(data))
        return data

    def check(self) -> None:
        """At start-up: a bucket that does not exist or refuses us stops the service with the reason,
        instead of failing the first upload."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            where = self.endpoint or "the provider's default endpoint"
            raise ConfigError(f"storage bucket {self.bucket!r} at {where} is not usable: {exc}") from None


@dataclass(frozen=True)
class StorageSettings:
    directory: str
    s3_bucket: str = ""
    s3_endpoint: str = ""
    s3_region: str = ""

    @classmethod
    def from_env(cls, default_directory: str, env: Mapping[str, str] | None = None) -> StorageSettings:
        settings = cls(
            directory=env_str("DUBAN_STORAGE_DIR", default_directory, env),
            s3_bucket=env_str("DUBAN_STORAGE_S3_BUCKET", "", env),
            s3_endpoint=env_str("DUBAN_STORAGE_S3_ENDPOINT", "", env),
            s3_region=env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION", "", env), env),
        )
        if settings.s3_endpoint and not settings.s3_bucket:
            raise ConfigError("DUBAN_STORAGE_S3_ENDPOINT is set but DUBAN_STORAGE_S3_BUCKET is not")
        return settings


def open_storage(settings: StorageSettings) -> LocalStorage | S3Storage:
    """The configured store, checked: the bucket when one is named, else the local directory."""
    store: LocalStorage | S3Storage = (
        S3Storage(settings.s3_bucket, settings.s3_endpoint, settings.s3_region)
        if settings.s3_bucket else LocalStorage(settings.directory)
    )
    store.check()
    return store


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
