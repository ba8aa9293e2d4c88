"""Who a reminder reaches and what it says, pure (seed Art. 5 催办, Art. 6.4 major problems reported to
leaders at once): the facts come in as plain values, the messages go out as drafts, one per recipient,
cause and day. No I/O, no clock: the day is the cause's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# The causes, as tracking and inspection publish them (the inbox's labels: libs/common/vocabulary.py)
ITEM_URGED, ITEM_OVERDUE = "item_urged", "item_overdue"
ESCALATION, RECTIFICATION_OVERDUE = "escalation", "rectification_overdue"
URGENT_CAUSES = frozenset({ESCALATION})  # 重大问题: reported at once, never muted (issue 17, point 4)

# Why a recipient gets the message
RESPONSIBLE_PERSON, UNIT_STAFF, UNIT_HEAD = "responsible_person", "unit_staff", "unit_head"

CLOSED_STATUSES = frozenset({"closed", "archived"})
TITLE_MAX, TEXT_MAX = 200, 2000
ITEM_TITLE_SHOWN = 60  # an item's title quoted in a message: long ones are cut (the link has it whole)


@dataclass(frozen=True)
class Recipient:
    """A person (person_id), or a unit's staff desk (person_id "": every staff account of unit_id)."""

    person_id: str
    unit_id: str
    name: str
    why: str

    @property
    def key(self) -> str:
        return f"p:{self.person_id}" if self.person_id else f"u:{self.unit_id}"


@dataclass(frozen=True)
class Person:
    """A person of the ledger's directory as the rules need them."""

    id: str
    name: str
    unit_id: str
    active: bool = True


@dataclass(frozen=True)
class Subject:
    """The item (or escalation, finding) a cause is about, as the projection knows it."""

    cause: str
    subject_id: str
    day: dt.date
    item_id: str = ""
    item_no: str = ""
    item_title: str = ""
    link: str = ""


@dataclass(frozen=True)
class Draft:
    recipient: Recipient
    cause: str
    subject_id: str
    day: dt.date
    urgent: bool
    item_id: str
    item_no: str
    title: str
    text: str
    link: str

    @property
    def dedupe_key(self) -> str:
        """One message per recipient, cause, subject and day: a second event of the same makes none."""
        return f"{self.recipient.key}|{self.cause}|{self.subject_id}|{self.day.isoformat()}"


def is_closed(status: str, closed_on: dt.date | None) -> bool:
    """A closed (销号) or archived item is reminded of nothing."""
    return closed_on is not None or status in CLOSED_STATUSES


def reach_unit(unit_id: str, unit_name: str, responsible: Person | None, head: Person | None) -> list[Recipient]:
    """Whom a unit's reminder reaches: the item's responsible person when they are of that unit (else the
    unit's staff desk, so someone there reads it), and the unit's head (单位负责人) when it has one."""
    out = []
    if responsible is not None and responsible.active and responsible.unit_id == unit_id:
        out.append(Recipient(responsible.id, unit_id, responsible.name, RESPONSIBLE_PERSON))
    else:
        out.append(Recipient("", unit_id, unit_name or unit_id, UNIT_STAFF))
    if head is not None and head.active and all(r.person_id != head.id for r in out):
        out.append(Recipient(head.id, unit_id, head.name, UNIT_HEAD))
    return out


def unique(recipients: Iterable[Recipient]) -> list[Recipient]:
    """Each recipient once, in the order first named (a person named twice keeps their first reason)."""
    seen: dict[str, Recipient] = {}
    for r in recipients:
        seen.setdefault(r.key, r)
    return list(seen.values())


def quoted(item_no: str, title: str) -> str:
    """2026-0042「推进……」: the item as people name it (its number, then its title, cut when long)."""
    cut = title if len(title) <= ITEM_TITLE_SHOWN else title[:ITEM_TITLE_SHOWN - 1] + "…"
    return f"{item_no}「{cut}」" if cut else item_no


def overdue_text(unit_name: str, item_no: str, title: str, due: str, working_days_late: int) -> str:
    late = f"（已逾期{working_days_late}个工作日）" if working_days_late > 0 else ""
    return f"{unit_name}：{quoted(item_no, title)}已超过完成时限{due}{late}，请抓紧办理"


def urged_text(unit_name: str, item_no: str, title: str, said: str) -> str:
    """The urge as tracking worded it (the sweep's reason, or the office's 电话督办 / 书面督办 and its words)."""
    return f"{unit_name}：{quoted(item_no, title)}收到催办。{said.strip() or '请抓紧办理'}"


def rectification_text(unit_name: str, item_no: str, title: str, problem: str, due: str) -> str:
    about = f"{quoted(item_no, title)}实地督查发现的问题" if item_no else "实地督查发现的问题"
    what = f"（{problem[:80]}）" if problem else ""
    return f"{unit_name}：{about}{what}整改已超过时限{due}，请抓紧整改并报送整改情况"


def drafts(subject: Subject, recipients: Iterable[Recipient], title: str, text: str) -> list[Draft]:
    """The cause's messages: one per distinct recipient, all saying the same."""
    return [Draft(r, subject.cause, subject.subject_id, subject.day, subject.cause in URGENT_CAUSES,
                  subject.item_id, subject.item_no, title[:TITLE_MAX], text[:TEXT_MAX], subject.link)
            for r in unique(recipients)]


def item_link(item_id: str) -> str:
    return f"/items/{item_id}" if item_id else ""
