"""The 督办通知 and the 办结报告单 follow GB/T 9704-2012 (党政机关公文格式): A4 with the 版心 margins,
the 22 x 28 grid, 版头 in red 小标宋 with the red rule, 2号小标宋 title, 3号仿宋_GB2312 text, the 落款
two characters in from the right, page numbers "— N —" in 4号宋体; and they print so with LibreOffice."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

from libs.common import official_docx, printing
from services.tracking import documents
from services.tracking.tests.test_documents import EXTENDED, NOTICE, SIGNED

PRINT_OUT = Path(os.environ.get("DUBAN_PRINT_OUT", "var/test/print"))


def _east_asia(paragraph: Paragraph) -> set[str]:
    return {r._element.xpath("string(w:rPr/w:rFonts/@w:eastAsia)") for r in paragraph.runs if r.text.strip()}


def _sizes(paragraph: Paragraph) -> set[float]:
    return {r.font.size.pt for r in paragraph.runs if r.text.strip() and r.font.size is not None}


def _find(doc, text: str) -> Paragraph:
    return next(p for p in doc.paragraphs if p.text == text)


@pytest.mark.parametrize("render", [lambda: documents.render_notice_docx(NOTICE),
                                    lambda: documents.render_completion_report_docx(SIGNED)],
                         ids=["notice", "completion_report"])
def test_page_grid_and_page_numbers(render) -> None:
    doc = Document(io.BytesIO(render()))
    section = doc.sections[0]
    def mm(lengths):  # stored in twips: 210 mm reads back as 210.01
        return tuple(round(length.mm, 1) for length in lengths)

    assert mm((section.page_width, section.page_height)) == (210, 297)
    assert mm((section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)) == (37, 35, 28, 26)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and grid.get(qn("w:linePitch")) == "579"  # 28.95 pt
    # 28 characters of 16 pt, each drawn closer by the Normal style's spacing, fit in the 156 mm line
    spacing = doc.styles["Normal"].element.rPr.find(qn("w:spacing"))
    assert 28 * (16 + int(spacing.get(qn("w:val"))) / 20) <= Mm(156).pt < 29 * 16
    assert 22 <= 225 / 25.4 * 72 / official_docx.LINE_PITCH.pt < 22.05  # 22 lines fill the 225 mm 版心, and fit
    assert doc.settings.odd_and_even_pages_header_footer
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    for footer, align in ((odd, WD_ALIGN_PARAGRAPH.RIGHT), (even, WD_ALIGN_PARAGRAPH.LEFT)):
        assert footer.alignment == align and footer.text == "—  —"  # the number is the PAGE field between
        assert _east_asia(footer) == {"宋体"} and _sizes(footer) == {14}  # 4号
        assert footer._p.find(qn("w:fldSimple")).get(qn("w:instr")) == "PAGE"
    body = [p for p in doc.paragraphs if p.paragraph_format.first_line_indent == official_docx.INDENT and p.runs]
    assert body and all(p.paragraph_format.line_spacing == official_docx.LINE_PITCH for p in body)
    assert all(_sizes(p) == {16} for p in body)  # 3号


def test_notice_masthead_title_and_closing() -> None:
    doc = Document(io.BytesIO(documents.render_notice_docx(NOTICE)))
    mark = doc.paragraphs[0]
    assert mark.text == "区委区政府督查室" and mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert _east_asia(mark) == {"方正小标宋简体"} and mark.runs[0].font.color.rgb == official_docx.RED
    number = _find(doc, "平督通〔2026〕12号")
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER and _east_asia(number) == {"仿宋_GB2312"}
    rule = number._p.find(qn("w:pPr")).find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "C00000" and rule.get(qn("w:val")) == "single"
    assert [p._p for p in doc.paragraphs].index(number._p) == 3  # two blank lines between the mark and the number
    title = _find(doc, "督办通知")
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER and _east_asia(title) == {"方正小标宋简体"}
    assert _sizes(title) == {22}  # 2号
    heading = _find(doc, "一、督办事项")
    assert _east_asia(heading) == {"黑体"} and _sizes(heading) == {16}
    # 落款: the office (8 characters) two characters in; the date (7: digits are half) centred under it
    signer = [p for p in doc.paragraphs if p.text == NOTICE.office_name][-1]
    when = _find(doc, "2026年11月23日")
    assert signer.alignment == when.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert signer.paragraph_format.right_indent == Pt(32)
    assert abs(when.paragraph_format.right_indent.pt - (32 + 0.5 * 16)) < 0.1


def test_completion_report_has_the_offices_mark_and_rule() -> None:
    doc = Document(io.BytesIO(documents.render_completion_report_docx(SIGNED)))
    mark, title = doc.paragraphs[0], doc.paragraphs[1]
    assert mark.text == SIGNED.unit_name and mark.runs[0].font.color.rgb == official_docx.RED
    assert mark._p.xpath("string(w:pPr/w:pBdr/w:bottom/@w:color)") == "C00000"
    assert title.text == "督查事项办结报告单" and _sizes(title) == {22} and _east_asia(title) == {"方正小标宋简体"}


@pytest.mark.slow
@pytest.mark.skipif(not printing.available(), reason="make print-tools installs LibreOffice and poppler-utils")
def test_documents_print_on_a4_portrait() -> None:
    long_notice = replace(NOTICE, requirements=tuple(f"第{n}项要求：明确专人负责，细化工作方案，按时报送进展。"
                                                     for n in range(1, 16)))
    for name, data, expected in (
        ("notice", documents.render_notice_docx(long_notice), ("区委区政府督查室", "平督通〔2026〕12号", "督办通知")),
        ("completion_report", documents.render_completion_report_docx(EXTENDED), ("督查事项办结报告单", "李明同志：")),
    ):
        pdf = printing.to_pdf(data, ".docx")
        pages = printing.pages(pdf)
        assert all(page.is_a4(landscape=False) for page in pages), name
        first = pages[0].text.replace(" ", "")
        assert all(text in first for text in expected), (name, first[:200])
        for page in pages:
            assert f"—{page.number}—" in page.text.replace(" ", ""), (name, page.number)
        for page in pages[1:-1]:  # a full page holds 22 lines (one fewer when a paragraph's last line moves on)
            lines = [line for line in page.text.splitlines() if line.strip()][:-1]  # without the page number
            assert 21 <= len(lines) <= 22, (name, page.number, len(lines))
        # 28 characters a line: the longest full line of the first page's text
        widest = max(len(line.strip()) for line in pages[0].text.splitlines() if "，" in line)
        assert 26 <= widest <= 30, (name, widest)
        assert printing.to_png(pdf, PRINT_OUT, name)
    assert len(printing.pages(printing.to_pdf(documents.render_notice_docx(long_notice), ".docx"))) >= 2
