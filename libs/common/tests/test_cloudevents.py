"""CloudEvents binary-mode headers: what a producer writes, a consumer (or an outside system) reads."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.common.v1 import common_pb2
from libs.common.cloudevents import InvalidEvent, from_headers, new_event

NOW = dt.datetime(2026, 11, 26, 1, 2, 3, tzinfo=dt.UTC)


def test_round_trip_through_headers() -> None:
    event = new_event("item.registered", "duban/ledger", "item-1", common_pb2.Actor(name="王芳"), NOW)
    headers = dict(event.headers())
    assert headers["ce_specversion"] == b"1.0" and headers["ce_type"] == b"item.registered"
    assert headers["ce_time"] == b"2026-11-26T01:02:03Z" and headers["content-type"] == b"application/json"
    assert headers["ce_dataschema"] == b"duban.common.v1.Actor"
    back = from_headers(event.headers(), event.data)
    assert back == event
    assert back.decode(common_pb2.Actor()).name == "王芳"
    assert "王芳" in event.data.decode()  # JSON a person can read, not escaped


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([], "missing CloudEvents headers"),
        ([("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"s"), ("ce_time", b"yesterday")], "bad ce_time"),
        ([("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"s"), ("ce_time", b"2026-01-01T00:00:00Z"),
          ("ce_specversion", b"0.3")], "specversion"),
    ],
)
def test_unreadable_records_are_refused(headers, message) -> None:
    with pytest.raises(InvalidEvent, match=message):
        from_headers(headers, b"{}")


def test_bad_payload_is_invalid() -> None:
    event = new_event("x", "s", "subj", common_pb2.Actor(), NOW)
    broken = from_headers(event.headers(), b"{not json")
    with pytest.raises(InvalidEvent):
        broken.decode(common_pb2.Actor())


def test_bad_characters_are_found_in_nested_and_repeated_fields() -> None:
    from duban.ledger.v1 import ledger_pb2
    from libs.common.grpc_server import bad_text_field

    assert bad_text_field(ledger_pb2.RegisterItemRequest(title="ok\n第二行\t制表")) is None
    assert bad_text_field(ledger_pb2.RegisterItemRequest(title="a\x00b")) == "title"
    for bad in ("\x07", "\x1b[31m", "\x0b", "\ufffe"):
        assert bad_text_field(ledger_pb2.RegisterItemRequest(content=f"x{bad}y")) == "content", repr(bad)
    assert bad_text_field(ledger_pb2.RegisterItemRequest(co_units=[ledger_pb2.CoUnit(unit_id="x"),
                                                                   ledger_pb2.CoUnit(duty="\x00")])) == "co_units.duty"
    assert bad_text_field(ledger_pb2.StartImportRequest(content=b"\x00")) is None  # bytes may hold anything


def test_the_gateway_refuses_control_characters_and_lone_surrogates() -> None:
    from services.gateway.present import Reader

    reader = Reader({"title": "响铃\x07", "content": "\ud800", "remarks": "正常\r\n文本"})
    assert (reader.text("title"), reader.text("content"), reader.text("remarks")) == ("", "", "正常\r\n文本")
    assert set(reader.errors) == {"title", "content"}
