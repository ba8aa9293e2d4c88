"""score.changed as an outside system reads it: a plain confluent-kafka consumer group that knows only the
published JSON Schema follows each subject's total; its totals equal the service's. The events scored
here are every cause the rules name (each service's, in its own format), one of them arriving before
the item it is about."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from pathlib import Path

import confluent_kafka
import grpc
import jsonschema  # type: ignore[import-untyped]
import pytest

from duban.evaluation.v1 import evaluation_pb2 as pb
from duban.inspection.v1 import events_pb2 as inspection_events
from duban.inspection.v1 import inspection_pb2
from duban.notification.v1 import events_pb2 as notification_events
from duban.notification.v1 import notification_pb2
from duban.tracking.v1 import events_pb2 as tracking_events
from libs.common import topics
from libs.common.testing import code_of
from services.evaluation.tests.conftest import ASSESS, Stack, at, ts

SCHEMA = json.loads((Path(__file__).parents[3] / "proto/duban/evaluation/v1/score_changed.schema.json").read_text())


@pytest.fixture(scope="module")
def causes(ev: Stack) -> dict[str, str]:
    """One item of fresh units and people through every cause the default rules score."""
    tag = uuid.uuid4().hex[:6]
    ids = {"lead": f"lead{tag}", "co": f"co{tag}", "person": f"p{tag}", "leader": f"l{tag}", "item": str(uuid.uuid4()),
           "other": str(uuid.uuid4())}
    up, base = ev.up, ev.archived()
    # tracking's closure of `other` is read before the ledger's registration of it
    up.closed(ids["other"], "2026-06-09")
    up.registered(ids["other"], "2026-0102", "2026-06-10", lead=ids["lead"], co=(), person=ids["person"],
                  leader=ids["leader"])
    up.registered(ids["item"], "2026-0101", "2026-06-10", lead=ids["lead"], co=(ids["co"],), key_tracking=True,
                  person=ids["person"], leader=ids["leader"])
    up.extension(ids["item"], f"x1{tag}", "2026-06-10", "2026-06-17", True, "2026-06-08", ids["lead"])
    up.extension(ids["item"], f"x2{tag}", "2026-06-17", "2026-06-30", False, "2026-06-16", ids["lead"])
    up.send(topics.TRACKING_EVENTS, "tracking", "item.urged", ids["item"], tracking_events.ItemUrged(
        item_id=ids["item"], item_no="2026-0101", unit_id=ids["co"], reason="report_missing",
        expected_report_id=f"r1{tag}", text="请报送进展"), at("2026-06-12"))
    up.send(topics.TRACKING_EVENTS, "tracking", "item.urged", ids["item"], tracking_events.ItemUrged(
        item_id=ids["item"], item_no="2026-0101", unit_id=ids["lead"], reason="notice_unacknowledged",
        text="请签收"), at("2026-06-03"))
    for round_, relapses in ((1, 1), (2, 2)):
        up.send(topics.INSPECTION_EVENTS, "inspection", "rectification.verified", ids["item"],
                inspection_events.RectificationChanged(
                    finding_id=f"f1{tag}", item_id=ids["item"], unit_id=ids["lead"], unit_name="牵头单位", round=round_,
                    status="ordered", verdict="failed", relapses=relapses, category="not_rectified",
                    at=ts(at("2026-06-20"))), at(f"2026-06-2{round_}"))
    up.send(topics.INSPECTION_EVENTS, "inspection", "finding.recorded", ids["lead"],
            inspection_events.FindingRecorded(finding=inspection_pb2.Finding(
                id=f"f2{tag}", unit_id=ids["lead"], unit_name="牵头单位", category="ledger_missing", text="无工作台账",
                recorded_at=ts(at("2026-06-18")))), at("2026-06-18"))
    up.send(topics.NOTIFICATION_EVENTS, "notification", "bulletin.published", f"b{tag}",
            notification_events.BulletinPublished(
                bulletin_id=f"b{tag}", kind="monthly", title="6月督查通报", issue_year=2026, document_no="平督通〔2026〕6号",
                published_at=ts(at("2026-07-03")),
                commendations=[notification_pb2.Mention(id=f"commendation:{ids['co']}", kind="commendation",
                                                        unit_id=ids["co"], unit_name="配合单位", state="kept")],
                criticisms=[notification_pb2.Mention(id=f"criticism:{ids['lead']}", kind="criticism",
                                                     unit_id=ids["lead"], unit_name="牵头单位", state="kept")],
                requirements=[notification_pb2.Requirement(id="r1", unit_id=ids["lead"], unit_name="牵头单位",
                                                           text="台账不规范，限期整改")]), at("2026-07-03"))
    up.closed(ids["item"], "2026-06-19")
    ev.settle(base + 12)
    return ids


def _by_rule(ev: Stack, unit_id: str) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for e in ev.entries(subject_kind="unit", subject_id=unit_id):
        key = (e.rule, e.basis.split(":")[0])
        out[key] = out.get(key, 0) + e.points
    return out


def test_every_cause_scores_its_rule(ev: Stack, causes: dict[str, str]) -> None:
    lead = _by_rule(ev, causes["lead"])
    assert lead[("extension_approved", "extension")] == -0.75  # -0.5, key tracking 1.5×
    assert lead[("extension_rejected", "extension")] == -1.5
    co = _by_rule(ev, causes["co"])
    assert co[("report_missed", "report")] == -0.75  # -1 × 1.5 key tracking × 0.5 co share
    assert co[("commendation", "bulletin")] == 3
    assert lead[("notice_unsigned", "notice")] == -0.75
    assert lead[("rectification_failed", "finding")] == -6  # two failed rounds, -2 × 1.5 each
    assert lead[("relapse", "finding")] == -4.5
    assert lead[("ledger_not_kept", "finding")] == -3
    assert lead[("criticism", "bulletin")] == -3 and lead[("bulletin_problem", "bulletin")] == -2
    # closed 06-19 (端午节, a day off) against the approved 06-17: 06-18 = 1 working day, 1.5×
    assert lead[("closed_late", "item")] == -1.5
    other = ev.entries(item_id=causes["other"], subject_kind="unit")
    assert [(e.rule, e.points) for e in other] == [("closed_on_time", 2)]  # scored once its item was known


def test_an_outside_consumer_reading_only_the_schema_has_the_services_totals(
        ev: Stack, causes: dict[str, str]) -> None:
    consumer = confluent_kafka.Consumer({"bootstrap.servers": ev.broker, "group.id": f"assessment-{uuid.uuid4().hex}",
                                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topics.EVALUATION_EVENTS])
    mine = {f"{kind}:{causes[k]}" for kind, k in (("unit", "lead"), ("unit", "co"), ("person", "person"),
                                                  ("leader", "leader"))}
    expected = {k: v for k, v in ev.totals().items() if k in mine}
    assert set(expected) == mine
    seen: dict[str, float] = {}
    deadline = time.monotonic() + 60
    try:
        while seen != expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in (msg.headers() or [])}  # type: ignore[str-unpack]
            if headers.get("ce_type") != "score.changed":
                continue
            value = json.loads(msg.value() or b"{}")
            jsonschema.validate(value, SCHEMA)
            key = (msg.key() or b"").decode()
            assert key == f"{value['subject']['kind']}:{value['subject']['id']}"
            if key in mine and value["year"] == 2026:
                seen[key] = value.get("total", 0)
    finally:
        consumer.close()
    assert seen == expected


def test_the_year_names_what_it_holds(ev: Stack, causes: dict[str, str]) -> None:
    year = ev.stub.GetYear(pb.GetYearRequest(year=2026, actor=ASSESS), timeout=10)
    assert year.status == "open" and year.rules_version == 1 and year.entries > 0 and len(year.calendar_version) == 16
    rules = ev.stub.GetRules(pb.GetRulesRequest(year=2026, actor=ASSESS), timeout=10)
    assert {r.code: r.label for r in rules.rules}["closed_late"] == "超期办结"




def test_the_scores_suggest_commendations_and_people_decide(ev: Stack, causes: dict[str, str]) -> None:
    base = ev.archived()
    units = [notification_pb2.UnitRow(unit_id=causes["co"], unit_name="配合单位", in_scope=1, closed=1, still_open=0),
             notification_pb2.UnitRow(unit_id=causes["lead"], unit_name="牵头单位", in_scope=2, closed=1, still_open=1)]
    ev.up.send(topics.NOTIFICATION_EVENTS, "notification", "clearance.published", "c2026",
               notification_events.ClearancePublished(bulletin_id="c2026", year=2026, document_no="平督通〔2026〕12号",
                                                      published_at=ts(at("2026-12-10")), cleared=False, units=units),
               at("2026-12-10"))
    ev.up.send(topics.NOTIFICATION_EVENTS, "notification", "clearance.filed", "c2026", notification_events.ClearanceFiled(
        bulletin_id="c2026", year=2026, receipt=notification_pb2.Receipt(receipt_no="考备〔2026〕3号",
                                                                          filed_on="2026-12-12")), at("2026-12-12"))
    ev.settle(base + 2)
    year = ev.stub.GetYear(pb.GetYearRequest(year=2026, actor=ASSESS), timeout=10)
    assert (year.clearance_document_no, year.receipt_no, year.filed_on) == ("平督通〔2026〕12号", "考备〔2026〕3号",
                                                                             "2026-12-12")
    suggested = ev.stub.SuggestCommendations(pb.SuggestCommendationsRequest(year=2026, kind="unit", actor=ASSESS),
                                             timeout=10).suggestions
    assert [(s.subject.id, s.status) for s in suggested] == [(causes["co"], "suggested")]
    assert suggested[0].basis.endswith("居责任单位第1位；已清零")
    people = ev.stub.SuggestCommendations(pb.SuggestCommendationsRequest(year=2026, kind="person", actor=ASSESS),
                                          timeout=10).suggestions
    assert not people  # the responsible person's item failed its 回头看
    decide = ev.stub.DecideCommendation
    assert code_of(lambda: decide(pb.DecideCommendationRequest(year=2026, subject_kind="unit", subject_id=causes["co"],
                                                               accept=True, actor=ASSESS), timeout=10)) \
        == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: decide(pb.DecideCommendationRequest(year=2026, subject_kind="unit",
                                                               subject_id=causes["lead"], accept=True, reason="x",
                                                               actor=ASSESS), timeout=10)) == grpc.StatusCode.NOT_FOUND
    done = decide(pb.DecideCommendationRequest(year=2026, subject_kind="unit", subject_id=causes["co"], accept=True,
                                               reason="考核办研究同意推荐", actor=ASSESS), timeout=10)
    assert done.status == "accepted" and done.decided_by == "赵考核"
    again = ev.stub.SuggestCommendations(pb.SuggestCommendationsRequest(year=2026, kind="unit", actor=ASSESS),
                                         timeout=10).suggestions
    assert again[0].status == "accepted" and again[0].reason == "考核办研究同意推荐"


def test_an_event_whose_data_cannot_be_read_is_archived_not_scored_and_blocks_nothing(
        ev: Stack, causes: dict[str, str]) -> None:
    fresh = str(uuid.uuid4())
    base = ev.archived()
    ev.up.registered(fresh, "2026-0103", "2026-06-10", lead=causes["lead"], co=(), person=causes["person"],
                     leader=causes["leader"])
    bad = ev.up.event("tracking", "item.closed", fresh, tracking_events.ItemClosed(item_id=fresh), at("2026-06-09"))
    bad = dataclasses.replace(bad, data=json.dumps({"item_id": fresh, "completion": {"signed_at": "not a time"}})
                              .encode())
    ev.up.publish(bad, topics.TRACKING_EVENTS, fresh)
    ev.settle(base + 2)
    assert ev.entries(item_id=fresh) == []  # archived (counted above), not scored
    ev.up.closed(fresh, "2026-06-09")  # the next event of the same item is heard and scored
    ev.settle(base + 3)
    assert {e.rule for e in ev.entries(item_id=fresh)} == {"closed_on_time"}
    assert ev.stub.ReplayYear(pb.ReplayYearRequest(year=2026, actor=ASSESS), timeout=60).identical
