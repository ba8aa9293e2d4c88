"""The Book of a replay: facts, entries and freezes in memory, scored from the archive by the same
interpreter as the live consumer (scoring.apply). Every year's entries are kept while it runs (an item
moved between years brings its entries along); kept() answers those of the years asked for."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from libs.common.calendar import WorkCalendar
from services.evaluation import domain, rule_sets
from services.evaluation.domain import Draft, ItemFacts
from services.evaluation.rule_sets import RuleSet
from services.evaluation.scoring import Archived, cause_words


@dataclass(slots=True)
class Kept:
    """An entry of the replay: the cause only as its archive seq and its words (not its data: a year's
    hundreds of thousands of entries stay small)."""

    draft: Draft
    state: str
    cause_seq: int
    cause: str  # replaying.cause_words


@dataclass
class ReplayBook:
    calendar: WorkCalendar
    versions: dict[int, list[RuleSet]]  # the versions each year is scored with (given, or loaded on first use)
    years: frozenset[int]  # whose entries kept() answers
    load: Callable[[int], list[RuleSet]] = lambda year: [rule_sets.default_for(year)]
    items: dict[str, ItemFacts] = field(default_factory=dict)
    entries: dict[str, Kept] = field(default_factory=dict)
    frozen: dict[int, int] = field(default_factory=dict)  # year -> seq of its year.assessed
    as_of: dict[int, str] = field(default_factory=dict)
    early: dict[str, list[Archived]] = field(default_factory=dict)  # item id -> events before its registration

    def item(self, item_id: str) -> ItemFacts | None:
        return self.items.get(item_id)

    def put(self, item: ItemFacts) -> None:
        self.items[item.item_id] = item

    def items_of_year(self, year: int) -> Iterable[ItemFacts]:
        return [i for i in self.items.values() if i.year == year]

    def rules(self, year: int, day: str) -> RuleSet:
        if year not in self.versions:
            self.versions[year] = self.load(year)
        chosen = domain.effective(self.versions[year], day)
        return chosen or rule_sets.default_for(year)

    def existing(self, drafts: list[Draft]) -> set[str]:
        return {d.id for d in drafts if d.id in self.entries}

    def add_entry(self, draft: Draft, state: str, cause: Archived) -> None:
        self.entries[draft.id] = Kept(draft, state, cause.seq, cause_words(cause))

    def kept(self) -> list[Kept]:
        return [k for k in self.entries.values() if k.draft.year in self.years]

    def entries_of_item(self, year: int, item_id: str) -> list[Draft]:
        return sorted((k.draft for k in self.entries.values()
                       if k.draft.year == year and k.draft.item_id == item_id and k.state == domain.COUNTED),
                      key=lambda d: d.id)

    def decide(self, entry_id: str, accept: bool) -> Draft | None:
        kept = self.entries.get(entry_id)
        if kept is None or kept.state != domain.PENDING:
            return None
        kept.state = domain.COUNTED if accept else domain.REJECTED
        return kept.draft

    def frozen_before(self, year: int, seq: int) -> bool:
        return year in self.frozen and self.frozen[year] < seq

    def freeze(self, year: int, as_of: str, cause: Archived) -> None:
        self.frozen[year] = cause.seq
        self.as_of[year] = as_of

    def wait(self, item_id: str, event: Archived) -> None:
        self.early.setdefault(item_id, []).append(event)

    def waiting(self, item_id: str, before_seq: int) -> list[Archived]:
        return self.early.pop(item_id, [])

    def totals(self) -> dict[tuple[int, str, str], list[int]]:
        """(year, kind, id) -> [total, plus, minus, entries] of the counted entries."""
        out: dict[tuple[int, str, str], list[int]] = {}
        for kept in self.kept():
            if kept.state != domain.COUNTED:
                continue
            d = kept.draft
            t = out.setdefault((d.year, d.subject.kind, d.subject.id), [0, 0, 0, 0])
            t[0] += d.points_centi
            t[1 if d.points_centi > 0 else 2] += d.points_centi
            t[3] += 1
        return out
