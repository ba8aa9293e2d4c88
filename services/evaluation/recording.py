"""The live path: every event the consumer hears is archived and scored in one transaction, and each entry
counted stages score.changed with the subject's new total. The service's own acts (a year assessed, an
adjustment decided) are archived and scored the same way, so a replay of the archive meets them in place."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import insert

from libs.common.cloudevents import CloudEvent, new_event_id
from libs.common.db import UnitOfWork
from services.evaluation import clearance, convert, domain, events, metrics, repository, scoring
from services.evaluation.context import Evaluation
from services.evaluation.domain import Draft
from services.evaluation.live_book import LiveBook
from services.evaluation.orm import ArchivedEvent, CalendarVersion
from services.evaluation.scoring import Archived


def archive(tx: UnitOfWork, event: CloudEvent) -> Archived:
    seq = tx.session.execute(insert(ArchivedEvent).values(  # its seq: the order a replay meets it in
        event_id=event.id, type=event.type, source=event.source, subject=event.subject[:100], time=event.time,
        topic=event.topic, partition=event.partition, offset=event.offset, data=event.data,
    ).returning(ArchivedEvent.seq)).scalar_one()
    metrics.EVENTS_ARCHIVED.labels(event.type).inc()
    return Archived(seq, event.id, event.type, event.source, event.time, event.topic, event.partition,
                    event.offset, orjson.loads(event.data) if event.data else {})


def keep_calendar(e: Evaluation, tx: UnitOfWork) -> None:
    """The tables entries are counted on, kept under their version the first time they are used."""
    if e.calendar_kept != e.calendar.version:
        if tx.session.get(CalendarVersion, e.calendar.version) is None:
            tx.session.add(CalendarVersion(version=e.calendar.version, tables=e.calendar.tables_text,
                                           first_used_at=e.now()))
        e.calendar_kept = e.calendar.version


def score(e: Evaluation, tx: UnitOfWork, archived: Archived) -> list[tuple[Draft, str]]:
    book = LiveBook(tx, e.calendar, e.rules_cache)
    changed = scoring.apply(book, archived)
    book.flush()
    if changed:
        keep_calendar(e, tx)
    if any(state == domain.PENDING for _, state in changed) or archived.type == scoring.ADJUSTMENT_DECIDED:
        # counted in this transaction (its own rows included); a scrape only reads the gauge
        metrics.ADJUSTMENTS_PENDING.set(repository.pending_all(tx))
    now = e.now()
    for draft, state in changed:
        metrics.ENTRIES.labels(draft.rule, state).inc()

        if state == domain.COUNTED:
            entry = convert.draft_to_proto(draft, state, archived, e.calendar.version)
            tx.publish(events.score_changed(draft.subject, draft.year, entry, book.total_after[draft.id],
                                            draft.rule_version, now))
    return changed


def on_event(e: Evaluation, tx: UnitOfWork, event: CloudEvent) -> None:
    """The consumer's one use case: whatever another service published, archived; what it means, scored."""
    archived = archive(tx, event)
    keep = clearance.BY_TYPE.get((event.source, event.type))
    if keep is not None:
        keep(tx, archived)
    score(e, tx, archived)


def record_act(e: Evaluation, tx: UnitOfWork, type_: str, data: dict[str, Any]) -> list[tuple[Draft, str]]:
    """One of the service's own acts, archived as an event of duban/evaluation and scored."""
    act = CloudEvent(new_event_id(), type_, events.SOURCE, str(data.get("year", "")), e.now(),
                     orjson.dumps(data))
    return score(e, tx, archive(tx, act))
