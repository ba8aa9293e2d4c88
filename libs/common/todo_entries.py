"""One to-do entry as every service builds it (the kinds are in libs/common/todo.py), its order, the
working days it has waited, the shared message it is answered with, and the one check of who may ask:
a person reads only their own unit's and their own to-do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from duban.common.v1 import todo_pb2
from libs.common import permissions, todo
from libs.common.actor import Actor, snapshot_proto
from libs.common.calendar import WorkCalendar
from libs.common.errors import InvalidInput, PermissionDenied


@dataclass(frozen=True)
class Todo:
    """One thing waiting for a unit or a person (libs/common/todo.py names the kinds)."""

    kind: str
    item_id: str
    item_no: str
    title: str
    unit_id: str
    unit_name: str
    due_on: dt.date | None = None
    due_at: dt.datetime | None = None
    late: bool = False
    since: dt.datetime | None = None
    waited_working_days: int = 0
    asked_by: str = ""  # the person snapshot (JSON) of who asked
    asked_by_unit: str = ""  # the name of their unit
    ref_id: str = ""
    summary: str = ""
    details: tuple[tuple[str, str], ...] = ()


def working_days_waited(calendar: WorkCalendar, since: dt.date, today: dt.date) -> int:
    """Working days from `since` to `today` (0 on the same day); a year with no table yet is counted
    with its statutory holidays (provisional)."""
    if today <= since:
        return 0
    if all(calendar.has_year(y) for y in range(since.year, today.year + 1)):
        return calendar.working_days_between(since, today)
    return sum(1 for n in range(1, (today - since).days + 1)
               if calendar.is_working_day(since + dt.timedelta(days=n), provisional=True))


def todo_order(entry: Todo) -> tuple[Any, ...]:
    """The most urgent first: what is late, then by its day, then what has waited longest."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (not entry.late, entry.due_on or dt.date.max, entry.since or far, entry.item_no, entry.kind)


def _ts(moment: dt.datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def to_proto(entry: Todo) -> todo_pb2.TodoEntry:
    """The shared message every service answers ListTodo with."""
    message = todo_pb2.TodoEntry(
        kind=entry.kind, item_id=entry.item_id, item_no=entry.item_no, title=entry.title, unit_id=entry.unit_id,
        unit_name=entry.unit_name, due_on=entry.due_on.isoformat() if entry.due_on else "", due_at=_ts(entry.due_at),
        late=entry.late, since=_ts(entry.since), waited_working_days=entry.waited_working_days, ref_id=entry.ref_id,
        summary=entry.summary, details=[todo_pb2.TodoDetail(label=label, text=text) for label, text in entry.details])
    if entry.asked_by:
        message.asked_by.CopyFrom(snapshot_proto(entry.asked_by))
        message.asked_by.unit_name = entry.asked_by_unit
    return message


def asked(service: str, caller: Actor | None, unit_ids: list[str], leader_id: str,
          kinds: list[str]) -> tuple[set[str], dict[str, list[str]]]:
    """(the kinds wanted of `service`, {audience: the units or the person asked for}), after the check
    that a person asks only for their own unit and themselves (a service asks for anyone)."""
    permissions.require(caller.roles if caller else (), "todo.read")
    if caller is not None and permissions.SYSTEM not in caller.roles and (
            set(unit_ids) - {caller.unit_id} or leader_id not in ("", caller.person_id)):
        raise PermissionDenied(f"{caller.name} may read their own to-do only", {"unit_ids": "只能查看本单位、本人的待办"})
    answered = {k.name for k in todo.kinds_of(service)}
    unknown = [k for k in kinds if k not in answered]
    if unknown:
        raise InvalidInput(f"unknown to-do kinds {unknown}", {"kinds": f"未知的待办类型：{'、'.join(unknown)}"})
    return set(kinds or answered), {todo.UNIT: [u for u in unit_ids if u], todo.LEADER: [leader_id] if leader_id else []}
