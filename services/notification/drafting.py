"""Drafting a bulletin (and the year's 清零 report) from the facts as of a time: the period's items in scope,
their course and lights, inspection problems, the suggested commendations, criticisms and problems to be
fixed. One bulletin per period (kind, period, scope): asking again answers the one drafted."""

from __future__ import annotations

import datetime as dt
import uuid

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.exc import IntegrityError

from duban.notification.v1 import notification_pb2 as pb
from libs.common.actor import Actor
from libs.common.clock import OFFICE_TZ
from libs.common.errors import FailedPrecondition, InvalidInput
from libs.common.official_docx import chinese_datetime
from services.notification import convert, domain, events, facts, metrics, repository, wording
from services.notification.context import Notification, require_drafter
from services.notification.orm import Bulletin, BulletinAct, BulletinRequirement


def _as_of(n: Notification, stamp: Timestamp | None) -> dt.datetime:
    if stamp is not None and stamp.seconds:
        return stamp.ToDatetime(dt.UTC)
    return n.clock.now()


def period_key(kind: str, code: str, scope_unit_id: str) -> str:
    return f"{kind}:{code}:{scope_unit_id}"


def generate_bulletin(n: Notification, request: pb.GenerateBulletinRequest, actor: Actor,
                      preview: bool = False) -> tuple[Bulletin, bool]:
    """The period's bulletin: drafted now, or the one drafted before (True). `preview`: the bulletin as it
    would be drafted now, not stored (and not numbered, no event)."""
    kind, scope_unit_id = request.kind, request.scope_unit_id.strip()
    if kind == domain.CLEARANCE:
        raise InvalidInput("clearance through GenerateClearance", {"kind": "清零报告请用“生成清零报告”"})
    require_drafter(actor, scope_unit_id)
    as_of = _as_of(n, request.as_of if request.HasField("as_of") else None)
    day = as_of.astimezone(OFFICE_TZ).date()
    corrects: Bulletin | None = None
    if request.corrects_bulletin_id:
        if kind != domain.SPECIAL:
            raise InvalidInput("a correction is a special bulletin", {"kind": "更正通报为专项通报"})
        with n.uow.read() as tx:
            corrects = repository.get(tx, request.corrects_bulletin_id)
        if corrects.status != domain.PUBLISHED:
            raise FailedPrecondition("only a published bulletin is corrected",
                                     {"corrects_bulletin_id": "只有已印发的通报需要更正（未印发的直接修改）"})
    starts, ends = request.starts_on, request.ends_on
    if corrects is not None and not starts:
        starts, ends = corrects.starts_on.isoformat(), corrects.ends_on.isoformat()
    period = domain.parse_period(kind, request.period, starts, ends)
    if kind != domain.SPECIAL and not preview and not domain.has_ended(period, day):
        raise FailedPrecondition(f"{period.code} has not ended by {day}",
                                 {"period": f"{period.label}尚未结束，期满后才能起草通报"})
    if kind == domain.SPECIAL and not request.title.strip():
        raise InvalidInput("a special bulletin needs a title", {"title": "专项通报须填写标题"})
    key = period_key(kind, period.code, scope_unit_id) if kind != domain.SPECIAL else None
    with n.uow.read() as tx:
        if key and not preview and (found := repository.by_period_key(tx, key)) is not None:
            return found, True
        scope_name = repository.unit_name(tx, scope_unit_id) if scope_unit_id else ""
        if scope_unit_id and not scope_name:
            raise InvalidInput(f"no items of unit {scope_unit_id}", {"scope_unit_id": "该单位没有督查事项"})
        items = facts.scope(repository.items_in(tx, kind, period.starts_on, period.ends_on, scope_unit_id),
                            period.starts_on, period.ends_on)
        ids = {i.item_id for i in items}
        problems = facts.problems_in(repository.problems(tx, period.ends_on), period.starts_on, period.ends_on, ids,
                                     scope_unit_id, unlinked=kind in (domain.QUARTERLY, domain.SPECIAL))
        raised = repository.raised(tx, ids, day)
    t = facts.tally(items, problems, as_of, day, n.calendar, n.light, raised)
    found_facts = convert.tally_to_facts(t, n.thresholds.body_cap, scope_unit_id, scope_name)
    mentions = facts.suggest_mentions(t, n.thresholds)
    requirements = facts.suggest_requirements(t, n.thresholds)
    title = request.title.strip()[:200] or wording.title(kind, period.label, scope_name)
    if preview:
        return _unsaved(kind, period, scope_unit_id, title, found_facts.SerializeToString(), mentions, requirements,
                        as_of, actor), False
    return _store(n, key, kind, period, scope_unit_id, title, found_facts.SerializeToString(), mentions, requirements,
                  facts.named_units(t, mentions, requirements), as_of, actor, corrects)


def generate_clearance(n: Notification, year: int, as_of_stamp: Timestamp | None, actor: Actor) -> tuple[Bulletin, bool]:
    """The 清零 report of `year` (every item registered in it), from the clearance date of December on."""
    require_drafter(actor, "")
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"bad year {year}", {"year": "年份不正确"})
    as_of = _as_of(n, as_of_stamp)
    day = as_of.astimezone(OFFICE_TZ).date()
    opens = domain.clearance_opens(year, n.clearance_from)
    if day < opens:
        raise FailedPrecondition(f"clearance of {year} opens on {opens}",
                                 {"year": f"{year}年度清零报告自{opens.month}月{opens.day}日起生成"})
    period = domain.parse_period(domain.CLEARANCE, str(year))
    key = period_key(domain.CLEARANCE, period.code, "")
    with n.uow.read() as tx:
        if (found := repository.by_period_key(tx, key)) is not None:
            return found, True
        items = repository.items_of_year(tx, year)
    c = facts.clearance(items, year, as_of, day, n.calendar, n.light)
    named = sorted({ln.item.unit_id for ln in c.not_closed})
    return _store(n, key, domain.CLEARANCE, period, "", wording.title(domain.CLEARANCE, period.label),
                  convert.clearance_to_proto(c).SerializeToString(), [], [], named, as_of, actor, None)


def _unsaved(kind: str, period: domain.Period, scope_unit_id: str, title: str, frozen: bytes,
             mentions: list[facts.Mention], requirements: list[facts.Requirement], as_of: dt.datetime,
             actor: Actor) -> Bulletin:
    b = Bulletin(id="", kind=kind, period_code=period.code, starts_on=period.starts_on, ends_on=period.ends_on,
                 year=period.year, scope_unit_id=scope_unit_id, status=domain.DRAFT, title=title, facts=frozen,
                 mentions=convert.mentions_json(mentions), named_unit_ids="", as_of=as_of, corrects_bulletin_id="",
                 corrected_by_bulletin_id="", drafted_by=actor.snapshot(), version=0, created_at=as_of,
                 issue_no=0, issue_year=0, document_no="", opening="", closing="", docx_sha256="", pdf_sha256="",
                 approved_docx_sha256="", approved_pdf_sha256="", approved_by="", published_by="", return_comment="",
                 receipt="")
    b.requirements = [BulletinRequirement(
        bulletin_id="", id=r.id, position=i, unit_id=r.unit_id, unit_name=r.unit_name, text=r.text,
        working_days=r.working_days, due_date=r.due_date, item_id=r.item_id, item_no=r.item_no,
        finding_id=r.finding_id, leader_id=r.leader_id, registered_item_id="", registered_item_no="")
        for i, r in enumerate(requirements)]
    b.acts = []
    return b


def _store(n: Notification, key: str | None, kind: str, period: domain.Period, scope_unit_id: str, title: str,
           frozen: bytes, mentions: list[facts.Mention], requirements: list[facts.Requirement], named: list[str],
           as_of: dt.datetime, actor: Actor, corrects: Bulletin | None) -> tuple[Bulletin, bool]:
    now = n.clock.now()
    try:
        with n.uow() as tx:
            b = Bulletin(
                id=str(uuid.uuid4()), kind=kind, period_code=period.code, starts_on=period.starts_on,
                ends_on=period.ends_on, year=period.year, scope_unit_id=scope_unit_id, period_key=key,
                status=domain.DRAFT, title=title, facts=frozen, mentions=convert.mentions_json(mentions),
                named_unit_ids="," + ",".join(named) + "," if named else "", as_of=as_of,
                corrects_bulletin_id=corrects.id if corrects else "", drafted_by=actor.snapshot(), version=1,
                created_at=now, updated_at=now)
            b.requirements = [BulletinRequirement(
                bulletin_id=b.id, id=r.id, position=i, unit_id=r.unit_id, unit_name=r.unit_name, text=r.text,
                working_days=r.working_days, due_date=r.due_date, item_id=r.item_id, item_no=r.item_no,
                finding_id=r.finding_id, leader_id=r.leader_id) for i, r in enumerate(requirements)]
            b.acts = [BulletinAct(bulletin_id=b.id, seq=1, act="drafted", at=now, by=actor.snapshot(),
                                  by_person_id=actor.person_id)]
            tx.session.add(b)
            if corrects is not None:
                earlier = repository.get(tx, corrects.id, lock=True)
                earlier.corrected_by_bulletin_id = b.id
            tx.session.flush()
            tx.publish(events.bulletin_changed(events.BULLETIN_DRAFTED, b, actor, now))
            tx.commit()
    except IntegrityError:  # another run drafted the same period a moment before: answer that one
        with n.uow.read() as tx:
            found = repository.by_period_key(tx, key) if key else None
        if found is None:
            raise
        return found, True
    metrics.BULLETINS.labels(kind, "drafted").inc()
    return b, False


def draft_texts(b: Bulletin, in_scope: int) -> tuple[str, str]:
    """The system's opening and closing of this bulletin (printed where the office wrote none)."""
    label = convert.period_to_proto(b).label
    return (wording.opening(b.kind, label, in_scope, chinese_datetime(b.as_of.astimezone(OFFICE_TZ))),
            wording.closing(b.kind))
