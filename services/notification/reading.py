"""Reading bulletins: one (with its facts), a page of them (newest first, filtered), a year's 清零 report,
and a bulletin's files - a draft's made on demand, a submitted one's as stored."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from libs.common.actor import Actor
from libs.common.errors import InvalidInput, NotFound
from services.notification import domain, files, repository
from services.notification.context import Notification, is_department, is_office, is_principal, may_see, require
from services.notification.orm import Bulletin

PAGE_MAX = 100


def get_bulletin(n: Notification, bulletin_id: str, actor: Actor) -> Bulletin:
    require(actor, "bulletins.read", "您的角色无权查看通报")
    with n.uow.read() as tx:
        b = repository.get(tx, bulletin_id)
        if not may_see(actor, b):
            raise NotFound(f"bulletin {b.id} not visible to {actor.user_id}", {"bulletin_id": "通报不存在"})
        return b


def get_clearance(n: Notification, year: int, actor: Actor) -> Bulletin:
    require(actor, "bulletins.read", "您的角色无权查看通报")
    with n.uow.read() as tx:
        found = repository.by_period_key(tx, f"{domain.CLEARANCE}:{year}:")
        if found is None or not may_see(actor, found):
            raise NotFound(f"no clearance report of {year}", {"year": f"{year}年度清零报告尚未生成"})
        return found


def list_bulletins(n: Notification, kind: str, status: str, year: int, named_unit_id: str, scope_unit_id: str,
                   page_size: int, page_token: str, actor: Actor) -> tuple[list[Bulletin], str, int]:
    require(actor, "bulletins.read", "您的角色无权查看通报")
    if kind and kind not in domain.KINDS:
        raise InvalidInput(f"unknown kind {kind!r}", {"kind": "通报类别不正确"})
    if status and status not in (*domain.STATUSES, domain.IN_WORK):
        raise InvalidInput(f"unknown status {status!r}", {"status": "通报状态不正确"})
    size = min(max(page_size or 20, 1), PAGE_MAX)
    query = select(Bulletin)
    if kind:
        query = query.where(Bulletin.kind == kind)
    if status == domain.IN_WORK:
        query = query.where(Bulletin.status.in_(domain.UNPUBLISHED))
    elif status:
        query = query.where(Bulletin.status == status)
    if year:
        query = query.where(Bulletin.year == year)
    if named_unit_id:
        query = query.where(Bulletin.named_unit_ids.contains(f",{named_unit_id},"))
    if scope_unit_id == "-":
        query = query.where(Bulletin.scope_unit_id == "")
    elif scope_unit_id:
        query = query.where(Bulletin.scope_unit_id == scope_unit_id)
    # Who sees what, in SQL so pages and totals agree with GetBulletin's rule (context.may_see).
    if not is_office(actor) and "assessment" not in actor.roles:
        visible = [domain.PUBLISHED]
        if is_principal(actor):
            visible += [domain.SUBMITTED, domain.APPROVED, domain.RETURNED]
        if actor.unit_id and is_department(actor, actor.unit_id):
            query = query.where(or_(Bulletin.status.in_(visible), Bulletin.scope_unit_id == actor.unit_id))
        else:
            query = query.where(Bulletin.status.in_(visible))
    with n.uow.read() as tx:
        total = tx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        if page_token:
            query = query.where(repository.before_bulletin(page_token))
        rows = list(tx.session.scalars(query.order_by(Bulletin.created_at.desc(), Bulletin.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return rows, repository.bulletin_token(rows[-1]) if more else "", total


def document(n: Notification, bulletin_id: str, fmt: str, actor: Actor) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the bulletin's DOCX, PDF or chart."""
    if fmt not in ("docx", "pdf", "chart"):
        raise InvalidInput(f"unknown format {fmt!r}", {"format": "应为 docx、pdf 或 chart"})
    b = get_bulletin(n, bulletin_id, actor)
    name = b.document_no or b.title
    if fmt == "chart":
        return f"{name}-图表.png", files.PNG, files.chart_png(b)
    if b.docx_key:
        docx, pdf = files.stored(n, b)
    else:
        with n.uow.read() as tx:
            docx = files.render_docx(n, tx, b)
        pdf = files.render_pdf(n, docx) if fmt == "pdf" else b""
    return (f"{name}.docx", files.DOCX, docx) if fmt == "docx" else (f"{name}.pdf", files.PDF, pdf)
