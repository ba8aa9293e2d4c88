"""消息 through the portal: an urge tracking publishes reaches the item's responsible person's inbox, the
REST calls and the page show it with names, the header counts it for every role, and nobody else reads
or marks it (404)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2 as tracking_events
from libs.common import topics
from libs.common.clock import OFFICE_TZ
from services.gateway.tests.conftest import USERS, Portal
from services.notification.orm import KnownItem
from services.notification.tests.conftest import OFFICE, Upstream


def _wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def urged(portal: Portal, broker) -> ledger_pb2.Item:
    """陈静 (fgj, person st-chen) answers for an item that the office urged by phone."""
    portal.add_user("chen", "unit_staff", "fgj", "st-chen")
    item = portal.ledger.stub.RegisterItem(ledger_pb2.RegisterItemRequest(
        title="完成重大项目年度投资计划调度", source="work_report", category="complex", lead_unit_id="fgj",
        responsible_leader_id="ld-li", responsible_person_id="st-chen", actor=OFFICE), timeout=10).item
    app = portal.notification
    assert app is not None

    def known() -> bool:
        with app.uow.read() as tx:
            row = tx.session.get(KnownItem, item.id)
            return row is not None and bool(row.item_no)

    _wait(known)
    at = dt.datetime(2026, 11, 26, 10, 0, tzinfo=OFFICE_TZ)
    Upstream(broker.bootstrap).send(topics.TRACKING_EVENTS, "tracking", "item.urged", item.id, tracking_events.ItemUrged(
        item_id=item.id, item_no=item.item_no, unit_id="fgj", reason="office", text="电话督办：请于本周五前报送投资完成情况"), at)
    client = portal.client()
    _wait(lambda: any(m["item_id"] == item.id for m in client.get(
        "/api/v1/messages", headers=portal.headers("chen")).get_json()["messages"]))
    return item


def _mine(portal: Portal, username: str, item_id: str) -> list[dict]:
    reply = portal.client().get("/api/v1/messages", headers=portal.headers(username))
    assert reply.status_code == 200, reply.data
    return [m for m in reply.get_json()["messages"] if m["item_id"] == item_id]


def test_the_responsible_persons_inbox_over_rest(portal: Portal, urged: ledger_pb2.Item) -> None:
    reply = portal.client().get("/api/v1/messages?unread_only=true&page_size=10", headers=portal.headers("chen"))
    body = reply.get_json()
    assert reply.status_code == 200 and body["unread_count"] >= 1 and body["total_size"] == body["unread_count"]
    m = next(m for m in body["messages"] if m["item_id"] == urged.id)
    assert m["cause"] == "item_urged" and m["recipient_name"] == "陈静" and m["why"] == "responsible_person"
    assert m["text"] == f"区发展和改革局：{urged.item_no}「完成重大项目年度投资计划调度」收到催办。电话督办：请于本周五前报送投资完成情况"
    assert m["link"] == f"/items/{urged.id}" and "read_at" not in m
    assert portal.client().get("/api/v1/messages?page_size=0", headers=portal.headers("chen")).status_code == 422


def test_nobody_else_reads_or_marks_the_message(portal: Portal, urged: ledger_pb2.Item) -> None:
    m = _mine(portal, "chen", urged.id)[0]
    for other in ("fgj_staff", "jyj_staff", "office", "leader_li", "admin", "assessment"):
        assert _mine(portal, other, urged.id) == [], other
        reply = portal.client().post(f"/api/v1/messages/{m['id']}/read", headers=portal.headers(other))
        assert reply.status_code == 404, (other, reply.data)
    assert "read_at" not in _mine(portal, "chen", urged.id)[0]
    assert portal.client().get("/api/v1/messages").status_code == 401


def test_the_page_and_the_header_count(portal: Portal, urged: ledger_pb2.Item) -> None:
    client = portal.login("chen")
    page = client.get("/messages").get_data(as_text=True)
    assert "收到催办" in page and "陈静（责任人）" in page and urged.item_no in page and urged.id not in _visible(page)
    badge = re.search(r'id="nav-messages">消息 <span class="badge">(\d+)</span>', page)
    assert badge is not None
    before = int(badge.group(1))
    m = _mine(portal, "chen", urged.id)[0]
    reply = client.post(f"/messages/{m['id']}/read", data={"csrf_token": client.csrf, "open": "1"})  # type: ignore[attr-defined]
    assert reply.status_code == 302 and reply.headers["Location"] == f"/items/{urged.id}"
    after = client.get("/messages").get_data(as_text=True)
    assert "已读于" in after
    count = re.search(r'id="nav-messages">消息(?: <span class="badge">(\d+)</span>)?', after)
    assert count is not None and int(count.group(1) or 0) == before - 1
    read = portal.client().post(f"/api/v1/messages/{m['id']}/read", headers=portal.headers("chen")).get_json()
    assert read["read_at"] and read["read_by"]["name"]  # the receipt, kept from the first reading


def test_every_role_has_the_inbox_in_its_header(portal: Portal) -> None:
    for username in USERS:
        page = portal.login(username).get("/messages")
        assert page.status_code == 200, username
        assert 'id="nav-messages"' in page.get_data(as_text=True)


def _visible(html: str) -> str:
    """The page's text without its tags' attributes (ids sit in links and form actions, not in the words)."""
    return re.sub(r"<[^>]+>", "", html)
