"""Between the ledger's rows and its protobuf messages (API responses and event payloads)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common.lights import Light
from services.ledger import domain, orm


def _ts(value: dt.datetime | None) -> Timestamp:
    ts = Timestamp()
    if value is not None:
        ts.FromDatetime(value)
    return ts


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def item_to_proto(item: orm.Item, light: Light | None = None) -> ledger_pb2.Item:
    message = _item(item)
    if light is not None:
        message.light, message.light_reason = light.colour, light.reason
        if light.working_days_left is not None:
            message.working_days_left = light.working_days_left
    return message


def _item(item: orm.Item) -> ledger_pb2.Item:
    return ledger_pb2.Item(
        id=item.id,
        item_no=item.item_no,
        title=item.title,
        content=item.content,
        source=item.source,
        category=item.category,
        key_tracking=item.key_tracking,
        units=[
            ledger_pb2.ItemUnit(unit_id=u.unit_id, unit_name=u.unit_name, role=u.role, duty=u.duty)
            for u in item.units
        ],
        responsible_leader=common_pb2.PersonSnapshot(
            id=item.responsible_leader_id, name=item.responsible_leader_name,
            unit_name=item.responsible_leader_unit,
        ),
        responsible_person=common_pb2.PersonSnapshot(
            id=item.responsible_person_id, name=item.responsible_person_name,
            unit_name=item.responsible_person_unit,
        ),
        supervisor=common_pb2.PersonSnapshot(
            id=item.supervisor_id, name=item.supervisor_name, unit_name=item.supervisor_unit,
        ),
        registered_on=_date(item.registered_on),
        assigned_on=_date(item.assigned_on),
        due_date=_date(item.due_date),
        due_date_reason=item.due_date_reason,
        due_date_provisional=item.due_date_provisional,
        status=item.status,
        supervision_status=item.supervision_status,
        result=item.result,
        closure_signature=item.closure_signature,
        extension_reason=item.extension_reason,
        extension_signature=item.extension_signature,
        remarks=item.remarks,
        version=item.version,
        created_at=_ts(item.created_at),
        updated_at=_ts(item.updated_at),
        legacy_no=item.legacy_no,
        follow_up_of=item.follow_up_of,
        follow_up_of_no=item.follow_up_of_no,
        origin_finding_id=item.origin_finding_id,
        origin_bulletin_id=item.origin_bulletin_id,
        assessment_year=item.assessment_year,
    )


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
_SECOND = dt.timedelta(seconds=1)


def _ts_fields(value: dt.datetime | None) -> dict[str, int]:
    """_ts as constructor fields, without Timestamp.FromDatetime's Python-level conversion: the same
    seconds (naive is UTC) and nanos; None gives an empty Timestamp, set, as _ts does."""
    if value is None:
        return {}
    seconds = (value - (_EPOCH if value.tzinfo is not None else _NAIVE_EPOCH)) // _SECOND
    return {"seconds": seconds, "nanos": value.microsecond * 1000}


def add_item_row(items: Any, row: Any, units: Sequence[Any], light: Light) -> None:
    """Append to `items` (a repeated Item field) the message item_to_proto makes of the same item, from
    a row of repository.ITEM_COLUMNS and its units (lists read rows, not ORM objects). Nested messages
    are given as dicts: the message is built once, in place, instead of built and copied."""
    message = items.add(
        id=row.id, item_no=row.item_no, title=row.title, content=row.content, source=row.source,
        category=row.category, key_tracking=row.key_tracking,
        units=[{"unit_id": u.unit_id, "unit_name": u.unit_name, "role": u.role, "duty": u.duty} for u in units],
        responsible_leader={"id": row.responsible_leader_id, "name": row.responsible_leader_name,
                            "unit_name": row.responsible_leader_unit},
        responsible_person={"id": row.responsible_person_id, "name": row.responsible_person_name,
                            "unit_name": row.responsible_person_unit},
        supervisor={"id": row.supervisor_id, "name": row.supervisor_name, "unit_name": row.supervisor_unit},
        registered_on=_date(row.registered_on), assigned_on=_date(row.assigned_on), due_date=_date(row.due_date),
        due_date_reason=row.due_date_reason, due_date_provisional=row.due_date_provisional, status=row.status,
        supervision_status=row.supervision_status, result=row.result, closure_signature=row.closure_signature,
        extension_reason=row.extension_reason, extension_signature=row.extension_signature, remarks=row.remarks,
        version=row.version, created_at=_ts_fields(row.created_at), updated_at=_ts_fields(row.updated_at),
        legacy_no=row.legacy_no, follow_up_of=row.follow_up_of, follow_up_of_no=row.follow_up_of_no,
        origin_finding_id=row.origin_finding_id, origin_bulletin_id=row.origin_bulletin_id,
        assessment_year=row.assessment_year, light=light.colour, light_reason=light.reason,
    )
    if light.working_days_left is not None:
        message.working_days_left = light.working_days_left


def unit_to_proto(unit: orm.Unit) -> ledger_pb2.Unit:
    return ledger_pb2.Unit(id=unit.id, name=unit.name, kind=unit.kind, active=unit.active,
                           head_person_id=unit.head_person_id)


def person_to_proto(person: orm.Person) -> ledger_pb2.Person:
    return ledger_pb2.Person(
        id=person.id, name=person.name, unit_id=person.unit_id, role=person.role, title=person.title,
        active=person.active, mobile=person.mobile, email=person.email, wecom_user_id=person.wecom_user_id,
        dingtalk_user_id=person.dingtalk_user_id,
    )


def contacts_of(person: ledger_pb2.Person) -> domain.Contacts:
    return domain.Contacts(person.mobile, person.email, person.wecom_user_id, person.dingtalk_user_id)


def change_to_proto(change: orm.ItemChange) -> ledger_pb2.ItemChange:
    return ledger_pb2.ItemChange(
        at=_ts(change.at),
        actor=common_pb2.Actor(
            user_id=change.actor_id, name=change.actor_name, role=change.actor_role, unit_id=change.actor_unit
        ),
        field=change.field,
        old_value=change.old_value,
        new_value=change.new_value,
        reason=change.reason,
    )


def import_job_to_proto(job: orm.ImportJob, retention_hours: int, full: bool = True) -> ledger_pb2.ImportJob:
    """An import job's state; `full` adds its row errors and item numbers (a status, not a list)."""
    actor = json.loads(job.actor)
    message = ledger_pb2.ImportJob(
        id=job.id, filename=job.filename, mode=job.mode, state=job.state, phase=job.phase, done=job.done,
        phase_total=job.phase_total, rows=job.rows_total, created=job.created, duplicates=job.duplicates,
        error_rows=job.error_rows, committed=job.created > 0, outcome=job.outcome, failure=job.failure,
        started_by=job.actor_name, started_by_id=actor.get("user_id", ""), attempts=job.attempts,
        created_at=_ts(job.created_at), size=job.size, passed=job.passed,
    )
    if job.finished_at is not None:
        message.finished_at.CopyFrom(_ts(job.finished_at))
        message.expires_at.CopyFrom(_ts(job.finished_at + dt.timedelta(hours=retention_hours)))
    if full:
        message.errors.extend(ledger_pb2.RowError(row=r, field=f, message=m) for r, f, m in json.loads(job.errors))
        message.item_nos.extend(json.loads(job.item_nos))
    return message
