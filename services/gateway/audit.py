"""The audit trail: every state-changing request is appended, whatever its outcome."""

from __future__ import annotations

import logging

from flask import Response, g, request

from services.gateway import metrics
from services.gateway.auth import client_ip, db, now
from services.gateway.orm import AuditEntry

logger = logging.getLogger(__name__)
AUDITED = {"POST", "PUT", "PATCH", "DELETE"}


def record(response: Response) -> Response:
    if request.method not in AUDITED or request.endpoint in (None, "static"):
        return response
    user = g.get("user")
    action = request.endpoint or "unknown"
    target = g.get("audit_target") or next(iter((request.view_args or {}).values()), "")
    entry = AuditEntry(
        at=now(),
        user_id=user.user_id if user else None,
        username=user.username if user else (g.get("attempted_username") or ""),
        role=user.role if user else "",
        unit_id=user.unit_id if user else "",
        method=request.method,
        path=request.path[:300],
        action=action[:100],
        target=str(target)[:100],
        status=response.status_code,
        ip=client_ip(),
        user_agent=(request.user_agent.string or "")[:500],
    )
    try:
        session = db()
        session.rollback()  # whatever the view left half-done must not ride along with the audit row
        session.add(entry)
        session.commit()
        metrics.AUDIT_WRITES.labels(action).inc()
    except Exception:  # noqa: BLE001 - an audit failure is logged loudly but must not hide the answer
        logger.exception("could not write audit entry for %s %s", request.method, request.path)
    return response
