"""Loading evaluation's rows: a year (made open on first use), its rule versions (version 1 from the
default file on first use), entries and totals of its current generation, archived events in order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import orjson
from sqlalchemy import func, select

from libs.common.db import UnitOfWork, UnitOfWorkFactory
from libs.common.errors import NotFound
from services.evaluation import domain, rule_sets
from services.evaluation.orm import Adjustment, ArchivedEvent, Entry, RuleVersion, Total, Year
from services.evaluation.rule_sets import RuleSet
from services.evaluation.scoring import Archived

ACCEPTED, PROPOSED, SUPERSEDED = "accepted", "proposed", "superseded"


def year(tx: UnitOfWork, number: int, lock: bool = False) -> Year:
    row = tx.session.get(Year, number, with_for_update=lock)
    if row is None:
        row = Year(year=number, status=domain.OPEN, generation=1, as_of="", frozen_by="", frozen_seq=0)
        tx.session.add(row)
    return row


def peek_year(tx: UnitOfWork, number: int) -> Year:
    """The year for reading: an unknown one answers as open, generation 1, without writing it."""
    return tx.session.get(Year, number) or Year(year=number, status=domain.OPEN, generation=1, as_of="",
                                                frozen_by="", frozen_seq=0)


def version_rows(tx: UnitOfWork, number: int) -> list[RuleVersion]:
    return list(tx.session.scalars(select(RuleVersion).where(RuleVersion.year == number)
                                   .order_by(RuleVersion.version)))


def as_rule_set(row: RuleVersion) -> RuleSet:
    return rule_sets.parsed(row.yaml, row.version, row.effective_from)


def accepted(tx: UnitOfWork, number: int) -> list[RuleSet]:
    """The year's accepted versions; none written yet: the default version 1 (not written by a read)."""
    rows = [r for r in version_rows(tx, number) if r.status == ACCEPTED]
    return [as_rule_set(r) for r in rows] or [rule_sets.default_for(number)]


def rules_in_force(tx: UnitOfWork, number: int, day: str) -> RuleSet:
    chosen = domain.effective(accepted(tx, number), day)
    assert chosen is not None
    return chosen


def ensure_default_rules(tx: UnitOfWork, number: int, now: dt.datetime) -> None:
    """Write version 1 (the default file) when the year has none, so later versions number after it."""
    if not version_rows(tx, number):
        row = default_row(number)
        row.created_at = now
        tx.session.add(row)
        tx.session.flush()


def default_row(number: int) -> RuleVersion:
    """Version 1 as it would be written (a read of a year nobody has scored yet)."""
    default = rule_sets.default_for(number)
    return RuleVersion(year=number, version=1, effective_from=default.effective_from, yaml=rule_sets.default_text(),
                       sha256=default.sha256, status=ACCEPTED, created_at=None, created_by="默认规则")


def rule_version(tx: UnitOfWork, number: int, version: int) -> RuleVersion:
    row = tx.session.get(RuleVersion, (number, version))
    if row is None:
        raise NotFound(f"no rule version {version} of {number}", {"version": f"{number}年度没有第{version}版评分规则"})
    return row


def archived(row: ArchivedEvent) -> Archived:
    return Archived(row.seq, row.event_id, row.type, row.source, row.time, row.topic, row.partition, row.offset,
                    orjson.loads(row.data) if row.data else {})


def archive_in_order(tx: UnitOfWork, batch: int = 5000) -> Iterator[Archived]:
    """Every archived event, in the order it was archived (keyset pages: bounded memory)."""
    after = 0
    columns = (ArchivedEvent.seq, ArchivedEvent.event_id, ArchivedEvent.type, ArchivedEvent.source,
               ArchivedEvent.time, ArchivedEvent.topic, ArchivedEvent.partition, ArchivedEvent.offset,
               ArchivedEvent.data)
    while True:
        rows = tx.session.execute(select(*columns).where(ArchivedEvent.seq > after).order_by(ArchivedEvent.seq)
                                  .limit(batch)).all()
        for r in rows:
            yield Archived(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], orjson.loads(r[8]) if r[8] else {})
        if len(rows) < batch:
            return
        after = rows[-1][0]


def archive_count(tx: UnitOfWork) -> int:
    return tx.session.scalar(select(func.count()).select_from(ArchivedEvent)) or 0


def entries_of(tx: UnitOfWork, number: int, generation: int) -> list[Entry]:
    return list(tx.session.scalars(select(Entry).where(Entry.year == number, Entry.generation == generation)
                                   .order_by(Entry.subject_kind, Entry.subject_id, Entry.day, Entry.id)))


def totals_of(tx: UnitOfWork, number: int, generation: int) -> list[Total]:
    return list(tx.session.scalars(select(Total).where(Total.year == number, Total.generation == generation)))


def pending_adjustments(tx: UnitOfWork, number: int) -> int:
    return tx.session.scalar(select(func.count()).select_from(Adjustment).where(
        Adjustment.year == number, Adjustment.status == domain.PENDING)) or 0


def entry_count(tx: UnitOfWork, number: int, generation: int) -> int:
    return tx.session.scalar(select(func.count()).select_from(Entry).where(
        Entry.year == number, Entry.generation == generation)) or 0


def pending_all(tx: UnitOfWork) -> int:
    """Adjustments awaiting a decision, every year (the metric)."""
    return tx.session.scalar(select(func.count()).select_from(Adjustment).where(
        Adjustment.status == domain.PENDING)) or 0


def all_pending(uow: UnitOfWorkFactory) -> int:
    with uow.read() as tx:
        return pending_all(tx)
