"""Evaluation's outgoing events, staged in the outbox (topic duban.evaluation.events.v1). score.changed is
keyed by its subject ("unit:<id>"), not by an item: the assessment system follows a subject's total."""

from __future__ import annotations

import datetime as dt

from duban.evaluation.v1 import events_pb2
from duban.evaluation.v1.evaluation_pb2 import ScoreEntry
from libs.common import topics
from libs.common.cloudevents import new_event
from libs.common.outbox import OutboxEvent
from services.evaluation import convert, domain
from services.evaluation.domain import Subject

SOURCE = topics.event_source("evaluation")
SCORE_CHANGED = "score.changed"
YEAR_FROZEN = "year.frozen"


def score_changed(subject: Subject, year: int, entry: ScoreEntry | None, total_centi: int, rules_version: int,
                  now: dt.datetime) -> OutboxEvent:
    return OutboxEvent(topics.EVALUATION_EVENTS, subject.key, new_event(
        SCORE_CHANGED, SOURCE, subject.key, events_pb2.ScoreChanged(
            subject=convert.subject_to_proto(subject), year=year, entry=entry, total=domain.as_points(total_centi),
            rules_version=rules_version), now))


def year_frozen(year: int, as_of: str, frozen_by: str, now: dt.datetime) -> OutboxEvent:
    key = f"year:{year}"
    return OutboxEvent(topics.EVALUATION_EVENTS, key, new_event(YEAR_FROZEN, SOURCE, key, events_pb2.YearFrozen(
        year=year, as_of=as_of, frozen_at=convert.ts(now), frozen_by=frozen_by), now))
