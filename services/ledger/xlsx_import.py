"""Reading an existing ledger from XLSX: every bad row reported, all-or-nothing or good rows only.

Columns are found by their header text, so the full form and both seed forms can be read. Re-importing
a file creates nothing new: a row whose 立项编号 and title match a known item, or whose title + lead
unit + registration date match an imported row, is counted as a duplicate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field

from openpyxl import load_workbook
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.errors import InvalidInput
from services.ledger import domain, metrics
from services.ledger.context import Ledger
from services.ledger.forms import IMPORT_HEADERS, UNIT_LINE_PREFIX
from services.ledger.orm import Item, Person, Unit
from services.ledger.registering import register_in

MODES = ("all_or_nothing", "good_rows")
_LABEL_TO_SOURCE = {label: key for key, label in domain.SOURCES.items()}
_LABEL_TO_CATEGORY = {"一般": "general", "一般事项": "general", "复杂": "complex", "复杂事项": "complex"}
_YES = {"是", "Y", "y", "yes", "true", "1", "重点"}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, field, message)
    committed: bool = False
    item_nos: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    sheet: str
    number: int  # as Excel shows it
    values: Mapping[str, object]
    sheet_unit: str  # from a "单位（部门）：X" line above the header


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date_text(value: object) -> str:
    """Accepts Excel dates and 2026-11-26, 2026/11/26, 2026.11.26, 2026年11月26日."""
    text = _text(value)
    if not text:
        return ""
    cleaned = text.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    try:
        year, month, day = (int(p) for p in cleaned.split("-")[:3])
        return dt.date(year, month, day).isoformat()
    except (ValueError, TypeError):
        return text  # left as is: registration reports it as a bad date


def read_rows(content: bytes, filename: str, max_bytes: int) -> list[Row]:
    if len(content) > max_bytes:
        raise InvalidInput(
            f"file is {len(content)} bytes, over the {max_bytes} limit",
            {"file": f"文件超过大小限制（{max_bytes // 1024 // 1024} MB）"},
        )
    if not content.startswith(b"PK") or not filename.lower().endswith((".xlsx", ".xlsm")):
        raise InvalidInput(f"{filename} is not an XLSX file", {"file": "只能导入 Excel（.xlsx）文件"})
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(f"{filename} cannot be read: {exc}", {"file": "文件已损坏或不是有效的 XLSX 文件"}) from None
    rows: list[Row] = []
    try:
        for ws in workbook.worksheets:
            header: dict[int, str] | None = None
            sheet_unit = ""
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_text(v) for v in values]
                if header is None:
                    first = next((c for c in cells if c), "")
                    if first.startswith(UNIT_LINE_PREFIX):
                        sheet_unit = first.removeprefix(UNIT_LINE_PREFIX).strip()
                    mapped = {i: IMPORT_HEADERS[c] for i, c in enumerate(cells) if c in IMPORT_HEADERS}
                    if "title" in mapped.values():
                        header = mapped
                    elif number > 10:
                        break  # no header in the first rows: not a ledger sheet
                    continue
                if not any(cells):
                    continue
                data = {name: values[i] for i, name in header.items() if i < len(values)}
                rows.append(Row(ws.title, number, data, sheet_unit))
    finally:
        workbook.close()
    if not rows:
        raise InvalidInput(f"{filename}: no ledger rows found", {"file": "未找到台账数据行（需要“事项名称”或“工作任务”表头）"})
    return rows


class _Directory:
    """Units and people looked up by the names a spreadsheet uses (or by their ids).

    Same names are common, so a name is narrowed by the role the column asks for and by the item's
    units; "姓名（编号）" or the bare id always resolves.
    """

    def __init__(self, session: Session) -> None:
        units = list(session.scalars(select(Unit)))
        self.units = {u.name: u.id for u in units} | {u.id: u.id for u in units}
        self.people = list(session.scalars(select(Person).where(Person.active.is_(True))))
        self.by_id = {p.id: p for p in self.people}

    def unit(self, name: str, field_name: str, errors: dict[str, str]) -> str:
        if name in self.units:
            return self.units[name]
        errors[field_name] = f"未知的单位 {name!r}"
        return ""

    def person(
        self, text: str, field_name: str, errors: dict[str, str], role: str | None = None, units: tuple[str, ...] = ()
    ) -> str:
        if not text:
            return ""
        match = _NAME_WITH_ID.fullmatch(text)
        if match and match.group(2) in self.by_id:
            return match.group(2)
        if text in self.by_id:
            return text
        found = [p for p in self.people if p.name == text]
        for narrow in ([p for p in found if role is None or p.role == role],):
            found = narrow or found
        if len(found) > 1 and units:
            found = [p for p in found if p.unit_id in units] or found
        if len(found) == 1:
            return found[0].id
        errors[field_name] = (
            f"同名人员 {text!r} 有{len(found)}人，请改填“姓名（人员编号）”" if found else f"未知的人员 {text!r}"
        )
        return ""


_NAME_WITH_ID = re.compile(r"(.+?)[（(]([^）)]+)[）)]")


def _registration(row: Row, directory: _Directory) -> tuple[domain.Registration, dict[str, str]]:
    v = {k: _text(x) for k, x in row.values.items()}
    errors: dict[str, str] = {}
    source_text = v.get("source", "")
    source = _LABEL_TO_SOURCE.get(source_text, source_text) if source_text else "other"
    category_text = v.get("category", "")
    category = _LABEL_TO_CATEGORY.get(category_text, category_text) if category_text else "general"
    lead_name = v.get("lead_unit", "").split("、")[0].strip() or row.sheet_unit
    lead = directory.unit(lead_name, "lead_unit", errors) if lead_name else ""
    co_names = [n.strip() for n in v.get("co_units", "").replace(",", "、").replace("，", "、").split("、") if n.strip()]
    co_units = tuple((directory.unit(n, "co_units", errors), "") for n in co_names)
    registered_on = _date_text(row.values.get("registered_on")) or _date_text(row.values.get("assigned_on"))
    due_date = _date_text(row.values.get("due_date"))
    reg = domain.Registration(
        title=v.get("title", ""),
        content=v.get("content", ""),
        source=source,
        category=category,
        key_tracking=v.get("key_tracking", "") in _YES,
        lead_unit_id=lead,
        co_units=tuple(c for c in co_units if c[0]),
        responsible_leader_id=directory.person(v.get("leader", ""), "leader", errors, role="leader"),
        responsible_person_id=directory.person(
            v.get("person", ""), "person", errors, units=(lead,) + tuple(c for c, _ in co_units)
        ),
        supervisor_id=directory.person(v.get("supervisor", ""), "supervisor", errors, role="supervisor"),
        registered_on=registered_on,
        due_date=due_date,
        # A deadline carried over from the old ledger is authoritative; say where it came from.
        due_date_reason=(v.get("due_date_reason") or "按原台账导入") if due_date else "",
        remarks=v.get("remarks", ""),
    )
    if not registered_on:
        errors.setdefault("registered_on", "缺少立项时间（或交办时间）")
    return reg, errors


def import_key(reg: domain.Registration) -> str:
    basis = "|".join((domain.normalise(reg.title), reg.lead_unit_id, reg.registered_on))
    return hashlib.sha256(basis.encode()).hexdigest()


def _already_imported(session: Session, key: str, legacy_no: str, title: str) -> bool:
    """Same fingerprint, or the same number *and* title (another ledger may use the same numbers)."""
    if session.scalars(select(Item.id).where(Item.import_key == key)).first():
        return True
    if not legacy_no:
        return False
    titles = session.scalars(select(Item.title).where(or_(Item.item_no == legacy_no, Item.legacy_no == legacy_no)))
    return any(domain.normalise(t) == domain.normalise(title) for t in titles)


def import_ledger(
    ledger: Ledger, filename: str, content: bytes, mode: str, dry_run: bool, actor: Actor, max_bytes: int
) -> ImportReport:
    permissions.require(actor.roles, "ledger.import")
    if mode and mode not in MODES:
        raise InvalidInput(f"unknown mode {mode!r}", {"mode": "导入方式应为 all_or_nothing 或 good_rows"})
    mode = mode or "all_or_nothing"
    rows = read_rows(content, filename, max_bytes)
    report = ImportReport(rows=len(rows))
    with ledger.uow() as tx:
        session = tx.session
        directory = _Directory(session)
        seen_keys: set[str] = set()
        for row in rows:
            where = f"{row.sheet}!{row.number}"
            reg, errors = _registration(row, directory)
            if errors:
                report.errors += [(row.number, f, f"{where}: {m}") for f, m in errors.items()]
                continue
            legacy_no = _text(row.values.get("item_no"))
            key = import_key(reg)
            known = _already_imported(session, key, legacy_no, reg.title)
            if known or key in seen_keys:
                report.duplicates += 1
                continue
            try:
                with tx.savepoint():
                    item = register_in(ledger, tx, reg, actor, import_key=key, legacy_no=legacy_no)
            except InvalidInput as exc:
                report.errors += [(row.number, f, f"{where}: {m}") for f, m in exc.field_errors.items()]
                continue
            seen_keys.add(key)
            report.created += 1
            report.item_nos.append(item.item_no)
        failed = bool(report.errors) and mode == "all_or_nothing"
        if dry_run or failed:
            report.committed = False
            if failed:
                report.item_nos, report.created = [], 0
        else:
            tx.commit()
            report.committed = True
    metrics.IMPORT_ROWS.labels("created").inc(report.created if report.committed else 0)
    metrics.IMPORT_ROWS.labels("duplicate").inc(report.duplicates)
    metrics.IMPORT_ROWS.labels("error").inc(len({r for r, _, _ in report.errors}))
    return report
