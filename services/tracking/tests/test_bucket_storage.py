"""The whole lifecycle with files in an S3-compatible bucket (what the chart's storage.s3 selects):
notice, attachments, completion report and dossier are objects in the bucket, none on the local disk,
and a second tracking process on the same bucket reads them."""

from __future__ import annotations

import boto3
import pytest

from libs.common.storage import S3Storage, StorageSettings, open_storage
from libs.common.testing import create_bucket
from services.tracking.tests.conftest import running_pair
from services.tracking.tests.test_flow import test_whole_lifecycle as whole_lifecycle


@pytest.mark.slow
def test_whole_lifecycle_with_files_in_a_bucket(broker, s3_endpoint, tmp_path) -> None:
    bucket = create_bucket(s3_endpoint)
    env = {"DUBAN_STORAGE_DIR": str(tmp_path / "files"), "DUBAN_STORAGE_S3_BUCKET": bucket,
           "DUBAN_STORAGE_S3_ENDPOINT": s3_endpoint}
    with running_pair(broker, tmp_path, env) as pair:
        assert isinstance(pair.app.core.storage, S3Storage)
        whole_lifecycle(pair, broker)
    assert not (tmp_path / "files").exists()
    listed = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=bucket)["Contents"]
    keys = sorted(o["Key"] for o in listed)
    assert any(k.endswith("/notice.docx") for k in keys) and any(k.endswith("/dossier.zip") for k in keys)
    assert any("/attachments/" in k for k in keys)
    # Another replica's store (its own directory, nothing shared but the bucket) reads the same files.
    other = open_storage(StorageSettings(directory=str(tmp_path / "other"), s3_bucket=bucket,
                                         s3_endpoint=s3_endpoint))
    dossier = next(k for k in keys if k.endswith("/dossier.zip"))
    assert other.get(dossier)[:2] == b"PK"
