"""Text a person or a client may send: refused at the edge if it holds characters no document or
database can carry - control characters other than tab and line breaks (a DOCX or XLSX writer
refuses them, so one \\x07 in a title would break every later notice of the item), lone UTF-16
surrogates (a JSON body may carry \\ud800, which no UTF-8 encoder accepts) and the non-characters
U+FFFE/U+FFFF."""

from __future__ import annotations

import re

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FIELD_ERROR = "包含不允许的控制字符或无效字符"


def has_bad_characters(value: str) -> bool:
    return _BAD.search(value) is not None
