"""The ledger forms as files: XLSX export (streamed) and XLSX import as a job with a row-by-row report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, g, request, url_for

from duban.ledger.v1 import ledger_pb2
from libs.common.errors import InvalidInput
from services.gateway.api import bp
from services.gateway.api.items import item_filter
from services.gateway.auth import require
from services.gateway.calls import actor, ledger
from services.gateway.idempotency import write
from services.gateway.present import Reader, file_response, to_json
from services.gateway.scope import scoped_filter


def export_response(form: str, args: Mapping[str, str]) -> Response:
    request_ = ledger_pb2.ExportLedgerRequest(form=form, filter=scoped_filter(g.user, item_filter(args)))
    return file_response(ledger().stream("ExportLedger", request_))


@bp.get("/ledger/export")
@require("ledger.export")
def export_ledger() -> Response:
    return export_response(request.args.get("form", "ledger_710"), request.args)


def start_import() -> ledger_pb2.ImportJob:
    """Queue the uploaded file as an import job; the ledger's worker runs it (the call answers at once)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("no file", {"file": "请选择要导入的 XLSX 文件"})
    content = upload.read(current_app.extensions["settings"].upload_max_bytes + 1)
    reader = Reader(request.form)
    mode = reader.text("mode", 20) or "all_or_nothing"
    if "dry_run" in request.form:  # the old flag: a dry run is the mode `validate` now
        reader.errors["dry_run"] = "“仅检查”已改为导入方式 mode=validate"
    reader.done()
    g.audit_target = upload.filename[:100]
    reply = write(ledger(), "StartImport", ledger_pb2.StartImportRequest(
        filename=upload.filename, content=content, mode=mode, actor=actor(g.user)))
    return reply.job


@bp.post("/ledger/import")
@require("ledger.import")
def import_ledger() -> Response:
    """202 Accepted with the job and its status URL (Location): the import runs in the ledger."""
    job = start_import()
    response = Response(current_app.json.dumps(to_json(job)), status=202, mimetype="application/json")
    response.headers["Location"] = url_for("api.get_import", job_id=job.id)
    return response


@bp.get("/ledger/imports")
@require("ledger.import")
def list_imports() -> dict[str, Any]:
    reader = Reader(request.args)
    page_size = reader.integer("page_size", 20, 1, 100)
    reader.done()
    return to_json(ledger().call("ListImportJobs", ledger_pb2.ListImportJobsRequest(page_size=page_size)))


@bp.get("/ledger/imports/<job_id>")
@require("ledger.import")
def get_import(job_id: str) -> dict[str, Any]:
    return to_json(ledger().call("GetImportJob", ledger_pb2.GetImportJobRequest(id=job_id)).job)
