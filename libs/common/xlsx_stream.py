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

A sheet can be set up for print (`PageSetup`): merged ranges (a title across the form), rows frozen
below the header, paper and orientation, fit to the page width, header rows repeated on every printed
page (the workbook's `_xlnm.Print_Titles` defined name) and a footer with page numbers. All of it is
known when the sheet starts or written when the workbook ends, so rows still stream.
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

__all__ = ["CellStyle", "PageSetup", "XlsxStream", "cell_text"]

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
    """A cell's look. `font` "" is the workbook's font; `border` a thin frame (a printed table's grid);
    `wrap` breaks long text inside the column's width (the row grows)."""

    bold: bool = False
    size: float = 11
    center: bool = False
    font: str = ""
    border: bool = False
    wrap: bool = False
    middle: bool = False  # vertically centred


PAPER_A4 = 9  # OOXML paperSize codes (ECMA-376 18.3.1.63)


@dataclass(frozen=True)
class PageSetup:
    """How a sheet prints and shows. Margins in inches (OOXML's unit). `repeat_rows` (first, last),
    1-based, print on every page; `freeze_rows` stay in view while scrolling; `footer` is OOXML
    header/footer text (`&P` page, `&N` pages, `&C` centre)."""

    merges: tuple[str, ...] = ()
    freeze_rows: int = 0
    repeat_rows: tuple[int, int] | None = None
    paper: int = PAPER_A4
    landscape: bool = False
    fit_width: bool = False
    center_horizontally: bool = False
    margins: tuple[float, float, float, float] = (0.7, 0.7, 0.75, 0.75)  # left, right, top, bottom
    footer: str = ""


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
    `styles` passed in are 2, 3, ... in order; a date in a row of one of them keeps that style's look
    in the date format. `font` / `font_size` are the workbook's own (style 0's, and any style's without
    a font of its own).
    """

    def __init__(self, styles: Sequence[CellStyle] = (), compresslevel: int = 1, width: int = 0,
                 font: str = "Calibri", font_size: float = 11,
                 stamp: tuple[int, int, int, int, int, int] | None = None) -> None:
        # stamp: the zip entries' time (default: now). A fixed one makes the same rows the same bytes
        # (the assessment's export, compared byte for byte after a replay).
        self._stamp = stamp
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED,  # type: ignore[call-overload]
                                    compresslevel=compresslevel)
        self._styles = tuple(styles)
        self._font = font
        self._font_size = font_size
        # style -> the same look in the date format: the styles given, then their date twins
        self._date_styles = {i + 2: i + 2 + len(self._styles) for i in range(len(self._styles))}
        self._attrs: dict[tuple[int, ...], list[tuple[str, int]]] = {}
        self._sheets: list[str] = []
        self._setups: list[PageSetup] = []
        self._entry: IO[bytes] | None = None
        self._pending: list[str] = []
        self._row = 0
        self._width = width
        self._columns: list[str] = []

    def _info(self, name: str) -> str | zipfile.ZipInfo:
        if self._stamp is None:
            return name
        info = zipfile.ZipInfo(name, self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    def sheet(self, name: str, widths: Sequence[float] = (), width: int = 0, setup: PageSetup | None = None) -> None:
        """Start the next sheet (ending the one before); rows are padded to `width` cells (at least
        the widths given)."""
        self._end_sheet()
        setup = setup or PageSetup()
        self._sheets.append(name)
        self._setups.append(setup)
        self._row = 0
        self._width = max(width, len(widths))
        self._columns = [_column(i) for i in range(max(self._width, 1))]
        self._entry = self._zip.open(self._info(f"xl/worksheets/sheet{len(self._sheets)}.xml"), "w")
        cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{_excel_width(w):.16g}" customWidth="1"/>'
                       for i, w in enumerate(widths))
        selected = ' tabSelected="1"' if len(self._sheets) == 1 else ""
        sheet_pr = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if setup.fit_width else ""
        pane = ""
        if setup.freeze_rows:
            top = f"A{setup.freeze_rows + 1}"
            pane = (f'<pane ySplit="{setup.freeze_rows}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
                    f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>')
        self._pending.append(
            f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{sheet_pr}<sheetViews><sheetView{selected} '
            f'workbookViewId="0">{pane}</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f'{"<cols>" + cols + "</cols>" if cols else ""}<sheetData>')

    def row(self, values: Iterable[object], style: int = 0, height: float = 0,
            cell_styles: tuple[int, ...] = ()) -> None:
        """The next row: None and "" leave a cell empty (in the row's style); str, int, float, bool,
        date and datetime are written as their kind (dates in the row style's date twin, or the date
        style). `height` in points fixes the row's height (0: the reader fits it to the text).
        `cell_styles` gives cells their own style, column by column (the rest take `style`)."""
        if self._entry is None:
            raise RuntimeError("start a sheet first")
        self._row += 1
        number = str(self._row)
        columns = self._columns
        cells = []
        s = row_s = f' s="{style}"' if style else ""
        date_style = row_date = self._date_styles.get(style, style or DATE_STYLE)
        per_cell = self._cell_attrs(cell_styles) if cell_styles else None
        i = -1
        for i, value in enumerate(values):
            if i >= len(columns):
                columns.append(_column(i))
            if per_cell is not None:
                s, date_style = per_cell[i] if i < len(per_cell) else (row_s, row_date)
            ref = columns[i] + number
            kind = type(value)
            if kind not in _KINDS:
                value = _plain(ref, value)
                kind = type(value)
            if kind is str:
                if not value:
                    cells.append(f'<c r="{ref}"{s}/>')
                    continue
                text = cell_text(value)  # type: ignore[arg-type]
                space = ' xml:space="preserve"' if (text[0].isspace() or text[-1].isspace()) else ""
                cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif value is None:
                cells.append(f'<c r="{ref}"{s}/>')
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
                cells.append(f'<c r="{ref}" s="{date_style}"><v>{serial}</v></c>')
            elif kind is dt.datetime:
                cells.append(f'<c r="{ref}" s="{date_style}"><v>{_serial(value)}</v></c>')  # type: ignore[arg-type]
            else:  # float
                if not math.isfinite(value):  # type: ignore[arg-type]
                    raise ValueError(f"cell {ref}: Excel has no {value}")
                cells.append(f'<c r="{ref}"{s}><v>{value:.16G}</v></c>')
        for j in range(i + 1, self._width):
            pad = per_cell[j][0] if per_cell is not None and j < len(per_cell) else row_s
            cells.append(f'<c r="{columns[j]}{number}"{pad}/>')
        ht = f' ht="{height:g}" customHeight="1"' if height else ""
        self._pending.append(f'<row r="{number}"{ht}>{"".join(cells)}</row>')
        if len(self._pending) >= 200:
            self._write_pending()

    def _cell_attrs(self, cell_styles: tuple[int, ...]) -> list[tuple[str, int]]:
        """Per column: the cell's style attribute and its date twin (made once per tuple of styles)."""
        attrs = self._attrs.get(cell_styles)
        if attrs is None:
            attrs = self._attrs[cell_styles] = [
                (f' s="{st}"' if st else "", self._date_styles.get(st, st or DATE_STYLE)) for st in cell_styles]
        return attrs

    def _write_pending(self) -> None:
        if self._pending and self._entry is not None:
            self._entry.write("".join(self._pending).encode())
        self._pending = []

    def _end_sheet(self) -> None:
        if self._entry is not None:
            self._pending.append(f"</sheetData>{_print_xml(self._setups[-1])}</worksheet>")
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
        # Rows printed on every page: Excel's reserved defined name, one per sheet (localSheetId).
        titles = "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
            f"{_sheet_ref(name)}!${setup.repeat_rows[0]}:${setup.repeat_rows[1]}</definedName>"
            for i, (name, setup) in enumerate(zip(self._sheets, self._setups, strict=True)) if setup.repeat_rows)
        self._part("xl/workbook.xml", f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
                   f'<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>'
                   f'{"<definedNames>" + titles + "</definedNames>" if titles else ""}'
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
        self._zip.writestr(self._info(name), text.encode())

    def _styles_xml(self) -> str:
        def font(bold: bool, size: float, name: str) -> str:
            name = name or self._font
            # A CJK face is named as such (charset 134, GB2312) so readers pick it for Chinese text.
            charset = '<charset val="134"/>' if not name.isascii() else ""
            return f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/><color theme="1"/>' \
                   f'<name val={quoteattr(name)}/>{charset}<family val="2"/></font>'

        def xf(number_format: int, font_id: int, style: CellStyle) -> str:
            applied = ' applyFont="1"' + (' applyNumberFormat="1"' if number_format else "") \
                + (' applyBorder="1"' if style.border else "")
            align = "".join((' horizontal="center"' if style.center else "",
                             ' vertical="center"' if style.middle else "", ' wrapText="1"' if style.wrap else ""))
            head = f'<xf numFmtId="{number_format}" fontId="{font_id}" fillId="0" borderId="{int(style.border)}" xfId="0"'
            return f'{head}{applied} applyAlignment="1"><alignment{align}/></xf>' if align else f"{head}{applied}/>"

        fonts = [font(False, self._font_size, "")] + [font(s.bold, s.size, s.font) for s in self._styles]
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
               '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>']
        xfs += [xf(0, i + 1, style) for i, style in enumerate(self._styles)]
        xfs += [xf(164, i + 1, style) for i, style in enumerate(self._styles)]  # the date twins
        thin = '<left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>' \
               '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/>'
        return (f'{_HEAD}<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
                f'formatCode="yyyy-mm-dd"/></numFmts><fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
                'patternType="gray125"/></fill></fills><borders count="2"><border><left/><right/><top/><bottom/>'
                f'<diagonal/></border><border>{thin}</border></borders><cellStyleXfs count="1"><xf numFmtId="0" '
                f'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}'
                '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                '</styleSheet>')


def _sheet_ref(name: str) -> str:
    """A sheet name as a formula writes it: quoted, a quote doubled (and XML-escaped for the element)."""
    return cell_text("'" + name.replace("'", "''") + "'")


def _print_xml(setup: PageSetup) -> str:
    """What follows a sheet's data, in the schema's order: merges, print options, margins, page setup,
    footer."""
    parts = []
    if setup.merges:
        parts.append(f'<mergeCells count="{len(setup.merges)}">'
                     + "".join(f'<mergeCell ref="{ref}"/>' for ref in setup.merges) + "</mergeCells>")
    if setup.center_horizontally:
        parts.append('<printOptions horizontalCentered="1"/>')
    left, right, top, bottom = setup.margins
    parts.append(f'<pageMargins left="{left:g}" right="{right:g}" top="{top:g}" bottom="{bottom:g}" '
                 'header="0.3" footer="0.3"/>')
    fit = ' fitToWidth="1" fitToHeight="0"' if setup.fit_width else ""
    orientation = "landscape" if setup.landscape else "portrait"
    parts.append(f'<pageSetup paperSize="{setup.paper}" orientation="{orientation}"{fit}/>')
    if setup.footer:
        parts.append(f"<headerFooter><oddFooter>{cell_text(setup.footer)}</oddFooter></headerFooter>")
    return "".join(parts)


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
