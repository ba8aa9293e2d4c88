"""Reading an existing ledger from XLSX: the file's bounds, its rows, and each row as a registration.

Columns are found by their header text, so the full form and both seed forms can be read. Re-importing
a file creates nothing new: a row whose 立项编号 and title match a known item, or whose title + lead
unit + registration date match an imported row, is counted as a duplicate. The job that checks and
writes the rows is importing.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from openpyxl import load_workbook
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from libs.common.errors import InvalidInput
from services.ledger import domain
from services.ledger.forms import IMPORT_HEADERS, UNIT_LINE_PREFIX
from services.ledger.orm import Item, Person, Unit

HEADER_LINES = 10  # a sheet's header must be within its first lines (title, unit line, header)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"')
_LABEL_TO_SOURCE = {label: key for key, label in domain.SOURCES.items()}
_LABEL_TO_CATEGORY = {"一般": "general", "一般事项": "general", "复杂": "complex", "复杂事项": "complex"}
_YES = {"是", "Y", "y", "yes", "true", "1", "重点"}


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


PROVISIONAL_MARK = "（暂定"


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


def check_archive(content: bytes, filename: str, max_bytes: int, max_inflated: int) -> None:
    """The bounds a file must keep before it is parsed, from what the archive declares (at upload, so
    the office hears at once): its size, that it is an XLSX, the inflated size of its members, and the
    rows its sheets say they hold. A lying archive is caught by `inflate_within`."""
    if len(content) > max_bytes:
        raise InvalidInput(
            f"file is {len(content)} bytes, over the {max_bytes} limit",
            {"file": f"文件超过大小限制（{_mb(max_bytes)}）"},
        )
    if not content.startswith(b"PK") or not filename.lower().endswith((".xlsx", ".xlsm")):
        raise InvalidInput(f"{filename} is not an XLSX file", {"file": "只能导入 Excel（.xlsx）文件"})
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidInput(f"{filename} cannot be read: {exc}", {"file": "文件已损坏或不是有效的 XLSX 文件"}) from None
    if declared > max_inflated:
        raise InvalidInput(
            f"{filename} inflates to {declared} bytes, over the {max_inflated} limit",
            {"file": f"文件解压后为 {_mb(declared)}，超过 {_mb(max_inflated)} 的上限（请删去无用的内容或分成几个文件）"},
        )


def check_declared_rows(content: bytes, max_rows: int) -> None:
    """The rows the sheets declare (their `<dimension ref="A1:H12003"/>`), against the bound: an honest
    oversized file is refused at upload. Up to 10 header lines per sheet are not data rows."""
    declared = 0
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for info in archive.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with archive.open(info) as member:
                        head = member.read(4096)
                    found = _DIMENSION.search(head)
                    if found:
                        declared += max(0, int(found.group(1)) - HEADER_LINES)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise InvalidInput(f"the archive cannot be read: {exc}", {"file": "文件已损坏或不是有效的 XLSX 文件"}) from None
    if declared > max_rows:
        raise InvalidInput(
            f"the sheets declare {declared} rows, over the {max_rows} limit",
            {"file": f"文件约有 {declared} 行，超过每次导入 {max_rows} 行的上限（请分成几个文件导入）"},
        )


def inflate_within(content: bytes, max_inflated: int) -> int:
    """Inflate every member once, counting, and stop as soon as the total passes the bound: an archive
    may declare small sizes and hold a bomb. (zipfile also stops each member at its declared size and
    then fails its CRC, which is reported as a damaged file.) Returns the inflated total."""
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    while chunk := member.read(1024 * 1024):
                        total += len(chunk)
                        if total > max_inflated:
                            raise InvalidInput(
                                f"the archive inflates past {max_inflated} bytes",
                                {"file": f"文件解压后超过 {_mb(max_inflated)} 的上限（请删去无用的内容或分成几个文件）"},
                            )
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise InvalidInput(f"the archive cannot be inflated: {exc}",
                           {"file": "文件已损坏（压缩内容与其声明不符），请用 Excel 重新保存后再导入"}) from None
    return total


def read_rows(content: bytes, filename: str, max_rows: int,
              progress: Callable[[int], None] | None = None) -> list[Row]:
    """The data rows of every ledger sheet (found by their header), at most `max_rows` of them:
    reading stops at the first row past the bound. `progress(rows read)` is called every 1,000 lines."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(f"{filename} cannot be read: {exc}", {"file": "文件已损坏或不是有效的 XLSX 文件"}) from None
    rows: list[Row] = []
    lines = 0
    try:
        for ws in workbook.worksheets:
            header: dict[int, str] | None = None
            sheet_unit = ""
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                lines += 1
                if progress and lines % 1000 == 0:
                    progress(len(rows))
                cells = [_text(v) for v in values]
                if header is None:
                    first = next((c for c in cells if c), "")
                    if first.startswith(UNIT_LINE_PREFIX):
                        sheet_unit = first.removeprefix(UNIT_LINE_PREFIX).strip()
                    mapped = {i: IMPORT_HEADERS[c] for i, c in enumerate(cells) if c in IMPORT_HEADERS}
                    if "title" in mapped.values():
                        header = mapped
                    elif number > HEADER_LINES:
                        break  # no header in the first rows: not a ledger sheet
                    continue
                if not any(cells):
                    continue
                if len(rows) == max_rows:
                    raise InvalidInput(
                        f"{filename} has more than {max_rows} rows",
                        {"file": f"文件超过每次导入 {max_rows} 行的上限（请分成几个文件导入）"},
                    )
                data = {name: values[i] for i, name in header.items() if i < len(values)}
                rows.append(Row(ws.title, number, data, sheet_unit))
    except (zipfile.BadZipFile, zlib.error, EOFError, SyntaxError, KeyError, ValueError) as exc:
        # A sheet is inflated and parsed only as it is read: a damaged member or broken XML shows here
        # (ElementTree's and lxml's parse errors are SyntaxErrors).
        raise InvalidInput(f"{filename} cannot be read: {exc}", {"file": "文件已损坏或不是有效的 XLSX 文件"}) from None
    finally:
        workbook.close()
    if not rows:
        raise InvalidInput(f"{filename}: no ledger rows found", {"file": "未找到台账数据行（需要“事项名称”或“工作任务”表头）"})
    return rows


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


class Directory:
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


def registration(row: Row, directory: Directory) -> tuple[domain.Registration, dict[str, str]]:
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
    # A provisional deadline exported by this system ("2027年1月7日（暂定，…）") was counted, not set by
    # hand: it is counted again (on today's calendar), not imported as a manual deadline.
    due_text = _text(row.values.get("due_date"))
    due_date = "" if PROVISIONAL_MARK in due_text else _date_text(row.values.get("due_date"))
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
    year_text = v.get("assessment_year", "")
    if year_text:  # the full form's 考核年度 (empty: the registration year)
        year = re.fullmatch(r"([0-9]{4})年?", year_text)
        if year:
            reg = replace(reg, assessment_year=int(year.group(1)))  # its range is checked as any registration's
        else:
            errors["assessment_year"] = domain.assessment_year_error(0) or ""
    return reg, errors


def import_key(reg: domain.Registration) -> str:
    basis = "|".join((domain.normalise(reg.title), reg.lead_unit_id, reg.registered_on))
    return hashlib.sha256(basis.encode()).hexdigest()


def already_imported(session: Session, key: str, legacy_no: str, title: str) -> bool:
    """Same fingerprint, or the same number *and* title (another ledger may use the same numbers)."""
    if session.scalars(select(Item.id).where(Item.import_key == key)).first():
        return True
    if not legacy_no:
        return False
    titles = session.scalars(select(Item.title).where(or_(Item.item_no == legacy_no, Item.legacy_no == legacy_no)))
    return any(domain.normalise(t) == domain.normalise(title) for t in titles)


def legacy_no(row: Row) -> str:
    """The number the row carries from its old ledger (立项编号), if any."""
    return _text(row.values.get("item_no"))
