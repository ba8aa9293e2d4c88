"""ListAssignments reads rows, not ORM objects: every page is byte for byte the page the ORM path
(reading.list_assignments, the same to_proto) gives, for each view, scope, page size and token."""

from __future__ import annotations

import pytest

from duban.tracking.v1 import tracking_pb2
from services.tracking import reading
from services.tracking.convert import to_proto
from services.tracking.tests.conftest import FGJ, OFFICE, Pair


@pytest.fixture(scope="module")
def listed(pair: Pair) -> Pair:
    first = pair.register(title="列表跟踪一")
    second = pair.register(title="列表跟踪二", category="complex", key_tracking=True, lead_unit_id="jyj",
                           co_units=[], registered_on="2026-11-02")
    third = pair.register(title="列表跟踪三", registered_on="2026-10-09")  # overdue by now
    for item in (first, second, third):  # all three listed, so the pages of two are more than one
        pair.assignment(item.id)
    pair.tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=first.id, requirements=["按时报送"],
                                                              contact_name="王芳", contact_phone="0972-1234567",
                                                              actor=OFFICE), timeout=10)
    pair.tracking.Acknowledge(tracking_pb2.AcknowledgeRequest(item_id=first.id, unit_id="fgj", actor=FGJ), timeout=10)
    pair.assignment(first.id, lambda a: any(u.acknowledged_at.seconds for u in a.units))
    return pair


@pytest.mark.parametrize("view", reading.VIEWS)
@pytest.mark.parametrize("unit_ids", [[], ["jyj"]])
def test_row_pages_equal_the_orm_pages(listed: Pair, view: str, unit_ids: list[str]) -> None:
    tracking = listed.app.core
    token, pages = "", 0
    while True:
        request = tracking_pb2.ListAssignmentsRequest(view=view, unit_ids=unit_ids, page_size=2, page_token=token)
        got = listed.tracking.ListAssignments(request, timeout=10)
        rows, orm_token, orm_total = reading.list_assignments(tracking, unit_ids, "", "", view, 2, token)
        want = tracking_pb2.ListAssignmentsResponse(
            assignments=[to_proto(tracking, a, with_timeline=False, brief=True) for a in rows],
            next_page_token=orm_token, total_size=orm_total)
        assert got.SerializeToString(deterministic=True) == want.SerializeToString(deterministic=True)
        pages += 1
        token = got.next_page_token
        if not token:
            break
    if view == "":
        assert pages >= 2  # the fixture's items span pages of two
