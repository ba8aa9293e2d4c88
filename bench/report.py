"""Plain-text result tables with aligned columns, percentiles and the PASS/MISS verdicts."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def verdict(ok: bool | None) -> str:
    if ok is None:
        return "-"
    return "PASS" if ok else "MISS"


def fmt(value: object, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _width(text: str) -> int:
    """Display width: CJK characters take two terminal columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


@dataclass
class Table:
    title: str
    what: str  # one or two sentences: what was measured, how
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left: int = 1  # how many leading columns hold text (left-aligned); the rest are numbers

    def add(self, *cells: object) -> None:
        self.rows.append([fmt(c) if not isinstance(c, str) else c for c in cells])

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self) -> str:
        widths = [_width(c) for c in self.columns]
        for row in self.rows:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], _width(cell))
        # Numbers (and "-", PASS/MISS) are right-aligned; the leading text columns are left-aligned.
        lines = [self.title, "=" * max(_width(self.title), 20)]
        lines += [f"  {line}" for line in self.what.splitlines()]
        lines.append("")
        header = "  ".join(_pad(c, widths[i], i >= self.left) for i, c in enumerate(self.columns))
        lines.append("  " + header)
        lines.append("  " + "  ".join("-" * w for w in widths))
        for row in self.rows:
            lines.append("  " + "  ".join(_pad(c, widths[i], i >= self.left) for i, c in enumerate(row)))
        if self.notes:
            lines.append("")
            lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"
