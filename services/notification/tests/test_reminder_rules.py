"""Reminders' rules as pure functions: whom a unit's reminder reaches, one message per recipient, cause and
day, never for a closed item, and texts that name people and item numbers, never ids."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from services.notification import reminder_rules as rules
from services.notification.reminder_rules import Person, Recipient, Subject

D = dt.date
CHEN = Person("st-chen", "陈静", "fgj")
HEAD = Person("st-head", "黄磊", "fgj")
OTHER = Person("st-liu2", "刘洋", "jyj")


def test_a_unit_reminder_reaches_the_responsible_person_and_the_head() -> None:
    assert rules.reach_unit("fgj", "区发展和改革局", CHEN, HEAD) == [
        Recipient("st-chen", "fgj", "陈静", rules.RESPONSIBLE_PERSON), Recipient("st-head", "fgj", "黄磊", rules.UNIT_HEAD)]


def test_without_a_responsible_person_of_the_unit_its_staff_desk_is_reached() -> None:
    desk = Recipient("", "fgj", "区发展和改革局", rules.UNIT_STAFF)
    assert rules.reach_unit("fgj", "区发展和改革局", None, None) == [desk]
    assert rules.reach_unit("fgj", "区发展和改革局", OTHER, None) == [desk]  # a person of another unit
    assert rules.reach_unit("fgj", "区发展和改革局", Person("st-x", "离职", "fgj", active=False), None) == [desk]


def test_a_head_who_is_the_responsible_person_is_reached_once() -> None:
    assert rules.reach_unit("fgj", "区发展和改革局", HEAD, HEAD) == [Recipient("st-head", "fgj", "黄磊", rules.RESPONSIBLE_PERSON)]


def test_closed_items_are_not_reminded() -> None:
    assert rules.is_closed("closed", None) and rules.is_closed("archived", None)
    assert rules.is_closed("in_progress", D(2026, 11, 2))
    assert not rules.is_closed("in_progress", None)


def test_the_overdue_text_names_the_unit_the_number_and_the_deadline() -> None:
    text = rules.overdue_text("区发改委", "2026-0042", "推进城区老旧小区改造", "2026-05-12", 3)
    assert text == "区发改委：2026-0042「推进城区老旧小区改造」已超过完成时限2026-05-12（已逾期3个工作日），请抓紧办理"


def test_long_titles_are_cut_in_the_text() -> None:
    quoted = rules.quoted("2026-0001", "长" * 100)
    assert quoted.endswith("…」") and len(quoted) < 80


def test_urgent_only_for_escalations() -> None:
    day = D(2026, 11, 26)
    for cause in (rules.ITEM_URGED, rules.ITEM_OVERDUE, rules.RECTIFICATION_OVERDUE, rules.ESCALATION):
        made = rules.drafts(Subject(cause, "s1", day), [Recipient("p1", "u", "某人", "x")], "t", "x")
        assert made[0].urgent is (cause == rules.ESCALATION)


recipients = st.lists(st.builds(
    Recipient, person_id=st.sampled_from(["", "p1", "p2", "p3"]), unit_id=st.sampled_from(["fgj", "jyj"]),
    name=st.sampled_from(["陈静", "区教育局"]), why=st.sampled_from([rules.RESPONSIBLE_PERSON, rules.UNIT_HEAD])),
    max_size=12)
causes = st.sampled_from([rules.ITEM_URGED, rules.ITEM_OVERDUE, rules.ESCALATION, rules.RECTIFICATION_OVERDUE])
days = st.dates(D(2026, 1, 1), D(2027, 12, 31))


@given(recipients, recipients, causes, days, st.sampled_from(["i1", "i2"]))
def test_one_message_per_recipient_cause_subject_and_day(first: list[Recipient], again: list[Recipient], cause: str,
                                                         day: D, subject_id: str) -> None:
    """However often a recipient is named and however often the cause repeats on its day, the keys of all
    the drafts made for it are one per recipient (what the table's unique key keeps)."""
    subject = Subject(cause, subject_id, day, item_id=subject_id, item_no="2026-0001")
    made = rules.drafts(subject, first, "t", "x") + rules.drafts(subject, again, "t", "x")
    keys = {d.dedupe_key for d in made}
    assert len(keys) == len({r.key for r in first + again})
    assert len(rules.drafts(subject, first, "t", "x")) == len({r.key for r in first})


@given(causes, causes, days, days)
def test_keys_differ_across_causes_and_days(c1: str, c2: str, d1: D, d2: D) -> None:
    r = Recipient("p1", "fgj", "陈静", rules.RESPONSIBLE_PERSON)
    k1 = rules.drafts(Subject(c1, "i1", d1), [r], "t", "x")[0].dedupe_key
    k2 = rules.drafts(Subject(c2, "i1", d2), [r], "t", "x")[0].dedupe_key
    assert (k1 == k2) == (c1 == c2 and d1 == d2)


ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}")


@given(st.text(min_size=0, max_size=120), st.integers(0, 40), st.text(max_size=200))
def test_texts_carry_names_and_numbers_never_ids(title: str, late: int, problem: str) -> None:
    for text in (rules.overdue_text("区教育局", "2026-0007", title, "2026-07-01", late),
                 rules.urged_text("区教育局", "2026-0007", title, "电话督办：请于周五前报送进展"),
                 rules.rectification_text("区教育局", "2026-0007", title, problem, "2026-07-01")):
        assert text.startswith("区教育局：") and "2026-0007" in text
        assert not ID.search(text.replace(title, "").replace(problem, ""))
