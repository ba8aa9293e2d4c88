"""The score ledger through the real parts: events on the broker → archived and scored → entries, totals
and score.changed; duplicates score once; a frozen year's late events become adjustments; replay gives
the same entries and the same export bytes; a rule version shows its difference before it is accepted."""

from __future__ import annotations

import hashlib
import uuid

import grpc
import pytest
from sqlalchemy import delete

from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common import topics
from libs.common.testing import code_of
from services.evaluation import metrics
from services.evaluation.orm import CalendarVersion, Entry, ItemRow, Total
from services.evaluation.rule_sets import default_text
from services.evaluation.tests.conftest import ASSESS, FGJ, FGJ_SUPERVISOR, JYJ, OFFICE, PERSON, Stack


def _id() -> str:
    return str(uuid.uuid4())


@pytest.fixture(scope="module")
def scored(ev: Stack) -> dict[str, str]:
    """Three items: one closed in time, one closed late (with daily overdue notices), one closed late
    without any (the sweep missed every day) - and the late ones' closure redelivered."""
    up = ev.up
    base = ev.archived()
    ids = {"on_time": _id(), "late_swept": _id(), "late_unswept": _id(), "open": _id()}
    up.registered(ids["on_time"], "2026-0001", "2026-06-10")
    up.registered(ids["late_swept"], "2026-0002", "2026-06-10", key_tracking=True)
    up.registered(ids["late_unswept"], "2026-0003", "2026-06-10", key_tracking=True)
    up.registered(ids["open"], "2026-0004", "2026-06-10", co=())
    up.closed(ids["on_time"], "2026-06-09")
    for day, late in (("2026-06-11", 1), ("2026-06-12", 2), ("2026-06-15", 3)):
        up.overdue(ids["late_swept"], "2026-06-10", day, late)
    closure = up.closed(ids["late_swept"], "2026-06-15")
    up.closed(ids["late_unswept"], "2026-06-15")
    up.publish(closure, topics.TRACKING_EVENTS, ids["late_swept"])  # the same record again (redelivered)
    ev.settle(base + 10)
    return ids


def test_a_late_closure_is_scored_per_working_day_with_its_reason(ev: Stack, scored: dict[str, str]) -> None:
    late = [e for e in ev.entries(item_id=scored["late_unswept"])]
    by_subject = {(e.subject.kind, e.subject.id): e for e in late}
    # 2026-06-10 (Wed) → 06-15 (Mon): 11, 12, 15 are working days; key tracking 1.5×, lead 1.0, co 0.5
    assert by_subject[("unit", "fgj")].points == -4.5
    assert by_subject[("unit", "jyj")].points == -2.25
    assert by_subject[("person", "p-zhang")].points == -4.5
    assert by_subject[("leader", "ld-li")].points == -4.5
    lead = by_subject[("unit", "fgj")]
    assert lead.rule == "closed_late" and lead.state == "counted" and lead.day == "2026-06-15"
    assert lead.explanation.startswith("2026-0003 超期3个工作日（原完成时限2026-06-10，无批准转期）")
    assert lead.explanation.endswith("-4.5分")
    assert lead.cause.type == "item.closed" and lead.cause.topic == topics.TRACKING_EVENTS
    assert lead.cause.source == "duban/tracking" and lead.cause.offset >= 0 and lead.cause.event_id
    assert len(lead.calendar_version) == 16 and lead.rule_version == 1
    with ev.app.uow.read() as tx:  # the tables it counted on are kept under that version
        kept = tx.session.get(CalendarVersion, lead.calendar_version)
        assert kept is not None and "h2026-06-19端午节" in kept.tables
        assert hashlib.sha256(kept.tables.encode()).hexdigest()[:16] == lead.calendar_version


def test_the_sweep_does_not_change_a_score_and_a_redelivered_closure_scores_once(
        ev: Stack, scored: dict[str, str]) -> None:
    swept = sorted((e.subject.kind, e.subject.id, e.points) for e in ev.entries(item_id=scored["late_swept"]))
    unswept = sorted((e.subject.kind, e.subject.id, e.points) for e in ev.entries(item_id=scored["late_unswept"]))
    assert swept == unswept and len(swept) == 4  # one entry per subject, whatever was redelivered


def test_totals_are_the_sums_of_the_entries(ev: Stack, scored: dict[str, str]) -> None:
    totals = ev.totals()
    entries = ev.entries()
    for key, total in totals.items():
        kind, sid = key.split(":")
        assert round(sum(e.points for e in entries if e.subject.kind == kind and e.subject.id == sid
                         and e.state == "counted"), 2) == pytest.approx(total)
    on_time = {(e.subject.kind, e.subject.id): e.points for e in ev.entries(item_id=scored["on_time"])}
    assert on_time == {("unit", "fgj"): 2, ("unit", "jyj"): 1, ("person", "p-zhang"): 2, ("leader", "ld-li"): 2}


def test_a_unit_sees_its_own_scores_and_not_another_units(ev: Stack, scored: dict[str, str]) -> None:
    mine = ev.totals(FGJ)
    assert "unit:fgj" in mine and "unit:jyj" not in mine and "person:p-zhang" not in mine
    assert {e.subject.id for e in ev.entries(JYJ)} == {"jyj"}
    assert not [e for e in ev.entries(JYJ) if e.subject.id == "fgj"]
    assert {k for k in ev.totals(PERSON)} == {"unit:fgj", "person:p-zhang"}
    assert "person:p-zhang" in ev.totals(FGJ_SUPERVISOR)  # the unit's supervisor, for its head
    assert "leader:ld-li" in ev.totals(OFFICE)
    assert code_of(lambda: ev.stub.FreezeYear(pb.FreezeYearRequest(year=2026, actor=OFFICE), timeout=10)) \
        == grpc.StatusCode.PERMISSION_DENIED


def test_replay_gives_the_same_entries_and_the_same_export(ev: Stack, scored: dict[str, str]) -> None:
    first = ev.stub.ReplayYear(pb.ReplayYearRequest(year=2026, actor=ASSESS), timeout=60)
    assert first.identical and not first.diff and first.entries == len(ev.entries())
    rebuilt = ev.stub.ReplayYear(pb.ReplayYearRequest(year=2026, rebuild=True, actor=ASSESS), timeout=60)
    assert rebuilt.identical and rebuilt.export_sha256 == first.export_sha256
    again = ev.stub.ReplayYear(pb.ReplayYearRequest(year=2026, actor=ASSESS), timeout=60)
    assert again.identical and again.export_sha256 == first.export_sha256


def test_wiped_projections_are_rebuilt_from_the_archive_alone(ev: Stack, scored: dict[str, str]) -> None:
    before = ev.totals()
    first = ev.stub.ReplayYear(pb.ReplayYearRequest(year=2026, actor=ASSESS), timeout=60)
    with ev.app.uow() as tx:  # the projections gone, the archive kept
        tx.session.execute(delete(Entry))
        tx.session.execute(delete(Total))
        tx.session.execute(delete(ItemRow))
        tx.commit()
    assert ev.totals() == {} and ev.entries() == []
    rebuilt = ev.stub.ReplayYear(pb.ReplayYearRequest(year=2026, rebuild=True, actor=ASSESS), timeout=60)
    assert not rebuilt.identical  # against the wiped projections
    assert ev.totals() == before
    after = ev.stub.ReplayYear(pb.ReplayYearRequest(year=2026, actor=ASSESS), timeout=60)
    assert after.identical and after.export_sha256 == first.export_sha256


def test_a_rule_version_shows_its_difference_before_it_is_accepted(ev: Stack, scored: dict[str, str]) -> None:
    before = ev.totals()
    text = default_text().replace("closed_late:          {points: -1,", "closed_late:          {points: -2,")
    proposal = ev.stub.ProposeRules(pb.ProposeRulesRequest(year=2026, yaml=text, actor=ASSESS), timeout=60)
    diff = {f"{d.subject.kind}:{d.subject.id}": (d.before, d.after) for d in proposal.diff}
    # two late items, 3 days each: fgj lead 2 × 3 × 1.5 more per item
    assert diff["unit:fgj"] == (before["unit:fgj"], before["unit:fgj"] - 9)
    assert diff["unit:jyj"] == (before["unit:jyj"], before["unit:jyj"] - 4.5)
    assert ev.totals() == before  # nothing changes until it is accepted
    bad = ev.stub.ProposeRules
    assert code_of(lambda: bad(pb.ProposeRulesRequest(year=2026, yaml="rules: {closed_late: {points: x}}",
                                                      actor=ASSESS), timeout=10)) == grpc.StatusCode.INVALID_ARGUMENT
    accepted = ev.stub.AcceptRules(pb.AcceptRulesRequest(year=2026, version=proposal.rules.version, actor=ASSESS),
                                      timeout=60)
    assert accepted.status == "accepted"
    after = ev.totals()
    assert after["unit:fgj"] == before["unit:fgj"] - 9
    late = {e.subject.id: e for e in ev.entries(item_id=scored["late_unswept"]) if e.subject.kind == "unit"}
    assert late["fgj"].rule_version == proposal.rules.version and late["fgj"].points == -9
    assert ev.stub.ReplayYear(pb.ReplayYearRequest(year=2026, actor=ASSESS), timeout=60).identical


def test_an_item_moved_to_another_year_takes_its_entries_along(ev: Stack, scored: dict[str, str]) -> None:
    before = ev.totals()
    base = ev.archived()
    moved = _id()
    ev.up.registered(moved, "2026-0009", "2026-06-10", co=())
    ev.up.closed(moved, "2026-06-08")
    ev.settle(base + 2)
    assert ev.totals()["unit:fgj"] == before["unit:fgj"] + 2
    ev.up.registered(moved, "2026-0009", "2026-06-10", co=(), year=2027, updated=True)  # the office's change
    ev.settle(base + 3)
    assert ev.totals() == before
    reversal = next(e for e in ev.entries(item_id=moved) if e.points < 0 and e.subject.kind == "unit")
    assert reversal.explanation.startswith("2026-0009 考核年度由2026年改为2027年，冲销本年度记分（")
    in_2027 = ev.stub.ListTotals(pb.ListTotalsRequest(year=2027, actor=ASSESS), timeout=10).totals
    assert {(t.subject.kind, t.subject.id): t.total for t in in_2027}[("unit", "fgj")] == 2
    for year in (2026, 2027):
        assert ev.stub.ReplayYear(pb.ReplayYearRequest(year=year, actor=ASSESS), timeout=60).identical


def test_a_frozen_year_sends_late_events_to_adjustments(ev: Stack, scored: dict[str, str]) -> None:
    ev.clock.set(ev.clock.now().replace(month=12, day=20))
    base = ev.archived()
    year = ev.stub.FreezeYear(pb.FreezeYearRequest(year=2026, as_of="2026-06-19", actor=ASSESS), timeout=60)
    assert year.status == "frozen" and year.as_of == "2026-06-19"
    open_late = {e.subject.id: e for e in ev.entries(item_id=scored["open"])}
    # still open on 06-19: 11, 12, 15, 16, 17, 18 = 6 working days (19 is 端午节), not key-tracked, lead only
    assert open_late["fgj"].rule == "open_late" and open_late["fgj"].points == -6
    assert "考核时（2026-06-19）仍未办结" in open_late["fgj"].explanation
    again = ev.stub.FreezeYear(pb.FreezeYearRequest(year=2026, actor=ASSESS), timeout=10)
    assert again.status == "frozen"
    assert code_of(lambda: ev.stub.FreezeYear(pb.FreezeYearRequest(year=2026, as_of="2026-06-30", actor=ASSESS),
                                                 timeout=10)) == grpc.StatusCode.FAILED_PRECONDITION
    before = ev.totals()
    ev.up.closed(scored["open"], "2026-06-22")
    ev.settle(base + 2)
    assert ev.totals() == before  # never silently into the totals
    pending = ev.stub.ListAdjustments(pb.ListAdjustmentsRequest(year=2026, status="pending", actor=ASSESS),
                                         timeout=10).adjustments
    assert {a.entry.subject.id for a in pending} >= {"fgj", "p-zhang", "ld-li"}
    assert metrics.ADJUSTMENTS_PENDING._value.get() == len(pending)  # the gauge follows the adjustments
    lead = next(a for a in pending if a.entry.subject.id == "fgj")
    assert lead.entry.rule == "closed_late" and lead.entry.state == "pending"
    assert code_of(lambda: ev.stub.DecideAdjustment(pb.DecideAdjustmentRequest(
        adjustment_id=lead.id, accept=True, actor=ASSESS), timeout=10)) == grpc.StatusCode.INVALID_ARGUMENT
    decided = ev.stub.DecideAdjustment(pb.DecideAdjustmentRequest(
        adjustment_id=lead.id, accept=True, reason="考核办研究同意计入", actor=ASSESS), timeout=10)
    assert decided.status == "accepted" and decided.decided_by == "赵考核"
    assert ev.totals()["unit:fgj"] == pytest.approx(before["unit:fgj"] + lead.entry.points)
    assert ev.stub.ReplayYear(pb.ReplayYearRequest(year=2026, actor=ASSESS), timeout=60).identical
