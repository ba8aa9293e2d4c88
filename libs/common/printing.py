"""Printing office files as LibreOffice prints them: XLSX/DOCX -> PDF, and what the PDF's pages hold.

The document tests print every export and document this way (`make print-tools` installs LibreOffice,
poppler-utils and the CJK fonts); the notification service will send the same PDFs. Each conversion runs
`soffice --headless` with a profile of its own, so conversions in parallel (or beside a desktop
LibreOffice) do not wait on one another's lock.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PdfPage", "PrintToolsMissing", "available", "pages", "to_pdf", "to_png"]

TIMEOUT = 180  # seconds: a first start of LibreOffice builds its profile (about 10 s on 2 cores)
_POINTS_PER_MM = 72 / 25.4


class PrintToolsMissing(RuntimeError):
    """soffice or poppler-utils is not installed (`make print-tools`)."""


@dataclass(frozen=True)
class PdfPage:
    number: int
    width_mm: float
    height_mm: float
    text: str

    @property
    def landscape(self) -> bool:
        return self.width_mm > self.height_mm

    def is_a4(self, landscape: bool) -> bool:
        """A4 (210 x 297 mm, within 1 mm) in the orientation asked."""
        size = (297, 210) if landscape else (210, 297)
        return abs(self.width_mm - size[0]) < 1 and abs(self.height_mm - size[1]) < 1


def available() -> bool:
    return all(shutil.which(tool) for tool in ("soffice", "pdftotext", "pdfinfo", "pdftoppm"))


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    if shutil.which(args[0]) is None:
        raise PrintToolsMissing(f"{args[0]} is not installed (make print-tools)")
    return subprocess.run(args, cwd=cwd, capture_output=True, timeout=TIMEOUT, check=True)


def to_pdf(data: bytes, suffix: str) -> bytes:
    """The file (`suffix` ".xlsx" or ".docx") printed to PDF by LibreOffice, as its page setup says."""
    with tempfile.TemporaryDirectory(prefix="duban-print-") as tmp:
        folder = Path(tmp)
        source = folder / f"document{suffix}"
        source.write_bytes(data)
        _run(["soffice", f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
              "--convert-to", "pdf", "--outdir", str(folder), str(source)])
        pdf = folder / "document.pdf"
        if not pdf.exists():
            raise RuntimeError(f"LibreOffice made no PDF of the {suffix} file")
        return pdf.read_bytes()


def pages(pdf: bytes) -> list[PdfPage]:
    """Each page's size and text (pdftotext -layout, page by page)."""
    with tempfile.TemporaryDirectory(prefix="duban-pdf-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(pdf)
        info = _run(["pdfinfo", "-f", "1", "-l", "100000", str(path)]).stdout.decode()
        sizes = {int(n): (float(w), float(h)) for n, w, h in
                 re.findall(r"Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts", info)}
        out = []
        for number in sorted(sizes):
            text = _run(["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(path), "-"]).stdout
            width, height = sizes[number]
            out.append(PdfPage(number, width / _POINTS_PER_MM, height / _POINTS_PER_MM, text.decode()))
        return out


def to_png(pdf: bytes, folder: Path, name: str, dpi: int = 80) -> list[Path]:
    """Every page as `folder/name-N.png` (pdftoppm), to look at."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{name}-*.png"):  # a longer earlier print's pages
        old.unlink()
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    _run(["pdftoppm", "-png", "-r", str(dpi), str(path), str(folder / name)])
    return sorted(folder.glob(f"{name}-*.png"))
