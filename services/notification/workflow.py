"""The bulletin's course after the office's edits (seed Art. 7.1: published after the principal leader
approves): submitted with its numbers and files, approved over the exact bytes (SHA-256 of the DOCX and the
PDF) or returned with comments, then published - immutable, its problems registered as ledger items, its
event staged. A 清零 report goes the same way; its receipt (备案) is recorded once it is filed."""

from __future__ import annotations

import datetime as dt
import json

from duban.notification.v1 import notification_pb2 as pb
from libs.common.actor import Actor
from libs.common.db import next_in_sequence
from libs.common.errors import Conflict, FailedPrecondition, InvalidInput
from services.notification import convert, domain, events, files, metrics, registering, repository
from services.notification.context import Notification, require, require_drafter
from services.notification.editing import act
from services.notification.orm import Bulletin, DocumentSequence, IssueSequence


def submit(n: Notification, bulletin_id: str, actor: Actor) -> Bulletin:
    """报批: the numbers given at the first submission (kept through returns, so 期数 and 文号 have no
    gaps), then the DOCX and the PDF rendered from the bulletin as it now is and stored."""
    today = n.today()
    with n.uow() as tx:
        b = repository.get(tx, bulletin_id, lock=True)
        require_drafter(actor, b.scope_unit_id)
        domain.move(b.status, "submit")
        if not b.issue_no:
            b.issue_year = today.year
            b.issue_no = next_in_sequence(tx.session, IssueSequence.__table__, f"{today.year}:{b.kind}")  # type: ignore[arg-type]
            seq = next_in_sequence(tx.session, DocumentSequence.__table__, today.year)  # type: ignore[arg-type]
            b.document_no = domain.document_no(n.document_no_pattern, today.year, seq, b.issue_no)
        b.issued_on = today
        b.version += 1
        version = b.version
        tx.commit()
    with n.uow.read() as tx:  # rendering and LibreOffice take seconds: outside the write transaction
        b = repository.get(tx, bulletin_id)
        docx = files.render_docx(n, tx, b)
    pdf = files.render_pdf(n, docx)
    docx_sha, pdf_sha = files.hashes(docx, pdf)
    docx_key = n.storage.put(f"bulletins/{bulletin_id}/{version}-{docx_sha[:12]}.docx", docx)
    pdf_key = n.storage.put(f"bulletins/{bulletin_id}/{version}-{pdf_sha[:12]}.pdf", pdf)
    now = n.clock.now()
    with n.uow() as tx:
        b = repository.get(tx, bulletin_id, lock=True)
        if b.version != version:
            raise Conflict(f"bulletin {b.id} changed while it was rendered", {"bulletin_id": "通报在报批时被修改，请重新报批"})
        b.status = domain.move(b.status, "submit")
        b.docx_key, b.pdf_key, b.docx_sha256, b.pdf_sha256 = docx_key, pdf_key, docx_sha, pdf_sha
        b.approved_docx_sha256 = b.approved_pdf_sha256 = ""
        b.version += 1
        b.updated_at = now
        act(b, "submitted", actor, now)
        tx.publish(events.bulletin_changed(events.BULLETIN_SUBMITTED, b, actor, now))
        tx.commit()
    metrics.BULLETINS.labels(b.kind, "submitted").inc()
    return b


def approve(n: Notification, request: pb.ApproveBulletinRequest, actor: Actor) -> Bulletin:
    """The principal leader approves what they read: other bytes than the submitted ones are refused."""
    require(actor, "bulletins.approve", "只有主要领导可以批准通报")
    now = n.clock.now()
    with n.uow() as tx:
        b = repository.get(tx, request.bulletin_id, lock=True)
        b.status = domain.move(b.status, "approve")
        if request.docx_sha256.lower() != b.docx_sha256 or request.pdf_sha256.lower() != b.pdf_sha256:
            metrics.REFUSED.labels("other_bytes").inc()
            raise FailedPrecondition(
                f"approval of other bytes than bulletin {b.id}'s submitted files",
                {"docx_sha256": "您审阅的文件与报批的文件不一致，请重新打开报批的文件后再批准"})
        b.approved_docx_sha256, b.approved_pdf_sha256 = b.docx_sha256, b.pdf_sha256
        b.approved_at, b.approved_by = now, actor.snapshot()
        b.version += 1
        b.updated_at = now
        act(b, "approved", actor, now, request.comment.strip()[:1000])
        tx.publish(events.bulletin_changed(events.BULLETIN_APPROVED, b, actor, now, request.comment.strip()[:1000]))
        tx.commit()
    metrics.BULLETINS.labels(b.kind, "approved").inc()
    return b


def return_(n: Notification, request: pb.ReturnBulletinRequest, actor: Actor) -> Bulletin:
    require(actor, "bulletins.approve", "只有主要领导可以退回通报")
    comment = request.comment.strip()
    if not comment:
        raise InvalidInput("a return needs comments", {"comment": "退回时请写明修改意见"})
    now = n.clock.now()
    with n.uow() as tx:
        b = repository.get(tx, request.bulletin_id, lock=True)
        b.status = domain.move(b.status, "return")
        b.return_comment = comment[:4000]
        b.version += 1
        b.updated_at = now
        act(b, "returned", actor, now, comment[:4000])
        tx.publish(events.bulletin_changed(events.BULLETIN_RETURNED, b, actor, now, comment[:4000]))
        tx.commit()
    metrics.BULLETINS.labels(b.kind, "returned").inc()
    return b


def publish(n: Notification, bulletin_id: str, actor: Actor) -> Bulletin:
    """印发: only approved, only while the stored files still hash as approved. Each problem to be fixed
    becomes a ledger item (registering.py, once each even when this is retried); then the bulletin is
    published and its event staged. Publishing a published bulletin answers it as it is."""
    require(actor, "bulletins.publish", "只有督查室可以印发通报")
    with n.uow.read() as tx:
        b = repository.get(tx, bulletin_id)
    require_drafter(actor, b.scope_unit_id)
    if b.status == domain.PUBLISHED:
        return b
    if b.status != domain.APPROVED:
        metrics.REFUSED.labels("unapproved").inc()
        domain.move(b.status, "publish")
    docx, pdf = files.stored(n, b)
    if files.hashes(docx, pdf) != (b.approved_docx_sha256, b.approved_pdf_sha256):
        metrics.REFUSED.labels("bytes_changed").inc()
        raise FailedPrecondition(f"bulletin {b.id}'s stored files differ from the approved ones",
                                 {"bulletin_id": "存档文件与主要领导批准的文件不一致，不能印发"})
    registering.register_requirements(n, bulletin_id, actor)
    now = n.clock.now()
    with n.uow() as tx:
        b = repository.get(tx, bulletin_id, lock=True)
        if b.status == domain.PUBLISHED:  # a concurrent retry published it a moment before
            return b
        b.status = domain.move(b.status, "publish")
        b.published_at, b.published_by = now, actor.snapshot()
        b.version += 1
        b.updated_at = now
        act(b, "published", actor, now)
        tx.session.flush()
        tx.publish(events.clearance_published(b, now) if b.kind == domain.CLEARANCE else events.bulletin_published(b, now))
        tx.commit()
    metrics.BULLETINS.labels(b.kind, "published").inc()
    return b


def record_receipt(n: Notification, request: pb.RecordClearanceReceiptRequest, actor: Actor) -> Bulletin:
    """备案: the assessment office filed the published 清零 report; recorded once (a second receipt is refused)."""
    require(actor, "bulletins.receipt", "只有考核办可以登记备案")
    if not request.receipt_no.strip():
        raise InvalidInput("no receipt number", {"receipt_no": "请填写备案编号"})
    try:
        filed_on = dt.date.fromisoformat(request.filed_on) if request.filed_on else n.today()
    except ValueError:
        raise InvalidInput("bad filed_on", {"filed_on": "日期格式应为 YYYY-MM-DD"}) from None
    now = n.clock.now()
    with n.uow() as tx:
        b = repository.get(tx, request.bulletin_id, lock=True)
        if b.kind != domain.CLEARANCE:
            raise FailedPrecondition("only a clearance report is filed", {"bulletin_id": "只有清零报告需要备案"})
        if b.status != domain.PUBLISHED:
            raise FailedPrecondition("not published yet", {"bulletin_id": "清零报告印发后才能备案"})
        if b.receipt:
            raise Conflict("receipt recorded already", {"receipt_no": "该清零报告已备案"})
        receipt = {"receipt_no": request.receipt_no.strip()[:60], "filed_on": filed_on.isoformat(),
                   "note": request.note.strip()[:1000], "recorded_at": now.isoformat(), "recorded_by": actor.snapshot()}
        b.receipt = json.dumps(receipt, ensure_ascii=False)
        b.version += 1
        b.updated_at = now
        act(b, "filed", actor, now, receipt["receipt_no"])
        tx.session.flush()
        tx.publish(events.clearance_filed(b, convert.bulletin_to_proto(b).receipt, now))
        tx.commit()
    return b
