"""CloudEvents 1.0 in Kafka binary mode: attributes as `ce_*` headers, the value is proto3-JSON."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf.message import Message

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class InvalidEvent(ValueError):
    """A record that is not a CloudEvent we can read; it goes to the dead-letter topic."""


@dataclass(frozen=True)
class CloudEvent:
    id: str
    type: str
    source: str
    subject: str
    time: dt.datetime
    data: bytes
    dataschema: str = ""

    def headers(self) -> list[tuple[str, bytes]]:
        pairs = [
            ("ce_specversion", SPEC_VERSION),
            ("ce_id", self.id),
            ("ce_type", self.type),
            ("ce_source", self.source),
            ("ce_subject", self.subject),
            ("ce_time", self.time.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")),
            ("content-type", CONTENT_TYPE),
        ]
        if self.dataschema:
            pairs.append(("ce_dataschema", self.dataschema))
        return [(k, v.encode()) for k, v in pairs]

    def decode(self, message: Message) -> Message:
        """Parse the JSON value into `message` (unknown fields are tolerated: producers may be newer)."""
        try:
            json_format.Parse(self.data, message, ignore_unknown_fields=True)
        except json_format.ParseError as exc:
            raise InvalidEvent(f"{self.type} {self.id}: {exc}") from None
        return message


def new_event(
    type_: str, source: str, subject: str, message: Message, now: dt.datetime, event_id: str | None = None
) -> CloudEvent:
    data = json_format.MessageToJson(
        message, preserving_proto_field_name=True, indent=None, ensure_ascii=False
    ).encode()
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        type=type_,
        source=source,
        subject=subject,
        time=now,
        data=data,
        dataschema=message.DESCRIPTOR.full_name,
    )


def from_headers(headers: list[tuple[str, bytes]] | None, value: bytes | None) -> CloudEvent:
    found = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in (headers or [])}
    missing = [k for k in ("ce_id", "ce_type", "ce_source", "ce_time") if not found.get(k)]
    if missing:
        raise InvalidEvent(f"missing CloudEvents headers: {', '.join(missing)}")
    if found.get("ce_specversion", SPEC_VERSION) != SPEC_VERSION:
        raise InvalidEvent(f"unsupported ce_specversion {found['ce_specversion']}")
    try:
        time = dt.datetime.fromisoformat(found["ce_time"].replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent(f"bad ce_time {found['ce_time']!r}") from None
    return CloudEvent(
        id=found["ce_id"],
        type=found["ce_type"],
        source=found["ce_source"],
        subject=found.get("ce_subject", ""),
        time=time,
        data=value or b"",
        dataschema=found.get("ce_dataschema", ""),
    )
