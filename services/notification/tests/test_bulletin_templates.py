"""The bulletin's DOCX templates: the committed files are make_templates.py's output and pass the start-up
check; an office's edit in the template (a fixed sentence, a style's font) is what the bulletin prints; a
template with a broken or missing tag refuses the start with the file and the tag named; the filled
document prints to PDF with the DOCX's text."""

from __future__ import annotations

import copy
import dataclasses
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.text.run import Run

from libs.common import printing
from libs.common.config import ConfigError
from services.notification import bulletin_document as bd
from services.notification import chart, make_templates, template_check
from services.notification.bootstrap import bootstrap
from services.notification.bulletin_templates import BULLETIN_FILE, CLEARANCE_FILE, COMMITTED_DIR, Templates
from services.notification.config import Settings
from services.notification.tests.test_bulletin_document import _text


def test_the_committed_templates_are_what_make_templates_writes() -> None:
    for name, made in ((BULLETIN_FILE, make_templates.bulletin()), (CLEARANCE_FILE, make_templates.clearance())):
        assert (COMMITTED_DIR / name).read_bytes() == made, f"run python -m services.notification.make_templates ({name})"


def test_the_committed_templates_pass_the_start_up_check() -> None:
    assert template_check.load(COMMITTED_DIR).bulletin.data == (COMMITTED_DIR / BULLETIN_FILE).read_bytes()


def _edited(tmp_path: Path, edit: Callable[[DocxDocument], None], name: str = BULLETIN_FILE) -> Path:
    """A copy of the committed templates with `edit` made to one of them, as an office saves it from Word."""
    folder = tmp_path / "office-templates"
    folder.mkdir()
    for file in (BULLETIN_FILE, CLEARANCE_FILE):
        (folder / file).write_bytes((COMMITTED_DIR / file).read_bytes())
    doc = Document(str(folder / name))
    edit(doc)
    doc.save(str(folder / name))
    return folder


def _run_with(doc: DocxDocument, text: str) -> Run:
    return next(run for p in doc.paragraphs for run in p.runs if text in run.text)


def test_an_edited_sentence_and_font_are_what_the_bulletin_prints(tmp_path: Path) -> None:
    def edit(doc: DocxDocument) -> None:
        run = _run_with(doc, "本期无督查发现问题。")
        run.text = "本期督查未发现需要通报的问题。"
        doc.styles["Normal"].element.rPr.rFonts.set(qn("w:eastAsia"), "方正仿宋_GBK")  # the district's licensed face

    templates = template_check.load(_edited(tmp_path, edit))
    data, _ = _text(12)
    out = Document(io.BytesIO(bd.render_bulletin_docx(data, templates)))
    text = "\n".join(p.text for p in out.paragraphs)
    assert "本期督查未发现需要通报的问题。" in text and "本期无督查发现问题。" not in text
    assert out.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "方正仿宋_GBK"
    assert "平督通〔2026〕3号" in text  # the rest as before


def _split(doc: DocxDocument, tag: str, at: int, second: str | None = None) -> None:
    """The run holding `tag` cut in two at `at` (as Word leaves a tag edited in the middle), the second part
    replaced by `second` if given."""
    run = _run_with(doc, tag)
    before, after = run.text.split(tag)
    tail = copy.deepcopy(run._r)
    run._r.addnext(tail)
    run.text = before + tag[:at]
    Run(tail, run._parent).text = (second if second is not None else tag[at:]) + after


def test_a_tag_word_split_across_two_runs_still_fills(tmp_path: Path) -> None:
    folder = _edited(tmp_path, lambda doc: _split(doc, "{{ document_no }}", 9))  # "{{ docume" | "nt_no }}"
    templates = template_check.load(folder)
    data, _ = _text(12)
    text = "\n".join(p.text for p in Document(io.BytesIO(bd.render_bulletin_docx(data, templates))).paragraphs)
    assert "平督通〔2026〕3号" in text and "{{" not in text


def _drop(doc: DocxDocument, text: str) -> None:
    p = next(p for p in doc.paragraphs if p.text == text)
    p._p.getparent().remove(p._p)


def _retype(doc: DocxDocument, old: str, new: str) -> None:
    run = _run_with(doc, old)
    run.text = run.text.replace(old, new)


@pytest.mark.parametrize(("edit", "named"), [
    (lambda doc: _split(doc, "{{ document_no }}", 12, "number }}"), "the tag {{ document_number }}"),
    (lambda doc: _drop(doc, "{{p annexes }}"), "lacks the tag {{ annexes }}"),
    (lambda doc: _retype(doc, "{{ title }}", "{{ title }"), "broken tag"),
    (lambda doc: _retype(doc, "{{ t.in_scope }}", "{{ t.in_scop }}"), "in_scop"),
    (lambda doc: _retype(doc, "{%p endfor %}", "{%p endfo %}"), "broken tag"),
], ids=["renamed-in-a-split", "deleted", "lost-brace", "unknown-attribute", "broken-block"])
def test_a_broken_or_missing_tag_refuses_the_start(tmp_path: Path, edit: Callable[[DocxDocument], None],
                                                   named: str) -> None:
    folder = _edited(tmp_path, edit)
    with pytest.raises(ConfigError) as refused:
        bootstrap(Settings.from_env({"DUBAN_BULLETIN_TEMPLATE_DIR": str(folder), "DUBAN_DATABASE_URL": "sqlite://",
                                     "DUBAN_KAFKA_BOOTSTRAP": "127.0.0.1:1"}))
    message = str(refused.value)
    assert "DUBAN_BULLETIN_TEMPLATE_DIR" in message and str(folder / BULLETIN_FILE) in message and named in message


def test_an_unreadable_or_missing_template_refuses_the_start(tmp_path: Path) -> None:
    folder = _edited(tmp_path, lambda doc: None, CLEARANCE_FILE)
    (folder / CLEARANCE_FILE).write_bytes(b"not a docx")
    with pytest.raises(ConfigError, match=re.escape(f"{folder / CLEARANCE_FILE} is not a DOCX file")):
        template_check.load(folder)
    (folder / CLEARANCE_FILE).unlink()
    with pytest.raises(ConfigError, match=re.escape(f"cannot read the template {folder / CLEARANCE_FILE}")):
        template_check.load(folder)


def test_the_template_dir_setting_defaults_to_the_committed_templates() -> None:
    env = {"DUBAN_DATABASE_URL": "sqlite://", "DUBAN_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    assert Path(Settings.from_env(env).template_dir) == COMMITTED_DIR
    assert Settings.from_env(env | {"DUBAN_BULLETIN_TEMPLATE_DIR": "/x"}).template_dir == "/x"


@pytest.mark.slow
@pytest.mark.skipif(not printing.available(), reason="make print-tools installs LibreOffice and poppler-utils")
def test_the_filled_bulletin_prints_with_the_docx_text() -> None:
    data, _ = _text(60)
    data = dataclasses.replace(data, chart_png=chart.render_png(data.facts.chart))  # type: ignore[union-attr]
    docx = bd.render_bulletin_docx(data, Templates.read(COMMITTED_DIR))
    pages = printing.pages(printing.to_pdf(docx, ".docx"))
    assert all(page.is_a4(landscape=False) for page in pages) and len(pages) >= 3
    # the PDF's text is the DOCX's: every paragraph, with the page numbers ("— 2 —") of page breaks aside
    flat = re.sub(r"—\d+—", "", re.sub(r"\s+", "", "".join(page.text for page in pages)))
    doc = Document(io.BytesIO(docx))
    for paragraph in doc.paragraphs:
        assert re.sub(r"\s+", "", paragraph.text) in flat, paragraph.text
    assert "逾期未办结事项清单" in flat and "各单位按时办结率" in flat
