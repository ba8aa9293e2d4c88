"""Start-up check of the bulletin templates (DUBAN_BULLETIN_TEMPLATE_DIR): a file that cannot be read, a tag
Word broke, a tag naming nothing the service gives, or a required tag gone refuse the start with the file
and the tag named - not a bulletin that fails, or silently prints less, when the office submits it.

Each template is held against the variables bulletin_document.context gives (a tag naming another is
refused), must use every one but the optional few, and is filled once with a small sample that walks every
branch: an attribute that does not exist (`{{ t.in_scop }}`) fails there (StrictUndefined), and braces left
in the sample's text are a tag docxtpl did not see.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from pathlib import Path

from docx import Document
from docxtpl import DocxTemplate
from jinja2 import TemplateError, TemplateSyntaxError, meta
from PIL import Image

from duban.notification.v1 import notification_pb2 as pb
from libs.common.clock import OFFICE_TZ
from libs.common.config import ConfigError
from services.notification import bulletin_document as bd
from services.notification.bulletin_templates import Template, Templates

SETTING = "DUBAN_BULLETIN_TEMPLATE_DIR"
# An office may print its name in the 版头 as text of its own, or leave the chart out; everything else
# carries a number, a list or a mark (送审稿) the bulletin must show.
OPTIONAL = frozenset({"office_name", "chart"})
_LEFT_OVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "PNG")
    return out.getvalue()


def _line(no: str, unit: str, late: int = 0) -> pb.ItemLine:
    return pb.ItemLine(item_id=no, item_no=no, title="样例事项", unit_id=unit, unit_name="样例单位",
                       due_date="2026-08-01", working_days_late=late, reason="样例原因", light="red")


def samples() -> tuple[bd.BulletinText, bd.BulletinText]:
    """A bulletin and a clearance report taking every branch of the templates: lists capped at 1 (annexes),
    a lagging unit, red items not overdue, yellow ones, problems, mentions of both kinds, a requirement, a
    correction, a chart; drafts (送审稿)."""
    units = [pb.UnitRow(unit_id="u", unit_name="样例单位", in_scope=3, closed=1, overdue=2, still_open=2,
                        on_time_pct="33.3%", lagging=True, lagging_reason="2件事项逾期未办结",
                        lagging_item_nos=["S-1", "S-2"])]
    facts = pb.Facts(totals=pb.Totals(in_scope=3, closed=1, overdue=2, still_open=2, closed_pct="33.3%",
                                      within_time_pct="100.0%", overdue_pct="66.7%", red=3, yellow=2),
                     units=units, overdue=[_line("S-1", "u", 3), _line("S-2", "u", 2)],
                     red=[_line("S-1", "u"), _line("S-2", "u"), _line("S-3", "u"), _line("S-4", "u")],
                     yellow=[_line("S-5", "u"), _line("S-6", "u")], body_cap=1,
                     problems=[pb.ProblemLine(unit_name="样例单位", text="样例问题", rectification_status=state,
                                              due_date="2026-09-01") for state in ("overdue", "ordered")])
    clearance = pb.ClearanceFacts(year=2026, total=3, closed=1, not_closed=2, cleared_pct="33.3%", units=units,
                                  not_closed_items=[_line(f"S-{n}", "u") for n in range(1, 23)])
    common = dict(office_name="样例督查室", document_no="", issue_label="2026年第1期", issued_on=None,
                  as_of=dt.datetime(2026, 10, 9, 9, 0, tzinfo=OFFICE_TZ), opening="样例开头。\n第二段。",
                  closing="样例结尾。", chart_png=_png(), corrects_document_no="样督通〔2026〕1号")
    bulletin = bd.BulletinText(kind="quarterly", title="关于样例的通报", facts=facts,
                               mentions=[bd.MentionText("commendation", "样例表扬。"),
                                         bd.MentionText("criticism", "样例批评。")],
                               requirements=[bd.RequirementText("样例单位", "样例整改", "印发之日起10个工作日内")],
                               **common)  # type: ignore[arg-type]
    return bulletin, bd.BulletinText(kind="clearance", title="关于样例的报告", clearance=clearance,
                                     **common)  # type: ignore[arg-type]


def _used(template: Template) -> set[str]:
    """The variables the template's tags name, as docxtpl sees them after mending runs Word split."""
    tpl = DocxTemplate(io.BytesIO(template.data))
    try:
        tpl.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ConfigError(f"{SETTING}: {template.path} is not a DOCX file ({exc})") from None
    xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(tpl.get_xml()))  # a paragraph a line, as docxtpl renders
    try:
        used = set(meta.find_undeclared_variables(bd.JINJA.parse(xml)))
    except TemplateSyntaxError as exc:
        near = re.sub(r"<[^>]+>", "", xml.splitlines()[exc.lineno - 1]) if exc.lineno else ""
        raise ConfigError(f"{SETTING}: {template.path} has a broken tag ({exc.message}) in the paragraph "
                          f"{near[:120]!r}: retype the tag in one go (Word splits what is edited)") from None
    try:
        return used | tpl.get_undeclared_template_variables(bd.JINJA)  # headers and footers too
    except TemplateSyntaxError as exc:
        raise ConfigError(f"{SETTING}: {template.path} has a broken tag in a header or footer ({exc.message})") from None


def _tags(names: list[str]) -> str:
    return ", ".join(f"{{{{ {name} }}}}" for name in names)


def check_one(template: Template, sample: bd.BulletinText) -> None:
    """ConfigError naming the file and the tag if `template` cannot print `sample`'s kind of document."""
    used = _used(template)
    given = set(bd.context(DocxTemplate(io.BytesIO(template.data)), sample))
    unknown, missing = sorted(used - given), sorted(given - OPTIONAL - used)
    if unknown:
        raise ConfigError(f"{SETTING}: {template.path} has the tag {_tags(unknown)}, naming nothing the service "
                          f"gives (it gives: {', '.join(sorted(given))})")
    if missing:
        raise ConfigError(f"{SETTING}: {template.path} lacks the tag {_tags(missing)} (the document would leave "
                          "out what it prints): put it back as in services/notification/templates")
    render = bd.render_clearance_docx if sample.clearance is not None else bd.render_bulletin_docx
    templates = Templates(template, template)
    try:
        docx = render(sample, templates)
    except (TemplateError, KeyError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{SETTING}: {template.path} cannot be filled with a sample {sample.kind} bulletin: {exc} "
                          "(a tag names what the service does not give, or a style the blocks use is gone)") from None
    doc = Document(io.BytesIO(docx))
    texts = [p.text for p in doc.paragraphs] + [p.text for t in doc.tables for c in t._cells for p in c.paragraphs]
    for text in texts:
        if _LEFT_OVER.search(text):
            raise ConfigError(f"{SETTING}: {template.path} has a broken tag left as text in {text[:120]!r}: "
                              "retype the tag in one go (Word splits what is edited)")


def load(directory: Path) -> Templates:
    """The templates in `directory`, checked (ConfigError with the file and the tag if one is unusable)."""
    try:
        templates = Templates.read(directory)
    except OSError as exc:
        raise ConfigError(f"{SETTING}: cannot read the template {exc.filename}: {exc.strerror}") from None
    bulletin, clearance = samples()
    for template, sample in ((templates.bulletin, bulletin), (templates.clearance, clearance)):
        key = (hashlib.sha256(template.data).digest(), sample.kind)
        if key not in _PASSED:  # the test suites start the service many times over the same files
            check_one(template, sample)
            _PASSED.add(key)
    return templates


_PASSED: set[tuple[bytes, str]] = set()
