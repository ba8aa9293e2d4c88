"""Reminders and the inbox through the gRPC API on a real server and database (SQLite and PostgreSQL): what
tracking and inspection publish on the session's broker (as their outboxes do) becomes one message per
recipient, cause and day - none twice when an event is redelivered or repeated, none for a closed item -
and only the recipient reads or marks their messages."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest
from google.protobuf.message import Message as ProtoMessage

from duban.common.v1 import common_pb2
from duban.inspection.v1 import events_pb2 as inspection_events
from duban.inspection.v1 import inspection_pb2
from duban.ledger.v1 import ledger_pb2
from duban.notification.v1 import notification_pb2 as pb
from duban.tracking.v1 import events_pb2 as tracking_events
from duban.tracking.v1 import tracking_pb2
from libs.common import topics
from libs.common.clock import OFFICE_TZ
from libs.common.cloudevents import new_event
from libs.common.testing import code_of
from services.notification.orm import KnownItem
from services.notification.tests.conftest import FGJ, LEADER_LI, OFFICE, Duo, ts

HEAD = common_pb2.Actor(user_id="h1", name="黄磊", role="unit_staff", unit_id="fgj", person_id="st-head")
JYJ_DESK = common_pb2.Actor(user_id="j1", name="教育局工作人员", role="unit_staff", unit_id="jyj")
ZHANG = common_pb2.Actor(user_id="z1", name="张建华", role="office_head", unit_id="dcs", person_id="sv-zhang")


@pytest.fixture(scope="module", autouse=True)
def _fgj_has_a_head(duo: Duo) -> None:
    """区发展和改革局's head (单位负责人) 黄磊, set before any reminder reads the directory."""
    duo.ledger.UpsertPerson(ledger_pb2.UpsertPersonRequest(person=ledger_pb2.Person(
        id="st-head", name="黄磊", unit_id="fgj", role="staff", title="局长", active=True, mobile="13800000001")), timeout=5)
    duo.ledger.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(
        id="fgj", name="区发展和改革局", kind="department", active=True, head_person_id="st-head")), timeout=5)


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), OFFICE_TZ)


def _send(duo: Duo, topic: str, source: str, type_: str, key: str, body: ProtoMessage, at: dt.datetime,
          times: int = 1) -> None:
    """One event, produced `times` times with the same id (a redelivery, as a relay retrying does)."""
    event = new_event(type_, topics.event_source(source), key, body, at)
    for _ in range(times):
        duo.upstream.producer.produce(topic, value=event.data, key=key, headers=event.header_pairs())
    assert duo.upstream.producer.flush(10) == 0


def _overdue(duo: Duo, item: ledger_pb2.Item, day: dt.date, times: int = 1) -> None:
    _send(duo, topics.TRACKING_EVENTS, "tracking", "item.overdue", item.id, tracking_events.ItemOverdue(
        item_id=item.id, item_no=item.item_no, due_date=item.due_date, day=day.isoformat(), working_days_late=2,
        unit_ids=[u.unit_id for u in item.units]), _at(day), times)


def _urged(duo: Duo, item: ledger_pb2.Item, unit_id: str, day: dt.date, text: str = "电话督办：请于周五前报送进展") -> None:
    _send(duo, topics.TRACKING_EVENTS, "tracking", "item.urged", item.id, tracking_events.ItemUrged(
        item_id=item.id, item_no=item.item_no, unit_id=unit_id, reason="office", text=text), _at(day, 10))


def _progress(duo: Duo, item: ledger_pb2.Item, text: str) -> None:
    """A marker on the item's partition: once notification has it, every earlier event of the item is applied."""
    _send(duo, topics.TRACKING_EVENTS, "tracking", "progress.reported", item.id, tracking_events.ProgressReported(
        item_id=item.id, report=tracking_pb2.ProgressReport(text=text)), _at(dt.date(2026, 11, 26), 11))
    duo.wait(lambda: (duo.known(item.id) or KnownItem()).reason == f"最新进展：{text}")


def _inbox(duo: Duo, actor: common_pb2.Actor, **fields: object) -> pb.ListMessagesResponse:
    return duo.notification.ListMessages(pb.ListMessagesRequest(actor=actor, **fields), timeout=10)  # type: ignore[arg-type]


def _of(duo: Duo, actor: common_pb2.Actor, item_id: str) -> list[pb.Message]:
    return [m for m in _inbox(duo, actor, page_size=200).messages if m.item_id == item_id]


def test_an_overdue_item_reaches_its_responsible_person_and_the_unit_head_once(duo: Duo) -> None:
    item = duo.register(title="推进城区老旧小区改造项目前期工作", responsible_person_id="st-chen")
    day = dt.date(2026, 11, 26)
    _overdue(duo, item, day, times=2)  # redelivered
    _overdue(duo, item, day)  # and published again the same day (another event id)
    _progress(duo, item, "已完成初步设计")
    chen, head = _of(duo, FGJ, item.id), _of(duo, HEAD, item.id)
    assert len(chen) == 1 and len(head) == 1
    m = chen[0]
    assert m.cause == "item_overdue" and m.day == "2026-11-26" and not m.urgent and m.why == "responsible_person"
    assert m.recipient_name == "陈静" and head[0].why == "unit_head" and head[0].recipient_name == "黄磊"
    assert m.text == (f"区发展和改革局：{item.item_no}「推进城区老旧小区改造项目前期工作」已超过完成时限{item.due_date}"
                      "（已逾期2个工作日），请抓紧办理")
    assert m.link == f"/items/{item.id}" and item.id not in m.text and not m.HasField("read_at")
    _overdue(duo, item, day + dt.timedelta(days=1))  # the next day: a message of that day
    _progress(duo, item, "正在招标")
    assert sorted(x.day for x in _of(duo, FGJ, item.id)) == ["2026-11-26", "2026-11-27"]


def test_no_reminder_for_a_closed_item(duo: Duo) -> None:
    item = duo.register(title="已销号事项", responsible_person_id="st-chen")
    duo.upstream.closed(item.id, dt.date(2026, 11, 25))
    duo.wait(lambda: (duo.known(item.id) or KnownItem()).closed_on is not None)
    _overdue(duo, item, dt.date(2026, 11, 26))
    _urged(duo, item, "fgj", dt.date(2026, 11, 26))
    _progress(duo, item, "销号后的进展")
    assert _of(duo, FGJ, item.id) == [] and _of(duo, HEAD, item.id) == []


def test_an_urge_of_a_unit_without_its_person_reaches_the_units_staff_desk(duo: Duo) -> None:
    item = duo.register(title="落实义务教育阶段学位保障方案", lead_unit_id="jyj")
    _urged(duo, item, "jyj", dt.date(2026, 11, 26))
    duo.wait(lambda: bool(_of(duo, JYJ_DESK, item.id)))
    m = _of(duo, JYJ_DESK, item.id)[0]
    assert m.cause == "item_urged" and m.recipient_person_id == "" and m.recipient_unit_id == "jyj"
    assert m.recipient_name == "区教育局" and m.why == "unit_staff"
    assert m.text == f"区教育局：{item.item_no}「落实义务教育阶段学位保障方案」收到催办。电话督办：请于周五前报送进展"
    # the desk is for the unit's staff: not fgj's, not the office, not a leader
    for other in (FGJ, HEAD, OFFICE, LEADER_LI):
        assert _of(duo, other, item.id) == []


def test_an_urge_before_the_ledgers_event_still_reaches_the_responsible_person(duo: Duo) -> None:
    """Tracking's topic may be read before the ledger's: without the item in its projection, notification
    asks the ledger for it, so the responsible person (not the unit's desk) is reached and named."""
    item = duo.register(title="先到的催办", responsible_person_id="st-chen")
    with duo.app.uow() as tx:  # as if item.registered had not been read yet
        tx.session.delete(tx.session.get(KnownItem, item.id))
        tx.commit()
    _urged(duo, item, "fgj", dt.date(2026, 11, 26))
    duo.wait(lambda: bool(_of(duo, FGJ, item.id)))
    [m] = _of(duo, FGJ, item.id)
    assert m.recipient_name == "陈静" and f"{item.item_no}「先到的催办」" in m.text


def test_an_escalation_is_urgent_for_the_recipients_it_names(duo: Duo) -> None:
    item = duo.register(title="三合镇人居环境整治", responsible_person_id="st-chen")
    escalation_id = str(uuid.uuid4())
    _send(duo, topics.INSPECTION_EVENTS, "inspection", "escalation.raised", item.id, inspection_events.EscalationChanged(
        escalation=inspection_pb2.Escalation(
            id=escalation_id, item_id=item.id, item_no=item.item_no, unit_id="fgj", unit_name="区发展和改革局",
            text="项目现场存在重大安全隐患", raised_at=ts(_at(dt.date(2026, 11, 26), 15)), recipients=[
                inspection_pb2.Recipient(person=common_pb2.PersonSnapshot(id="ld-li", name="李明", unit_id="dcs"),
                                         why="responsible_leader"),
                inspection_pb2.Recipient(person=common_pb2.PersonSnapshot(id="sv-zhang", name="张建华", unit_id="dcs"),
                                         why="office_head")]),
        title="重大问题：区发展和改革局 项目现场存在重大安全隐患", link=f"/inspection/escalations/{escalation_id}"),
        _at(dt.date(2026, 11, 26), 15), times=2)
    duo.wait(lambda: bool(_of(duo, LEADER_LI, item.id)) and bool(_of(duo, ZHANG, item.id)))
    _progress(duo, item, "重大问题之后")
    li = _of(duo, LEADER_LI, item.id)
    assert len(li) == 1 and li[0].urgent and li[0].cause == "escalation" and li[0].why == "responsible_leader"
    assert li[0].link == f"/inspection/escalations/{escalation_id}" and "项目现场存在重大安全隐患" in li[0].text
    assert _of(duo, FGJ, item.id) == []  # the unit is not among the escalation's recipients


def test_an_overdue_rectification_reminds_the_unit(duo: Duo) -> None:
    item = duo.register(title="台账整改事项", responsible_person_id="st-chen")
    finding_id = f"f-{uuid.uuid4().hex[:8]}"
    duo.upstream.finding(finding_id, item, "overdue", dt.date(2026, 11, 20), dt.date(2026, 11, 10))
    duo.wait(lambda: any(m.cause == "rectification_overdue" for m in _of(duo, FGJ, item.id)))
    m = next(m for m in _of(duo, FGJ, item.id) if m.cause == "rectification_overdue")
    assert m.subject_id == finding_id and "台账未及时更新" in m.text and "2026-11-20" in m.text
    assert duo.finding_known(finding_id, "overdue")  # the bulletins' projection moved as before


def test_only_the_recipient_reads_and_marks_a_message(duo: Duo) -> None:
    item = duo.register(title="已读回执事项", responsible_person_id="st-chen")
    _urged(duo, item, "fgj", dt.date(2026, 11, 26))
    duo.wait(lambda: bool(_of(duo, FGJ, item.id)) and bool(_of(duo, HEAD, item.id)))
    mine, heads = _of(duo, FGJ, item.id)[0], _of(duo, HEAD, item.id)[0]
    for stranger in (HEAD, OFFICE, LEADER_LI, JYJ_DESK):
        assert code_of(lambda s=stranger: duo.notification.MarkMessageRead(  # type: ignore[misc]
            pb.MarkMessageReadRequest(message_id=mine.id, actor=s), timeout=10)) == grpc.StatusCode.NOT_FOUND
        assert mine.id not in {m.id for m in _inbox(duo, stranger, page_size=200).messages}
    before = duo.notification.CountUnreadMessages(pb.CountUnreadMessagesRequest(actor=FGJ), timeout=10).unread_count
    read = duo.notification.MarkMessageRead(pb.MarkMessageReadRequest(message_id=mine.id, actor=FGJ), timeout=10).message
    assert read.HasField("read_at") and read.read_by.name == "陈静"
    duo.clock.advance(dt.timedelta(hours=1))
    again = duo.notification.MarkMessageRead(pb.MarkMessageReadRequest(message_id=mine.id, actor=FGJ), timeout=10).message
    duo.clock.advance(dt.timedelta(hours=-1))
    assert again.read_at == read.read_at  # the first reading is the receipt
    assert duo.notification.CountUnreadMessages(pb.CountUnreadMessagesRequest(actor=FGJ), timeout=10).unread_count == before - 1
    assert not _of(duo, HEAD, item.id)[0].HasField("read_at") and heads.id != mine.id  # the head's copy is theirs


def test_the_inbox_lists_unread_first_newest_first_in_pages(duo: Duo) -> None:
    for n in range(3):
        item = duo.register(title=f"分页事项{n}", responsible_person_id="st-chen")
        duo.clock.advance(dt.timedelta(minutes=1))
        _urged(duo, item, "fgj", dt.date(2026, 11, 26))
        duo.wait(lambda i=item: bool(_of(duo, FGJ, i.id)))  # type: ignore[misc]
    whole = _inbox(duo, FGJ, page_size=200)
    walked, token = [], ""
    while True:
        page = _inbox(duo, FGJ, page_size=2, page_token=token)
        walked += list(page.messages)
        token = page.next_page_token
        if not token:
            break
    assert [m.id for m in walked] == [m.id for m in whole.messages] and len(walked) == whole.total_size
    flags = [m.HasField("read_at") for m in walked]
    assert flags == sorted(flags)  # unread before read
    unread = [m for m in walked if not m.HasField("read_at")]
    assert [m.created_at.ToDatetime() for m in unread] == sorted((m.created_at.ToDatetime() for m in unread), reverse=True)
    only = _inbox(duo, FGJ, unread_only=True, page_size=200)
    assert only.total_size == whole.unread_count == len(only.messages) and all(not m.HasField("read_at") for m in only.messages)
    assert code_of(lambda: _inbox(duo, FGJ, page_token="not-a-token")) == grpc.StatusCode.INVALID_ARGUMENT
