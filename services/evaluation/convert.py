"""Rows to proto messages (API answers, event payloads); no rules."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp

from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common.vocabulary import SCORE_RULES
from services.evaluation import domain
from services.evaluation.domain import Draft, Subject
from services.evaluation.orm import Adjustment, Entry, RuleVersion, Total
from services.evaluation.rule_sets import RuleSet
from services.evaluation.scoring import Archived


def ts(at: dt.datetime | None) -> Timestamp | None:
    if at is None:
        return None
    t = Timestamp()
    t.FromDatetime(at.astimezone(dt.UTC).replace(tzinfo=None))
    return t


def subject_to_proto(s: Subject) -> pb.Subject:
    return pb.Subject(kind=s.kind, id=s.id, name=s.name, unit_id=s.unit_id)


def cause_to_proto(a: Archived | None) -> pb.Cause | None:
    if a is None:
        return None
    return pb.Cause(source=a.source, event_id=a.event_id, type=a.type, topic=a.topic, partition=a.partition,
                    offset=a.offset, time=ts(a.time))


def draft_to_proto(d: Draft, state: str, cause: Archived | None, calendar_version: str) -> pb.ScoreEntry:
    return pb.ScoreEntry(id=d.id, year=d.year, subject=subject_to_proto(d.subject), rule=d.rule,
                         rule_version=d.rule_version, points=domain.as_points(d.points_centi),
                         cause=cause_to_proto(cause), item_id=d.item_id, item_no=d.item_no,
                         calendar_version=calendar_version, explanation=d.explanation, day=d.day, state=state,
                         basis=d.basis)


def entry_to_proto(e: Entry, cause: Archived | None) -> pb.ScoreEntry:
    return pb.ScoreEntry(
        id=e.id, year=e.year, subject=pb.Subject(kind=e.subject_kind, id=e.subject_id, name=e.subject_name,
                                                 unit_id=e.subject_unit_id),
        rule=e.rule, rule_version=e.rule_version, points=domain.as_points(e.points_centi),
        cause=cause_to_proto(cause), item_id=e.item_id, item_no=e.item_no, calendar_version=e.calendar_version,
        explanation=e.explanation, day=e.day, state=e.state, basis=e.basis)


def total_to_proto(t: Total) -> pb.SubjectTotal:
    return pb.SubjectTotal(year=t.year, subject=pb.Subject(kind=t.subject_kind, id=t.subject_id,
                                                           name=t.subject_name, unit_id=t.subject_unit_id),
                           total=domain.as_points(t.total_centi), entries=t.entries,
                           plus=domain.as_points(t.plus_centi), minus=domain.as_points(t.minus_centi))


def adjustment_to_proto(a: Adjustment, entry: pb.ScoreEntry) -> pb.Adjustment:
    return pb.Adjustment(id=a.id, entry=entry, status=a.status, reason=a.reason, decided_by=a.decided_by,
                         decided_at=ts(a.decided_at))


def rules_to_proto(row: RuleVersion, parsed: RuleSet) -> pb.RuleSet:
    return pb.RuleSet(
        year=row.year, version=row.version, effective_from=row.effective_from, status=row.status, yaml=row.yaml,
        sha256=row.sha256, created_at=ts(row.created_at), created_by=row.created_by,
        rules=[pb.Rule(code=r.code, label=SCORE_RULES.get(r.code, r.code), points=domain.as_points(r.points_centi),
                       cap=domain.as_points(r.cap_centi)) for r in parsed.rules.values()])
