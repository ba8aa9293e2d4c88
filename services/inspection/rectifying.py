"""立督立纠，限时整改 (Art. 6.4) and 回头看: the inspectors have a finding fixed on the spot (with evidence)
or order it fixed by a deadline in working days; the unit reports its rectification with evidence; the
inspectors re-inspect and record pass or fail with evidence. Only a passed re-inspection makes it 已整改;
a failed one reissues the order with a new deadline and counts as a relapse (边改边犯, Art. 7.3).

Every change of a finding's open orders republishes its item's raisers: an order awaiting the unit past
its day turns the item's light red (tracking owns the light; the ledger shows it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from duban.inspection.v1 import inspection_pb2
from libs.common import idempotency_grpc
from libs.common.actor import Actor
from libs.common.db import UnitOfWork
from libs.common.errors import FailedPrecondition, IdempotencyKeyReused, InvalidInput, PermissionDenied
from libs.common.idempotency import once_by_key
from services.inspection import convert, domain, events, metrics, photo_store, recording
from services.inspection.context import Inspection, is_office, require, require_inspector
from services.inspection.orm import Finding, Plan, RectificationRound
from services.inspection.repository import get


def _due(inspection: Inspection, working_days: int, due_date: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(due_date) if due_date else None
    except ValueError:
        raise InvalidInput(f"bad due_date {due_date!r}", {"due_date": "日期格式应为YYYY-MM-DD"}) from None
    return domain.deadline(inspection.calendar, inspection.today(), working_days or inspection.rectification_working_days,
                           day)


def open_rounds(tx: UnitOfWork, item_id: str) -> list[tuple[str, dt.date]]:
    """The item's orders awaiting their unit's report: (finding id, deadline)."""
    rows = tx.session.execute(
        select(Finding.id, RectificationRound.due_date)
        .join(RectificationRound, RectificationRound.finding_id == Finding.id)
        .where(Finding.item_id == item_id, Finding.rect_mode == domain.ORDERED, RectificationRound.reported_at.is_(None),
               RectificationRound.verdict == "", RectificationRound.due_date.is_not(None)))
    return [(finding_id, due) for finding_id, due in rows if due is not None]


def _announce(inspection: Inspection, tx: UnitOfWork, finding: Finding, type_: str, actor: Actor, verdict: str = "") -> None:
    now = inspection.clock.now()
    today = inspection.today()
    finding.rect_status = domain.rectification_status(finding.rect_mode, convert.rounds_of(finding), today)
    finding.relapses = domain.relapses(convert.rounds_of(finding))
    finding.version += 1
    finding.updated_at = now
    tx.publish(events.rectification_changed(type_, finding, today, now, actor, verdict))
    if finding.item_id:
        tx.session.flush()
        tx.publish(events.raisers_changed(finding.item_id, open_rounds(tx, finding.item_id), now))
    metrics.RECTIFICATIONS.labels(type_.split(".")[1] + (f"_{verdict}" if verdict else "")).inc()


def order(inspection: Inspection, request: inspection_pb2.OrderRectificationRequest, actor: Actor) -> Finding:
    has_evidence = bool(request.on_spot.text.strip() or request.on_spot.photos)
    errors = domain.check_order(request.mode, has_evidence, request.requirement)
    if errors:
        raise InvalidInput("invalid order: " + ", ".join(sorted(errors)), errors)
    due = _due(inspection, request.working_days, request.due_date) if request.mode == domain.ORDERED else None
    accepted = photo_store.accept_all(inspection, request.on_spot.photos, "on_spot")
    with inspection.uow() as tx:
        finding = get(tx, Finding, request.finding_id, lock=True)
        require_inspector(actor, get(tx, Plan, finding.plan_id))
        if finding.rect_mode:
            raise FailedPrecondition(f"finding {finding.id} already has its rectification",
                                     {"mode": "该问题已下达整改要求"})
        now = inspection.clock.now()
        finding.rect_mode = request.mode
        finding.rounds.append(RectificationRound(
            finding_id=finding.id, number=1, due_date=due, ordered_at=now, ordered_by=actor.snapshot(),
            requirement=request.requirement.strip(),
            report_text=request.on_spot.text.strip() if request.mode == domain.ON_SPOT else "",
            reported_at=now if request.mode == domain.ON_SPOT else None,
            reported_by=actor.snapshot() if request.mode == domain.ON_SPOT else ""))
        finding.photos.extend(photo_store.store(inspection, finding.id, "on_spot", 1, accepted, len(finding.photos)))
        _announce(inspection, tx, finding, events.RECTIFICATION_ORDERED, actor)
        tx.commit()
    return finding


def report(inspection: Inspection, request: inspection_pb2.ReportRectificationRequest, actor: Actor) -> Finding:
    """The unit's rectification report (整改情况报告) with evidence: it waits for 回头看."""
    require(actor, "inspection.rectify", "只有被督查单位可以报送整改情况")
    if not request.report.text.strip():
        raise InvalidInput("empty rectification report", {"report": "请填写整改情况"})
    if len(request.report.text) > domain.TEXT_MAX:
        raise InvalidInput("report too long", {"report": f"整改情况不能超过{domain.TEXT_MAX}字"})
    accepted = photo_store.accept_all(inspection, request.report.photos, "report")
    with inspection.uow() as tx:
        finding = get(tx, Finding, request.finding_id, lock=True)
        if not is_office(actor) and actor.unit_id != finding.unit_id:
            raise PermissionDenied(f"unit {actor.unit_id} reports for {finding.unit_id}",
                                   {"finding_id": "只能报送本单位问题的整改情况"})
        last = finding.rounds[-1] if finding.rounds else None
        if finding.rect_mode != domain.ORDERED or last is None or last.reported_at is not None or last.verdict:
            raise FailedPrecondition(f"finding {finding.id} awaits no report",
                                     {"finding_id": "该问题没有待报送的整改要求（可能已报送，正在等待回头看）"})
        now = inspection.clock.now()
        last.reported_at, last.reported_by, last.report_text = now, actor.snapshot(), request.report.text.strip()
        finding.photos.extend(photo_store.store(inspection, finding.id, "report", last.number, accepted,
                                                len(finding.photos)))
        _announce(inspection, tx, finding, events.RECTIFICATION_REPORTED, actor)
        tx.commit()
    return finding


def _verified_before(inspection: Inspection, finding_id: str, key: str, print_: str) -> Finding | None:
    """The finding, when a 回头看 under this device key gave its verdict already (a retry); another body
    under the key is refused."""
    with inspection.uow.read() as tx:
        finding = get(tx, Finding, finding_id)
        done = next((r for r in finding.rounds if r.verification_key == key), None)
    outcome = domain.keyed(done.verification_fingerprint if done else None, print_)
    if outcome == domain.REUSED:
        raise IdempotencyKeyReused(f"client_key {key} was used for another re-inspection",
                                   {"client_key": "该记录编号已用于另一次回头看，请重新生成"})
    if outcome == domain.NEW:
        return None
    metrics.CLIENT_KEY_REPLAYS.labels("verification").inc()
    return finding


def verify(inspection: Inspection, request: inspection_pb2.VerifyRectificationRequest,
           actor: Actor) -> tuple[Finding, bool]:
    """回头看: passed makes it 已整改; failed reissues the order with a new deadline (a relapse). Returns
    (the finding, whether this device key had given the verdict before)."""
    errors: dict[str, str] = {}
    key = recording.device_key(request, errors)
    if not request.verification.text.strip() and not request.verification.photos:
        errors["verification"] = "请填写回头看情况或附照片"
    if errors:
        raise InvalidInput("invalid re-inspection: " + ", ".join(sorted(errors)), errors)
    print_ = idempotency_grpc.fingerprint(request)
    return once_by_key(key, lambda: _verified_before(inspection, request.finding_id, key, print_),
                       lambda: _verify(inspection, request, actor, key, print_))


def _verify(inspection: Inspection, request: inspection_pb2.VerifyRectificationRequest, actor: Actor, key: str,
            print_: str) -> Finding:
    due = None if request.passed else _due(inspection, request.working_days, request.due_date)
    accepted = photo_store.accept_all(inspection, request.verification.photos, "verification")
    with inspection.uow() as tx:
        finding = get(tx, Finding, request.finding_id, lock=True)
        require_inspector(actor, get(tx, Plan, finding.plan_id))
        last = finding.rounds[-1] if finding.rounds else None
        if finding.rect_mode != domain.ORDERED or last is None or last.verdict:
            raise FailedPrecondition(f"finding {finding.id} has nothing to re-inspect",
                                     {"finding_id": "该问题没有待回头看的整改"})
        if last.reported_at is None:
            raise FailedPrecondition(f"finding {finding.id}: the unit has not reported",
                                     {"finding_id": "被督查单位尚未报送整改情况，不能回头看"})
        now = inspection.clock.now()
        verdict = domain.PASSED if request.passed else domain.FAILED
        last.verified_at, last.verified_by, last.verdict = now, actor.snapshot(), verdict
        last.verification_text = request.verification.text.strip()
        last.verification_key, last.verification_fingerprint = key or None, print_
        finding.photos.extend(photo_store.store(inspection, finding.id, "verification", last.number, accepted,
                                                len(finding.photos)))
        if not request.passed:
            finding.rounds.append(RectificationRound(
                finding_id=finding.id, number=last.number + 1, due_date=due, ordered_at=now, ordered_by=actor.snapshot(),
                requirement=last.requirement))
        _announce(inspection, tx, finding, events.RECTIFICATION_VERIFIED, actor, verdict)
        tx.commit()
    return finding
