"""红黄绿灯 list and board against a real server: the same colour and reason as each item's own view,
filters and paging, scoping, and counts per lead unit."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest

from duban.tracking.v1 import tracking_pb2
from libs.common.clock import OFFICE_TZ
from services.tracking.tests.conftest import OFFICE, Pair


def _at(pair: Pair, day: str, hour: int = 10) -> None:
    pair.clock.set(dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=OFFICE_TZ))


@pytest.fixture(scope="module")
def items(pair: Pair) -> dict[str, str]:
    """Registered on different days so that on 2026-11-26 they show every colour."""
    made = {}
    for name, registered, fields in (
        ("red", "2026-11-02", {}),                                     # due 11-11: 11 working days late
        ("red_missed", "2026-11-02", {"category": "complex"}),          # due 11-16, weekly reports missed
        ("yellow", "2026-11-19", {}),                                  # due 11-30: 2 working days left
        ("green", "2026-11-24", {}),                                   # due 12-03
        ("green_missed", "2026-11-09", {"category": "complex", "due_date": "2026-12-31",
                                        "due_date_reason": "领导批示年底前完成"}),  # reports missed: yellow
        ("other_unit", "2026-11-24", {"lead_unit_id": "jyj", "co_units": [], "responsible_leader_id": "ld-zhao"}),
    ):
        _at(pair, registered, 9)
        item = pair.register(registered_on=registered, **fields)
        pair.assignment(item.id)
        if name == "green_missed":  # reports are owed from the notice on: two Fridays pass unreported
            _at(pair, "2026-11-10")
            pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item.id, contact_name="王芳",
                                                                      actor=OFFICE), timeout=10)
        made[name] = item.id
    _at(pair, "2026-11-26")
    return made


def _all(pair: Pair, **request) -> list[tracking_pb2.ItemLight]:
    """Every page; bounded by the first page's total (the consumer also takes the registrations of the
    session's other test modules from the shared topic, so the total is not only this module's)."""
    found: list[tracking_pb2.ItemLight] = []
    token, pages, bound = "", 0, 1
    while pages < bound:
        reply = pair.tracking.ListLights(tracking_pb2.ListLightsRequest(page_token=token, **request), timeout=10)
        if not pages:
            bound = reply.total_size // request.get("page_size", 1000) + 50  # + items arriving meanwhile
        pages += 1
        found.extend(reply.items)
        token = reply.next_page_token
        if not token:
            return found
    raise AssertionError(f"paging did not end after {pages} pages")


def test_each_light_is_the_items_own_light(pair: Pair, items: dict[str, str]) -> None:
    lights = {i.item_id: i for i in _all(pair, page_size=2)}  # paged two at a time
    assert set(items.values()) <= set(lights)
    colours = {}
    for name, item_id in items.items():
        own = pair.tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=10).assignment
        listed = lights[item_id]
        assert (listed.light, listed.light_reason, listed.due_date) == (own.light, own.light_reason, own.due_date)
        colours[name] = listed.light
    assert colours == {"red": "red", "red_missed": "red", "yellow": "yellow", "green": "green",
                       "green_missed": "yellow", "other_unit": "green"}
    assert lights[items["green_missed"]].missed_reports == 2 and "未按时报送" in lights[items["green_missed"]].light_reason
    assert lights[items["other_unit"]].lead_unit_id == "jyj" and lights[items["red"]].lead_unit_id == "fgj"


def test_paging_is_ordered_and_complete(pair: Pair, items: dict[str, str]) -> None:
    # Other modules' items keep arriving (one broker per session): compare ours, and the order.
    mine = set(items.values())
    paged = [i.item_id for i in _all(pair, page_size=1)]
    whole = pair.tracking.ListLights(tracking_pb2.ListLightsRequest(page_size=5000), timeout=10)
    assert len(paged) == len(set(paged)) and mine <= set(paged)
    assert [i for i in paged if i in mine] == [i.item_id for i in whole.items if i.item_id in mine]
    keys = [(i.due_date, i.item_no, i.item_id) for i in whole.items]
    assert keys == sorted(keys) and whole.total_size == len(whole.items) and whole.today == "2026-11-26"


def test_filters_and_scoping(pair: Pair, items: dict[str, str]) -> None:
    for colour in ("red", "yellow", "green"):
        got = _all(pair, light=colour, page_size=3)
        assert got and {i.light for i in got} == {colour}
    mine = set(items.values())
    red = {i.item_id for i in _all(pair, light="red")}
    assert {items["red"], items["red_missed"]} <= red and items["yellow"] not in red
    # (Other modules' items reach this tracking too - one broker per session - so only ours are counted.)
    led_by_jyj = _all(pair, lead_unit_id="jyj")
    assert {i.lead_unit_id for i in led_by_jyj} == {"jyj"}
    assert {i.item_id for i in led_by_jyj} & mine == {items["other_unit"]}
    assert {i.item_id for i in _all(pair, responsible_leader_id="ld-zhao")} & mine == {items["other_unit"]}
    in_jyj = {i.item_id for i in _all(pair, unit_ids=["jyj"])}  # lead or co unit
    assert items["other_unit"] in in_jyj and items["red"] in in_jyj  # jyj is a co unit of the others
    assert not {i.item_id for i in _all(pair, unit_ids=["zjj"])} & mine
    with pytest.raises(grpc.RpcError) as err:
        pair.tracking.ListLights(tracking_pb2.ListLightsRequest(light="blue"), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_board_counts_per_lead_unit(pair: Pair, items: dict[str, str]) -> None:
    board = pair.tracking.LightBoard(tracking_pb2.LightBoardRequest(), timeout=10)
    lights = _all(pair)
    for row in board.rows:
        mine = [i.light for i in lights if i.lead_unit_id == row.unit_id]
        assert (row.red, row.yellow, row.green) == (mine.count("red"), mine.count("yellow"), mine.count("green"))
    assert board.total.red + board.total.yellow + board.total.green == len(lights)
    assert board.rows[0].red >= board.rows[-1].red  # most red first
    jyj = next(r for r in board.rows if r.unit_id == "jyj")
    assert jyj.unit_name == "区教育局" and jyj.green >= 1  # other_unit
    zhao = pair.tracking.LightBoard(tracking_pb2.LightBoardRequest(responsible_leader_id="ld-zhao"), timeout=10)
    zhao_items = _all(pair, responsible_leader_id="ld-zhao")
    assert sum(r.red + r.yellow + r.green for r in zhao.rows) == len(zhao_items)
    assert next(r for r in zhao.rows if r.unit_id == "jyj").green >= 1


def test_the_ledger_shows_the_same_one_light(pair: Pair, items: dict[str, str]) -> None:
    """Tracking owns the light; the ledger's item, its list and its light filter show the same colour
    and reason, from its projection of tracking's raisers (item.raisers_changed through the broker)."""
    from duban.ledger.v1 import ledger_pb2

    for item_id in items.values():
        own = pair.tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=10).assignment
        wanted = (own.light, own.light_reason)
        pair.ledger_item(item_id, lambda i: (i.light, i.light_reason) == wanted)  # noqa: B023 - awaited here
    for colour in ("red", "yellow", "green"):
        listed: set[str] = set()
        token, pages = "", 0
        while pages < 200:  # bounded: other modules' items share the ledger
            reply = pair.ledger.ListItems(ledger_pb2.ListItemsRequest(
                filter=ledger_pb2.ItemFilter(light=colour), page_size=200, page_token=token), timeout=10)
            assert all(i.light == colour for i in reply.items), colour
            listed |= {i.id for i in reply.items}
            token, pages = reply.next_page_token, pages + 1
            if not token:
                break
        wanted = {"red": ("red", "red_missed"), "yellow": ("yellow", "green_missed"),
                  "green": ("green", "other_unit")}[colour]
        assert {i for i in items.values() if i in listed} == {items[name] for name in wanted}, colour
