"""protojson.to_dict is json_format.MessageToDict (proto names, fields without presence printed), and
protojson.dumps writes what json.dumps(sort_keys=True, ensure_ascii=False, compact) writes: random
messages of every type the services answer with, and of a test type with every kind of field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common import protojson

OPTIONS: dict[str, Any] = {"preserving_proto_field_name": True, "always_print_fields_with_no_presence": True}
F = descriptor_pb2.FieldDescriptorProto


def _all_messages(file_descriptor: Any) -> list[Descriptor]:
    found: list[Descriptor] = []

    def walk(d: Descriptor) -> None:
        if not d.GetOptions().map_entry:
            found.append(d)
        for nested in d.nested_types:
            walk(nested)

    for d in file_descriptor.message_types_by_name.values():
        walk(d)
    return found


SERVICE_TYPES = [d for module in (common_pb2, ledger_pb2, tracking_pb2) for d in _all_messages(module.DESCRIPTOR)]


def _field(name: str, number: int, kind: int, repeated: bool = False, type_name: str = "",
           oneof: int | None = None, proto3_optional: bool = False, default: str | None = None) -> F:
    f = F(name=name, number=number, type=kind, label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)  # type: ignore[arg-type]
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof
    if proto3_optional:
        f.proto3_optional = True
    if default is not None:
        f.default_value = default
    return f


def _test_types() -> list[Descriptor]:
    """A proto3 message with every kind of field (maps, oneofs, optionals, enums, floats, well-known
    types, recursion) and a proto2 one (closed enum, defaults), built at run time."""
    from google.protobuf import duration_pb2, struct_pb2, timestamp_pb2, wrappers_pb2

    pool = descriptor_pool.DescriptorPool()
    for module in (timestamp_pb2, duration_pb2, wrappers_pb2, struct_pb2):
        proto = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(proto)
        pool.Add(proto)
    p3 = descriptor_pb2.FileDescriptorProto(
        name="duban/test/every.proto", package="duban.test", syntax="proto3",
        dependency=["google/protobuf/timestamp.proto", "google/protobuf/duration.proto",
                    "google/protobuf/wrappers.proto", "google/protobuf/struct.proto"])
    colour = p3.enum_type.add(name="Colour")
    for i, name in enumerate(("COLOUR_UNSPECIFIED", "RED", "GREEN")):
        colour.value.add(name=name, number=i)
    inner = p3.message_type.add(name="Inner")
    inner.field.extend([_field("s", 1, F.TYPE_STRING), _field("n", 2, F.TYPE_INT64),
                        _field("child", 3, F.TYPE_MESSAGE, type_name=".duban.test.Inner"),
                        _field("colours", 4, F.TYPE_ENUM, True, ".duban.test.Colour")])
    every = p3.message_type.add(name="Every")
    scalars = [("s", F.TYPE_STRING), ("b", F.TYPE_BYTES), ("flag", F.TYPE_BOOL), ("i32", F.TYPE_INT32),
               ("si32", F.TYPE_SINT32), ("u32", F.TYPE_UINT32), ("f32", F.TYPE_FIXED32), ("sf32", F.TYPE_SFIXED32),
               ("i64", F.TYPE_INT64), ("si64", F.TYPE_SINT64), ("u64", F.TYPE_UINT64), ("f64", F.TYPE_FIXED64),
               ("sf64", F.TYPE_SFIXED64), ("fl", F.TYPE_FLOAT), ("db", F.TYPE_DOUBLE)]
    number = 0
    for name, kind in scalars:
        number += 1
        every.field.append(_field(name, number, kind))
        every.field.append(_field(name + "_list", number + 100, kind, repeated=True))
    every.field.append(_field("colour", 20, F.TYPE_ENUM, type_name=".duban.test.Colour"))
    every.field.append(_field("colour_list", 120, F.TYPE_ENUM, True, ".duban.test.Colour"))
    every.oneof_decl.add(name="choice")  # real oneofs first, then the synthetic ones of `optional`
    choice = 0
    for i, (name, kind, type_name) in enumerate((("opt_s", F.TYPE_STRING, ""), ("opt_i", F.TYPE_INT32, ""),
                                                 ("opt_colour", F.TYPE_ENUM, ".duban.test.Colour"))):
        every.oneof_decl.add(name="_" + name)
        every.field.append(_field(name, 21 + i, kind, type_name=type_name, oneof=i + 1, proto3_optional=True))
    every.field.extend([
        _field("choice_s", 30, F.TYPE_STRING, oneof=choice),
        _field("choice_inner", 31, F.TYPE_MESSAGE, type_name=".duban.test.Inner", oneof=choice),
        _field("choice_n", 32, F.TYPE_INT64, oneof=choice),
        _field("choice_colour", 33, F.TYPE_ENUM, type_name=".duban.test.Colour", oneof=choice),
        _field("inner", 40, F.TYPE_MESSAGE, type_name=".duban.test.Inner"),
        _field("inners", 41, F.TYPE_MESSAGE, True, ".duban.test.Inner"),
        _field("at", 42, F.TYPE_MESSAGE, type_name=".google.protobuf.Timestamp"),
        _field("ats", 43, F.TYPE_MESSAGE, True, ".google.protobuf.Timestamp"),
        _field("took", 44, F.TYPE_MESSAGE, type_name=".google.protobuf.Duration"),
        _field("wrapped", 45, F.TYPE_MESSAGE, type_name=".google.protobuf.StringValue"),
        _field("wrapped_long", 46, F.TYPE_MESSAGE, type_name=".google.protobuf.Int64Value"),
        _field("extra", 47, F.TYPE_MESSAGE, type_name=".google.protobuf.Struct"),
        _field("value", 48, F.TYPE_MESSAGE, type_name=".google.protobuf.Value"),
    ])
    maps = (("labels", F.TYPE_STRING, F.TYPE_STRING, ""), ("by_number", F.TYPE_INT32, F.TYPE_MESSAGE, ".duban.test.Inner"),
            ("flags", F.TYPE_BOOL, F.TYPE_INT64, ""), ("colours", F.TYPE_STRING, F.TYPE_ENUM, ".duban.test.Colour"),
            ("blobs", F.TYPE_UINT64, F.TYPE_BYTES, ""),
            ("stamps", F.TYPE_STRING, F.TYPE_MESSAGE, ".google.protobuf.Timestamp"))
    for i, (name, key, value, type_name) in enumerate(maps):
        entry = every.nested_type.add(name=name.title().replace("_", "") + "Entry")
        entry.options.map_entry = True
        entry.field.extend([_field("key", 1, key), _field("value", 2, value, type_name=type_name)])
        every.field.append(_field(name, 60 + i, F.TYPE_MESSAGE, True, f".duban.test.Every.{entry.name}"))
    pool.Add(p3)
    p2 = descriptor_pb2.FileDescriptorProto(name="duban/test/legacy.proto", package="duban.test2", syntax="proto2")
    shade = p2.enum_type.add(name="Shade")
    for i, name in enumerate(("LIGHT", "DARK")):
        shade.value.add(name=name, number=i + 1)
    legacy = p2.message_type.add(name="Legacy")
    legacy.field.extend([_field("name", 1, F.TYPE_STRING, default="无名"), _field("shade", 2, F.TYPE_ENUM,
                         type_name=".duban.test2.Shade", default="DARK"), _field("ns", 3, F.TYPE_INT32, True),
                         _field("child", 4, F.TYPE_MESSAGE, type_name=".duban.test2.Legacy"),
                         _field("count", 5, F.TYPE_UINT64, default="7")])
    pool.Add(p2)
    return [pool.FindMessageTypeByName("duban.test.Every"), pool.FindMessageTypeByName("duban.test2.Legacy")]


TEST_TYPES = _test_types()

TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
INTS: dict[int, tuple[int, int]] = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1), F.TYPE_SINT32: (-(2**31), 2**31 - 1), F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1), F.TYPE_FIXED32: (0, 2**32 - 1),
    F.TYPE_INT64: (-(2**63), 2**63 - 1), F.TYPE_SINT64: (-(2**63), 2**63 - 1), F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1), F.TYPE_FIXED64: (0, 2**64 - 1),
}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6)


def _wkt(descriptor: Any) -> st.SearchStrategy[Message] | None:
    cls = message_factory.GetMessageClass(descriptor)
    name = descriptor.full_name
    if name == "google.protobuf.Timestamp":
        return st.builds(cls, seconds=st.integers(-62135596800, 253402300799) | st.sampled_from([0, 1764547200]),
                         nanos=st.sampled_from([0, 1000000, 123000, 7]) | st.integers(0, 999999999))
    if name == "google.protobuf.Duration":
        return st.builds(cls, seconds=st.integers(-10**6, 10**6), nanos=st.integers(0, 999999999))
    if name == "google.protobuf.StringValue":
        return st.builds(cls, value=TEXT)
    if name == "google.protobuf.Int64Value":
        return st.builds(cls, value=st.integers(-(2**63), 2**63 - 1))
    if name in ("google.protobuf.Struct", "google.protobuf.Value"):
        def filled(value: Any) -> Message:
            message: Any = cls()
            if name == "google.protobuf.Struct":
                message.update({"v": value})
            else:
                json_format.ParseDict(value, message)
            return message
        return JSON_VALUES.map(filled)
    return None


def _value(field: Any, depth: int) -> st.SearchStrategy[Any]:
    if field.type == F.TYPE_MESSAGE:
        return messages(field.message_type, depth + 1)
    if field.type == F.TYPE_ENUM:
        known = st.sampled_from([v.number for v in field.enum_type.values])
        return known if field.enum_type.is_closed else known | st.integers(-3, 9)
    if field.type == F.TYPE_STRING:
        return TEXT
    if field.type == F.TYPE_BYTES:
        return st.binary(max_size=10)
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type == F.TYPE_FLOAT:
        return st.floats(width=32)
    if field.type == F.TYPE_DOUBLE:
        return st.floats()
    low, high = INTS[field.type]
    return st.sampled_from([0, low, high]) | st.integers(low, high)


def _set(message: Message, field: Any, value: Any) -> None:
    target = getattr(message, field.name)
    if field.type == F.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
        value_field = field.message_type.fields_by_name["value"]
        for key, item in value.items():
            if value_field.type == F.TYPE_MESSAGE:
                target[key].CopyFrom(item)
            else:
                target[key] = item
    elif field.is_repeated:
        if field.type == F.TYPE_MESSAGE:
            for item in value:
                target.add().CopyFrom(item)
        else:
            target.extend(value)
    elif field.type == F.TYPE_MESSAGE:
        target.SetInParent()
        target.CopyFrom(value)
    else:
        setattr(message, field.name, value)


def messages(descriptor: Any, depth: int = 0) -> st.SearchStrategy[Message]:
    wkt = _wkt(descriptor)
    if wkt is not None:
        return wkt
    cls = message_factory.GetMessageClass(descriptor)
    if depth > 2:
        return st.just(cls())
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.type == F.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
            entry = field.message_type
            optional[field.name] = st.dictionaries(_value(entry.fields_by_name["key"], depth),
                                                   _value(entry.fields_by_name["value"], depth), max_size=3)
        elif field.is_repeated:
            optional[field.name] = st.lists(_value(field, depth), max_size=3)
        else:
            optional[field.name] = _value(field, depth)

    def build(values: dict[str, Any]) -> Message:
        message = cls()
        for name, value in values.items():
            _set(message, descriptor.fields_by_name[name], value)
        return message

    return st.fixed_dictionaries({}, optional=optional).map(build)


def _same(message: Message) -> dict[str, Any] | None:
    """to_dict equals MessageToDict, value for value and type for type (1 is not 1.0 nor True, -0.0 is
    not 0.0: compared as json.dumps writes them); or both raise the same error."""
    try:
        expected = json_format.MessageToDict(message, **OPTIONS)
    except Exception as error:  # noqa: BLE001 - what json_format refuses, to_dict must refuse too
        with pytest.raises(type(error)):
            protojson.to_dict(message)
        return None
    # The plan itself, not to_dict's fall-back to json_format, must give it.
    actual = protojson._write(protojson.plan_for(message.DESCRIPTOR), message)
    assert json.dumps(actual, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert actual == expected == protojson.to_dict(message)
    return actual


# Every field kind is drawn 150 times below; here each answer type needs fewer (they share their nested
# messages, and there are more of them with every service: at 60 each this test took two minutes of CI).
@pytest.mark.parametrize("descriptor", SERVICE_TYPES, ids=lambda d: d.full_name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_service_messages_as_json_format_writes_them(descriptor: Descriptor, data: st.DataObject) -> None:
    actual = _same(data.draw(messages(descriptor)))
    assert actual is not None
    # The bytes the gateway answers with: json.dumps as Flask's provider called it, compact.
    expected = json.dumps({"items": [actual], "next_page_token": "", "total_size": 3}, sort_keys=True,
                          ensure_ascii=False, separators=(",", ":"))
    assert protojson.dumps({"items": [actual], "next_page_token": "", "total_size": 3}) == expected.encode()


@pytest.mark.parametrize("descriptor", TEST_TYPES, ids=lambda d: d.full_name)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_kind_of_field_as_json_format_writes_it(descriptor: Descriptor, data: st.DataObject) -> None:
    _same(data.draw(messages(descriptor)))


def test_unset_messages_and_defaults() -> None:
    for descriptor in SERVICE_TYPES + TEST_TYPES:
        assert not protojson.plan_for(descriptor).whole, descriptor.full_name  # written from a plan
        _same(message_factory.GetMessageClass(descriptor)())
    item = ledger_pb2.Item(id="x", working_days_left=0)
    assert protojson.to_dict(item)["working_days_left"] == 0 and "responsible_leader" not in protojson.to_dict(item)
    assert protojson.to_dict(ledger_pb2.Item())["units"] == []


@given(st.text(max_size=30).filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)))
def test_text_is_escaped_as_json_dumps_escapes_it(text: str) -> None:
    body = {"a": text, "b": [text, {"c": text}], text: 1}
    expected = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert protojson.dumps(body) == expected


def test_control_characters_and_specials() -> None:
    text = "".join(chr(c) for c in range(0x20)) + '"\\/<>&\u2028\u2029\x7f中文'
    assert protojson.dumps({"t": text}) == json.dumps({"t": text}, ensure_ascii=False, separators=(",", ":")).encode()
