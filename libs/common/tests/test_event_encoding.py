"""The fast event encoder writes what json_format writes: same JSON, same message parsed back."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from duban.ledger.v1 import events_pb2 as ledger_events
from duban.tracking.v1 import events_pb2 as tracking_events
from libs.common.cloudevents import FieldsEncoder, _plan, encode, new_event_id

MESSAGES = [
    cls
    for module in (ledger_events, tracking_events)
    for cls in (getattr(module, name) for name in module.DESCRIPTOR.message_types_by_name)
]
INT32 = st.integers(-(2**31), 2**31 - 1)
SCALARS = {
    FieldDescriptor.TYPE_STRING: st.text(max_size=20),
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_INT32: INT32,
    FieldDescriptor.TYPE_SINT32: INT32,
    FieldDescriptor.TYPE_SFIXED32: INT32,
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=False, allow_infinity=False),
}


def _fill(message: Message, data: st.DataObject, depth: int = 0) -> Message:
    for field in message.DESCRIPTOR.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type is not None \
                and field.message_type.full_name == "google.protobuf.Timestamp":
            if data.draw(st.booleans()):
                stamp = getattr(message, field.name)
                stamp.seconds = data.draw(st.integers(-62135596800, 253402300799))
                stamp.nanos = data.draw(st.integers(0, 999_999_999))
            continue
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if depth < 2 and data.draw(st.booleans()):
                target = getattr(message, field.name)
                if field.is_repeated:
                    for _ in range(data.draw(st.integers(0, 2))):
                        _fill(target.add(), data, depth + 1)
                else:
                    _fill(target, data, depth + 1)
            continue
        values = SCALARS.get(field.type, st.nothing())
        if field.type == FieldDescriptor.TYPE_ENUM and field.enum_type is not None:
            values = st.sampled_from([v.number for v in field.enum_type.values])
        if field.is_repeated:
            getattr(message, field.name).extend(data.draw(st.lists(values, max_size=3)))
        else:
            setattr(message, field.name, data.draw(values))
    return message


def test_every_event_message_is_covered() -> None:
    assert len(MESSAGES) >= 10
    fast = [m.DESCRIPTOR.name for m in MESSAGES if _plan(m.DESCRIPTOR) is not None]
    assert {"ItemRegistered", "ItemUpdated", "ItemOverdue", "ItemUrged"} <= set(fast)  # the fast path is exercised


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(MESSAGES), st.data())
def test_encoding_matches_json_format(cls, data) -> None:
    message = _fill(cls(), data)
    ours = encode(message)
    reference = json_format.MessageToJson(message, preserving_proto_field_name=True, indent=None, ensure_ascii=False)
    assert json.loads(ours) == json.loads(reference)
    assert json_format.Parse(ours, cls()) == message


def test_event_ids_are_version_4_uuids() -> None:
    import uuid

    ids = {new_event_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in list(ids)[:50]:
        parsed = uuid.UUID(value)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == value


FLAT = [cls for cls in MESSAGES if cls.DESCRIPTOR.name in {"ItemOverdue", "ItemUrged"}]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(FLAT), st.data())
def test_fields_encoder_writes_what_the_message_encodes(cls, data) -> None:
    message = _fill(cls(), data)
    values = {f.name: (list(getattr(message, f.name)) if f.is_repeated else getattr(message, f.name))
              for f in cls.DESCRIPTOR.fields}
    ours = FieldsEncoder(cls)(**values)
    assert json.loads(ours) == json.loads(encode(message))  # defaults left out as proto3 JSON does
    assert json_format.Parse(ours, cls()) == message


def test_fields_encoder_checks_what_the_constructor_checks() -> None:
    overdue = FieldsEncoder(tracking_events.ItemOverdue)
    assert overdue.dataschema == "duban.tracking.v1.ItemOverdue"
    with pytest.raises(ValueError, match="no field 'due'"):
        overdue(due="2026-11-26")
    with pytest.raises(TypeError, match="working_days_late: expected int, got str"):
        overdue(working_days_late="3")
    with pytest.raises(TypeError, match="unit_ids: expected str, got int"):
        overdue(unit_ids=["u1", 2])
    with pytest.raises(ValueError, match="out of range"):
        overdue(working_days_late=2**31)
    with pytest.raises(TypeError, match="encode a message instead"):
        FieldsEncoder(ledger_events.ItemRegistered)  # Timestamps and nested messages take the message path
