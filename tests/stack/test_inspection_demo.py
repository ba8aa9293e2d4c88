"""The inspection demo `make run` loads (scripts/demo_inspection.py, into the session's stack by
tests/conftest.py): every group of demo users has something of it in front of them when they log in -
the to-dos through the gateway (GET /api/v1/todo), the rest through inspection's gRPC as the gateway asks
it, naming the demo account's person."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import requests

from duban.common.v1 import common_pb2, common_pb2_grpc
from duban.inspection.v1 import inspection_pb2, inspection_pb2_grpc
from scripts import demo_data, demo_inspection
from scripts.stack import Stack
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL


def account(username: str) -> common_pb2.Actor:
    """The demo login as the gateway names it to the services."""
    _, name, role, unit, person = next(u for u in demo_data.USERS if u[0] == username)
    return common_pb2.Actor(user_id=username, name=name, role=role, unit_id=unit, person_id=person)


def todo(stack: Stack, username: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{stack.url}/api/v1/todo", headers=token(stack, username), timeout=10)
    assert reply.status_code == 200, reply.text
    return [e for e in reply.json()["entries"] if e["kind"] in ("rectification_due", "escalation_to_read",
                                                                "plan_to_approve")]


def findings(stub: inspection_pb2_grpc.InspectionServiceStub, username: str, plan_id: str) -> dict[str, Any]:
    listed = stub.ListFindings(inspection_pb2.ListFindingsRequest(plan_id=plan_id, actor=account(username)),
                               timeout=10).findings
    return {f.unit_id: f for f in listed}


def test_every_group_of_demo_users_sees_the_inspection(stack: Stack) -> None:
    with stack.channel("inspection") as channel:
        stub = inspection_pb2_grpc.InspectionServiceStub(channel)
        plans = {p.title: p for p in stub.ListPlans(inspection_pb2.ListPlansRequest(
            page_size=200, actor=account("office")), timeout=10).plans}
        plan = plans[demo_inspection.PLAN_TITLE]
        assert plan.plan_no and plan.status == "under_way" and plans[demo_inspection.DRAFT_TITLE].status == "draft"
        full = stub.GetPlan(inspection_pb2.GetPlanRequest(plan_id=plan.id, actor=account("office")), timeout=10).plan
        assert [(m.person.name, m.seconded_from_unit_name) for m in full.members] == [("马骏", ""), ("钱海燕", "区财政局")]
        assert len(full.items) == 3 and len(full.visits) == 4
        assert any(c.result == "discrepancy" for v in full.visits for c in v.checks)
        assert any(not v.ledger_current for v in full.visits)

        # The office sees the four findings, one per state, each with its photos.
        seen = findings(stub, "office", plan.id)
        states = {unit: (f.rectification.mode, f.rectification.status) for unit, f in seen.items()}
        assert states == {"wjj": ("on_spot", "rectified"), "fgj": ("ordered", "reported"),
                          "jyj": ("ordered", "overdue"), "zjj": ("ordered", "ordered")}
        assert all(f.photos for f in seen.values()) and seen["zjj"].severity == "major" and seen["zjj"].escalation_id
        # The sweep has announced the overdue one (its stored state, which the lists filter on).
        overdue = stub.ListFindings(inspection_pb2.ListFindingsRequest(
            plan_id=plan.id, rectification_status="overdue", actor=account("office")), timeout=10).findings
        assert [f.unit_id for f in overdue] == ["jyj"]
        # The inspector leads it (and has 区发展和改革局's report to re-inspect); the assessment office sees it.
        for username in ("inspector", "kaohe"):
            assert plan.id in {p.id for p in stub.ListPlans(inspection_pb2.ListPlansRequest(
                actor=account(username)), timeout=10).plans}, username
        # Units see their own finding only; the leader the one of his item.
        assert set(findings(stub, "fgj", plan.id)) == {"fgj"} and set(findings(stub, "jyj", plan.id)) == {"jyj"}
        assert set(findings(stub, "leader", plan.id)) == {"zjj"}

    # Through the gateway: 区教育局's overdue order, the escalation for 李明 and the office head, the head's plan.
    [due] = todo(stack, "jyj")
    assert (due["kind"], due["late"], due["ref_id"]) == ("rectification_due", True, seen["jyj"].id)
    assert [e["kind"] for e in todo(stack, "leader")] == ["escalation_to_read"]
    # Other tests of the session's stack add their own escalations and plans: the demo's are among them.
    head = todo(stack, "zhuren")
    assert seen["zjj"].escalation_id in {e["ref_id"] for e in head if e["kind"] == "escalation_to_read"}
    assert demo_inspection.DRAFT_TITLE in {e["title"] for e in head if e["kind"] == "plan_to_approve"}
    assert todo(stack, "fgj") == []  # reported: the unit waits for the 回头看

    # The overdue order turns its item's light red (the ledger's raisers, through the broker). The ledger's
    # clock is set to now: another test may have moved it back to a day before the order's.
    with stack.channel("ledger") as channel:
        common_pb2_grpc.ClockControlStub(channel).SetTime(common_pb2.SetTimeRequest(
            now=dt.datetime.now(dt.UTC).isoformat()), timeout=10)
    office = token(stack, "office")
    deadline = time.monotonic() + 30
    while (item := requests.get(f"{stack.url}/api/v1/items/{seen['jyj'].item_id}", headers=office,
                                timeout=10).json())["light"] != "red":
        assert time.monotonic() < deadline, item
        time.sleep(0.2)
    assert "整改逾期" in item["light_reason"]
