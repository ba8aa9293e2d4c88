"""An overdue rectification (立督立纠，限时整改) turns the item's light red, with its reason, wherever the
light shows: inspection's item.raisers_changed goes onto its topic through the session's broker, as the
inspection service will publish it, and tracking (which owns the light) and the ledger (its projection)
follow it - and come back when the open set is emptied or the deadline moved; a closed item has none."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator

import confluent_kafka
import pytest
from sqlalchemy import Engine, select

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common import lights, topics
from libs.common.broker import Broker
from libs.common.clock import OFFICE_TZ
from libs.common.cloudevents import new_event
from libs.common.outbox import processed_events
from services.ledger import orm as ledger_orm
from services.tracking import orm as tracking_orm
from services.tracking.tests.conftest import FGJ, OFFICE, Pair

MONDAY = "2026-11-30"  # the item below is due Thu 12-03: 3 working days left, green by its deadline
GREEN_REASON = "距完成时限2026-12-03还有3个工作日"


def _at(pair: Pair, day: str) -> None:
    pair.clock.set(dt.datetime.fromisoformat(day).replace(hour=10, tzinfo=OFFICE_TZ))


class Inspection:
    """Publishes what the inspection service will: item.raisers_changed on its topic, keyed by item."""

    def __init__(self, broker: Broker) -> None:
        self.producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
        # Each run's own leader (tracking reads every registration on the session's topic, the other
        # run's too): lists and counts for this leader see this run's items alone.
        self.leader = f"ld-rect-{uuid.uuid4().hex[:8]}"
        self.leader_actor = common_pb2.Actor(user_id="9", name="孙磊", role="leader", unit_id="dcs",
                                             person_id=self.leader)

    def open(self, item_id: str, *rectifications: tuple[str, str]) -> str:
        """The item's open rectifications now, as (id, deadline); returns the event id."""
        body = common_pb2.LightRaisersChanged(item_id=item_id, source=lights.RECTIFICATIONS, open=[
            common_pb2.LightRaiser(ref_id=ref, due_on=due) for ref, due in rectifications])
        event = new_event("item.raisers_changed", "duban/inspection", item_id, body, dt.datetime.now(dt.UTC))
        self.producer.produce(topics.INSPECTION_EVENTS, key=item_id.encode(), value=event.data,
                              headers=list(event.header_pairs()))
        assert self.producer.flush(10) == 0
        return event.id


@pytest.fixture(scope="module")
def inspection(pair: Pair, broker: Broker) -> Iterator[Inspection]:
    made = Inspection(broker)
    pair.ledger.UpsertPerson(ledger_pb2.UpsertPersonRequest(person=ledger_pb2.Person(
        id=made.leader, name="孙磊", unit_id="dcs", role="leader", title="副区长", active=True)), timeout=5)
    yield made


def _eventually(what: str, check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} not seen after {timeout}s"
        time.sleep(0.05)


def _lights(pair: Pair, leader: str, item_id: str) -> dict[str, tuple[str, str]]:
    """The item's light in every place it shows: (colour, reason) by place ("" colour where not listed)."""
    own = pair.tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=10).assignment
    listed = pair.tracking.ListAssignments(tracking_pb2.ListAssignmentsRequest(responsible_leader_id=leader),
                                           timeout=10).assignments
    lit = pair.tracking.ListLights(tracking_pb2.ListLightsRequest(responsible_leader_id=leader), timeout=10).items
    card = pair.ledger.GetItem(ledger_pb2.GetItemRequest(id=item_id), timeout=10).item
    rows = pair.ledger.ListItems(ledger_pb2.ListItemsRequest(
        filter=ledger_pb2.ItemFilter(responsible_leader_id=leader)), timeout=10).items
    return {
        "tracking item": (own.light, own.light_reason),
        "tracking list": next(((a.light, a.light_reason) for a in listed if a.item_id == item_id), ("", "")),
        "tracking lights": next(((i.light, i.light_reason) for i in lit if i.item_id == item_id), ("", "")),
        "ledger item": (card.light, card.light_reason),
        "ledger list": next(((i.light, i.light_reason) for i in rows if i.id == item_id), ("", "")),
    }


def _filtered(pair: Pair, leader: str, colour: str) -> tuple[set[str], set[str], int, int]:
    """What each light filter and count says for `colour` among this module's items: tracking's
    ListLights, the ledger's ListItems (ids, then its total), tracking's board."""
    lit = pair.tracking.ListLights(tracking_pb2.ListLightsRequest(responsible_leader_id=leader, light=colour),
                                   timeout=10)
    listed = pair.ledger.ListItems(ledger_pb2.ListItemsRequest(filter=ledger_pb2.ItemFilter(
        responsible_leader_id=leader, light=colour), include_total=True, page_size=500), timeout=10)
    board = pair.tracking.LightBoard(tracking_pb2.LightBoardRequest(responsible_leader_id=leader), timeout=10)
    return {i.item_id for i in lit.items}, {i.id for i in listed.items}, listed.total_size, getattr(board.total, colour)


def _everywhere(pair: Pair, leader: str, item_id: str, light: tuple[str, str]) -> None:
    """Wait until every place shows `light` (the two services consume the topic each on its own)."""
    _eventually(f"{light} everywhere", lambda: set(_lights(pair, leader, item_id).values()) == {light})


def test_an_overdue_rectification_turns_the_light_red_everywhere_and_back(pair: Pair, inspection: Inspection) -> None:
    leader = inspection.leader
    _at(pair, "2026-11-26")
    item = pair.register(registered_on="2026-11-24", responsible_leader_id=leader)  # due 12-03
    assert item.due_date == "2026-12-03"
    pair.assignment(item.id)
    _at(pair, MONDAY)
    _everywhere(pair, leader, item.id, ("green", GREEN_REASON))

    # Ordered on Friday 11-27, still open on Monday: past its day.
    inspection.open(item.id, ("rect-1", "2026-11-27"))
    red = ("red", f"{GREEN_REASON}；有1项整改逾期未完成")
    _everywhere(pair, leader, item.id, red)
    assert _filtered(pair, leader, "red") == ({item.id}, {item.id}, 1, 1)
    assert _filtered(pair, leader, "green") == _filtered(pair, leader, "yellow") == (set(), set(), 0, 0)
    # On its own day it is not overdue yet (the light is computed on reading, so moving the clock shows it).
    _at(pair, "2026-11-27")
    assert set(_lights(pair, leader, item.id).values()) == {("green", "距完成时限2026-12-03还有4个工作日")}
    _at(pair, MONDAY)

    # A failed 回头看 reissues it with a new deadline (not passed): green again; a second one overdue: red.
    inspection.open(item.id, ("rect-1", "2026-12-10"))
    _everywhere(pair, leader, item.id, ("green", GREEN_REASON))
    inspection.open(item.id, ("rect-1", "2026-12-10"), ("rect-2", "2026-11-25"), ("rect-3", "2026-11-26"))
    _everywhere(pair, leader, item.id, ("red", f"{GREEN_REASON}；有2项整改逾期未完成"))

    # Verified passed, every one: nothing is open, the light is the deadline's again.
    inspection.open(item.id)
    _everywhere(pair, leader, item.id, ("green", GREEN_REASON))
    assert _filtered(pair, leader, "green") == ({item.id}, {item.id}, 1, 1)
    assert _filtered(pair, leader, "red") == (set(), set(), 0, 0)


def _rows(engine: Engine, table: type, item_id: str) -> list[tuple[str, dt.date]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table.ref_id, table.due_on)  # type: ignore[attr-defined]
                                               .where(table.item_id == item_id))]  # type: ignore[attr-defined]


def test_a_closed_item_has_no_light_whatever_is_open(pair: Pair, inspection: Inspection) -> None:
    leader = inspection.leader
    _at(pair, "2026-11-26")
    item = pair.register(registered_on="2026-11-24", responsible_leader_id=leader, co_units=[])
    pair.assignment(item.id)
    pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item.id, contact_name="王芳", actor=OFFICE),
                              timeout=10)
    pair.tracking.FileReply(tracking_pb2.FileReplyRequest(item_id=item.id, result="已完成", actor=FGJ), timeout=10)
    pair.tracking.FillCompletionReport(tracking_pb2.FillCompletionReportRequest(
        item_id=item.id, report_kind="special", confirm_unsigned=True, actor=OFFICE), timeout=10)
    pair.tracking.SignCompletionReport(tracking_pb2.SignCompletionReportRequest(
        item_id=item.id, approve=True, opinion="同意销号", actor=inspection.leader_actor), timeout=10)
    pair.ledger_item(item.id, lambda i: i.status == "archived")

    inspection.open(item.id, ("rect-9", "2026-11-25"))
    for engine, table in ((pair.app.parts.engine, tracking_orm.ItemRaiser),
                          (pair.ledger_app.parts.engine, ledger_orm.LightRaiser)):  # type: ignore[union-attr]
        _eventually("the rectification kept", lambda e=engine, t=table: _rows(e, t, item.id) == [  # type: ignore[misc]
            ("rect-9", dt.date(2026, 11, 25))])
    _at(pair, MONDAY)
    shown = _lights(pair, leader, item.id)
    assert shown.pop("tracking lights") == ("", "")  # the lights list has open items only
    assert set(shown.values()) == {("", "已办结")}
    for colour in ("red", "yellow", "green"):
        tracking_ids, ledger_ids, _, _ = _filtered(pair, leader, colour)
        assert item.id not in tracking_ids | ledger_ids, colour


def test_an_item_the_ledger_never_had(pair: Pair, inspection: Inspection) -> None:
    """Another environment's item, or one whose registration has not reached tracking yet: the ledger
    skips it (applied as nothing, not dead-lettered); tracking keeps it, so it counts once the item is
    there."""
    unknown = str(uuid.uuid4())
    event_id = inspection.open(unknown, ("rect-x", "2026-11-25"))
    _eventually("tracking keeping it", lambda: _rows(pair.app.parts.engine, tracking_orm.ItemRaiser, unknown) == [
        ("rect-x", dt.date(2026, 11, 25))])
    ledger_engine = pair.ledger_app.parts.engine  # type: ignore[union-attr]

    def processed_by_ledger() -> bool:
        with ledger_engine.connect() as conn:
            return conn.execute(select(processed_events.c.event_id).where(
                processed_events.c.event_id == event_id)).first() is not None

    _eventually("the ledger applying it", processed_by_ledger)
    assert _rows(ledger_engine, ledger_orm.LightRaiser, unknown) == []
