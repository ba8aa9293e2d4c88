"""An XLSX workbook written as it is read: sheets one after another, rows as they come, out as zip chunks.

XlsxWriter builds the whole file before the first byte can leave (and spends most of an export in its
per-cell writer); here each row becomes sheet XML at once and goes through the zip's deflater, so a
download starts with the first rows and memory stays flat however many there are. Cells are what the
ledger forms hold: text (inline strings), integers and floats, booleans, dates (numbers in a date
style) and blanks. Text is escaped as XlsxWriter escapes it - `& < >` as entities, control characters
as Excel's `_xHHHH_` (a literal `_xHHHH_` gets its underscore escaped as `_x005F_`), whitespace at
either end kept - so any reader sees the same cell text as in XlsxWriter's files. A row is written as
wide as the sheet's widest row (empty cells pad it), which is what readers would otherwise take from a
`<dimension>` element that a stream cannot know in advance.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO
from xml.sax.saxutils import quoteattr

__all__ = ["CellStyle", "XlsxStream", "cell_text"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPE_LIKE = re.compile("(_x[0-9a-fA-F]{4}_)")
_STRMAX = 32767  # Excel's cell text limit, in UTF-16 units (XlsxWriter cuts longer text there)
_EPOCH = dt.date(1899, 12, 31)
DATE_STYLE = 1
_SERIALS: dict[dt.date, str] = {}  # date -> its serial number as written


@dataclass(frozen=True)
class CellStyle:
    bold: bool = False
    size: int = 11
    center: bool = False


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell_text(text: str) -> str:
    """Text as the `<t>` element's content (XML entities and Excel's control-character escapes)."""
    if len(text) > _STRMAX // 2 and len(text.encode("utf-16-le", "surrogatepass")) // 2 > _STRMAX:
        length = 0
        for index, char in enumerate(text):
            length += 2 if ord(char) > 0xFFFF else 1
            if length > _STRMAX:
                text = text[:index]
                break
    if _NEEDS_ESCAPE.search(text) is None:  # most text: one scan, nothing to change
        return text
    if "_x" in text:
        text = _ESCAPE_LIKE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _excel_width(width: float) -> float:
    """A column width in characters as XlsxWriter writes it (whole pixels of Calibri 11)."""
    pixels = int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5
    return (pixels * 256 // 7) / 256.0


class _Sink:
    """Where the zip writes: bytes kept until taken. No seek or tell, so zipfile writes a stream."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


class XlsxStream:
    """Write sheets and rows, and take() the file's bytes as they are made; close() gives the rest.

    Styles: 0 is plain, DATE_STYLE (1) is dates as yyyy-mm-dd (given to every date cell), and the
    `styles` passed in are 2, 3, ... in order.
    """

    def __init__(self, styles: Sequence[CellStyle] = (), compresslevel: int = 1, width: int = 0) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED,  # type: ignore[call-overload]
                                    compresslevel=compresslevel)
        self._styles = tuple(styles)
        self._sheets: list[str] = []
        self._entry: IO[bytes] | None = None
        self._pending: list[str] = []
        self._row = 0
        self._width = width
        self._columns: list[str] = []

    def sheet(self, name: str, widths: Sequence[float] = (), width: int = 0) -> None:
        """Start the next sheet (ending the one before); rows are padded to `width` cells (at least
        the widths given)."""
        self._end_sheet()
        self._sheets.append(name)
        self._row = 0
        self._width = max(width, len(widths))
        self._columns = [_column(i) for i in range(max(self._width, 1))]
        self._entry = self._zip.open(f"xl/worksheets/sheet{len(self._sheets)}.xml", "w")
        cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{_excel_width(w):.16g}" customWidth="1"/>'
                       for i, w in enumerate(widths))
        selected = ' tabSelected="1"' if len(self._sheets) == 1 else ""
        self._pending.append(
            f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView{selected} workbookViewId="0"/>'
            f'</sheetViews><sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}'
            '<sheetData>')

    def row(self, values: Iterable[object], style: int = 0) -> None:
        """The next row: None and "" leave a cell empty; str, int, float, bool, date and datetime are
        written as their kind (dates in the date style unless `style` is given)."""
        if self._entry is None:
            raise RuntimeError("start a sheet first")
        self._row += 1
        number = str(self._row)
        columns = self._columns
        cells = []
        s = f' s="{style}"' if style else ""
        i = -1
        for i, value in enumerate(values):
            if i >= len(columns):
                columns.append(_column(i))
            ref = columns[i] + number
            kind = type(value)
            if kind not in _KINDS:
                value = _plain(ref, value)
                kind = type(value)
            if kind is str:
                if not value:
                    cells.append(f'<c r="{ref}"{s}/>' if style else f'<c r="{ref}"/>')
                    continue
                text = cell_text(value)  # type: ignore[arg-type]
                space = ' xml:space="preserve"' if (text[0].isspace() or text[-1].isspace()) else ""
                cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif value is None:
                cells.append(f'<c r="{ref}"{s}/>' if style else f'<c r="{ref}"/>')
            elif kind is int:
                cells.append(f'<c r="{ref}"{s}><v>{value if -10**15 < value < 10**15 else format(value, ".16G")}</v></c>')  # type: ignore[operator]
            elif kind is bool:
                cells.append(f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>')  # type: ignore[call-overload]
            elif kind is dt.date:
                serial = _SERIALS.get(value)  # type: ignore[call-overload]
                if serial is None:
                    serial = _serial(value)  # type: ignore[arg-type]
                    if len(_SERIALS) < 100_000:  # a ledger has a few thousand distinct dates
                        _SERIALS[value] = serial  # type: ignore[index]
                cells.append(f'<c r="{ref}" s="{style or DATE_STYLE}"><v>{serial}</v></c>')
            elif kind is dt.datetime:
                cells.append(f'<c r="{ref}" s="{style or DATE_STYLE}"><v>{_serial(value)}</v></c>')  # type: ignore[arg-type]
            else:  # float
                if not math.isfinite(value):  # type: ignore[arg-type]
                    raise ValueError(f"cell {ref}: Excel has no {value}")
                cells.append(f'<c r="{ref}"{s}><v>{value:.16G}</v></c>')
        for j in range(i + 1, self._width):
            cells.append(f'<c r="{columns[j]}{number}"/>')
        self._pending.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(self._pending) >= 200:
            self._write_pending()

    def _write_pending(self) -> None:
        if self._pending and self._entry is not None:
            self._entry.write("".join(self._pending).encode())
        self._pending = []

    def _end_sheet(self) -> None:
        if self._entry is not None:
            self._pending.append('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                                 'header="0.3" footer="0.3"/></worksheet>')
            self._write_pending()
            self._entry.close()
            self._entry = None

    @property
    def buffered(self) -> int:
        """Bytes made and not yet taken."""
        return self._sink.size

    def take(self) -> bytes:
        """The file's bytes made since the last take (rows still in the deflater come later)."""
        self._write_pending()
        return self._sink.take()

    def close(self) -> bytes:
        """End the workbook: the rest of the file (a workbook needs at least one sheet)."""
        if not self._sheets:
            raise ValueError("a workbook needs at least one sheet")
        self._end_sheet()
        n = len(self._sheets)
        sheets = "".join(f'<sheet name={quoteattr(name)} sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                         for i, name in enumerate(self._sheets))
        self._part("xl/workbook.xml", f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
                   f'<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>'
                   '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
        rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                       for i in range(n))
        self._part("xl/_rels/workbook.xml.rels", f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{rels}'
                   f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
        self._part("xl/styles.xml", self._styles_xml())
        self._part("_rels/.rels", f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                   f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{ct}.worksheet+xml"/>'
                            for i in range(n))
        self._part("[Content_Types].xml",
                   f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
                   f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>{overrides}</Types>')
        self._zip.close()
        return self._sink.take()

    def _part(self, name: str, text: str) -> None:
        self._zip.writestr(name, text.encode())

    def _styles_xml(self) -> str:
        def font(style: CellStyle) -> str:
            return f'<font>{"<b/>" if style.bold else ""}<sz val="{style.size}"/><color theme="1"/>' \
                   '<name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'

        fonts = [font(CellStyle())] + [font(s) for s in self._styles]
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
               '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>']
        for i, style in enumerate(self._styles):
            align = '<alignment horizontal="center"/>' if style.center else ""
            xfs.append(f'<xf numFmtId="0" fontId="{i + 1}" fillId="0" borderId="0" xfId="0" applyFont="1"'
                       f'{" applyAlignment=" + chr(34) + "1" + chr(34) if align else ""}>{align}</xf>')
        return (f'{_HEAD}<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
                f'formatCode="yyyy-mm-dd"/></numFmts><fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
                'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>'
                '<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
                f'borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def _plain(ref: str, value: object) -> object:
    """A subclass of a kind row() writes (a str or int subclass, an enum...) as that kind itself."""
    for kind in (str, bool, int, float):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                           value.microsecond, value.tzinfo)
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    raise TypeError(f"cell {ref}: cannot write a {type(value).__name__}")


_KINDS = frozenset({str, int, bool, float, dt.date, dt.datetime, type(None)})


def _serial(value: dt.date) -> str:
    """A date (or datetime) as Excel's serial number in the 1900 system, as XlsxWriter computes it."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise TypeError("Excel has no time zones: pass a naive datetime")
        delta = value - dt.datetime(1899, 12, 31)
        serial: float = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    else:
        serial = (value - _EPOCH).days
    if serial > 59:  # Excel counts 29 February 1900, which never was
        serial += 1
    return format(serial, ".16G")
