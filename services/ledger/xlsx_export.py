"""Writing the ledger forms as XLSX in streaming mode, sheet per unit where the form is per unit.

XlsxWriter in constant-memory mode writes each row as it comes; the rows come from plain column
queries read in batches (no ORM objects), and a per-unit form is one pass ordered by unit. 100,000
items stay well under 200 MB.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import xlsxwriter
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from libs.common.errors import InvalidInput
from services.ledger import metrics, repository
from services.ledger.context import Ledger
from services.ledger.forms import FORMS, UNIT_LINE_PREFIX, Form
from services.ledger.orm import Item, ItemUnit, Unit

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 1024 * 1024
BATCH = 2000
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
COLUMNS = [
    Item.id, Item.item_no, Item.title, Item.content, Item.source, Item.category, Item.key_tracking,
    Item.responsible_leader_name, Item.responsible_person_name, Item.supervisor_name, Item.registered_on,
    Item.assigned_on, Item.due_date, Item.due_date_reason, Item.status, Item.supervision_status, Item.result,
    Item.closure_signature, Item.extension_reason, Item.extension_signature, Item.remarks,
]
FILENAMES = {"ledger_710": "710台账.xlsx", "unit_ledger": "单位督查事项管理台账.xlsx", "full": "督查事项台账.xlsx"}


class ExportRow:
    """An item's columns plus its units, read like the ORM item the forms' cells expect."""

    __slots__ = ("_row", "units")

    def __init__(self, row: Any, units: list[Any]) -> None:
        self._row = row
        self.units = units

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name)[:28] or "Sheet"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base[:25]}({n})", n + 1
    used.add(candidate)
    return candidate


def _with_units(session: Session, stmt: Select) -> Iterator[tuple[Any, Item]]:
    """Rows in batches; each batch's units in one query (positions kept: lead first)."""
    result = session.execute(stmt.execution_options(yield_per=BATCH))
    for batch in result.partitions():
        ids = {r.id for r in batch}
        units: dict[str, list[Any]] = defaultdict(list)
        for unit in session.execute(
            select(ItemUnit.item_id, ItemUnit.unit_id, ItemUnit.unit_name, ItemUnit.role)
            .where(ItemUnit.item_id.in_(ids)).order_by(ItemUnit.item_id, ItemUnit.position)
        ):
            units[unit.item_id].append(unit)
        for row in batch:
            # An ExportRow answers every attribute the forms' cells read from an Item.
            yield row, cast(Item, ExportRow(row, units[row.id]))


class _Sheet:
    unit_id: str  # per-unit forms: the unit whose items the sheet lists

    def __init__(self, workbook: xlsxwriter.Workbook, form: Form, org: str, name: str, unit_name: str | None,
                 formats: dict[str, xlsxwriter.format.Format]) -> None:
        self.ws = workbook.add_worksheet(name)
        for idx, width in enumerate(form.widths):
            self.ws.set_column(idx, idx, width)
        self.ws.write(0, 0, form.title.format(org=org), formats["title"])
        self.row = 1
        if unit_name is not None:
            self.ws.write(1, 0, f"{UNIT_LINE_PREFIX}{unit_name}")
            self.row = 2
        self.ws.write_row(self.row, 0, [text for text, _ in form.columns], formats["header"])
        self.row += 1
        self.getters = [getter for _, getter in form.columns][1:]
        self.count = 0

    def add(self, item: Item) -> None:
        self.count += 1
        self.ws.write_row(self.row, 0, [self.count, *(getter(item) for getter in self.getters)])
        self.row += 1


def export_ledger(ledger: Ledger, form_name: str, query: repository.ItemQuery, org: str) -> tuple[str, Path]:
    """Build the workbook in a temporary file; returns (download filename, path). Caller deletes it."""
    form = FORMS.get(form_name or "ledger_710")
    if form is None:
        raise InvalidInput(f"unknown form {form_name!r}", {"form": f"未知的台账样式，应为 {', '.join(FORMS)}"})
    started = time.perf_counter()
    handle = tempfile.NamedTemporaryFile(prefix="ledger-", suffix=".xlsx", delete=False)
    handle.close()
    workbook = xlsxwriter.Workbook(handle.name, {"constant_memory": True, "default_date_format": "yyyy-mm-dd",
                                                 "strings_to_numbers": False, "strings_to_formulas": False,
                                                 "strings_to_urls": False})
    formats = {"title": workbook.add_format({"bold": True, "font_size": 14}),
               "header": workbook.add_format({"bold": True, "align": "center"})}
    rows = 0
    base = repository.filtered(query).with_only_columns(*COLUMNS)
    with ledger.uow.read() as tx:
        session = tx.session
        if form.per_unit:
            units = {u.id: u.name for u in session.scalars(select(Unit).order_by(Unit.id))}
            wanted = [u for u in units if not query.unit_ids or u in query.unit_ids]
            stmt = (base.add_columns(ItemUnit.unit_id.label("sheet_unit"))
                    .join(ItemUnit, ItemUnit.item_id == Item.id).where(ItemUnit.unit_id.in_(wanted))
                    .order_by(ItemUnit.unit_id, Item.registered_on.desc(), Item.seq.desc()))
            used: set[str] = set()
            sheet = None
            for row, item in _with_units(session, stmt):
                if sheet is None or sheet.unit_id != row.sheet_unit:
                    if sheet is not None:
                        rows += sheet.count
                    name = units[row.sheet_unit]
                    sheet = _Sheet(workbook, form, org, _sheet_name(name, used), name, formats)
                    sheet.unit_id = row.sheet_unit
                sheet.add(item)
            if sheet is not None:
                rows += sheet.count
            elif len(wanted) == 1:  # one unit asked for, nothing in it: its (empty) form
                _Sheet(workbook, form, org, _sheet_name(units[wanted[0]], used), units[wanted[0]], formats)
        else:
            sheet = _Sheet(workbook, form, org, "台账", None, formats)
            for _, item in _with_units(session, base.order_by(Item.registered_on.desc(), Item.seq.desc())):
                sheet.add(item)
            rows = sheet.count
    if not workbook.worksheets():
        _Sheet(workbook, form, org, "台账", "", formats)
    workbook.close()
    metrics.EXPORT_ROWS.labels(form.name).inc(rows)
    metrics.EXPORT_SECONDS.labels(form.name).observe(time.perf_counter() - started)
    return FILENAMES[form.name], Path(handle.name)


def read_chunks(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
