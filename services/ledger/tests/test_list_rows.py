"""ListItems reads rows, not ORM objects: every listed item is the message GetItem (ORM) gives, byte
for byte, with the same light, over pages, filters and totals."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.ledger.v1 import ledger_pb2
from services.ledger.tests.conftest import LedgerUnderTest


@pytest.fixture(scope="module")
def listed(ledger: LedgerUnderTest) -> LedgerUnderTest:
    ledger.register(title="列表事项一", lead_unit_id="jyj", registered_on="2026-11-02", responsible_leader_id="ld-li",
                    responsible_person_id="st-liu2", supervisor_id="sv-wang", remarks="备注")
    ledger.register(title="列表事项二", lead_unit_id="fgj", registered_on="2026-11-20", category="complex",
                    co_units=[ledger_pb2.CoUnit(unit_id="jyj", duty="配合"), ledger_pb2.CoUnit(unit_id="zjj")],
                    key_tracking=True, source="work_report")
    with ledger.today_is(dt.date(2026, 12, 28)):
        ledger.register(title="列表事项三", lead_unit_id="zjj", registered_on="2026-12-28")  # deadline in 2027: provisional
    ledger.register(title="手工时限", lead_unit_id="zjj", registered_on="2026-10-09", due_date="2026-10-20",
                    due_date_reason="领导要求")  # overdue: red
    return ledger


def _all_pages(ledger: LedgerUnderTest, **filters) -> list[ledger_pb2.Item]:
    items: list[ledger_pb2.Item] = []
    token = ""
    while True:
        page = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(
            filter=ledger_pb2.ItemFilter(**filters), page_size=2, page_token=token, include_total=True), timeout=10)
        items.extend(page.items)
        token = page.next_page_token
        if not token:
            return items


@pytest.mark.parametrize("filters", [{}, {"unit_id": "jyj"}, {"light": "red"}, {"text": "列表"}, {"category": "complex"}])
def test_listed_items_are_the_messages_get_item_gives(listed: LedgerUnderTest, filters: dict) -> None:
    items = _all_pages(listed, **filters)
    assert items
    for item in items:
        single = listed.stub.GetItem(ledger_pb2.GetItemRequest(id=item.id), timeout=5).item
        assert item.SerializeToString(deterministic=True) == single.SerializeToString(deterministic=True)
    total = listed.stub.ListItems(ledger_pb2.ListItemsRequest(filter=ledger_pb2.ItemFilter(**filters),
                                                              include_total=True), timeout=5).total_size
    assert total == len(items)


def test_units_lights_and_provisional_flags_come_through(listed: LedgerUnderTest) -> None:
    by_title = {i.title: i for i in _all_pages(listed)}
    two = by_title["列表事项二"]
    assert [(u.unit_id, u.role, u.duty) for u in two.units] == [("fgj", "lead", ""), ("jyj", "co", "配合"),
                                                                  ("zjj", "co", "")]
    assert by_title["手工时限"].light == "red" and by_title["手工时限"].working_days_left < 0
    assert by_title["列表事项三"].due_date_provisional
    assert by_title["列表事项一"].responsible_leader.name == "李明" and by_title["列表事项一"].created_at.seconds > 0
