"""The one date parser for what people and clients send: strictly YYYY-MM-DD.

Python's `date.fromisoformat` alone also takes 20261214 and week dates (2026-W50-1), which no office
means; a field error names the field and shows what was received.
"""

from __future__ import annotations

import datetime as dt
import re

from libs.common.errors import InvalidInput

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: str, field_name: str) -> dt.date:
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field_name}: not a date", {field_name: f"日期格式应为 YYYY-MM-DD，收到 {value!r}"}) from None
