"""Writing the ledger forms as XLSX in streaming mode (openpyxl write-only), sheet per unit."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from libs.common.errors import InvalidInput
from services.ledger import metrics, repository
from services.ledger.forms import FORMS, UNIT_LINE_PREFIX, Form
from services.ledger.handlers import Ledger
from services.ledger.orm import Unit

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 1024 * 1024
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name)[:28] or "Sheet"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base[:25]}({n})", n + 1
    used.add(candidate)
    return candidate


def _write_sheet(ws, form: Form, org: str, unit_name: str | None, items) -> int:  # type: ignore[no-untyped-def]
    for idx, width in enumerate(form.widths, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    title = WriteOnlyCell(ws, value=form.title.format(org=org))
    title.font = Font(bold=True, size=14)
    ws.append([title])
    if unit_name is not None:
        ws.append([f"{UNIT_LINE_PREFIX}{unit_name}"])
    header = []
    for text, _ in form.columns:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    ws.append(header)
    getters = [getter for _, getter in form.columns]
    count = 0
    for count, item in enumerate(items, start=1):
        ws.append([count] + [getter(item) for getter in getters[1:]])
    return count


def export_ledger(ledger: Ledger, form_name: str, query: repository.ItemQuery, org: str) -> tuple[str, Path]:
    """Build the workbook in a temporary file; returns (download filename, path). Caller deletes it."""
    form = FORMS.get(form_name or "ledger_710")
    if form is None:
        raise InvalidInput(f"unknown form {form_name!r}", {"form": f"未知的台账样式，应为 {', '.join(FORMS)}"})
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    rows = 0
    with ledger.uow.read() as tx:
        session = tx.session
        if form.per_unit:
            units = list(session.scalars(select(Unit).order_by(Unit.id)))
            if query.unit_ids:
                units = [u for u in units if u.id in query.unit_ids]
            used: set[str] = set()
            for unit in units:
                items = repository.iter_items(session, replace(query, unit_ids=(unit.id,)))
                first = next(items, None)
                if first is None and len(units) > 1:
                    continue
                ws = workbook.create_sheet(_sheet_name(unit.name, used))
                rows += _write_sheet(ws, form, org, unit.name, _chain(first, items))
        else:
            ws = workbook.create_sheet("台账")
            rows += _write_sheet(ws, form, org, None, repository.iter_items(session, query))
    if not workbook.worksheets:
        _write_sheet(workbook.create_sheet("台账"), form, org, "", iter(()))
    handle = tempfile.NamedTemporaryFile(prefix="ledger-", suffix=".xlsx", delete=False)
    handle.close()
    workbook.save(handle.name)
    metrics.EXPORT_ROWS.labels(form.name).inc(rows)
    metrics.EXPORT_SECONDS.labels(form.name).observe(time.perf_counter() - started)
    filename = {"ledger_710": "710台账.xlsx", "unit_ledger": "单位督查事项管理台账.xlsx"}.get(form.name, "督查事项台账.xlsx")
    return filename, Path(handle.name)


def _chain(first, rest) -> Iterator:  # type: ignore[no-untyped-def]
    if first is not None:
        yield first
        yield from rest


def read_chunks(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
