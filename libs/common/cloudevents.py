"""CloudEvents 1.0 in Kafka binary mode: attributes as `ce_*` headers, the value is proto3-JSON."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import orjson
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


M = TypeVar("M", bound=Message)


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
    # Where the consumer read it (not CloudEvents attributes, never sent as headers): a reader that keeps
    # what it consumed (the evaluation service's archive) names the record its score came from.
    topic: str = ""
    partition: int = -1
    offset: int = -1

    def header_pairs(self) -> list[tuple[str, str]]:
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
        return pairs

    def headers(self) -> list[tuple[str, bytes]]:
        return [(k, v.encode()) for k, v in self.header_pairs()]

    def decode(self, message: M) -> M:
        """Parse the JSON value into `message` (unknown fields are tolerated: producers may be newer)."""
        try:
            json_format.Parse(self.data, message, ignore_unknown_fields=True)
        except json_format.ParseError as exc:
            raise InvalidEvent(f"{self.type} {self.id}: {exc}") from None
        return message


# Field types whose proto3-JSON form is the Python value itself; 64-bit integers are written as
# strings, Timestamps as RFC 3339 text, nested messages as objects. Enums (names), floats (special
# values, float32 rounding), bytes (base64) and other well-known types go the long way (json_format).
_PLAIN_TYPES = frozenset({
    FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BOOL, FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_SFIXED32,
})
_INT64_TYPES = frozenset({
    FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64,
})
PLAIN, INT64, TIMESTAMP, MESSAGE = range(4)
Plan = dict[int, tuple[str, int, bool, object]]  # field number -> (name, kind, repeated, nested plan)


@functools.cache
def _plan(descriptor: Descriptor, depth: int = 0) -> Plan | None:
    """How to encode each field of `descriptor` directly, or None if some field needs json_format."""
    if depth > 8 or descriptor.full_name.startswith("google.protobuf."):
        return None
    plan: Plan = {}
    for f in descriptor.fields:
        message_type = f.message_type if f.type == FieldDescriptor.TYPE_MESSAGE else None
        if f.type in _PLAIN_TYPES:
            plan[f.number] = (f.name, PLAIN, f.is_repeated, None)
        elif f.type in _INT64_TYPES:
            plan[f.number] = (f.name, INT64, f.is_repeated, None)
        elif message_type is not None and message_type.full_name == "google.protobuf.Timestamp":
            plan[f.number] = (f.name, TIMESTAMP, f.is_repeated, None)
        elif message_type is not None and not message_type.GetOptions().map_entry:
            nested = _plan(message_type, depth + 1)
            if nested is None:
                return None
            plan[f.number] = (f.name, MESSAGE, f.is_repeated, nested)
        else:
            return None
    return plan


def _value(kind: int, nested: object, value: object) -> object:
    if kind == PLAIN:
        return value
    if kind == INT64:
        return str(value)
    if kind == TIMESTAMP:
        return value.ToJsonString()  # type: ignore[attr-defined]
    return _body(nested, value)  # type: ignore[arg-type]


def _body(plan: Plan, message: Message) -> dict[str, object]:
    body: dict[str, object] = {}
    for field, value in message.ListFields():
        name, kind, repeated, nested = plan[field.number]
        if repeated:
            body[name] = list(value) if kind == PLAIN else [_value(kind, nested, v) for v in value]
        else:
            body[name] = _value(kind, nested, value)
    return body


def encode(message: Message) -> bytes:
    """proto3 JSON with the proto field names, as json_format.MessageToJson writes it (compact).

    Messages of strings, booleans, integers, Timestamps and nested such messages - every event this
    system writes, the sweep's by the tens of thousands - are encoded straight from their set fields,
    many times cheaper than json_format; anything else goes through json_format. Both parse back to
    the same message (a property test holds them equal).
    """
    plan = _plan(message.DESCRIPTOR)
    if plan is None:
        return json_format.MessageToJson(
            message, preserving_proto_field_name=True, indent=None, ensure_ascii=False
        ).encode()
    return orjson.dumps(_body(plan, message))


_PYTHON_TYPES = {FieldDescriptor.TYPE_STRING: str, FieldDescriptor.TYPE_BOOL: bool}
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
}


class FieldsEncoder:
    """proto3-JSON of one flat event type straight from keyword values, for jobs that write tens of
    thousands of one event (the sweep): no message object per event, same bytes as `encode`.

    Only strings, booleans and 32-bit integers, single or repeated, without explicit presence; any
    other field type is refused when the encoder is made, at import. Values are checked as the message
    constructor checks them (unknown names, wrong types, integers out of range raise), and defaults are
    left out as proto3 JSON leaves them out.
    """

    def __init__(self, message_class: type[Message]) -> None:
        descriptor = message_class.DESCRIPTOR
        self.dataschema = descriptor.full_name
        self._fields: dict[str, tuple[type, tuple[int, int] | None, bool]] = {}
        for f in descriptor.fields:
            if f.type not in _PYTHON_TYPES and f.type not in _INT_RANGES or f.has_presence:
                raise TypeError(f"{descriptor.full_name}.{f.name}: only strings, booleans and 32-bit integers "
                                "without presence take this path; encode a message instead")
            if f.type in _PYTHON_TYPES:
                self._fields[f.name] = (_PYTHON_TYPES[f.type], None, f.is_repeated)
            else:
                self._fields[f.name] = (int, _INT_RANGES[f.type], f.is_repeated)

    def _check(self, name: str, value: object, kind: type, bounds: tuple[int, int] | None) -> None:
        if type(value) is not kind:
            raise TypeError(f"{self.dataschema}.{name}: expected {kind.__name__}, got {type(value).__name__}")
        if bounds is not None and not bounds[0] <= value <= bounds[1]:  # type: ignore[operator]
            raise ValueError(f"{self.dataschema}.{name}: {value} out of range")

    def __call__(self, **values: object) -> bytes:
        body: dict[str, object] = {}
        for name, value in values.items():
            try:
                kind, bounds, repeated = self._fields[name]
            except KeyError:
                raise ValueError(f"{self.dataschema} has no field {name!r}") from None
            if repeated:
                items = list(value)  # type: ignore[call-overload]
                for item in items:
                    self._check(name, item, kind, bounds)
                if items:
                    body[name] = items
            else:
                self._check(name, value, kind, bounds)
                if value:
                    body[name] = value
        return orjson.dumps(body)


def new_event_id() -> str:
    """A random (version 4) UUID as text, without building a uuid.UUID."""
    return new_event_ids(1)[0]


def new_event_ids(count: int) -> list[str]:
    """`count` random (version 4) UUIDs as text from one read of the system's random source."""
    random = os.urandom(16 * count)
    ids = []
    for i in range(0, 16 * count, 16):
        h = bytearray(random[i:i + 16])
        h[6] = (h[6] & 0x0F) | 0x40
        h[8] = (h[8] & 0x3F) | 0x80
        x = h.hex()
        ids.append(f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}")
    return ids


def new_event(
    type_: str, source: str, subject: str, message: Message, now: dt.datetime, event_id: str | None = None
) -> CloudEvent:
    return CloudEvent(
        id=event_id or new_event_id(),
        type=type_,
        source=source,
        subject=subject,
        time=now,
        data=encode(message),
        dataschema=message.DESCRIPTOR.full_name,
    )


# Record headers as a Kafka client hands them over (confluent-kafka's HeadersType): pairs, or a dict.
KafkaHeaders = Sequence[tuple[str, str | bytes | None]] | Mapping[str, str | bytes | None]


def header_pairs(headers: KafkaHeaders | None) -> list[tuple[str, str | bytes | None]]:
    """The headers of a record as (key, value) pairs, in order."""
    if headers is None:
        return []
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


def from_headers(headers: KafkaHeaders | None, value: bytes | None, topic: str = "", partition: int = -1,
                 offset: int = -1) -> CloudEvent:
    found = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in header_pairs(headers)}
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
        topic=topic,
        partition=partition,
        offset=offset,
    )
