"""实地督查 on site (Art. 6.4): visits to units (their own task ledger checked - Art. 7.3 names a ledger
not kept - and their items' process and result verified) and findings with photos and the position the
device captured. A finding is recorded once per device key, however often a tablet retries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid

import grpc
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from duban.inspection.v1 import inspection_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common import idempotency_grpc
from libs.common.actor import Actor
from libs.common.db import UnitOfWork
from libs.common.directory_entries import UnitEntry
from libs.common.errors import IdempotencyKeyReused, InvalidInput
from libs.common.grpc_errors import from_rpc_error
from libs.common.idempotency import once_by_key
from libs.common.idempotency_grpc import METADATA_KEY
from services.inspection import domain, escalating, events, metrics, photo_store, planning
from services.inspection.context import Inspection, require, require_inspector
from services.inspection.orm import Finding, ItemCheck, KnownItem, Plan, Visit
from services.inspection.repository import finding_by_key, get, known_item, plan_brief, plan_status, visit_by_key

KEY_MAX = 100


def _instant(stamp: object) -> dt.datetime | None:
    return stamp.ToDatetime(dt.UTC) if stamp is not None and stamp.ByteSize() else None  # type: ignore[attr-defined]


def _unit_of_item(item: KnownItem | None, unit_id: str) -> None:
    if item is not None and item.unit_ids and unit_id not in item.unit_ids.split(","):
        raise InvalidInput(f"unit {unit_id} does not undertake {item.item_no}", {"item_id": "该单位不承办所选事项"})


def device_key(request: object, errors: dict[str, str]) -> str:
    """The request's client_key, stripped; too long a key is a field error."""
    key = str(getattr(request, "client_key", "")).strip()
    if len(key) > KEY_MAX:
        errors["client_key"] = f"记录编号不能超过{KEY_MAX}个字符"
    return key


def _visit_replay(inspection: Inspection, plan_id: str, key: str, print_: str) -> Visit | None:
    """The visit already recorded under this key (a retry), or None; another body under it is refused."""
    with inspection.uow.read() as tx:
        found = visit_by_key(tx, plan_id, key)
    outcome = domain.keyed(found.fingerprint if found else None, print_)
    if outcome == domain.REUSED:
        raise IdempotencyKeyReused(f"client_key {key} was used for another visit",
                                   {"client_key": "该记录编号已用于另一条督查记录，请重新生成"})
    if outcome == domain.REPLAY:
        metrics.CLIENT_KEY_REPLAYS.labels("visit").inc()
    return found


def record_visit(inspection: Inspection, request: inspection_pb2.RecordVisitRequest,
                 actor: Actor) -> tuple[Visit, bool]:
    """(the visit, whether it had been recorded before under the same client key)."""
    errors: dict[str, str] = {}
    key = device_key(request, errors)
    for check in request.checks:
        errors.update({f"checks.{check.item_id}.{k}": v for k, v in domain.check_errors(check.process, check.result).items()})
    if len(request.ledger_note) > domain.NOTE_MAX or len(request.summary) > domain.TEXT_MAX:
        errors["summary"] = "说明过长"
    if errors:
        raise InvalidInput("invalid visit: " + ", ".join(sorted(errors)), errors)
    print_ = idempotency_grpc.fingerprint(request)
    return once_by_key(key, lambda: _visit_replay(inspection, request.plan_id, key, print_),
                       lambda: _new_visit(inspection, request, actor, inspection.directory.unit(request.unit_id),
                                          inspection.clock.now(), key, print_))


def _new_visit(inspection: Inspection, request: inspection_pb2.RecordVisitRequest, actor: Actor, unit: UnitEntry,
               now: dt.datetime, key: str, print_: str) -> Visit:
    with inspection.uow() as tx:
        plan = get(tx, Plan, request.plan_id, lock=True)
        require_inspector(actor, plan)
        planning.start(tx, plan, now)
        checks = []
        for position, check in enumerate(request.checks):
            item = known_item(tx, check.item_id, f"checks.{check.item_id}")
            _unit_of_item(item, unit.id)
            checks.append(ItemCheck(item_id=item.item_id, item_no=item.item_no, title=item.title, process=check.process,
                                    result=check.result, note=check.note.strip()[:domain.NOTE_MAX], position=position))
        visit = Visit(
            id=str(uuid.uuid4()), plan_id=plan.id, unit_id=unit.id, unit_name=unit.name,
            place=request.place.strip()[:200] or next((s.place for s in plan.stops if s.unit_id == unit.id), ""),
            visited_at=_instant(request.visited_at) or now, recorded_by=actor.snapshot(),
            ledger_kept=request.ledger_kept, ledger_current=request.ledger_kept and request.ledger_current,
            ledger_note=request.ledger_note.strip(), summary=request.summary.strip(), checks=checks,
            client_key=key or None, fingerprint=print_)
        tx.session.add(visit)
        tx.session.flush()  # the unique (plan, client key) is checked here, before any event is staged
        tx.publish(events.visit_recorded(visit, now))
        tx.commit()
    return visit


def fingerprint(request: inspection_pb2.RecordFindingRequest) -> str:
    """What makes two posts the same finding: everything the inspector entered, photos by content."""
    body = inspection_pb2.RecordFindingRequest()
    body.CopyFrom(request)
    body.ClearField("actor")
    body.ClearField("photos")
    digest = hashlib.sha256(body.SerializeToString(deterministic=True))
    for photo in request.photos:
        digest.update(hashlib.sha256(photo.data).digest())
    return digest.hexdigest()


def _position(request: inspection_pb2.RecordFindingRequest) -> domain.Position | None:
    if not request.HasField("position"):
        return None
    p = request.position
    return domain.Position(p.latitude, p.longitude, p.accuracy_m)


def _earlier(tx: UnitOfWork, plan_id: str, key: str, print_: str) -> Finding | None:
    """The finding already recorded under this key (a retry), or None; another body under it is refused.
    The key's fingerprint is read alone first: for a new key - nearly every call - that is all it costs."""
    recorded = tx.session.scalar(select(Finding.fingerprint).where(Finding.plan_id == plan_id,
                                                                   Finding.client_key == key))
    verdict = domain.keyed(recorded, print_)
    if verdict == domain.REUSED:
        raise IdempotencyKeyReused(f"client_key {key} was used for another finding",
                                   {"client_key": "该问题编号已用于另一条问题记录，请重新生成"})
    if verdict == domain.NEW:
        return None
    metrics.DUPLICATES_REFUSED.inc()
    return finding_by_key(tx, plan_id, key)


def _replay(inspection: Inspection, plan_id: str, key: str, print_: str) -> Finding | None:
    with inspection.uow.read() as tx:
        return _earlier(tx, plan_id, key, print_)


def record_finding(inspection: Inspection, request: inspection_pb2.RecordFindingRequest,
                   actor: Actor) -> tuple[Finding, str, bool]:
    """(the finding, its plan's title, whether it had been recorded before under the same client key)."""
    now = inspection.clock.now()
    position = _position(request)
    device_time = _instant(request.device_time)
    errors = domain.finding_errors(request.text, request.category, request.severity, len(request.photos), position,
                                   device_time, now)
    key = device_key(request, errors)
    if errors:
        raise InvalidInput("invalid finding: " + ", ".join(sorted(errors)), errors)
    print_ = fingerprint(request)
    with inspection.uow.read() as tx:  # checks before the photos' work, so a refused finding costs nothing
        brief = plan_brief(tx, request.plan_id)
        if key and (earlier := _earlier(tx, brief.id, key, print_)) is not None:
            return earlier, brief.title, True
        require_inspector(actor, brief)
        item = known_item(tx, request.item_id) if request.item_id else None
    unit = inspection.directory.unit(request.unit_id)
    _unit_of_item(item, unit.id)
    accepted = photo_store.accept_all(inspection, request.photos)
    finding_id = str(uuid.uuid4())
    photos = photo_store.store(inspection, finding_id, "finding", 0, accepted)
    try:
        with inspection.uow() as tx:
            # The plan may have moved since it was read above (its team is the same: checked there).
            brief = dataclasses.replace(brief, status=plan_status(tx, brief.id))
            planning.start_brief(tx, brief, now)
            if request.visit_id:
                visit = get(tx, Visit, request.visit_id)
                if visit.plan_id != brief.id or visit.unit_id != unit.id:
                    raise InvalidInput("visit of another plan or unit", {"visit_id": "所选督查记录与本问题的方案或单位不符"})
            finding = Finding(
                id=finding_id, plan_id=brief.id, visit_id=request.visit_id, unit_id=unit.id, unit_name=unit.name,
                item_id=item.item_id if item else "", item_no=item.item_no if item else "",
                item_title=item.title if item else "", text=request.text.strip(), category=request.category,
                severity=request.severity, place=request.place.strip()[:200],
                latitude=position.latitude if position else None, longitude=position.longitude if position else None,
                accuracy_m=position.accuracy_m if position else None, device_time=device_time, recorded_at=now,
                recorded_by=actor.snapshot(), client_key=key or None, fingerprint=print_, version=1, updated_at=now,
                photos=photos)
            tx.session.add(finding)
            tx.session.flush()  # the unique (plan, client key) is checked here, before any event is staged
            tx.publish(events.finding_recorded(finding, brief.title, inspection.today(), now))
            if domain.escalates(finding.severity):  # rare: the whole plan names who is told
                escalating.raise_in(inspection, tx, get(tx, Plan, brief.id), finding.text, actor, unit.id, unit.name,
                                    item, finding)
            tx.commit()
    except IntegrityError:
        # The same key won a race with this request: answer with the finding it recorded.
        if key and (earlier := _replay(inspection, request.plan_id, key, print_)) is not None:
            return earlier, _title(inspection, earlier.plan_id), True
        raise
    metrics.FINDINGS.labels(finding.severity).inc()
    return finding, brief.title, False


def _title(inspection: Inspection, plan_id: str) -> str:
    with inspection.uow.read() as tx:
        return plan_brief(tx, plan_id).title


def register_as_item(inspection: Inspection, request: inspection_pb2.RegisterFindingAsItemRequest,
                     actor: Actor) -> Finding:
    """The office makes a finding a ledger item (督查通报要求整改事项), through the ledger's gRPC as the
    inspection service; the finding keeps the item, the item's remarks name the finding. Asking twice
    returns the item made the first time (the call's idempotency key is the finding's)."""
    require(actor, "inspection.register_item", "只有督查室可以将问题登记为督查事项")
    with inspection.uow.read() as tx:
        finding = get(tx, Finding, request.finding_id)
        plan = get(tx, Plan, finding.plan_id)
        item = tx.session.get(KnownItem, finding.item_id) if finding.item_id else None
    if finding.registered_item_id:
        return finding
    leader = request.responsible_leader_id or (item.leader_id if item else "")
    if not leader:
        raise InvalidInput("no responsible leader", {"responsible_leader_id": "请指定责任领导"})
    title = (request.title.strip() or f"整改{finding.unit_name}督查发现问题：{finding.text}")[:domain.TITLE_MAX]
    ask = ledger_pb2.RegisterItemRequest(
        title=title, content=finding.text, source="bulletin_rectification", category=request.category or "general",
        lead_unit_id=finding.unit_id, responsible_leader_id=leader,
        remarks=f"由{plan.plan_no or plan.title}督查发现问题登记（问题记录于{finding.recorded_at:%Y-%m-%d}）",
        origin_finding_id=finding.id,
        actor=actor.to_proto())
    stub = inspection.ledger()
    try:
        answer = stub.RegisterItem(ask, metadata=[(METADATA_KEY, f"finding-item:{finding.id}")],  # type: ignore[attr-defined]
                                   timeout=10)
    except grpc.RpcError as error:  # the ledger's refusal keeps its fields and words; a failure stays one
        refusal = from_rpc_error(error)
        if refusal is None:
            raise
        raise refusal from error
    with inspection.uow() as tx:
        finding = get(tx, Finding, request.finding_id, lock=True)
        finding.registered_item_id, finding.registered_item_no = answer.item.id, answer.item.item_no
        finding.version += 1
        finding.updated_at = inspection.clock.now()
        tx.commit()
    return finding

