"""Writing the ledger forms as XLSX, streamed: sheet per unit where the form is per unit.

The rows come from plain column queries read in batches (no ORM objects), a per-unit form is one pass
ordered by unit, and each row goes straight into the workbook's zip stream (libs.common.xlsx_stream),
so the download starts with the first rows and 100,000 items stay well under 200 MB.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any, cast

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from libs.common.errors import InvalidInput
from libs.common.xlsx_stream import CellStyle, XlsxStream
from services.ledger import metrics, repository
from services.ledger.context import Ledger
from services.ledger.forms import FORMS, UNIT_CELLS, UNIT_LINE_PREFIX, Form
from services.ledger.orm import Item, ItemUnit, Unit

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 256 * 1024
BATCH = 2000
TITLE, HEADER = 2, 3  # the workbook's styles (xlsx_stream: 0 plain, 1 dates)
STYLES = (CellStyle(bold=True, size=14), CellStyle(bold=True, center=True))
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
COLUMNS = [
    Item.id, Item.item_no, Item.title, Item.content, Item.source, Item.category, Item.key_tracking,
    Item.responsible_leader_name, Item.responsible_person_name, Item.supervisor_name, Item.registered_on,
    Item.assigned_on, Item.due_date, Item.due_date_provisional, Item.due_date_reason, Item.status, Item.supervision_status, Item.result,
    Item.closure_signature, Item.extension_reason, Item.extension_signature, Item.remarks,
]
FILENAMES = {"ledger_710": "710台账.xlsx", "unit_ledger": "单位督查事项管理台账.xlsx", "full": "督查事项台账.xlsx"}


_UNITS_OF = (select(ItemUnit.item_id, ItemUnit.unit_id, ItemUnit.unit_name, ItemUnit.role)
             .where(ItemUnit.item_id.in_(bindparam("ids", expanding=True)))
             .order_by(ItemUnit.item_id, ItemUnit.position))


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name)[:28] or "Sheet"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base[:25]}({n})", n + 1
    used.add(candidate)
    return candidate


def _with_units(session: Session, stmt: Select, with_units: bool = True) -> Iterator[tuple[Any, Item]]:
    """Core rows in batches, each as a named tuple that also carries `units` (the batch's units in one
    query, lead first; left empty when the form shows no units): the forms' cells read it like an Item,
    at tuple speed."""
    result = session.connection().execute(stmt.execution_options(yield_per=BATCH))
    fields = [*result.keys(), "units"]
    cells = cast(Callable[..., Any], namedtuple("cells", fields))
    for batch in result.partitions():
        units: dict[str, list[Any]] = defaultdict(list)
        if with_units:
            for unit in session.connection().execute(_UNITS_OF, {"ids": list({r.id for r in batch})}).all():
                units[unit.item_id].append(unit)
        for row in batch:
            yield row, cast(Item, cells(*row, units.get(row.id, ())))


class _Sheet:
    """One form sheet: the title, the unit line of a per-unit form, the header, then numbered rows."""

    unit_id: str  # per-unit forms: the unit whose items the sheet lists

    def __init__(self, book: XlsxStream, form: Form, org: str, name: str, unit_name: str | None) -> None:
        self.book = book
        book.sheet(name, form.widths, width=len(form.columns))
        book.row([form.title.format(org=org)], TITLE)
        if unit_name is not None:
            book.row([f"{UNIT_LINE_PREFIX}{unit_name}"])
        book.row([text for text, _ in form.columns], HEADER)
        self.getters = [getter for _, getter in form.columns][1:]
        self.count = 0

    def add(self, item: Item) -> None:
        self.count += 1
        self.book.row([self.count, *(getter(item) for getter in self.getters)])


def export_ledger(ledger: Ledger, form_name: str, query: repository.ItemQuery, org: str,
                  ) -> tuple[str, Iterator[bytes]]:
    """(download filename, the workbook's bytes in chunks as the rows are read). An unknown form is
    refused here, before anything is sent."""
    form = FORMS.get(form_name or "ledger_710")
    if form is None:
        raise InvalidInput(f"unknown form {form_name!r}", {"form": f"未知的台账样式，应为 {', '.join(FORMS)}"})
    return FILENAMES[form.name], _chunks(ledger, form, query, org)


def _chunks(ledger: Ledger, form: Form, query: repository.ItemQuery, org: str) -> Iterator[bytes]:
    started = time.perf_counter()
    book = XlsxStream(STYLES)
    rows = 0
    sheets = 0
    base = repository.filtered(query).with_only_columns(*COLUMNS)
    with_units = any(getter in UNIT_CELLS for _, getter in form.columns)
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
            for row, item in _with_units(session, stmt, with_units):
                if sheet is None or sheet.unit_id != row.sheet_unit:
                    if sheet is not None:
                        rows += sheet.count
                    name = units[row.sheet_unit]
                    sheet = _Sheet(book, form, org, _sheet_name(name, used), name)
                    sheet.unit_id = row.sheet_unit
                    sheets += 1
                sheet.add(item)
                if book.buffered >= CHUNK:
                    yield book.take()
            if sheet is not None:
                rows += sheet.count
            elif len(wanted) == 1:  # one unit asked for, nothing in it: its (empty) form
                _Sheet(book, form, org, _sheet_name(units[wanted[0]], used), units[wanted[0]])
                sheets += 1
        else:
            sheet = _Sheet(book, form, org, "台账", None)
            sheets += 1
            for _, item in _with_units(session, base.order_by(Item.registered_on.desc(), Item.seq.desc()),
                                       with_units):
                sheet.add(item)
                if book.buffered >= CHUNK:
                    yield book.take()
            rows = sheet.count
    if not sheets:
        _Sheet(book, form, org, "台账", "")
    yield book.close()
    metrics.EXPORT_ROWS.labels(form.name).inc(rows)
    metrics.EXPORT_SECONDS.labels(form.name).observe(time.perf_counter() - started)
