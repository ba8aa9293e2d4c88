"""The ledger pages: the list with lights and filters, item detail with history, register, import, export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duban.ledger.v1 import ledger_pb2
from libs.common import vocabulary
from libs.common.clock import OFFICE_TZ
from libs.common.errors import DomainError, FailedPrecondition, InvalidInput
from services.gateway.api.items import assessment_year_patch, list_page, register_request
from services.gateway.api.ledger_io import export_response
from services.gateway.auth import require
from services.gateway.calls import actor, directory, visible_item
from services.gateway.calls import ledger as ledger_service
from services.gateway.idempotency import FORM_ONLY, write
from services.gateway.pages import bp
from services.gateway.problems import status_of

FILTER_KEYS = ("q", "unit_id", "source", "category", "status", "light", "key_tracking", "due_from", "due_to")


@bp.get("/ledger")
@require("items.read")
def ledger() -> str:
    args = request.args.to_dict()
    args.setdefault("page_size", "20")
    args["include_total"] = "true"
    error = None
    try:
        page = list_page(g.user, args)
    except InvalidInput as exc:
        page, error = ledger_pb2.ListItemsResponse(), exc.field_errors
    units, _ = directory()
    filters = {k: request.args.get(k, "") for k in FILTER_KEYS}
    active = {k: v for k, v in filters.items() if v}
    return render_template("ledger/list.html", page=page, filters=filters, active=active, units=units,
                           vocabulary=vocabulary, error=error, page_token=request.args.get("page_token", ""))


@bp.route("/items/new", methods=["GET", "POST"])
@require("items.register")
def register() -> ResponseReturnValue:
    units, people = directory()
    errors: dict[str, str] = {}
    suggestions: dict[str, str] = {}
    status = 200
    form = request.form
    if request.method == "POST":
        # The form's own shapes (a checkbox, a multi-select of co units) as the API's fields; then the
        # API's builder checks them.
        fields: dict[str, Any] = {k: v for k, v in form.items() if k not in ("co_unit_ids", "key_tracking")}
        fields["key_tracking"] = form.get("key_tracking") == "on"
        fields["co_units"] = [{"unit_id": u, "duty": ""} for u in form.getlist("co_unit_ids") if u]
        try:
            item = write(ledger_service(), "RegisterItem", register_request(fields, ignore=FORM_ONLY)).item
        except (InvalidInput, FailedPrecondition) as exc:  # the latter: a frozen assessment year
            errors, suggestions, status = exc.field_errors, exc.suggestions, status_of(exc)
        else:
            g.audit_target = item.item_no
            return redirect(url_for("pages.item_detail", item_id=item.id, registered=1))
    return render_template("ledger/register.html", units=units, people=people, errors=errors, form=form,
                           suggestions=suggestions, vocabulary=vocabulary,
                           today=current_app.extensions["clock"].today().isoformat()), status


@bp.route("/items/<item_id>/assessment-year", methods=["GET", "POST"])
@require("items.update")
def assessment_year(item_id: str) -> ResponseReturnValue:
    """考核年度: the office moves an item to another assessment year (kept in its history, with the reason)."""
    item = visible_item(g.user, item_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            patch, version, reason = assessment_year_patch(request.form, ignore=FORM_ONLY)
            item = write(ledger_service(), "UpdateItem", ledger_pb2.UpdateItemRequest(
                id=item.id, expected_version=version, patch=patch, reason=reason, actor=actor(g.user))).item
        except DomainError as exc:
            errors, status = exc.field_errors or {"assessment_year": exc.message}, status_of(exc)
        else:
            g.audit_target = item.item_no
            return redirect(url_for("pages.item_detail", item_id=item.id, done="assessment_year"))
    return render_template("ledger/assessment_year.html", item=item, errors=errors, form=request.form), status


@bp.get("/ledger/import")
@require("ledger.import")
def import_page() -> str:
    """The upload form, the job given by `?job=` (its progress, then its result) and the recent imports."""
    settings = current_app.extensions["settings"]
    reply = ledger_service().call("ListImportJobs", ledger_pb2.ListImportJobsRequest(page_size=20))
    jobs = [{"id": j.id, "filename": j.filename, "mode": j.mode, "state": j.state, "phase": j.phase,
             "outcome": j.outcome, "failure": j.failure, "started_by": j.started_by, "rows": j.rows,
             "created": j.created, "duplicates": j.duplicates, "error_rows": j.error_rows,
             "created_at": j.created_at.ToDatetime(dt.UTC).astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M")}
            for j in reply.jobs]
    job_id = request.args.get("job", "")[:36]
    return render_template("ledger/import.html", max_mb=settings.upload_max_bytes // 1024 // 1024, jobs=jobs,
                           job_id=job_id, vocabulary=vocabulary)


@bp.get("/ledger/export")
@require("ledger.export")
def export_page() -> Response:
    return export_response(request.args.get("form", "ledger_710"), request.args)
