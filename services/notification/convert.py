"""Facts and rows to proto messages (API answers, event payloads, the frozen facts of a bulletin). No rules."""

from __future__ import annotations

import datetime as dt
import json

from google.protobuf.timestamp_pb2 import Timestamp

from duban.notification.v1 import notification_pb2 as pb
from libs.common.actor import snapshot_proto
from services.notification import domain, facts
from services.notification.orm import Bulletin, BulletinRequirement, Message


def ts(moment: dt.datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def line_to_proto(line: facts.Line) -> pb.ItemLine:
    i = line.item
    return pb.ItemLine(
        item_id=i.item_id, item_no=i.item_no, title=i.title, unit_id=i.unit_id, unit_name=i.unit_name,
        category=i.category, key_tracking=i.key_tracking, due_date=day(i.due_date),
        original_due_date=day(i.original_due_date), extended=i.extended,
        closed_on=day(i.closed_on) if line.closed else "", within_time=line.within_time, light=line.light,
        working_days_late=line.working_days_late, reason="" if line.closed else i.reason, status=i.status)


def unit_to_proto(u: facts.UnitTally) -> pb.UnitRow:
    return pb.UnitRow(
        unit_id=u.unit_id, unit_name=u.unit_name, in_scope=u.in_scope, closed=u.closed,
        closed_within_time=u.closed_within_time, extended=u.extended, overdue=u.overdue, still_open=u.still_open,
        on_time_pct=u.on_time_pct, on_time_rate=u.on_time_rate, lagging=u.lagging, lagging_reason=u.lagging_reason,
        lagging_item_nos=list(u.lagging_item_nos))


def chart_to_proto(title: str, bars: list[facts.Bar]) -> pb.Chart:
    return pb.Chart(title=title, bars=[pb.ChartBar(unit_id=b.unit_id, unit_name=b.unit_name, value=b.value,
                                                   label=b.label, lagging=b.lagging) for b in bars])


def problem_to_proto(p: facts.Problem) -> pb.ProblemLine:
    return pb.ProblemLine(finding_id=p.finding_id, item_id=p.item_id, item_no=p.item_no, unit_id=p.unit_id,
                          unit_name=p.unit_name, text=p.text, category=p.category, severity=p.severity,
                          rectification_status=p.rectification_status, due_date=day(p.due_date), relapses=p.relapses)


CHART_TITLE = "各单位按时办结率"
CLEARANCE_CHART_TITLE = "各单位办结率"


def tally_to_facts(t: facts.Tally, body_cap: int, scope_unit_id: str = "", scope_unit_name: str = "") -> pb.Facts:
    tot = t.totals
    lines = [line_to_proto(line) for line in t.lines]
    by_id = {line.item.item_id: message for line, message in zip(t.lines, lines, strict=True)}
    return pb.Facts(
        as_of=ts(t.as_of),
        totals=pb.Totals(in_scope=tot.in_scope, closed=tot.closed, closed_within_time=tot.closed_within_time,
                         extended=tot.extended, overdue=tot.overdue, still_open=tot.still_open,
                         closed_pct=tot.closed_pct, within_time_pct=tot.within_time_pct, overdue_pct=tot.overdue_pct,
                         red=tot.red, yellow=tot.yellow),
        units=[unit_to_proto(u) for u in t.units], in_scope=lines,
        overdue=[by_id[ln.item.item_id] for ln in t.overdue], red=[by_id[ln.item.item_id] for ln in t.red],
        yellow=[by_id[ln.item.item_id] for ln in t.yellow], problems=[problem_to_proto(p) for p in t.problems],
        chart=chart_to_proto(CHART_TITLE, t.chart), body_cap=body_cap, scope_unit_id=scope_unit_id,
        scope_unit_name=scope_unit_name)


def clearance_to_proto(c: facts.Clearance) -> pb.ClearanceFacts:
    return pb.ClearanceFacts(
        year=c.year, as_of=ts(c.as_of), total=c.total, closed=c.closed, not_closed=len(c.not_closed),
        cleared_pct=c.cleared_pct, cleared=c.cleared, not_closed_items=[line_to_proto(ln) for ln in c.not_closed],
        units=[unit_to_proto(u) for u in c.units], chart=chart_to_proto(CLEARANCE_CHART_TITLE, c.chart))


def facts_of(b: Bulletin) -> pb.Facts | pb.ClearanceFacts:
    """The frozen facts of a bulletin (a 清零 report's are ClearanceFacts)."""
    message: pb.Facts | pb.ClearanceFacts = pb.ClearanceFacts() if b.kind == domain.CLEARANCE else pb.Facts()
    message.ParseFromString(b.facts)
    return message


def mentions_of(b: Bulletin) -> list[facts.Mention]:
    return [facts.Mention(**m) for m in json.loads(b.mentions or "[]")]


def mentions_json(mentions: list[facts.Mention]) -> str:
    return json.dumps([m.__dict__ for m in mentions], ensure_ascii=False)


def mention_to_proto(m: facts.Mention) -> pb.Mention:
    return pb.Mention(id=m.id, kind=m.kind, unit_id=m.unit_id, unit_name=m.unit_name, basis=m.basis, text=m.text,
                      state=m.state)


def requirement_to_proto(r: BulletinRequirement) -> pb.Requirement:
    return pb.Requirement(id=r.id, unit_id=r.unit_id, unit_name=r.unit_name, text=r.text, due_date=day(r.due_date),
                          working_days=r.working_days, item_id=r.item_id, item_no=r.item_no, finding_id=r.finding_id,
                          registered_item_id=r.registered_item_id, registered_item_no=r.registered_item_no,
                          responsible_leader_id=r.leader_id)


def period_to_proto(b: Bulletin) -> pb.Period:
    if b.kind == domain.SPECIAL:
        period = domain.parse_period(b.kind, "", b.starts_on.isoformat(), b.ends_on.isoformat())
    else:
        period = domain.parse_period(b.kind, b.period_code)
    return pb.Period(kind=b.kind, code=b.period_code, starts_on=day(b.starts_on), ends_on=day(b.ends_on), year=b.year,
                     label=period.label)


def named_ids(b: Bulletin) -> list[str]:
    return [u for u in b.named_unit_ids.split(",") if u]


def bulletin_to_proto(b: Bulletin, brief: bool = False, draft_texts: tuple[str, str] = ("", "")) -> pb.Bulletin:
    """The bulletin; `brief` (lists) leaves out the long lists of its facts."""
    message = pb.Bulletin(
        id=b.id, kind=b.kind, period=period_to_proto(b), scope_unit_id=b.scope_unit_id, status=b.status,
        title=b.title, issue_no=b.issue_no, issue_year=b.issue_year, document_no=b.document_no,
        issued_on=day(b.issued_on), opening=b.opening, closing=b.closing, draft_opening=draft_texts[0],
        draft_closing=draft_texts[1], mentions=[mention_to_proto(m) for m in mentions_of(b)],
        requirements=[requirement_to_proto(r) for r in b.requirements], corrects_bulletin_id=b.corrects_bulletin_id,
        corrected_by_bulletin_id=b.corrected_by_bulletin_id, docx_sha256=b.docx_sha256, pdf_sha256=b.pdf_sha256,
        approved_docx_sha256=b.approved_docx_sha256, approved_pdf_sha256=b.approved_pdf_sha256,
        approved_at=ts(b.approved_at), approved_by=snapshot_proto(b.approved_by), published_at=ts(b.published_at),
        published_by=snapshot_proto(b.published_by), named_unit_ids=named_ids(b),
        drafted_by=snapshot_proto(b.drafted_by), created_at=ts(b.created_at), version=b.version,
        return_comment=b.return_comment if b.status == domain.RETURNED else "",
        acts=[pb.BulletinAct(act=a.act, at=ts(a.at), by=snapshot_proto(a.by), comment=a.comment,
                             docx_sha256=a.docx_sha256, pdf_sha256=a.pdf_sha256) for a in b.acts])
    if b.receipt:
        r = json.loads(b.receipt)
        message.receipt.CopyFrom(pb.Receipt(receipt_no=r["receipt_no"], filed_on=r["filed_on"], note=r["note"],
                                            recorded_at=ts(dt.datetime.fromisoformat(r["recorded_at"])),
                                            recorded_by=snapshot_proto(r["recorded_by"])))
    found = facts_of(b)
    if isinstance(found, pb.ClearanceFacts):
        if brief:
            del found.not_closed_items[:]
        message.clearance.CopyFrom(found)
    else:
        if brief:
            for listed in (found.in_scope, found.overdue, found.red, found.yellow, found.problems):
                del listed[:]
        message.facts.CopyFrom(found)
    return message


def message_to_proto(m: Message) -> pb.Message:
    return pb.Message(
        id=m.id, cause=m.cause, urgent=m.urgent, day=day(m.day), item_id=m.item_id, item_no=m.item_no,
        subject_id=m.subject_id, title=m.title, text=m.text, link=m.link, recipient_person_id=m.recipient_person_id,
        recipient_unit_id=m.recipient_unit_id, recipient_name=m.recipient_name, why=m.why, created_at=ts(m.created_at),
        read_at=ts(m.read_at), read_by=snapshot_proto(m.read_by))
