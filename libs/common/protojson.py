"""Protobuf messages as JSON objects, fast: what the gateway answers for every service message.

`to_dict(message)` is exactly `json_format.MessageToDict(message, preserving_proto_field_name=True,
always_print_fields_with_no_presence=True)` - proto field names, implicit-presence fields printed with
their defaults, fields with presence (messages, `optional`, oneof members) only when set, enums by
name, 64-bit integers and bytes (base64) as strings, Timestamps in RFC 3339 - but MessageToDict walks
the descriptors of every field of every message, which made it more than half of a list request's
time. Here each message type gets a plan once: its plain fields (strings, booleans, 32-bit integers
without presence) are read in one C call, the others field by field, each with its way of being
written. Well-known types other than Timestamp (wrappers, Struct, Any, Duration...) and anything the
plan does not expect are handed to json_format itself, so the output never differs (a property test
compares the two over random messages of every type the gateway answers with).

`dumps(obj)` writes the JSON as Flask's provider did (sorted keys, compact, non-ASCII as is) with orjson.
"""

from __future__ import annotations

import base64
import math
import operator
import threading
from collections.abc import Callable
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.internal import type_checkers
from google.protobuf.message import Message

__all__ = ["dumps", "to_dict"]

_OPTIONS: dict[str, Any] = {"preserving_proto_field_name": True, "always_print_fields_with_no_presence": True}

# How a value is written. SAME: the Python value is already its JSON (strings, booleans, 32-bit integers).
SAME, TEXT, MESSAGE, TIMESTAMP, OTHER, MAP = range(6)
_INT64 = frozenset({FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64})
_FLOATS = frozenset({FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE})
_SAME = frozenset({FieldDescriptor.CPPTYPE_BOOL, FieldDescriptor.CPPTYPE_INT32, FieldDescriptor.CPPTYPE_UINT32})

Writer = Callable[[Any], Any]


class _Plan:
    """One message type: its plain fields (implicit presence, written as they are: strings, booleans,
    32-bit integers) read in one `attrgetter` call, and the other fields one by one."""

    __slots__ = ("get_plain", "plain", "rest", "whole")

    def __init__(self) -> None:
        self.plain: tuple[str, ...] = ()
        self.get_plain: Callable[[Message], tuple[Any, ...]] = lambda message: ()
        # (name, kind, writer, repeated, has presence)
        self.rest: tuple[tuple[str, int, Any, bool, bool], ...] = ()
        self.whole = False  # a well-known type, or one with extensions: json_format writes it


_PLANS: dict[Descriptor, _Plan] = {}  # complete plans only: read without the lock
_BUILDING: dict[Descriptor, _Plan] = {}  # plans being made (a recursive type meets its own)
_LOCK = threading.RLock()


def _enum_writer(field: FieldDescriptor) -> Writer:
    enum = field.enum_type
    assert enum is not None
    if enum.full_name == "google.protobuf.NullValue":
        return lambda value: None
    # json_format's own answer for each known number (names, or a json_name option if one is set).
    names = {}
    for value in enum.values:
        printed = json_format.MessageToDict(_probe(field, value.number), **_OPTIONS)[field.name]
        names[value.number] = printed[0] if field.is_repeated else printed

    def write(value: int) -> Any:
        try:
            return names[value]
        except KeyError:
            if enum.is_closed:
                raise json_format.SerializeToJsonError(
                    "Enum field contains an integer value which can not mapped to an enum value.") from None
            return value

    return write


def _probe(field: FieldDescriptor, number: int) -> Message:
    """A message of the field's type with only that enum field set (so json_format names the value)."""
    from google.protobuf import message_factory

    assert field.containing_type is not None
    message = message_factory.GetMessageClass(field.containing_type)()
    if field.is_repeated:
        getattr(message, field.name).append(number)
    elif field.containing_oneof is None and not field.has_presence and number == 0:
        # An implicit-presence field left at 0 is printed from its default, which is the same name.
        pass
    else:
        setattr(message, field.name, number)
    return message


def _float_writer(field: FieldDescriptor) -> Writer:
    single = field.cpp_type == FieldDescriptor.CPPTYPE_FLOAT

    def write(value: float) -> Any:
        if math.isinf(value):
            return "-Infinity" if value < 0.0 else "Infinity"
        if math.isnan(value):
            return "NaN"
        return type_checkers.ToShortestFloat(value) if single else value

    return write


def _bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("utf-8")


def _scalar(field: FieldDescriptor) -> tuple[int, Writer | None]:
    """(kind, writer) of a non-message value of `field`."""
    cpp = field.cpp_type
    if cpp == FieldDescriptor.CPPTYPE_STRING:
        return (TEXT, _bytes) if field.type == FieldDescriptor.TYPE_BYTES else (SAME, None)
    if cpp in _SAME:
        return SAME, None
    if cpp in _INT64:
        return TEXT, str
    if cpp in _FLOATS:
        return TEXT, _float_writer(field)
    return TEXT, _enum_writer(field)


def _write_value(kind: int, writer: Any, value: Any) -> Any:
    if kind == SAME:
        return value
    if kind == MESSAGE:
        return _write(writer, value)
    if kind == TIMESTAMP:
        return value.ToJsonString()
    if kind == OTHER:
        return json_format.MessageToDict(value, **_OPTIONS)
    return writer(value)


def _message_kind(descriptor: Descriptor) -> tuple[int, Any]:
    if descriptor.full_name == "google.protobuf.Timestamp":
        return TIMESTAMP, None
    if descriptor.full_name.startswith("google.protobuf."):
        return OTHER, None
    return MESSAGE, plan_for(descriptor)


def plan_for(descriptor: Any) -> _Plan:  # a Descriptor (upb's or python's)
    """The plan of one message type, made on first use (recursive types refer to their own plan).
    Plans are published only when complete, so another thread never writes from half a plan."""
    plan = _PLANS.get(descriptor)
    if plan is not None:
        return plan
    with _LOCK:
        plan = _PLANS.get(descriptor) or _BUILDING.get(descriptor)
        if plan is not None:
            return plan
        outermost = not _BUILDING
        plan = _BUILDING[descriptor] = _Plan()
        if descriptor.full_name.startswith("google.protobuf."):
            plan.whole = True
        else:
            try:
                _fill(plan, descriptor)
            except Exception:  # noqa: BLE001 - a type the plan cannot describe is written by json_format
                plan.whole = True
        if outermost:
            _PLANS.update(_BUILDING)
            _BUILDING.clear()
        return plan


def _fill(plan: _Plan, descriptor: Descriptor) -> None:
    if descriptor.extension_ranges:  # extensions are not fields: only ListFields (json_format) sees them
        plan.whole = True
        return
    plain, rest = [], []
    for field in descriptor.fields:
        message_type = field.message_type if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE else None
        if message_type is not None and message_type.GetOptions().map_entry:
            value_field = message_type.fields_by_name["value"]
            if value_field.message_type is not None:
                kind, writer = _message_kind(value_field.message_type)
            else:
                kind, writer = _scalar(value_field)
            key_field = message_type.fields_by_name["key"]
            rest.append((field.name, MAP, (kind, writer, key_field.type == FieldDescriptor.TYPE_BOOL), False, False))
            continue
        if message_type is not None:
            kind, writer = _message_kind(message_type)
        else:
            kind, writer = _scalar(field)
        if kind == SAME and not field.is_repeated and not field.has_presence:
            plain.append(field.name)
        else:
            rest.append((field.name, kind, writer, field.is_repeated, field.has_presence))
    plan.plain, plan.rest = tuple(plain), tuple(rest)
    if len(plain) > 1:
        plan.get_plain = operator.attrgetter(*plain)
    elif plain:
        getter = operator.attrgetter(plain[0])
        plan.get_plain = lambda message: (getter(message),)


def _write_map(spec: tuple[int, Any, bool], value: Any) -> dict[str, Any]:
    kind, writer, bool_keys = spec
    out = {}
    for key in value:
        name = ("true" if key else "false") if bool_keys else str(key)
        out[name] = _write_value(kind, writer, value[key])
    return out


def _write(plan: _Plan, message: Message) -> dict[str, Any]:
    """Implicit-presence fields always (an unset one reads as its default, which is what json_format
    prints for it), fields with presence only when set."""
    if plan.whole:
        return json_format.MessageToDict(message, **_OPTIONS)
    js = dict(zip(plan.plain, plan.get_plain(message), strict=True))
    for name, kind, writer, repeated, presence in plan.rest:
        if presence and not message.HasField(name):
            continue
        value = getattr(message, name)
        if repeated:
            if kind == SAME:
                js[name] = list(value)
            elif kind == MESSAGE:
                js[name] = [_write(writer, v) for v in value]
            else:
                js[name] = [_write_value(kind, writer, v) for v in value]
        elif kind == MESSAGE:
            js[name] = _write(writer, value)
        elif kind == SAME:
            js[name] = value
        elif kind == MAP:
            js[name] = _write_map(writer, value)
        else:
            js[name] = _write_value(kind, writer, value)
    return js


def to_dict(message: Message) -> dict[str, Any]:
    """MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)."""
    try:
        return _write(plan_for(message.DESCRIPTOR), message)
    except Exception:  # noqa: BLE001 - an extension, a bad Timestamp...: json_format answers (or raises) as ever
        return json_format.MessageToDict(message, **_OPTIONS)


_DUMPS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(obj: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact JSON with sorted keys and non-ASCII text as is: json.dumps(obj, sort_keys=True,
    ensure_ascii=False, separators=(",", ":")) for the values the API returns, in C.

    Dates, datetimes and dataclasses go to `default` as they do with json.dumps (Flask writes dates as
    HTTP dates). Raises TypeError (orjson.JSONEncodeError) for what orjson cannot write - integers
    beyond 64 bits, non-string keys - so a caller can fall back to json.dumps.
    """
    return orjson.dumps(obj, default=default, option=_DUMPS)
