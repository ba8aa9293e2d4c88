"""The ledger forms as files: XLSX export (streamed) and XLSX import with a row-by-row report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, g, request

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


def run_import() -> ledger_pb2.ImportLedgerResponse:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("no file", {"file": "请选择要导入的 XLSX 文件"})
    content = upload.read(current_app.extensions["settings"].upload_max_bytes + 1)
    reader = Reader(request.form)
    mode = reader.text("mode", 20) or "all_or_nothing"
    dry_run = bool(reader.flag("dry_run"))
    reader.done()
    g.audit_target = upload.filename[:100]
    return write(ledger(), "ImportLedger", ledger_pb2.ImportLedgerRequest(
        filename=upload.filename, content=content, mode=mode, dry_run=dry_run, actor=actor(g.user)), timeout=120)


@bp.post("/ledger/import")
@require("ledger.import")
def import_ledger() -> dict[str, Any]:
    return to_json(run_import())
