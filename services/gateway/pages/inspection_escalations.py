"""重大问题报告 pages: the reports addressed to a leader or the office head (all of them for the office), and
one report with who has read it and the 阅知 button for a recipient who has not."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from libs.common import vocabulary
from libs.common.errors import DomainError, NotFound
from services.gateway import inspection_writes
from services.gateway.auth import require
from services.gateway.idempotency import FORM_ONLY
from services.gateway.inspection_reads import escalations, visible_escalation, visible_finding
from services.gateway.pages import bp
from services.gateway.problems import status_of


@bp.get("/inspection/escalations")
@require("inspection.read")
def inspection_escalations() -> str:
    open_only = request.args.get("open_only", "") == "true"
    return render_template("inspection/escalations.html", escalations=escalations(open_only=open_only),
                           open_only=open_only)


def render_escalation(escalation_id: str, errors: dict[str, str] | None = None) -> str:
    escalation = visible_escalation(escalation_id, request.args.get("plan_id", "")[:36])
    mine = next((r for r in escalation.recipients if g.user.person_id and r.person.id == g.user.person_id), None)
    finding = None
    if escalation.finding_id:
        try:
            finding = visible_finding(escalation.finding_id)
        except NotFound:
            finding = None  # a leader sees the findings of their own items only
    return render_template("inspection/escalation.html", e=escalation, mine=mine, finding=finding,
                           errors=errors or {}, vocabulary=vocabulary,
                           done=request.args.get("done", "") == "acknowledgement")


@bp.get("/inspection/escalations/<escalation_id>")
@require("inspection.read")
def inspection_escalation(escalation_id: str) -> str:
    return render_escalation(escalation_id)


@bp.post("/inspection/escalations/<escalation_id>/acknowledgement")
@require("inspection.acknowledge")
def inspection_escalation_acknowledge(escalation_id: str) -> ResponseReturnValue:
    visible_escalation(escalation_id)
    try:
        inspection_writes.send("acknowledgement", escalation_id, request.form, ignore=FORM_ONLY)
    except DomainError as exc:
        return render_escalation(escalation_id, exc.field_errors or {"form": exc.message}), status_of(exc)
    g.audit_target = escalation_id
    return redirect(url_for("pages.inspection_escalation", escalation_id=escalation_id, done="acknowledgement"))
