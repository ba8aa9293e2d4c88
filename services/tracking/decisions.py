"""转期: a unit asks before the deadline; only the item's responsible leader signs the decision."""

from __future__ import annotations

import datetime as dt
import uuid

from duban.tracking.v1 import events_pb2
from libs.common.actor import Actor
from libs.common.dates import parse_date
from libs.common.db import UnitOfWork
from libs.common.errors import NotFound
from services.tracking import domain, events, metrics
from services.tracking.context import Tracking, require_leader, require_unit
from services.tracking.convert import to_proto
from services.tracking.orm import Assignment, AuditEntry, ExpectedReport, Extension
from services.tracking.progress import refuse_while_failure_analysis_missing
from services.tracking.repository import get_assignment, lead_unit


def request_extension(
    tracking: Tracking, item_id: str, reason: str, new_due: str, progress: str, actor: Actor
) -> Assignment:
    new_due_date = parse_date(new_due, "new_due_date")
    with tracking.uow() as tx:
        assignment = get_assignment(tx, item_id, lock=True)
        unit_id = require_unit(actor, assignment, lead_only=True)
        refuse_while_failure_analysis_missing(tracking, assignment)
        pending = any(x.status == "pending" for x in assignment.extensions)
        domain.check_extension(tracking.today(), assignment.due_date, assignment.status, reason, new_due_date, pending,
                               tracking.calendar)
        now = tracking.clock.now()
        extension = Extension(id=str(uuid.uuid4()), item_id=item_id, unit_id=unit_id, reason=reason.strip(),
                              progress=progress.strip(), old_due_date=assignment.due_date, new_due_date=new_due_date,
                              status="pending", requested_at=now, requested_by=actor.snapshot())
        assignment.extensions.append(extension)
        assignment.version += 1
        assignment.updated_at = now
        tx.session.flush()
        _publish(tracking, tx, assignment, extension, events.EXTENSION_REQUESTED, now)
        tx.commit()
        metrics.EXTENSIONS.labels("requested").inc()
        return assignment


def decide_extension(
    tracking: Tracking, item_id: str, extension_id: str, approve: bool, comment: str, actor: Actor
) -> Assignment:
    with tracking.uow() as tx:
        assignment = get_assignment(tx, item_id, lock=True)
        require_leader(actor, assignment, "审批转期")
        extension = next((x for x in assignment.extensions if x.id == extension_id), None)
        if extension is None or extension.status != "pending":
            raise NotFound("no pending extension", {"extension_id": "没有待审批的该转期申请"})
        now = tracking.clock.now()
        extension.status = "approved" if approve else "rejected"
        extension.decided_at, extension.decided_by, extension.comment = now, actor.snapshot(), comment.strip()
        if approve:
            assignment.due_date = extension.new_due_date  # the original deadline stays in original_due_date
            assignment.due_date_provisional = False  # a date the leader signed, not a count
            cadence = tracking.policy.cadence_for(assignment.category, assignment.key_tracking)
            known = {(e.period, e.due_on) for e in assignment.expected}
            for expected in domain.report_schedule(tracking.calendar, cadence, extension.old_due_date,
                                                   extension.new_due_date):
                if (expected.period, expected.due_on) not in known:
                    assignment.expected.append(ExpectedReport(
                        id=str(uuid.uuid4()), unit_id=lead_unit(assignment), period=expected.period,
                        period_start=expected.period_start, due_on=expected.due_on, status="expected"))
        # The leader's signed act, kept with who, when, decision and comment.
        tx.session.add(AuditEntry(item_id=item_id, act="extension", decision=extension.status,
                                  person_id=actor.person_id, person_name=actor.name, comment=comment.strip(), at=now))
        assignment.version += 1
        assignment.updated_at = now
        tx.session.flush()
        kind = events.EXTENSION_APPROVED if approve else events.EXTENSION_REJECTED
        _publish(tracking, tx, assignment, extension, kind, now)
        if approve:  # the schedule grew with the new deadline
            tx.publish(events.raisers_changed(assignment, now))
        tx.commit()
        metrics.EXTENSIONS.labels(extension.status).inc()
        return assignment


def _publish(tracking: Tracking, tx: UnitOfWork, assignment: Assignment, extension: Extension, kind: str,
             now: dt.datetime) -> None:
    proto = to_proto(tracking, assignment, with_timeline=False)
    tx.publish(events.event(kind, assignment.item_id, events_pb2.ExtensionDecided(
        item_id=assignment.item_id, extension=next(x for x in proto.extensions if x.id == extension.id),
        due_date=assignment.due_date.isoformat(), original_due_date=assignment.original_due_date.isoformat()), now))
