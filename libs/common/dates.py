"""The one date parser for what people and clients send: strictly YYYY-MM-DD.

Python's `date.fromisoformat` alone also takes 20261214 and week dates (2026-W50-1), which no office
means; a field error names the field and shows what was received. Years 1900-2999 only: no item of
this office is older, and a deadline counted on from 9999-12-31 would run off the calendar.
"""

from __future__ import annotations

import datetime as dt
import re

from libs.common.errors import InvalidInput

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MIN_YEAR, MAX_YEAR = 1900, 2999


def parse_date(value: str, field_name: str) -> dt.date:
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field_name}: not a date", {field_name: f"日期格式应为 YYYY-MM-DD，收到 {value!r}"}) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidInput(f"{field_name}: year out of range",
                           {field_name: f"日期应在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间，收到 {value!r}"})
    return day
