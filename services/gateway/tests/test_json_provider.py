"""The gateway's orjson provider answers with the bytes Flask's default provider wrote (compact, sorted
keys, non-ASCII as is, a final newline), for API bodies and for what json.dumps handles via `default`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, cast

import pytest
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from duban.ledger.v1 import ledger_pb2
from services.gateway.present import JSONProvider, to_json


@dataclasses.dataclass
class Point:
    when: dt.date
    name: str


def _apps() -> tuple[Flask, Flask]:
    fast, slow = Flask("fast"), Flask("slow")
    fast.json = JSONProvider(fast)
    slow.json = DefaultJSONProvider(slow)
    for app in (fast, slow):
        app.json.ensure_ascii = False  # type: ignore[attr-defined]
    return fast, slow


FAST, SLOW = _apps()


def _same(obj: Any) -> bytes:
    with FAST.app_context():
        ours = cast(Response, FAST.json.response(obj))
    with SLOW.app_context():
        theirs = cast(Response, SLOW.json.response(obj))
    assert ours.get_data() == theirs.get_data()
    assert ours.mimetype == theirs.mimetype == "application/json"
    return ours.get_data()


@pytest.mark.parametrize("obj", [
    {"items": [to_json(ledger_pb2.Item(id="1", title="事项 \"引号\" \\ \n\t\x01", working_days_left=-3))],
     "next_page_token": "", "total_size": 0},
    {"b": 1, "a": [True, False, None], "c": {"z": "中文", "y": "\u2028\u2029"}},
    {"when": dt.date(2026, 11, 26), "at": dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)},
    {"point": Point(dt.date(2026, 1, 2), "甲"), "id": uuid.UUID(int=5), "n": Decimal("1.50")},
    {"html": Markup("<b>粗</b>")},
    {"big": 2**70},  # beyond 64 bits: the default provider's json.dumps writes it
    [1, "two", {"three": 3}],
])
def test_same_bytes_as_flasks_provider(obj: Any) -> None:
    _same(obj)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
                    | st.text(st.characters(codec="utf-8")),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.text(st.characters(codec="utf-8"), max_size=5), inner, max_size=4),
                    max_leaves=12))
def test_same_bytes_for_any_json_body(obj: Any) -> None:
    _same(obj)


def test_debug_mode_keeps_the_indented_answer() -> None:
    app = Flask("debug")
    app.json = JSONProvider(app)
    app.json.ensure_ascii = False
    app.debug = True
    with app.app_context():
        assert cast(Response, app.json.response({"a": 1})).get_data() == b'{\n  "a": 1\n}\n'
