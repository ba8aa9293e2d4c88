"""A whole file as the stream of duban.common.v1.FileChunk every GetDocument answers with: the first
chunk names it, the others carry bytes only (each under gRPC's message limit)."""

from __future__ import annotations

from collections.abc import Iterator

from duban.common.v1 import common_pb2

CHUNK = 1024 * 1024


def file_chunks(filename: str, content_type: str, data: bytes) -> Iterator[common_pb2.FileChunk]:
    for offset in range(0, max(len(data), 1), CHUNK):
        first = offset == 0
        yield common_pb2.FileChunk(filename=filename if first else "", content_type=content_type if first else "",
                                   data=data[offset:offset + CHUNK])
