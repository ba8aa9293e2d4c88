"""Reading the scores: totals and entries of a year (only the subjects the reader may see), the year,
its adjustments, its rules, and the workbook for the assessment office (考核办) and the departments."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common.actor import Actor
from libs.common.db import UnitOfWork
from libs.common.errors import InvalidInput, NotFound, PermissionDenied
from services.evaluation import context, convert, domain, replaying, repository, xlsx_export
from services.evaluation.context import Evaluation
from services.evaluation.orm import Adjustment, Clearance, Entry, Total

PAGE = 100
XLSX = xlsx_export.CONTENT_TYPE
KINDS = (domain.UNIT, domain.PERSON, domain.LEADER)


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"bad year {year}", {"year": "请填写考核年度（如2026）"})
    return year


def _visible(actor: Actor, kind: str, sid: str, unit_id: str) -> bool:
    return context.may_see(actor, kind, sid, unit_id)


def list_totals(e: Evaluation, request: pb.ListTotalsRequest, actor: Actor) -> pb.ListTotalsResponse:
    context.require(actor, "evaluation.read", "您无权查看考核得分")
    year = _year(request.year)
    with e.uow.read() as tx:
        generation = repository.peek_year(tx, year).generation
        q = select(Total).where(Total.year == year, Total.generation == generation)
        if request.kind:
            q = q.where(Total.subject_kind == request.kind)
        if request.unit_id:
            q = q.where(Total.subject_unit_id == request.unit_id)
        rows = [t for t in tx.session.scalars(q) if _visible(actor, t.subject_kind, t.subject_id, t.subject_unit_id)]
    rows.sort(key=lambda t: (KINDS.index(t.subject_kind) if t.subject_kind in KINDS else 9, -t.total_centi,
                             t.subject_name, t.subject_id))
    return pb.ListTotalsResponse(totals=[convert.total_to_proto(t) for t in rows])


def list_entries(e: Evaluation, request: pb.ListEntriesRequest, actor: Actor) -> pb.ListEntriesResponse:
    context.require(actor, "evaluation.read", "您无权查看考核得分")
    year = _year(request.year)
    size = min(request.page_size or PAGE, 500)
    after = request.page_token
    with e.uow.read() as tx:
        generation = repository.peek_year(tx, year).generation
        q = select(Entry).where(Entry.year == year, Entry.generation == generation)
        if request.subject_kind:
            q = q.where(Entry.subject_kind == request.subject_kind)
        if request.subject_id:
            q = q.where(Entry.subject_id == request.subject_id)
        if request.item_id:
            q = q.where(Entry.item_id == request.item_id)
        if request.rule:
            q = q.where(Entry.rule == request.rule)
        if not context.sees_all(actor):
            q = q.where(_scope(actor))
        if after:
            day, _, entry_id = after.partition("|")
            q = q.where((Entry.day < day) | ((Entry.day == day) & (Entry.id > entry_id)))
        rows = list(tx.session.scalars(q.order_by(Entry.day.desc(), Entry.id).limit(size + 1)))
        more = len(rows) > size
        rows = rows[:size]
        causes = replaying.causes_of(tx, [r.cause_seq for r in rows])
        out = [convert.entry_to_proto(r, repository.archived(causes[r.cause_seq])) for r in rows]
    token = f"{rows[-1].day}|{rows[-1].id}" if more else ""
    return pb.ListEntriesResponse(entries=out, next_page_token=token)


def _scope(actor: Actor):  # type: ignore[no-untyped-def]
    """The entries a reader who does not see everyone may see (context.may_see, as SQL)."""
    own_unit = (Entry.subject_kind == domain.UNIT) & (Entry.subject_id == actor.unit_id)
    own_person = (Entry.subject_kind != domain.UNIT) & (Entry.subject_id == (actor.person_id or "\x00"))
    clause = own_unit | own_person
    if "dept_supervisor" in actor.roles and actor.unit_id:
        clause = clause | ((Entry.subject_kind != domain.UNIT) & (Entry.subject_unit_id == actor.unit_id))
    return clause


def year_message(e: Evaluation, tx: UnitOfWork, year: int) -> pb.AssessmentYear:
    row = repository.peek_year(tx, year)
    rules = repository.rules_in_force(tx, year, e.today().isoformat())
    clearance = tx.session.get(Clearance, year)
    return pb.AssessmentYear(
        clearance_document_no=clearance.document_no if clearance else "", cleared=bool(clearance and clearance.cleared),
        receipt_no=clearance.receipt_no if clearance else "", filed_on=clearance.filed_on if clearance else "",year=year, status=row.status, frozen_at=convert.ts(row.frozen_at),
                             frozen_by=row.frozen_by, as_of=row.as_of, rules_version=rules.version,
                             calendar_version=e.calendar.version,
                             entries=repository.entry_count(tx, year, row.generation),
                             adjustments_pending=repository.pending_adjustments(tx, year),
                             events_archived=repository.archive_count(tx))


def get_year(e: Evaluation, request: pb.GetYearRequest, actor: Actor) -> pb.AssessmentYear:
    context.require(actor, "evaluation.read", "您无权查看考核年度")
    with e.uow.read() as tx:
        return year_message(e, tx, _year(request.year))


def adjustment_message(tx: UnitOfWork, adjustment_id: str) -> pb.Adjustment:
    adj = tx.session.get(Adjustment, adjustment_id)
    if adj is None:
        raise NotFound(f"no adjustment {adjustment_id}", {"adjustment_id": "调整事项不存在"})
    entry = tx.session.get(Entry, (adj.id, adj.generation))
    assert entry is not None
    cause = replaying.causes_of(tx, [entry.cause_seq])[entry.cause_seq]
    return convert.adjustment_to_proto(adj, convert.entry_to_proto(entry, repository.archived(cause)))


def list_adjustments(e: Evaluation, request: pb.ListAdjustmentsRequest, actor: Actor) -> pb.ListAdjustmentsResponse:
    context.require(actor, "evaluation.assess", "只有考核办可以查看调整事项")
    with e.uow.read() as tx:
        q = select(Adjustment.id).where(Adjustment.year == _year(request.year))
        if request.status:
            q = q.where(Adjustment.status == request.status)
        ids = list(tx.session.scalars(q.order_by(Adjustment.id)))
        return pb.ListAdjustmentsResponse(adjustments=[adjustment_message(tx, i) for i in ids])


def get_rules(e: Evaluation, request: pb.GetRulesRequest, actor: Actor) -> pb.RuleSet:
    context.require(actor, "evaluation.read", "您无权查看评分规则")
    year = _year(request.year)
    with e.uow.read() as tx:
        if request.version:
            row = repository.rule_version(tx, year, request.version)
            return convert.rules_to_proto(row, repository.as_rule_set(row))
        in_force = repository.rules_in_force(tx, year, e.today().isoformat())
        rows = [r for r in repository.version_rows(tx, year) if r.version == in_force.version]
        if rows:
            return convert.rules_to_proto(rows[0], in_force)
    default = repository.default_row(year)
    return convert.rules_to_proto(default, in_force)


def list_rule_versions(e: Evaluation, request: pb.GetRulesRequest, actor: Actor) -> pb.ListRuleVersionsResponse:
    context.require(actor, "evaluation.read", "您无权查看评分规则")
    year = _year(request.year)
    with e.uow.read() as tx:
        rows = repository.version_rows(tx, year) or [repository.default_row(year)]
        return pb.ListRuleVersionsResponse(versions=[convert.rules_to_proto(r, repository.as_rule_set(r))
                                                     for r in rows])


def export(e: Evaluation, year: int, actor: Actor, unit_id: str = "", person_id: str = "") -> tuple[str, bytes]:
    """The workbook of a year: everyone's (who sees all), one unit's with its people, or one person's."""
    context.require(actor, "evaluation.read", "您无权导出考核得分")
    year = _year(year)
    with e.uow.read() as tx:
        lines = replaying.held_lines(tx, year, repository.peek_year(tx, year).generation)
        clearance = clearance_words(tx, year)
    if person_id:
        lines = [ln for ln in lines if ln.subject_kind != domain.UNIT and ln.subject_id == person_id]
        scope = next((ln.subject_name for ln in lines), person_id)
    elif unit_id:
        lines = [ln for ln in lines if (ln.subject_kind == domain.UNIT and ln.subject_id == unit_id)
                 or (ln.subject_kind != domain.UNIT and ln.subject_unit_id == unit_id)]
        scope = next((ln.subject_name for ln in lines if ln.subject_kind == domain.UNIT), unit_id)
    else:
        scope = "全区"
    lines = [ln for ln in lines if _visible(actor, ln.subject_kind, ln.subject_id, ln.subject_unit_id)]
    if (unit_id or person_id) and not lines and not context.sees_all(actor):
        raise PermissionDenied("nothing visible", {"unit_id": "您无权查看其他单位的考核得分"})
    return f"{year}年度考核得分（{scope}）.xlsx", xlsx_export.workbook(year, scope, lines, clearance)


def clearance_words(tx: UnitOfWork, year: int) -> dict[str, str]:
    """Unit id -> its 清零 state in the year's published clearance report (nothing before it is published)."""
    row = tx.session.get(Clearance, year)
    if row is None:
        return {}
    out = {}
    for u in orjson.loads(row.units):
        still = int(u.get("still_open") or 0)
        out[u["unit_id"]] = "已清零" if still == 0 else f"未清零（{still}件未办结）"
    return out

