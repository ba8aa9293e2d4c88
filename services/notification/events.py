"""Notification's outgoing events, staged in the outbox (topic duban.notification.events.v1; key = the
bulletin id)."""

from __future__ import annotations

import datetime as dt

from google.protobuf.message import Message

from duban.notification.v1 import events_pb2
from duban.notification.v1 import notification_pb2 as pb
from libs.common import topics
from libs.common.actor import Actor, snapshot_proto
from libs.common.cloudevents import new_event
from libs.common.outbox import OutboxEvent
from services.notification import convert, facts
from services.notification.orm import Bulletin

SOURCE = topics.event_source("notification")
BULLETIN_DRAFTED = "bulletin.drafted"
BULLETIN_EDITED = "bulletin.edited"
BULLETIN_SUBMITTED = "bulletin.submitted"
BULLETIN_RETURNED = "bulletin.returned"
BULLETIN_APPROVED = "bulletin.approved"
BULLETIN_PUBLISHED = "bulletin.published"
CLEARANCE_PUBLISHED = "clearance.published"
CLEARANCE_FILED = "clearance.filed"


def event(type_: str, key: str, message: Message, now: dt.datetime) -> OutboxEvent:
    return OutboxEvent(topics.NOTIFICATION_EVENTS, key, new_event(type_, SOURCE, key, message, now))


def bulletin_changed(type_: str, b: Bulletin, actor: Actor, now: dt.datetime, comment: str = "") -> OutboxEvent:
    return event(type_, b.id, events_pb2.BulletinChanged(
        bulletin_id=b.id, kind=b.kind, period_code=b.period_code, title=b.title, status=b.status, issue_no=b.issue_no,
        document_no=b.document_no, scope_unit_id=b.scope_unit_id, at=convert.ts(now),
        by=snapshot_proto(actor.snapshot()), comment=comment, docx_sha256=b.docx_sha256, pdf_sha256=b.pdf_sha256), now)


def _kept(mentions: list[facts.Mention], kind: str) -> list[pb.Mention]:
    return [convert.mention_to_proto(m) for m in mentions if m.kind == kind and m.state != facts.STRUCK]


def bulletin_published(b: Bulletin, now: dt.datetime) -> OutboxEvent:
    """What the assessment scores: units named, commendations, criticisms, problems with their deadlines."""
    found = convert.facts_of(b)
    assert isinstance(found, pb.Facts)
    mentions = convert.mentions_of(b)
    return event(BULLETIN_PUBLISHED, b.id, events_pb2.BulletinPublished(
        bulletin_id=b.id, kind=b.kind, period=convert.period_to_proto(b), title=b.title, issue_no=b.issue_no,
        issue_year=b.issue_year, document_no=b.document_no, scope_unit_id=b.scope_unit_id, as_of=found.as_of,
        published_at=convert.ts(now), approved_by=snapshot_proto(b.approved_by), totals=found.totals,
        units=found.units, named_unit_ids=convert.named_ids(b),
        commendations=_kept(mentions, facts.COMMENDATION), criticisms=_kept(mentions, facts.CRITICISM),
        requirements=[convert.requirement_to_proto(r) for r in b.requirements],
        corrects_bulletin_id=b.corrects_bulletin_id, docx_sha256=b.approved_docx_sha256,
        pdf_sha256=b.approved_pdf_sha256), now)


def clearance_published(b: Bulletin, now: dt.datetime) -> OutboxEvent:
    found = convert.facts_of(b)
    assert isinstance(found, pb.ClearanceFacts)
    return event(CLEARANCE_PUBLISHED, b.id, events_pb2.ClearancePublished(
        bulletin_id=b.id, year=found.year, title=b.title, document_no=b.document_no, as_of=found.as_of,
        published_at=convert.ts(now), approved_by=snapshot_proto(b.approved_by), total=found.total,
        closed=found.closed, not_closed=found.not_closed, cleared=found.cleared,
        not_closed_items=found.not_closed_items, units=found.units, docx_sha256=b.approved_docx_sha256,
        pdf_sha256=b.approved_pdf_sha256), now)


def clearance_filed(b: Bulletin, receipt: pb.Receipt, now: dt.datetime) -> OutboxEvent:
    return event(CLEARANCE_FILED, b.id, events_pb2.ClearanceFiled(bulletin_id=b.id, year=b.year, receipt=receipt), now)
