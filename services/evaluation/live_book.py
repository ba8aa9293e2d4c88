"""The Book of the live consumer and of the service's own acts: facts, entries and totals as rows, in the
transaction that archived the event (scoring.apply decides, this only keeps). Each counted entry moves its
subject's total at once, and what changed is answered for score.changed."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

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
    """Rows are read as the interpreter asks; the entries and totals an event writes are staged and written
    by flush() in a few statements (an entry insert, one upsert per subject), not object by object."""

    def __init__(self, tx: UnitOfWork, calendar: WorkCalendar, rules_cache: dict[int, list[RuleSet]]) -> None:
        self.tx = tx
        self.calendar = calendar
        self._rules = rules_cache  # the accepted versions per year, kept by the service (rule_setting clears it)
        self._years: dict[int, tuple[int, int]] = {}  # year -> (generation, frozen seq or 0)
        self._entries: list[dict[str, object]] = []
        self._adjustments: list[dict[str, object]] = []
        self._counted: list[tuple[Draft, int]] = []  # (draft, generation) in the order counted
        self._staged: set[str] = set()
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
        if year not in self._rules:
            self._rules[year] = repository.accepted(self.tx, year)
        chosen = domain.effective(self._rules[year], day)
        assert chosen is not None
        return chosen

    def entries_of_item(self, year: int, item_id: str) -> list[Draft]:
        rows = self.tx.session.scalars(select(Entry).where(
            Entry.year == year, Entry.generation == self._year(year)[0], Entry.item_id == item_id,
            Entry.state == domain.COUNTED).order_by(Entry.id))
        return [draft_of(r) for r in rows]

    def existing(self, drafts: list[Draft]) -> set[str]:
        found = {d.id for d in drafts if d.id in self._staged}
        by_generation: dict[int, list[str]] = {}
        for d in drafts:
            by_generation.setdefault(self._year(d.year)[0], []).append(d.id)
        for generation, ids in by_generation.items():
            found |= set(self.tx.session.scalars(select(Entry.id).where(Entry.generation == generation,
                                                                        Entry.id.in_(ids))))
        return found

    def add_entry(self, draft: Draft, state: str, cause: Archived) -> None:
        generation, _ = self._year(draft.year)
        s = draft.subject
        self._staged.add(draft.id)
        self._entries.append({
            "id": draft.id, "generation": generation, "year": draft.year, "subject_kind": s.kind, "subject_id": s.id,
            "subject_name": s.name, "subject_unit_id": s.unit_id, "rule": draft.rule,
            "rule_version": draft.rule_version, "points_centi": draft.points_centi, "basis": draft.basis[:200],
            "day": draft.day, "explanation": draft.explanation[:500], "item_id": draft.item_id,
            "item_no": draft.item_no, "cause_seq": cause.seq, "calendar_version": self.calendar.version,
            "state": state})
        if state == domain.PENDING:
            self._adjustments.append({"id": draft.id, "year": draft.year, "generation": generation,
                                      "status": domain.PENDING, "reason": "", "decided_by": ""})
        else:
            self._counted.append((draft, generation))

    def flush(self) -> None:
        """Write what the event staged: its entries, its adjustments, and each subject's total moved by
        one upsert (its new total read back: score.changed carries it)."""
        session = self.tx.session
        if self._entries:
            session.execute(insert(Entry), self._entries)
        if self._adjustments:
            session.execute(insert(Adjustment), self._adjustments)
        moved: dict[tuple[int, int, str, str], list[Draft]] = {}
        for draft, generation in self._counted:
            moved.setdefault((draft.year, generation, draft.subject.kind, draft.subject.id), []).append(draft)
        for (year, generation, _, _), drafts in moved.items():
            total = self._upsert_total(year, generation, drafts)
            for d in reversed(drafts):  # each entry's total: the new one, less what was counted after it
                self.total_after[d.id] = total
                total -= d.points_centi
        self._entries, self._adjustments, self._counted = [], [], []

    def _upsert_total(self, year: int, generation: int, drafts: list[Draft]) -> int:
        s = drafts[-1].subject
        plus = sum(d.points_centi for d in drafts if d.points_centi > 0)
        minus = sum(d.points_centi for d in drafts if d.points_centi <= 0)
        total = self.tx.session.execute(_total_upsert(self.tx.session.get_bind().dialect.name), {
            "year": year, "generation": generation, "subject_kind": s.kind, "subject_id": s.id,
            "subject_name": s.name, "subject_unit_id": s.unit_id, "total_centi": plus + minus, "plus_centi": plus,
            "minus_centi": minus, "entries": len(drafts)}).scalar_one()
        return int(total)

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
            self._counted.append((draft, adjustment.generation))
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


@functools.cache
def _total_upsert(dialect_name: str) -> Any:
    """INSERT a subject's total, or add to it, answering the new total (built once per dialect: it runs for
    every subject an event scores)."""
    table = Total.__table__
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    columns = ("year", "generation", "subject_kind", "subject_id", "subject_name", "subject_unit_id", "total_centi",
               "plus_centi", "minus_centi", "entries")
    stmt = dialect.insert(table).values({c: bindparam(c) for c in columns})
    added = {c: table.c[c] + stmt.excluded[c] for c in ("total_centi", "plus_centi", "minus_centi", "entries")}
    return stmt.on_conflict_do_update(
        index_elements=[table.c.year, table.c.generation, table.c.subject_kind, table.c.subject_id],
        set_={**added, "subject_name": stmt.excluded.subject_name, "subject_unit_id": stmt.excluded.subject_unit_id},
    ).returning(table.c.total_centi)
