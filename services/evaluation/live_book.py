"""The Book of the live consumer and of the service's own acts: facts, entries and totals as rows, in the
transaction that archived the event (scoring.apply decides, this only keeps). Each counted entry moves its
subject's total at once, and what changed is answered for score.changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import select

from libs.common.calendar import WorkCalendar
from libs.common.db import UnitOfWork
from services.evaluation import domain, repository, scoring
from services.evaluation.domain import Draft, ItemFacts, Party, Subject
from services.evaluation.orm import Adjustment, ArchivedEvent, Entry, ItemRow, Total
from services.evaluation.rule_sets import RuleSet
from services.evaluation.scoring import Archived


def facts_to_json(item: ItemFacts) -> str:
    return orjson.dumps(dataclasses.asdict(item)).decode()


def facts_from_json(text: str) -> ItemFacts:
    d: dict[str, Any] = orjson.loads(text)
    d["units"] = [Party(**u) for u in d.get("units", [])]
    d["person"] = Party(**d["person"]) if d.get("person") else None
    d["leader"] = Party(**d["leader"]) if d.get("leader") else None
    return ItemFacts(**d)


def entry_row(draft: Draft, generation: int, state: str, cause_seq: int, calendar_version: str) -> Entry:
    s = draft.subject
    return Entry(id=draft.id, generation=generation, year=draft.year, subject_kind=s.kind, subject_id=s.id,
                 subject_name=s.name, subject_unit_id=s.unit_id, rule=draft.rule, rule_version=draft.rule_version,
                 points_centi=draft.points_centi, basis=draft.basis[:200], day=draft.day,
                 explanation=draft.explanation[:500], item_id=draft.item_id, item_no=draft.item_no,
                 cause_seq=cause_seq, calendar_version=calendar_version, state=state)


def draft_of(row: Entry) -> Draft:
    return Draft(row.year, Subject(row.subject_kind, row.subject_id, row.subject_name, row.subject_unit_id),
                 row.rule, row.rule_version, row.points_centi, row.basis, row.day, row.explanation, row.item_id,
                 row.item_no)


class LiveBook:
    def __init__(self, tx: UnitOfWork, calendar: WorkCalendar) -> None:
        self.tx = tx
        self.calendar = calendar
        self._years: dict[int, tuple[int, int]] = {}  # year -> (generation, frozen seq or 0)
        self.total_after: dict[str, int] = {}  # entry id -> its subject's total once counted (score.changed)

    def _year(self, year: int) -> tuple[int, int]:
        if year not in self._years:
            # Locked: a rebuild or a freeze of the year (which lock it too) is not interleaved with scoring.
            row = repository.year(self.tx, year, lock=True)
            self._years[year] = (row.generation, row.frozen_seq if row.status == domain.FROZEN else 0)
        return self._years[year]

    def item(self, item_id: str) -> ItemFacts | None:
        row = self.tx.session.get(ItemRow, item_id)
        return facts_from_json(row.facts) if row is not None else None

    def put(self, item: ItemFacts) -> None:
        row = self.tx.session.get(ItemRow, item.item_id)
        if row is None:
            self.tx.session.add(ItemRow(item_id=item.item_id, year=item.year, facts=facts_to_json(item)))
        else:
            row.year, row.facts = item.year, facts_to_json(item)

    def items_of_year(self, year: int) -> Iterable[ItemFacts]:
        rows = self.tx.session.scalars(select(ItemRow.facts).where(ItemRow.year == year))
        return [facts_from_json(text) for text in rows]

    def rules(self, year: int, day: str) -> RuleSet:
        return repository.rules_in_force(self.tx, year, day)

    def has_entry(self, draft: Draft) -> bool:
        return self.tx.session.get(Entry, (draft.id, self._year(draft.year)[0])) is not None

    def add_entry(self, draft: Draft, state: str, cause: Archived) -> None:
        generation, _ = self._year(draft.year)
        self.tx.session.add(entry_row(draft, generation, state, cause.seq, self.calendar.version))
        if state == domain.PENDING:
            self.tx.session.add(Adjustment(id=draft.id, year=draft.year, generation=generation,
                                           status=domain.PENDING))
        else:
            self._count(draft, generation)

    def _count(self, draft: Draft, generation: int) -> None:
        s = draft.subject
        key = (draft.year, generation, s.kind, s.id)
        total = self.tx.session.get(Total, key, with_for_update=True)
        if total is None:
            total = Total(year=draft.year, generation=generation, subject_kind=s.kind, subject_id=s.id,
                          subject_name=s.name, subject_unit_id=s.unit_id, total_centi=0, plus_centi=0,
                          minus_centi=0, entries=0)
            self.tx.session.add(total)
        total.subject_name, total.subject_unit_id = s.name or total.subject_name, s.unit_id or total.subject_unit_id
        total.total_centi += draft.points_centi
        if draft.points_centi > 0:
            total.plus_centi += draft.points_centi
        else:
            total.minus_centi += draft.points_centi
        total.entries += 1
        self.total_after[draft.id] = total.total_centi

    def decide(self, entry_id: str, accept: bool) -> Draft | None:
        adjustment = self.tx.session.get(Adjustment, entry_id, with_for_update=True)
        if adjustment is None or adjustment.status != domain.PENDING:
            return None
        row = self.tx.session.get(Entry, (entry_id, adjustment.generation))
        assert row is not None
        row.state = domain.COUNTED if accept else domain.REJECTED
        adjustment.status = "accepted" if accept else "rejected"
        draft = draft_of(row)
        if accept:
            self._count(draft, adjustment.generation)
        return draft

    def frozen_before(self, year: int, seq: int) -> bool:
        frozen_seq = self._year(year)[1]
        return bool(frozen_seq) and frozen_seq < seq

    def wait(self, item_id: str, event: Archived) -> None:
        """Nothing to keep: the event is archived under its subject (the item), found by waiting()."""

    def waiting(self, item_id: str, before_seq: int) -> list[Archived]:
        rows = self.tx.session.scalars(select(ArchivedEvent).where(
            ArchivedEvent.subject == item_id, ArchivedEvent.seq < before_seq,
            ArchivedEvent.source != scoring.LEDGER).order_by(ArchivedEvent.seq))
        return [repository.archived(r) for r in rows]

    def freeze(self, year: int, as_of: str, cause: Archived) -> None:
        row = repository.year(self.tx, year)
        row.status, row.as_of, row.frozen_seq = domain.FROZEN, as_of, cause.seq
        self._years.pop(year, None)
