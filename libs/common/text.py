"""Text a person or a client may send: refused at the edge if it holds characters no document or
database can carry - control characters other than tab and line breaks (a DOCX or XLSX writer
refuses them, so one \\x07 in a title would break every later notice of the item), lone UTF-16
surrogates (a JSON body may carry \\ud800, which no UTF-8 encoder accepts) and the non-characters
U+FFFE/U+FFFF."""

from __future__ import annotations

import re

# The refused characters as regular-expression classes written with escapes: the same source builds
# the check below and the pattern the OpenAPI document gives every text field (ECMA-262, Python and
# the Rust regex schemathesis validates with read \uXXXX alike). Lone surrogates are outside the
# pattern: no Rust (or valid UTF-8) string can hold one, so a pattern naming them is refused as invalid.
CONTROL_CLASS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff"
_BAD = re.compile(f"[{CONTROL_CLASS}\ud800-\udfff]")
FIELD_ERROR = "包含不允许的控制字符或无效字符"
# What a text field accepts, as a JSON Schema pattern; the second also needs one non-blank character
# (the fields a rule says must be filled in: `.strip()` would leave nothing).
SCHEMA_PATTERN = f"^[^{CONTROL_CLASS}]*$"
SCHEMA_PATTERN_NOT_BLANK = f"^[^{CONTROL_CLASS}]*[^{CONTROL_CLASS}\\s][^{CONTROL_CLASS}]*$"


def has_bad_characters(value: str) -> bool:
    return _BAD.search(value) is not None
