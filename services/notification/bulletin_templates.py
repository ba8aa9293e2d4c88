"""The DOCX templates the bulletins and the 清零 report are filled into (docxtpl): the committed ones in
templates/ (written by make_templates.py) or an office's own from DUBAN_BULLETIN_TEMPLATE_DIR, read once
at start-up (template_check.py refuses a broken one) and kept in memory, so a file changed under a running
service changes nothing it renders."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

COMMITTED_DIR = Path(__file__).with_name("templates")
BULLETIN_FILE, CLEARANCE_FILE = "bulletin.docx", "clearance.docx"


@dataclass(frozen=True)
class Template:
    path: Path  # where it was read from (named in errors)
    data: bytes


@dataclass(frozen=True)
class Templates:
    bulletin: Template  # 督查通报: quarterly, half-yearly, monthly and special bulletins
    clearance: Template  # 清零 report

    @classmethod
    def read(cls, directory: Path) -> Templates:
        """The two files as they are; OSError if one cannot be read."""
        return cls(*(Template(directory / name, (directory / name).read_bytes()) for name in (BULLETIN_FILE,
                                                                                             CLEARANCE_FILE)))


@functools.cache
def committed() -> Templates:
    """The templates committed beside this module (tests check them against make_templates.py)."""
    return Templates.read(COMMITTED_DIR)
