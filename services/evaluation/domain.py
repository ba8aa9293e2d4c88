"""The assessment's rules (考核, seed Art. 7.2), pure: what an item's facts score, for whom, how much, and
why in plain Chinese. No I/O and no clock: the day, the rule set and the calendar are passed in.

Points are integer hundredths ("centi") everywhere, so sums are exact and a replay adds up to the same
totals to the last digit. The rule set's numbers are the district's (rules/default.yaml); the logic that
applies them is here, once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from libs.common.calendar import WorkCalendar
from libs.common.vocabulary import SCORE_RULES
from services.evaluation.rule_sets import Rule, RuleSet

UNIT, PERSON, LEADER = "unit", "person", "leader"
LEAD, CO = "lead", "co"
COUNTED, PENDING, REJECTED = "counted", "pending", "rejected"
OPEN, FROZEN = "open", "frozen"


@dataclass(slots=True)
class Party:
    """A unit or a person an item names, as the ledger's event named them."""

    id: str
    name: str = ""
    unit_id: str = ""
    role: str = ""  # units: lead | co


@dataclass(slots=True)
class ItemFacts:
    """What the assessment knows of an item: kept from the ledger's and tracking's events."""

    item_id: str
    item_no: str = ""
    title: str = ""
    year: int = 0  # the assessment year (考核年度)
    key_tracking: bool = False
    units: list[Party] = field(default_factory=list)
    person: Party | None = None  # 责任人
    leader: Party | None = None  # 责任领导
    original_due: str = ""  # the notice's deadline, YYYY-MM-DD
    approved_due: str = ""  # the deadline after the latest approved extension ("" : none)
    closed_on: str = ""

    def deadline(self) -> str:
        """Late is counted against the original deadline unless an approved extension covers it."""
        return self.approved_due or self.original_due


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str  # unit | person | leader
    id: str
    name: str = ""
    unit_id: str = ""

    @property
    def key(self) -> str:
        """The subject as score.changed's key names it ("unit:fgj")."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry before it is written: what a fact scores for one subject."""

    year: int
    subject: Subject
    rule: str
    rule_version: int
    points_centi: int
    basis: str  # with rule and subject, what makes the entry unique (an item, a report, a mention)
    day: str
    explanation: str
    item_id: str = ""
    item_no: str = ""

    @property
    def id(self) -> str:
        """The same fact, rule and subject give the same id: a redelivered event cannot score twice."""
        text = f"{self.year}|{self.rule}|{self.subject.key}|{self.basis}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def scaled(centi: int, *factors_centi: int) -> int:
    """centi × each factor (given in hundredths), rounded half away from zero, in integers."""
    value, scale = centi, 1
    for f in factors_centi:
        value *= f
        scale *= 100
    sign = -1 if value < 0 else 1
    return sign * ((abs(value) * 2 + scale) // (2 * scale))


def points_text(centi: int) -> str:
    """"-3分", "+1.5分"."""
    whole, part = divmod(abs(centi), 100)
    number = f"{whole}" if part == 0 else f"{whole}.{part:02d}".rstrip("0")
    return f"{'-' if centi < 0 else '+'}{number}分"


def as_points(centi: int) -> float:
    return centi / 100


def late_days(calendar: WorkCalendar, deadline: str, day: str) -> int:
    """Working days past the deadline on `day` (0 when in time). A year without its published table is
    counted with its statutory holidays (provisional), as the deadline itself was."""
    if not deadline or not day:
        return 0
    return max(0, calendar.working_days_between(dt.date.fromisoformat(deadline), dt.date.fromisoformat(day),
                                                provisional=True))


def per_day(rule: Rule, days: int) -> int:
    """A per-day rule's points for `days`, stopped at its cap (both negative)."""
    total = rule.points_centi * days
    return max(total, rule.cap_centi) if rule.cap_centi else total


def _item_subjects(item: ItemFacts, rule: Rule, rules: RuleSet) -> list[tuple[Subject, int]]:
    """Whom an item's rule scores and each one's share (hundredths): the lead unit its share, each co unit
    its own, the responsible person and leader the whole; an item under key tracking weighs more."""
    weight = round(rules.key_tracking_weight * 100) if item.key_tracking else 100
    out: list[tuple[Subject, int]] = []
    if UNIT in rule.subjects:
        for u in item.units:
            share = round((rules.lead_share if u.role == LEAD else rules.co_share) * 100)
            if share:
                out.append((Subject(UNIT, u.id, u.name, u.id), scaled(weight, share)))
    for kind, party in ((PERSON, item.person), (LEADER, item.leader)):
        if kind in rule.subjects and party is not None and party.id:
            out.append((Subject(kind, party.id, party.name, party.unit_id), weight))
    return out


def _share_text(subject: Subject, factor: int, item: ItemFacts) -> str:
    if factor == 100:
        return ""
    parts = []
    if item.key_tracking:
        parts.append("重点督办")
    if subject.kind == UNIT:
        role = next((u.role for u in item.units if u.id == subject.id), LEAD)
        parts.append("牵头单位" if role == LEAD else "配合单位")
    return f"，{'、'.join(parts)}按{factor / 100:g}倍计"


def for_item(item: ItemFacts, code: str, rules: RuleSet, base_centi: int, basis: str, day: str,
             reason: str) -> list[Draft]:
    """The entries one fact of an item scores under rule `code`: one per subject, with its share."""
    rule = rules.rule(code)
    if rule is None or base_centi == 0:
        return []
    drafts = []
    for subject, factor in _item_subjects(item, rule, rules):
        centi = scaled(base_centi, factor)
        if centi == 0:
            continue
        text = f"{item.item_no or item.item_id} {reason}{_share_text(subject, factor, item)}，{points_text(centi)}"
        drafts.append(Draft(item.year, subject, code, rules.version, centi, basis, day, text, item.item_id,
                            item.item_no))
    return drafts


def _deadline_words(item: ItemFacts) -> str:
    if item.approved_due:
        return f"批准转期后完成时限{item.approved_due}（原完成时限{item.original_due}）"
    return f"原完成时限{item.original_due}，无批准转期"


def on_closed(item: ItemFacts, closed_on: str, rules: RuleSet, calendar: WorkCalendar) -> list[Draft]:
    """An item closed (销号): in time scores closed_on_time; late scores closed_late per working day past
    its deadline - counted from the facts, whatever daily overdue notices were or were not sent."""
    if not item.deadline():
        return []
    days = late_days(calendar, item.deadline(), closed_on)
    basis = f"item:{item.item_id}"
    if days == 0:
        rule = rules.rule("closed_on_time")
        return for_item(item, "closed_on_time", rules, rule.points_centi if rule else 0, basis, closed_on,
                        f"按时办结（完成时限{item.deadline()}，{closed_on}销号）")
    rule = rules.rule("closed_late")
    return for_item(item, "closed_late", rules, per_day(rule, days) if rule else 0, basis, closed_on,
                    f"超期{days}个工作日（{_deadline_words(item)}），{closed_on}销号")


def on_assessed_open(item: ItemFacts, as_of: str, rules: RuleSet, calendar: WorkCalendar) -> list[Draft]:
    """An item still open when its year is assessed: late working days as of that day (open_late)."""
    if item.closed_on or not item.deadline():
        return []
    days = late_days(calendar, item.deadline(), as_of)
    rule = rules.rule("open_late")
    if days == 0 or rule is None:
        return []
    return for_item(item, "open_late", rules, per_day(rule, days), f"item:{item.item_id}", as_of,
                    f"考核时（{as_of}）仍未办结，已超期{days}个工作日（{_deadline_words(item)}）")


def for_unit(year: int, code: str, rules: RuleSet, unit: Party, basis: str, day: str, reason: str,
             item_id: str = "", item_no: str = "") -> list[Draft]:
    """A fact of a unit alone (a bulletin's mention, a missing ledger): the unit, unweighted."""
    rule = rules.rule(code)
    if rule is None or UNIT not in rule.subjects or not unit.id or rule.points_centi == 0:
        return []
    subject = Subject(UNIT, unit.id, unit.name, unit.id)
    text = f"{reason}，{points_text(rule.points_centi)}"
    return [Draft(year, subject, code, rules.version, rule.points_centi, basis, day, text, item_id, item_no)]


def item_fact(item: ItemFacts, code: str, rules: RuleSet, basis: str, day: str, reason: str,
              only_unit: str = "") -> list[Draft]:
    """A fact of an item scored at the rule's points (an extension, a missed report, a failed 回头看); with
    `only_unit`, of that unit alone among the item's units (the one that missed its report)."""
    rule = rules.rule(code)
    if rule is None:
        return []
    drafts = for_item(item, code, rules, rule.points_centi, basis, day, reason)
    if only_unit:
        drafts = [d for d in drafts if d.subject.kind != UNIT or d.subject.id == only_unit]
    return drafts


MOVED = "moved:"  # the basis of an entry that reverses one whose item changed its assessment year


def standing(drafts: list[Draft]) -> list[Draft]:
    """The entries of an item that still stand in their year: not reversals, not reversed."""
    reversed_ids = {d.basis[len(MOVED):] for d in drafts if d.basis.startswith(MOVED)}
    return [d for d in drafts if not d.basis.startswith(MOVED) and d.id not in reversed_ids]


def moved(drafts: list[Draft], item: ItemFacts, old: int, new: int) -> list[Draft]:
    """The item's assessment year changed (the office may, until the year is frozen): each entry standing
    in the old year is reversed there and scored in the new one, at the same points, saying why."""
    out: list[Draft] = []
    for d in standing(drafts):
        no = item.item_no or item.item_id
        out.append(Draft(old, d.subject, d.rule, d.rule_version, -d.points_centi, f"{MOVED}{d.id}", d.day,
                         f"{no} 考核年度由{old}年改为{new}年，冲销本年度记分（{d.explanation}），{points_text(-d.points_centi)}",
                         d.item_id, d.item_no))
        out.append(Draft(new, d.subject, d.rule, d.rule_version, d.points_centi, f"{d.basis}|from:{old}", d.day,
                         f"{d.explanation}（考核年度由{old}年改为{new}年转入）", d.item_id, d.item_no))
    return out


def rule_label(code: str) -> str:
    return SCORE_RULES.get(code, code)


def effective(versions: list[RuleSet], day: str) -> RuleSet | None:
    """The accepted version in force on `day`: the newest whose effective date is on or before it (the
    first version scores from the start of the year whatever its date says)."""
    ordered = sorted(versions, key=lambda v: v.version)
    chosen = ordered[0] if ordered else None
    for v in ordered[1:]:
        if not v.effective_from or v.effective_from <= day:
            chosen = v
    return chosen


# -- commendation (评先树优): what the scores suggest; people decide -----------------------------------
BLEMISHES = frozenset({"relapse", "rectification_failed", "ledger_not_kept"})  # rule out a suggestion


@dataclass(frozen=True, slots=True)
class Standing:
    """A subject's place in its year: its total and the rules its entries were under."""

    subject: Subject
    total_centi: int
    rules: frozenset[str]


def commendation_candidates(standings: list[Standing], share_percent: int,
                            clearance: dict[str, str]) -> list[tuple[Standing, str]]:
    """The best `share_percent` of each kind (at least one), positive totals only, none with a blemish,
    and - for units, once the year's 清零 report is published - only those it shows cleared. Each with
    its reason in plain Chinese."""
    out: list[tuple[Standing, str]] = []
    for kind in (UNIT, PERSON, LEADER):
        ranked = sorted((s for s in standings if s.subject.kind == kind),
                        key=lambda s: (-s.total_centi, s.subject.name, s.subject.id))
        places = max(1, len(ranked) * share_percent // 100) if ranked else 0
        for place, s in enumerate(ranked[:places], start=1):
            if s.total_centi <= 0 or s.rules & BLEMISHES:
                continue
            cleared = clearance.get(s.subject.id, "") if kind == UNIT else ""
            if kind == UNIT and clearance and cleared != "已清零":
                continue
            kind_label = {UNIT: "责任单位", PERSON: "责任人", LEADER: "责任领导"}[kind]
            text = f"总分{as_points(s.total_centi):g}分，居{kind_label}第{place}位" + (f"；{cleared}" if cleared else "")
            out.append((s, text))
    return out
