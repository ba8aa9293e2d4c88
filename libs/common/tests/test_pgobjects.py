"""The S3-compatible object server on PostgreSQL, spoken to by a real S3 client (boto3), and a private
PostgreSQL cluster started by pgserver."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from libs.common import pgserver
from libs.common.pgobjects import ObjectServer
from libs.common.testing import postgres_database

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def objects_database() -> Iterator[str]:
    with postgres_database("duban_objects") as url:
        yield url


def _client(server: ObjectServer):
    return boto3.client(
        "s3", endpoint_url=f"http://127.0.0.1:{server.server_address[1]}", region_name="us-east-1",
        aws_access_key_id="duban", aws_secret_access_key="duban-embedded",
        # Plain bodies: the broker's client sends no aws-chunked trailing checksums either.
        config=Config(request_checksum_calculation="when_required", s3={"addressing_style": "path"}))


@pytest.fixture(scope="module")
def s3(objects_database: str) -> Iterator:
    server = ObjectServer(objects_database)
    server.start()
    yield _client(server)
    server.shutdown()
    server.server_close()


def _code(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def test_objects_are_written_read_ranged_and_deleted(s3) -> None:
    s3.create_bucket(Bucket="b1")
    etag = s3.put_object(Bucket="b1", Key="a/one.batch", Body=b"0123456789")["ETag"]
    got = s3.get_object(Bucket="b1", Key="a/one.batch")
    assert got["Body"].read() == b"0123456789" and got["ETag"] == etag
    assert s3.get_object(Bucket="b1", Key="a/one.batch", Range="bytes=2-4")["Body"].read() == b"234"
    assert s3.head_object(Bucket="b1", Key="a/one.batch")["ContentLength"] == 10
    s3.copy_object(Bucket="b1", Key="a/two.batch", CopySource={"Bucket": "b1", "Key": "a/one.batch"})
    s3.delete_object(Bucket="b1", Key="a/one.batch")
    assert _code(lambda: s3.get_object(Bucket="b1", Key="a/one.batch")) == "NoSuchKey"
    assert s3.get_object(Bucket="b1", Key="a/two.batch")["Body"].read() == b"0123456789"


def test_conditional_writes_are_what_the_broker_relies_on(s3) -> None:
    first = s3.put_object(Bucket="b2", Key="meta.json", Body=b"{}", IfNoneMatch="*")["ETag"]
    assert _code(lambda: s3.put_object(Bucket="b2", Key="meta.json", Body=b"{}", IfNoneMatch="*")) == "PreconditionFailed"
    second = s3.put_object(Bucket="b2", Key="meta.json", Body=b'{"v":2}', IfMatch=first)["ETag"]
    # A writer holding the old version loses: optimistic concurrency on the broker's metadata.
    assert _code(lambda: s3.put_object(Bucket="b2", Key="meta.json", Body=b'{"v":3}', IfMatch=first)) == "PreconditionFailed"
    assert s3.get_object(Bucket="b2", Key="meta.json")["Body"].read() == b'{"v":2}'
    assert _code(lambda: s3.get_object(Bucket="b2", Key="meta.json", IfNoneMatch=second)) == "304"


def test_listing_pages_and_rolls_up_at_the_delimiter(s3) -> None:
    for key in ("t/p0/r/0001", "t/p0/r/0002", "t/p1/r/0001", "t/p0/watermark.json", "u/x"):
        s3.put_object(Bucket="b3", Key=key, Body=b"x")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="b3", Prefix="t/", PaginationConfig={"PageSize": 2})
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == [
        "t/p0/r/0001", "t/p0/r/0002", "t/p0/watermark.json", "t/p1/r/0001"]
    rolled = s3.list_objects_v2(Bucket="b3", Prefix="t/", Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["t/p0/", "t/p1/"] and "Contents" not in rolled
    s3.delete_objects(Bucket="b3", Delete={"Objects": [{"Key": "u/x"}, {"Key": "t/p1/r/0001"}]})
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="b3", Prefix="u/").get("Contents", [])] == []


def test_a_private_cluster_starts_answers_and_stops() -> None:
    """What `make run` / `make test` do on a laptop with no PostgreSQL running (initdb on first use).
    Under the repository's var/, as there: run as root, the server runs as the postgres user, which
    cannot enter pytest's private temporary directories."""
    where = ROOT / "var" / f"test-pg-{uuid.uuid4().hex[:8]}"
    try:
        _private_cluster_round(where)
    finally:
        shutil.rmtree(where, ignore_errors=True)


def _private_cluster_round(where: Path) -> None:
    with pgserver.private_cluster(where) as admin:
        assert pgserver.answers(admin)
        with pgserver.throwaway_database(admin, "duban_private") as url:
            engine = create_engine(url)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT current_setting('listen_addresses')")).scalar_one() == "127.0.0.1"
            engine.dispose()
    assert not pgserver.answers(admin, timeout=1)
    assert (where / "PG_VERSION").exists()  # kept: the next start reuses it


def test_the_configured_server_must_answer(tmp_path: Path) -> None:
    bad = {pgserver.ADMIN_URL_VARIABLE: "postgresql+psycopg://postgres@127.0.0.1:1/none"}
    with pytest.raises(pgserver.ConfigError, match="does not answer"), pgserver.admin_server(tmp_path, bad):
        pass


def test_listings_come_from_the_keys_the_server_keeps_and_survive_its_restart(s3, objects_database) -> None:
    """Listings are served from the server's own sorted copy of the keys (the broker lists a partition on
    every fetch): a restarted server loads them from the database, in S3's code-point order."""
    keys = [f"log/r/{n:05d}.batch" for n in range(250)] + ["log/r/\u00e9", "log/r/Z", "log/s"]
    for key in keys:
        s3.put_object(Bucket="b4", Key=key, Body=b"x")
    s3.delete_object(Bucket="b4", Key="log/r/00007.batch")
    expected = sorted(k for k in keys if k.startswith("log/r/") and k != "log/r/00007.batch")
    again = ObjectServer(objects_database)  # a second server on the same database: what a restart sees
    again.start()
    try:
        for client in (s3, _client(again)):
            pages = list(client.get_paginator("list_objects_v2").paginate(Bucket="b4", Prefix="log/r/",
                                                                              PaginationConfig={"PageSize": 100}))
            assert [o["Key"] for page in pages for o in page.get("Contents", [])] == expected
            assert [page["KeyCount"] for page in pages] == [100, 100, 51]
            after = client.list_objects_v2(Bucket="b4", Prefix="log/r/", StartAfter="log/r/00248.batch")
            assert [o["Key"] for o in after["Contents"]] == ["log/r/00249.batch", "log/r/Z", "log/r/\u00e9"]
    finally:
        again.shutdown()
        again.server_close()
