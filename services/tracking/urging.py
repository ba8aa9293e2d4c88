"""催办 by the office (Art. 5: written supervision and telephone follow-up, 电话督办).

The sweep chases what is late by itself once a day; the office also calls or writes to a unit whenever
it sees fit. Each such act is recorded on the item (who, how, to which unit, what was asked or agreed),
counted, and published as item.urged so the notification service can reach the unit's people.
"""

from __future__ import annotations

from duban.tracking.v1 import events_pb2
from libs.common.actor import Actor
from libs.common.errors import FailedPrecondition, InvalidInput
from libs.common.vocabulary import URGE_METHODS
from services.tracking import domain, events, metrics
from services.tracking.context import Tracking, require_office
from services.tracking.orm import Assignment, OfficeUrge
from services.tracking.repository import get_assignment

TEXT_MAX = 2000
OFFICE = "office"


def urge_unit(tracking: Tracking, item_id: str, unit_id: str, method: str, text: str, actor: Actor) -> Assignment:
    require_office(actor, "tracking.urge")
    text = text.strip()
    errors = {}
    if method not in URGE_METHODS:
        errors["method"] = "请选择督办方式（电话督办或书面督办）"
    if not text:
        errors["text"] = "请填写督办内容（要求或对方答复）"
    elif len(text) > TEXT_MAX:
        errors["text"] = f"督办内容不能超过{TEXT_MAX}字"
    if errors:
        raise InvalidInput("invalid urge: " + ", ".join(sorted(errors)), errors)
    with tracking.uow() as tx:
        assignment = get_assignment(tx, item_id, lock=True)
        if assignment.status in domain.CLOSED_STATUSES:
            raise FailedPrecondition(f"{assignment.item_no} is closed", {"status": "已销号的事项不再催办"})
        unit = next((u for u in assignment.units if u.unit_id == unit_id), None)
        if unit is None:
            raise InvalidInput(f"unit {unit_id} does not undertake {assignment.item_no}",
                               {"unit_id": "请选择该事项的承办单位"})
        now = tracking.clock.now()
        assignment.office_urges.append(OfficeUrge(
            item_id=item_id, unit_id=unit_id, unit_name=unit.unit_name, method=method, text=text, by=actor.snapshot(),
            at=now))
        assignment.version += 1
        assignment.updated_at = now
        tx.publish(events.event(events.ITEM_URGED, item_id, events_pb2.ItemUrged(
            item_id=item_id, item_no=assignment.item_no, unit_id=unit_id, reason=OFFICE,
            text=f"{URGE_METHODS[method]}：{text}"), now))
        tx.commit()
    metrics.URGES.labels(OFFICE).inc()
    return assignment
