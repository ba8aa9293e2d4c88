"""Both stores behave alike: the local directory and an S3-compatible bucket on a real HTTP server."""

from __future__ import annotations

import os

import pytest
from prometheus_client import REGISTRY

from libs.common.config import ConfigError
from libs.common.storage import LocalStorage, S3Storage, StorageSettings, open_storage
from libs.common.testing import create_bucket


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return open_storage(StorageSettings(directory=str(tmp_path / "files")))
    endpoint = request.getfixturevalue("s3_endpoint")
    return open_storage(StorageSettings(directory=str(tmp_path / "unused"), s3_bucket=create_bucket(endpoint),
                                        s3_endpoint=endpoint))


def _count(name: str, backend: str, op: str) -> float:
    return REGISTRY.get_sample_value(name, {"backend": backend, "op": op}) or 0.0


def test_put_get_overwrite_and_missing(store, tmp_path) -> None:
    data = os.urandom(1024 * 1024) + "督办通知".encode()
    written_before = _count("duban_storage_bytes_total", store.backend, "put")
    assert store.put("tracking/item-1/attachments/a1", data) == "tracking/item-1/attachments/a1"
    assert store.get("/tracking//item-1/attachments/a1") == data  # same key, however slashed
    assert _count("duban_storage_bytes_total", store.backend, "put") - written_before == len(data)
    store.put("tracking/item-1/notice.docx", b"first")
    store.put("tracking/item-1/notice.docx", b"second")
    assert store.get("tracking/item-1/notice.docx") == b"second"
    failures_before = _count("duban_storage_failures_total", store.backend, "get")
    with pytest.raises(FileNotFoundError):
        store.get("tracking/item-1/nothing-here")
    assert _count("duban_storage_failures_total", store.backend, "get") == failures_before + 1
    for bad in ("", "/", "../etc/passwd", "tracking/../../x", "a/./b"):
        with pytest.raises(ValueError, match="bad storage key"):
            store.put(bad, b"x")
    if isinstance(store, S3Storage):
        assert not (tmp_path / "unused").exists()  # nothing went to the local disk


def test_a_bucket_that_is_not_there_stops_the_start(s3_endpoint) -> None:
    with pytest.raises(ConfigError, match="storage bucket 'no-such-bucket' at http://127.0.0.1:.* is not usable"):
        open_storage(StorageSettings(directory="unused", s3_bucket="no-such-bucket", s3_endpoint=s3_endpoint))


def test_settings_choose_the_store() -> None:
    local = StorageSettings.from_env("var/files", {})
    assert local == StorageSettings(directory="var/files")
    s3 = StorageSettings.from_env("var/files", {"DUBAN_STORAGE_S3_BUCKET": "duban-files",
                                                "DUBAN_STORAGE_S3_ENDPOINT": "https://oss.example:443",
                                                "AWS_DEFAULT_REGION": "cn-north-1"})
    assert (s3.s3_bucket, s3.s3_endpoint, s3.s3_region) == ("duban-files", "https://oss.example:443", "cn-north-1")
    with pytest.raises(ConfigError, match="DUBAN_STORAGE_S3_BUCKET is not"):
        StorageSettings.from_env("var/files", {"DUBAN_STORAGE_S3_ENDPOINT": "https://oss.example:443"})
    assert isinstance(open_storage(StorageSettings(directory="/tmp/duban-storage-test")), LocalStorage)
