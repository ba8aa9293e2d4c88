"""What each archived event means for the assessment: the facts it adds to an item and the entries it
scores. One interpreter for the live consumer and for a replay of the archive - they differ only in the
Book they keep facts in (rows in a transaction, or dicts in memory) - so a replay gives the same entries
by construction.

Events are read as their proto3-JSON (the published contract, proto field names), not parsed into
messages: a replay reads a million of them. `item.overdue` is archived and never scored: lateness comes
from the deadline and the day an item closed (or the year was assessed), so a sweep that missed days
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from libs.common import topics
from libs.common.calendar import WorkCalendar
from libs.common.clock import OFFICE_TZ
from services.evaluation import domain, metrics
from services.evaluation.domain import Draft, ItemFacts, Party
from services.evaluation.rule_sets import RuleSet

logger = logging.getLogger(__name__)

# The service's own acts, archived beside the events it heard (source duban/evaluation), so a replay
# meets them at the same place: the year assessed (open items scored as of its day), an adjustment decided.
YEAR_ASSESSED = "year.assessed"
ADJUSTMENT_DECIDED = "adjustment.decided"


@dataclass(frozen=True)
class Archived:
    """One archived event, as scoring reads it."""

    seq: int
    event_id: str
    type: str
    source: str
    time: dt.datetime
    topic: str
    partition: int
    offset: int
    data: dict[str, Any]


class Book(Protocol):
    """Where the facts live while events are scored."""

    calendar: WorkCalendar

    def item(self, item_id: str) -> ItemFacts | None: ...

    def put(self, item: ItemFacts) -> None: ...

    def items_of_year(self, year: int) -> Iterable[ItemFacts]: ...

    def rules(self, year: int, day: str) -> RuleSet: ...

    def entries_of_item(self, year: int, item_id: str) -> list[Draft]:
        """The item's counted entries in a year."""
        ...

    def existing(self, drafts: list[Draft]) -> set[str]:
        """The ids among `drafts` already scored."""
        ...

    def add_entry(self, draft: Draft, state: str, cause: Archived) -> None: ...

    def decide(self, entry_id: str, accept: bool) -> Draft | None:
        """A pending entry counted (accept) or rejected; the entry, or None if it was not pending."""
        ...

    def frozen_before(self, year: int, seq: int) -> bool:
        """Whether the year was frozen by an act archived before event `seq`."""
        ...

    def freeze(self, year: int, as_of: str, cause: Archived) -> None: ...

    def wait(self, item_id: str, event: Archived) -> None:
        """An event about an item not known yet (another topic's events may come first)."""
        ...

    def waiting(self, item_id: str, before_seq: int) -> list[Archived]:
        """The events about the item that came before its registration, in their order."""
        ...


def cause_words(a: Archived) -> str:
    """How an entry names its cause in the workbook: source, type, where it was read, its id."""
    return f"{a.source} {a.type} {a.topic}:{a.partition}:{a.offset} {a.event_id}"


def local_day(at: dt.datetime) -> str:
    return at.astimezone(OFFICE_TZ).date().isoformat()


def _party(d: dict[str, Any] | None) -> Party | None:
    if not d or not d.get("id"):
        return None
    return Party(d["id"], d.get("name", ""), d.get("unit_id", ""))


def _unit_of(facts: ItemFacts, unit_name: str) -> str:
    """The responsible person's unit when the ledger's snapshot names it only by name (it keeps no id):
    the item's unit of that name, else its lead unit - whose staff answer for the person's score."""
    named = next((u.id for u in facts.units if unit_name and u.name == unit_name), "")
    lead = next((u.id for u in facts.units if u.role == domain.LEAD), "")
    return named or lead


def _year_of(item: dict[str, Any]) -> int:
    year = int(item.get("assessment_year") or 0)
    registered = item.get("registered_on", "")
    return year or (int(registered[:4]) if registered[:4].isdigit() else 0)


def _keep_item(book: Book, item: dict[str, Any]) -> tuple[ItemFacts, int]:
    """The item's facts as the ledger now says, and the year it was assessed in before (0: new)."""
    known = book.item(item["id"])
    before = known.year if known is not None else 0
    facts = known or ItemFacts(item["id"])
    facts.item_no, facts.title = item.get("item_no", ""), item.get("title", "")[:200]
    facts.year = _year_of(item) or facts.year
    facts.key_tracking = bool(item.get("key_tracking"))
    facts.units = [Party(u["unit_id"], u.get("unit_name", ""), u["unit_id"], u.get("role", domain.LEAD))
                   for u in item.get("units", []) if u.get("unit_id")]
    facts.person, facts.leader = _party(item.get("responsible_person")), _party(item.get("responsible_leader"))
    if facts.person is not None and not facts.person.unit_id:
        facts.person.unit_id = _unit_of(facts, item.get("responsible_person", {}).get("unit_name", ""))
    if not facts.original_due and item.get("due_date"):
        facts.original_due = item["due_date"]
    book.put(facts)
    return facts, before


def _known(book: Book, data: dict[str, Any]) -> ItemFacts | None:
    """The item an event of tracking or inspection is about; None before the ledger's event (the
    assessment scores items it knows the year and subjects of)."""
    item_id = data.get("item_id", "")
    return book.item(item_id) if item_id else None


def _known_or_wait(book: Book, e: Archived) -> ItemFacts | None:
    item = _known(book, e.data)
    if item is None and e.data.get("item_id"):
        book.wait(e.data["item_id"], e)
    return item


def _on_registered(book: Book, e: Archived) -> list[Draft]:
    if not e.data.get("item", {}).get("id"):
        return []
    facts, before = _keep_item(book, e.data["item"])
    if before and facts.year != before:
        return domain.moved(book.entries_of_item(before, facts.item_id), facts, before, facts.year)
    return []


def _on_assigned(book: Book, e: Archived) -> list[Draft]:
    item = _known_or_wait(book, e)
    if item is not None and e.data.get("due_date"):
        item.original_due = e.data["due_date"]  # the notice's deadline is the one the units were given
        book.put(item)
    return []


def _on_extension(book: Book, e: Archived) -> list[Draft]:
    item = _known_or_wait(book, e)
    ext = e.data.get("extension", {})
    if item is None or not ext.get("id"):
        return []
    approved = e.type == "extension.approved"
    day = local_day(e.time)
    if approved:
        item.approved_due = e.data.get("due_date") or ext.get("new_due_date", "")
        if e.data.get("original_due_date"):
            item.original_due = item.original_due or e.data["original_due_date"]
        book.put(item)
    code = "extension_approved" if approved else "extension_rejected"
    words = (f"申请转期获批准（完成时限由{ext.get('old_due_date', '')}延至{ext.get('new_due_date', '')}）" if approved
             else f"申请转期未获批准（申请延至{ext.get('new_due_date', '')}）")
    return domain.item_fact(item, code, book.rules(item.year, day), f"extension:{ext['id']}", day, words,
                            only_unit=ext.get("unit_id", ""))


def _on_closed(book: Book, e: Archived) -> list[Draft]:
    item = _known_or_wait(book, e)
    if item is None or item.closed_on:
        return []
    signed = e.data.get("completion", {}).get("signed_at", "")
    item.closed_on = local_day(dt.datetime.fromisoformat(signed)) if signed else local_day(e.time)
    book.put(item)
    return domain.on_closed(item, item.closed_on, book.rules(item.year, item.closed_on), book.calendar)


def _on_urged(book: Book, e: Archived) -> list[Draft]:
    item = _known_or_wait(book, e)
    reason = e.data.get("reason", "")
    unit_id = e.data.get("unit_id", "")
    if item is None or reason not in ("report_missing", "notice_unacknowledged"):
        return []
    day = local_day(e.time)
    rules = book.rules(item.year, day)
    unit_name = next((u.name for u in item.units if u.id == unit_id), unit_id)
    if reason == "report_missing":
        basis = f"report:{e.data.get('expected_report_id') or e.event_id}"
        return domain.item_fact(item, "report_missed", rules, basis, day, f"{unit_name}未按时报送进展情况",
                                only_unit=unit_id)
    return domain.item_fact(item, "notice_unsigned", rules, f"notice:{item.item_id}:{unit_id}", day,
                            f"{unit_name}未按时签收交办通知", only_unit=unit_id)


def _on_verified(book: Book, e: Archived) -> list[Draft]:
    d = e.data
    if d.get("verdict") != "failed":
        return []
    item = _known_or_wait(book, e)
    day = local_day(e.time)
    basis = f"finding:{d.get('finding_id', '')}:{d.get('round', 0)}"
    unit = Party(d.get("unit_id", ""), d.get("unit_name", ""), d.get("unit_id", ""))
    relapse = int(d.get("relapses") or 0) >= 2
    if item is None:  # a problem tied to no item: the unit alone
        year = int(day[:4])
        rules = book.rules(year, day)
        drafts = domain.for_unit(year, "rectification_failed", rules, unit, basis, day,
                                 f"{unit.name}督查发现问题回头看未通过（第{d.get('round', 1)}轮）")
        if relapse:
            drafts += domain.for_unit(year, "relapse", rules, unit, basis, day, f"{unit.name}整改后问题反弹（边改边犯）")
        return drafts
    rules = book.rules(item.year, day)
    drafts = domain.item_fact(item, "rectification_failed", rules, basis, day,
                              f"督查发现问题回头看未通过（第{d.get('round', 1)}轮）", only_unit=unit.id)
    if relapse:
        drafts += domain.item_fact(item, "relapse", rules, basis, day,
                                   f"整改后问题反弹（边改边犯，第{d.get('relapses')}次）", only_unit=unit.id)
    return drafts


def _on_finding(book: Book, e: Archived) -> list[Draft]:
    f = e.data.get("finding", {})
    if f.get("category") != "ledger_missing" or not f.get("unit_id"):
        return []
    day = local_day(dt.datetime.fromisoformat(f["recorded_at"])) if f.get("recorded_at") else local_day(e.time)
    item = book.item(f.get("item_id", "")) if f.get("item_id") else None
    year = item.year if item is not None else int(day[:4])
    unit = Party(f["unit_id"], f.get("unit_name", ""), f["unit_id"])
    return domain.for_unit(year, "ledger_not_kept", book.rules(year, day), unit, f"finding:{f.get('id', '')}", day,
                           f"{unit.name}工作台账缺失（现场督查发现）", f.get("item_id", ""), f.get("item_no", ""))


def _on_bulletin(book: Book, e: Archived) -> list[Draft]:
    d = e.data
    published = d.get("published_at", "")
    day = local_day(dt.datetime.fromisoformat(published)) if published else local_day(e.time)
    year = int(d.get("issue_year") or day[:4])
    rules = book.rules(year, day)
    name = d.get("document_no") or d.get("title", "")
    bid = d.get("bulletin_id", "")
    drafts: list[Draft] = []
    for kind, code, words in (("commendations", "commendation", "通报表扬"), ("criticisms", "criticism", "通报批评")):
        for m in d.get(kind, []):
            unit = Party(m.get("unit_id", ""), m.get("unit_name", ""), m.get("unit_id", ""))
            drafts += domain.for_unit(year, code, rules, unit, f"bulletin:{bid}:{m.get('id', '')}", day,
                                      f"{unit.name}被{name}{words}")
    for r in d.get("requirements", []):
        unit = Party(r.get("unit_id", ""), r.get("unit_name", ""), r.get("unit_id", ""))
        drafts += domain.for_unit(year, "bulletin_problem", rules, unit, f"bulletin:{bid}:{r.get('id', '')}", day,
                                  f"{unit.name}被{name}点名问题：{r.get('text', '')[:60]}", r.get("item_id", ""),
                                  r.get("item_no", ""))
    return drafts


def _on_assessed(book: Book, e: Archived) -> list[Draft]:
    year, as_of = int(e.data["year"]), e.data["as_of"]
    rules = book.rules(year, as_of)
    drafts: list[Draft] = []
    for item in sorted(book.items_of_year(year), key=lambda i: i.item_id):
        drafts += domain.on_assessed_open(item, as_of, rules, book.calendar)
    return drafts


Interpretation = Callable[[Book, Archived], list[Draft]]
LEDGER, TRACKING, INSPECTION, NOTIFICATION, EVALUATION = (
    topics.event_source(name) for name in ("ledger", "tracking", "inspection", "notification", "evaluation"))
# By (source, type): two services may use one type name for different things.
BY_TYPE: dict[tuple[str, str], Interpretation] = {
    (LEDGER, "item.registered"): _on_registered,
    (LEDGER, "item.updated"): _on_registered,
    (TRACKING, "item.assigned"): _on_assigned,
    (TRACKING, "extension.approved"): _on_extension,
    (TRACKING, "extension.rejected"): _on_extension,
    (TRACKING, "item.closed"): _on_closed,
    (TRACKING, "item.urged"): _on_urged,
    (INSPECTION, "rectification.verified"): _on_verified,
    (INSPECTION, "finding.recorded"): _on_finding,
    (NOTIFICATION, "bulletin.published"): _on_bulletin,
    (EVALUATION, YEAR_ASSESSED): _on_assessed,
}


def interpret(book: Book, event: Archived) -> list[Draft]:
    """The entries `event` scores (and the facts it leaves in `book`); most events score nothing. An event
    whose data cannot be read (a date that is no date, a field of the wrong kind) scores nothing and is
    logged and counted: it stays archived, and a replay meets the same refusal in the same place."""
    step = BY_TYPE.get((event.source, event.type))
    if step is None:
        return []
    try:
        return step(book, event)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        logger.warning("event %s (%s %s, seq %s) not scored: %s: %s", event.event_id, event.source, event.type,
                       event.seq, type(exc).__name__, exc)
        metrics.UNSCORABLE.labels(event.type).inc()
        return []


def apply(book: Book, event: Archived, at_seq: int = 0) -> list[tuple[Draft, str]]:
    """Score one archived event into `book`: each new entry counted, or pending when its year was frozen
    before the event (an adjustment for the assessment office); an entry already there is not scored
    again. A decision on an adjustment counts or rejects its entry. Answers what changed.

    An item's first registration also scores the events about it that came before it (tracking's topic
    may be read ahead of the ledger's), as of the registration (`at_seq`)."""
    seq = at_seq or event.seq
    if event.type == ADJUSTMENT_DECIDED:
        decided = book.decide(event.data["entry_id"], bool(event.data.get("accept")))
        return [(decided, domain.COUNTED if event.data.get("accept") else domain.REJECTED)] if decided else []
    changed: list[tuple[Draft, str]] = []
    new_item = ""
    if event.type == "item.registered" and event.source == LEDGER:
        item_id = event.data.get("item", {}).get("id", "")
        new_item = item_id if item_id and book.item(item_id) is None else ""
    drafts = interpret(book, event)
    seen = book.existing(drafts) if drafts else set()
    for draft in drafts:
        if draft.id in seen:
            continue
        seen.add(draft.id)
        state = domain.PENDING if book.frozen_before(draft.year, seq) else domain.COUNTED
        book.add_entry(draft, state, event)
        changed.append((draft, state))
    if new_item:
        for earlier in book.waiting(new_item, event.seq):
            changed += apply(book, earlier, seq)
    if event.type == YEAR_ASSESSED:
        book.freeze(int(event.data["year"]), event.data["as_of"], event)
    return changed
