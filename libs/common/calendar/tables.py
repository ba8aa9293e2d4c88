"""Year tables of the PRC official calendar: loading, validating and installing them.

A table lists the public holidays (放假) and the make-up working days (调休上班) the State Council
publishes for one year. 2024-2026 ship with the code; later years are JSON files in the directory named
by DUBAN_CALENDAR_DIR (in Kubernetes a ConfigMap), checked by `python -m libs.common.calendar validate`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUILTIN_DIR = Path(__file__).with_name("data")


class CalendarTableError(ValueError):
    """A year table is malformed; the message names the entry at fault."""


@dataclass(frozen=True)
class YearTable:
    year: int
    source: str
    holidays: dict[dt.date, str] = field(default_factory=dict)  # day off -> holiday name
    workdays: dict[dt.date, str] = field(default_factory=dict)  # make-up working weekend day -> name


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CalendarTableError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def parse_table(doc: Any, origin: str = "table") -> YearTable:
    """Build a YearTable from its JSON document, refusing anything inconsistent."""
    if not isinstance(doc, dict) or not isinstance(doc.get("year"), int):
        raise CalendarTableError(f"{origin}: needs an integer 'year'")
    year = doc["year"]
    holidays: dict[dt.date, str] = {}
    for i, entry in enumerate(doc.get("holidays") or []):
        where = f"{origin}: holidays[{i}]"
        start, end = _date(entry.get("from"), where), _date(entry.get("to"), where)
        if end < start or (end - start).days > 15:
            raise CalendarTableError(f"{where}: range {start}..{end} is reversed or longer than 15 days")
        day = start
        while day <= end:
            holidays[day] = str(entry.get("name") or "节假日")
            day += dt.timedelta(days=1)
    workdays: dict[dt.date, str] = {}
    for i, entry in enumerate(doc.get("workdays") or []):
        where = f"{origin}: workdays[{i}]"
        day = _date(entry.get("date"), where)
        if day.weekday() < 5:
            raise CalendarTableError(f"{where}: {day} is a weekday; make-up working days fall on weekends")
        if day in holidays:
            raise CalendarTableError(f"{where}: {day} is also listed as a holiday")
        workdays[day] = str(entry.get("name") or "调休上班")
    for day in list(holidays) + list(workdays):
        # The New Year holiday may start in the previous December; keep only this year's days.
        if day.year not in (year, year - 1):
            raise CalendarTableError(f"{origin}: {day} is outside {year}")
    holidays = {d: n for d, n in holidays.items() if d.year == year}
    if not holidays:
        raise CalendarTableError(f"{origin}: no holidays listed for {year}")
    return YearTable(year=year, source=str(doc.get("source") or ""), holidays=holidays, workdays=workdays)


def read_table(path: Path) -> YearTable:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CalendarTableError(f"{path.name}: not valid JSON ({exc})") from None
    return parse_table(doc, origin=path.name)


def load_tables(extra_dir: str | Path | None = None) -> dict[int, YearTable]:
    """The built-in years, overridden or extended by every *.json in `extra_dir`."""
    tables: dict[int, YearTable] = {}
    dirs = [BUILTIN_DIR] + ([Path(extra_dir)] if extra_dir else [])
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.json")):
            table = read_table(path)
            tables[table.year] = table
    return tables


def install_table(source: Path, target_dir: Path) -> Path:
    """Validate a year table and copy it into the calendar directory as <year>.json."""
    table = read_table(source)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{table.year}.json"
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target
