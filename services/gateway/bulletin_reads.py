"""Reading bulletins (通报) as the signed-in user: the notification service decides who sees what (a
published bulletin everyone; a draft the office; one submitted or later the principal leader too; a
department's internal ones its supervisor: services/notification/context.py) and answers an invisible one
as a missing one. The gateway asks it first, before any write, so a refusal tells nothing the user may not
know. Pages and the API both use this module."""

from __future__ import annotations

from typing import Any

from flask import g

from duban.notification.v1 import notification_pb2
from libs.common.errors import NotFound
from services.gateway.calls import current_actor, notification


def missing(bulletin_id: str) -> NotFound:
    """The same words whether it does not exist or is not the user's to see (the service's English
    message says which, for its logs only)."""
    return NotFound(f"bulletin {bulletin_id} not found", {"bulletin_id": "通报不存在"})


def visible_bulletin(bulletin_id: str) -> notification_pb2.Bulletin:
    try:
        return notification().call("GetBulletin", notification_pb2.GetBulletinRequest(
            bulletin_id=bulletin_id, actor=current_actor())).bulletin
    except NotFound:
        raise missing(bulletin_id) from None


def check_target(target: str, target_id: str) -> None:
    """Before a write: the bulletin it names must be one the user sees (else 404)."""
    if target == "bulletin":
        visible_bulletin(target_id)


def clearance_of(year: int) -> notification_pb2.Bulletin | None:
    """The year's 清零 report if there is one the user may see; None otherwise."""
    try:
        return notification().call("GetClearance", notification_pb2.GetClearanceRequest(
            year=year, actor=current_actor())).bulletin
    except NotFound:
        return None


def chart_of(bulletin: notification_pb2.Bulletin) -> notification_pb2.Chart:
    """The chart of on-time (or, for 清零, closure) rates per unit: the very structure the DOCX's picture is
    drawn from (services/notification/chart.py), so the page and the document cannot disagree."""
    return bulletin.clearance.chart if bulletin.kind == "clearance" else bulletin.facts.chart


def chart_json(bulletin: notification_pb2.Bulletin) -> dict[str, Any]:
    chart = chart_of(bulletin)
    return {"bulletin_id": bulletin.id, "title": chart.title,
            "bars": [{"unit_id": b.unit_id, "unit_name": b.unit_name, "value": b.value, "label": b.label,
                      "lagging": b.lagging} for b in chart.bars]}


def named_here(bulletin: notification_pb2.Bulletin) -> bool:
    """Whether the bulletin names the user's own unit (the board highlights it for the unit)."""
    unit = g.user.unit_id
    return bool(unit) and unit in bulletin.named_unit_ids
