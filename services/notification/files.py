"""A bulletin's files from its row: the DOCX (bulletin_document), the PDF made from it by LibreOffice, the
chart (PNG). A draft's are made on demand; once submitted, the stored bytes are the bulletin's files."""

from __future__ import annotations

import time

from duban.notification.v1 import notification_pb2 as pb
from libs.common.clock import OFFICE_TZ
from libs.common.db import UnitOfWork
from libs.common.official_docx import chinese_date
from libs.common.storage import sha256
from services.notification import bulletin_document, chart, convert, domain, drafting, facts, metrics
from services.notification.context import Notification
from services.notification.orm import Bulletin, BulletinRequirement
from services.notification.repository import get

DOCX = bulletin_document.od.CONTENT_TYPE
PDF = "application/pdf"
PNG = "image/png"


def chart_png(b: Bulletin) -> bytes:
    found = convert.facts_of(b)
    return chart.render_png(found.chart)


def _due(r: BulletinRequirement) -> str:
    due, days = r.due_date, r.working_days
    return f"{chinese_date(due)}前" if due else f"印发之日起{days}个工作日内"


def text_of(tx: UnitOfWork, b: Bulletin, office_name: str) -> bulletin_document.BulletinText:
    """What the document prints, from the row (the system's opening and closing where the office wrote none)."""
    found = convert.facts_of(b)
    clearance = found if isinstance(found, pb.ClearanceFacts) else None
    regular = found if isinstance(found, pb.Facts) else None
    opening, closing = drafting.draft_texts(b, clearance.total if clearance else regular.totals.in_scope if regular else 0)
    corrects = get(tx, b.corrects_bulletin_id).document_no if b.corrects_bulletin_id else ""
    return bulletin_document.BulletinText(
        kind=b.kind, title=b.title, office_name=office_name, document_no=b.document_no,
        issue_label=domain.issue_label(b.issue_year, b.issue_no), issued_on=b.issued_on,
        as_of=b.as_of.astimezone(OFFICE_TZ), opening=b.opening or opening, closing=b.closing or closing,
        facts=regular, clearance=clearance,
        mentions=[bulletin_document.MentionText(m.kind, m.text) for m in convert.mentions_of(b)
                  if m.state != facts.STRUCK],
        requirements=[bulletin_document.RequirementText(r.unit_name, r.text, _due(r)) for r in b.requirements],
        chart_png=chart.render_png(found.chart), corrects_document_no=corrects)


def render_docx(n: Notification, tx: UnitOfWork, b: Bulletin) -> bytes:
    started = time.perf_counter()
    data = text_of(tx, b, n.office_name)
    docx = (bulletin_document.render_clearance_docx(data, n.templates) if b.kind == domain.CLEARANCE
            else bulletin_document.render_bulletin_docx(data, n.templates))
    metrics.RENDER_SECONDS.labels("docx").observe(time.perf_counter() - started)
    return docx


def render_pdf(n: Notification, docx: bytes) -> bytes:
    started = time.perf_counter()
    pdf = n.to_pdf(docx)
    metrics.RENDER_SECONDS.labels("pdf").observe(time.perf_counter() - started)
    return pdf


def stored(n: Notification, b: Bulletin) -> tuple[bytes, bytes]:
    """The submitted files, as stored."""
    return n.storage.get(b.docx_key), n.storage.get(b.pdf_key)


def hashes(docx: bytes, pdf: bytes) -> tuple[str, str]:
    return sha256(docx), sha256(pdf)
