"""Writing the ledger forms as XLSX, streamed: sheet per unit where the form is per unit.

The rows come from plain column queries read in batches (no ORM objects), a per-unit form is one pass
ordered by unit, and each row goes straight into the workbook's zip stream (libs.common.xlsx_stream),
so the download starts with the first rows and 100,000 items stay well under 200 MB.

Each sheet prints as an office hands the form in: A4 landscape, every column on the page width, the
title merged and centred over the table (宋体), the column headers repeated at the top of every page
and frozen on screen, a framed grid in 仿宋 with text wrapped in its column, page numbers below.
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
from libs.common.xlsx_stream import CellStyle, PageSetup, XlsxStream
from services.ledger import metrics, repository
from services.ledger.context import Ledger
from services.ledger.forms import CENTRED_HEADERS, FORMS, NOTE_CELLS, UNIT_CELLS, UNIT_LINE_PREFIX, Form
from services.ledger.orm import Item, ItemUnit, SupervisionNote, Unit

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 256 * 1024
BATCH = 2000
# The workbook's styles (xlsx_stream: 0 plain, 1 dates, then these): the title in 宋体 like a printed
# form's heading, the header row in bold 宋体, the rows in 仿宋 (the office's body face), framed.
TITLE_FONT, TABLE_FONT = "宋体", "仿宋"
TITLE, UNIT_LINE, HEADER, BODY, BODY_CENTRED = 2, 3, 4, 5, 6
STYLES = (
    CellStyle(bold=True, size=18, center=True, middle=True, font=TITLE_FONT),
    CellStyle(size=12, middle=True, font=TITLE_FONT),
    CellStyle(bold=True, size=11, center=True, middle=True, wrap=True, border=True, font=TITLE_FONT),
    CellStyle(size=11, middle=True, wrap=True, border=True),
    CellStyle(size=11, center=True, middle=True, wrap=True, border=True),
)
TITLE_HEIGHT, UNIT_LINE_HEIGHT, HEADER_HEIGHT = 36, 22, 30  # points
# A row is as high as its longest wrapped cell: readers keep a streamed row's default height (LibreOffice
# does not refit rows on load), so each row's height is estimated here from its text. 11 pt CJK is about
# 15 px wide (a width unit is 7 px), a line about 12.5 pt high as printed.
CJK_PX, LINE_PT, ROW_PADDING_PT, ROW_MIN_PT = 15, 12.5, 5, 20
FOOTER = "&C第 &P 页，共 &N 页"
MARGINS = (0.5, 0.5, 0.6, 0.6)  # inches: left, right, top, bottom
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
COLUMNS = [
    Item.id, Item.item_no, Item.title, Item.content, Item.source, Item.category, Item.key_tracking,
    Item.responsible_leader_name, Item.responsible_person_name, Item.supervisor_name, Item.registered_on,
    Item.assigned_on, Item.due_date, Item.due_date_provisional, Item.due_date_reason, Item.status, Item.supervision_status, Item.result,
    Item.closure_signature, Item.extension_reason, Item.extension_signature, Item.remarks, Item.assessment_year,
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


_NOTES_OF = (select(SupervisionNote.item_id, SupervisionNote.text)
             .where(SupervisionNote.item_id.in_(bindparam("ids", expanding=True)))
             .order_by(SupervisionNote.item_id, SupervisionNote.noted_at, SupervisionNote.id))


def _with_units(session: Session, stmt: Select, with_units: bool = True, with_notes: bool = False,
                ) -> Iterator[tuple[Any, Item]]:
    """Core rows in batches, each as a named tuple that also carries `units` (the batch's units in one
    query, lead first; left empty when the form shows no units) and `notes` (the item's record, oldest
    first, when the form prints 督查情况): the forms' cells read it like an Item, at tuple speed."""
    result = session.connection().execute(stmt.execution_options(yield_per=BATCH))
    fields = [*result.keys(), "units", "notes"]
    cells = cast(Callable[..., Any], namedtuple("cells", fields))
    for batch in result.partitions():
        units: dict[str, list[Any]] = defaultdict(list)
        notes: dict[str, list[str]] = defaultdict(list)
        ids = list({r.id for r in batch}) if with_units or with_notes else []
        if with_units:
            for unit in session.connection().execute(_UNITS_OF, {"ids": ids}).all():
                units[unit.item_id].append(unit)
        if with_notes:
            for item_id, text in session.connection().execute(_NOTES_OF, {"ids": ids}).all():
                notes[item_id].append(text)
        for row in batch:
            yield row, cast(Item, cells(*row, units.get(row.id, ()), notes.get(row.id, ())))


class _Sheet:
    """One form sheet: the title, the unit line of a per-unit form, the header, then numbered rows."""

    unit_id: str  # per-unit forms: the unit whose items the sheet lists

    def __init__(self, book: XlsxStream, form: Form, org: str, name: str, unit_name: str | None) -> None:
        self.book = book
        book.sheet(name, form.widths, width=len(form.columns), setup=page_setup(form, unit_name is not None))
        book.row([form.title.format(org=org)], TITLE, TITLE_HEIGHT)
        if unit_name is not None:
            book.row([f"{UNIT_LINE_PREFIX}{unit_name}"], UNIT_LINE, UNIT_LINE_HEIGHT)
        book.row([text for text, _ in form.columns], HEADER, HEADER_HEIGHT)
        self.getters = [getter for _, getter in form.columns][1:]
        # per column: how many CJK characters fit on one line of it, and its cells' style
        self.fits = [max(1, int((w * 7 + 5 - 6) // CJK_PX)) for w in form.widths]
        self.styles = tuple(BODY_CENTRED if text in CENTRED_HEADERS else BODY for text, _ in form.columns)
        self.count = 0

    def add(self, item: Item) -> None:
        self.count += 1
        values = [self.count, *(getter(item) for getter in self.getters)]
        lines = 1
        for value, fit in zip(values, self.fits, strict=False):
            if type(value) is str and (len(value) > fit or "\n" in value):
                lines = max(lines, wrapped_lines(value, fit))
        self.book.row(values, BODY, max(ROW_MIN_PT, lines * LINE_PT + ROW_PADDING_PT), self.styles)


def wrapped_lines(text: str, fit: int) -> int:
    """Lines a text takes in a column where `fit` CJK characters fit (a Latin letter or digit is half:
    counted from the UTF-8 length, at C speed - a CJK character is 3 bytes, ASCII 1)."""
    total = 0
    for part in text.split("\n"):
        halves = len(part) + (len(part.encode()) - len(part)) // 2
        total += max(1, -(-halves // (2 * fit)))
    return total


def page_setup(form: Form, unit_line: bool) -> PageSetup:
    """A4 landscape, fit to the page width (no column on a page of its own), the header row repeated
    on every page and frozen below it on screen, the title (and unit line) merged over the table."""
    last = chr(ord("A") + len(form.columns) - 1)  # forms have at most 26 columns
    header = 3 if unit_line else 2
    merges = ("A1:" + last + "1", *(("A2:" + last + "2",) if unit_line else ()))
    return PageSetup(merges=merges, freeze_rows=header, repeat_rows=(header, header), landscape=True,
                     fit_width=True, center_horizontally=True, margins=MARGINS, footer=FOOTER)


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
    book = XlsxStream(STYLES, font=TABLE_FONT)
    rows = 0
    sheets = 0
    base = repository.filtered(query).with_only_columns(*COLUMNS)
    with_units = any(getter in UNIT_CELLS for _, getter in form.columns)
    with_notes = any(getter in NOTE_CELLS for _, getter in form.columns)
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
            for row, item in _with_units(session, stmt, with_units, with_notes):
                if sheet is None or sheet.unit_id != row.sheet_unit:
                    if sheet is not None:
                        rows += sheet.count
                    name = units[row.sheet_unit]
                    sheet = _Sheet(book, form, org, _sheet_name(name, used), name if form.unit_line else None)
                    sheet.unit_id = row.sheet_unit
                    sheets += 1
                sheet.add(item)
                if book.buffered >= CHUNK:
                    yield book.take()
            if sheet is not None:
                rows += sheet.count
            elif len(wanted) == 1:  # one unit asked for, nothing in it: its (empty) form
                _Sheet(book, form, org, _sheet_name(units[wanted[0]], used),
                       units[wanted[0]] if form.unit_line else None)
                sheets += 1
        else:
            sheet = _Sheet(book, form, org, "台账", None)
            sheets += 1
            for _, item in _with_units(session, base.order_by(Item.registered_on.desc(), Item.seq.desc()),
                                       with_units, with_notes):
                sheet.add(item)
                if book.buffered >= CHUNK:
                    yield book.take()
            rows = sheet.count
    if not sheets:
        _Sheet(book, form, org, "台账", "" if form.unit_line else None)
    yield book.close()
    metrics.EXPORT_ROWS.labels(form.name).inc(rows)
    metrics.EXPORT_SECONDS.labels(form.name).observe(time.perf_counter() - started)
