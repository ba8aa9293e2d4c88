"""The ledger's rules, pure: sources, categories, registration checks, due dates, item numbers.

Reads like seed Art. 4 and Art. 6.1-6.2: every item has one of eight sources, is general (7 working
days) or complex (10 working days), and gets a registration number that restarts each year.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from libs.common import vocabulary
from libs.common.calendar import WorkCalendar
from libs.common.dates import parse_date  # noqa: F401 - the ledger's callers use domain.parse_date
from libs.common.errors import InvalidInput

# The closed lists live in the shared vocabulary (the glossary); re-exported for the ledger's modules.
SOURCES, CATEGORIES, STATUSES = vocabulary.SOURCES, vocabulary.CATEGORIES, vocabulary.STATUSES
CLOSED_STATUSES = ("closed", "archived")
UNIT_KINDS, PERSON_ROLES = vocabulary.UNIT_KINDS, vocabulary.PERSON_ROLES

TITLE_MAX = 200
CONTENT_MAX = 4000


def source_error(value: str) -> str:
    """A field error people read: the sources by their labels (API clients find the identifiers in the
    OpenAPI document's enum)."""
    if not value:
        return "请选择事项来源"
    return f"未知的事项来源，应为以下之一：{'、'.join(SOURCES.values())}"


def category_error(value: str) -> str:
    if not value:
        return "请选择事项类别"
    return f"未知的事项类别，应为{'或'.join(CATEGORIES.values())}"


@dataclass(frozen=True)
class DuePolicy:
    """Art. 6 read as settings: working days allowed per category."""

    general_days: int = 7
    complex_days: int = 10

    def days_for(self, category: str) -> int:
        return self.complex_days if category == "complex" else self.general_days


@dataclass(frozen=True)
class DueDate:
    value: dt.date
    manual_reason: str = ""
    provisional_years: tuple[int, ...] = ()  # years counted Mon-Fri because no official table was loaded


def compute_due_date(
    calendar: WorkCalendar, policy: DuePolicy, category: str, start: dt.date
) -> DueDate:
    """Start date + 7 or 10 working days; flagged provisional if a year's table is missing."""
    result = calendar.add_working_days_provisional(start, policy.days_for(category))
    return DueDate(result.value, provisional_years=result.assumed_years)




@dataclass(frozen=True)
class Registration:
    """What the office enters to register an item (立项登记)."""

    title: str
    content: str
    source: str
    category: str
    key_tracking: bool
    lead_unit_id: str
    lead_duty: str = ""
    co_units: tuple[tuple[str, str], ...] = ()  # (unit_id, duty)
    responsible_leader_id: str = ""
    responsible_person_id: str = ""
    supervisor_id: str = ""
    registered_on: str = ""
    due_date: str = ""
    due_date_reason: str = ""
    remarks: str = ""
    origin_finding_id: str = ""  # made of an inspection finding (督查发现), its id in inspection
    origin_bulletin_id: str = ""  # a problem a published bulletin requires fixed (督查通报要求整改), its id in notification
    assessment_year: int = 0  # 考核年度; 0: the registration year
    known_units: frozenset[str] = field(default_factory=frozenset)


def check_registration(reg: Registration) -> dict[str, str]:
    """Every problem with the entry, field by field (Chinese messages for the forms)."""
    errors: dict[str, str] = {}
    if not reg.title.strip():
        errors["title"] = "事项名称不能为空"
    elif len(reg.title) > TITLE_MAX:
        errors["title"] = f"事项名称不能超过{TITLE_MAX}字"
    if len(reg.content) > CONTENT_MAX:
        errors["content"] = f"事项内容不能超过{CONTENT_MAX}字"
    if reg.source not in SOURCES:
        errors["source"] = source_error(reg.source)
    if reg.category not in CATEGORIES:
        errors["category"] = category_error(reg.category)
    if not reg.lead_unit_id:
        errors["lead_unit_id"] = "必须指定牵头（主办）单位"
    elif reg.lead_unit_id not in reg.known_units:
        errors["lead_unit_id"] = f"未知的单位 {reg.lead_unit_id!r}"
    seen = {reg.lead_unit_id}
    for i, (unit_id, _duty) in enumerate(reg.co_units):
        if unit_id not in reg.known_units:
            errors[f"co_units[{i}].unit_id"] = f"未知的单位 {unit_id!r}"
        elif unit_id in seen:
            errors[f"co_units[{i}].unit_id"] = "协办单位重复或与牵头单位相同"
        seen.add(unit_id)
    registered = None
    if reg.registered_on:
        try:
            registered = parse_date(reg.registered_on, "registered_on")
        except InvalidInput as exc:
            errors.update(exc.field_errors)
    if reg.assessment_year:
        year_error = assessment_year_error(reg.assessment_year)
        if year_error:
            errors["assessment_year"] = year_error
    if reg.due_date:
        try:
            due = parse_date(reg.due_date, "due_date")
            if registered and due < registered:
                errors["due_date"] = "完成时限不能早于立项时间"
        except InvalidInput as exc:
            errors.update(exc.field_errors)
        if not reg.due_date_reason.strip():
            errors["due_date_reason"] = "手工指定完成时限时必须说明理由"
    return errors


def check_registration_dates(
    reg: Registration, calendar: WorkCalendar, today: dt.date
) -> tuple[dict[str, str], dict[str, str]]:
    """The dates of a registration that passed check_registration, against today and the calendar:
    (field errors, suggested values). 立项 cannot be dated after today (the notice, 交办, would precede
    it); a manual deadline must be a working day, and the next one is suggested."""
    errors: dict[str, str] = {}
    suggestions: dict[str, str] = {}
    if reg.registered_on and parse_date(reg.registered_on, "registered_on") > today:
        errors["registered_on"] = f"立项时间不能晚于今天（{today.isoformat()}）"
    if reg.due_date:
        refused = calendar.day_off_refusal(parse_date(reg.due_date, "due_date"))
        if refused is not None:
            errors["due_date"], suggestions["due_date"] = refused[0], refused[1].isoformat()
    return errors, suggestions


# --- 考核年度: the year an item is scored in ----------------------------------------------------------

ASSESSMENT_YEARS = range(2000, 2101)


def assessment_year_of(given: int, registered_on: dt.date) -> int:
    """The item's assessment year: the one given, else (0) the year it was registered."""
    return given or registered_on.year


def assessment_year_error(year: int) -> str | None:
    """Why `year` cannot be an assessment year (None when it can)."""
    if year not in ASSESSMENT_YEARS:
        return f"考核年度应为{ASSESSMENT_YEARS.start}至{ASSESSMENT_YEARS.stop - 1}之间的年份"
    return None


def frozen_year_refusal(before: int | None, after: int, frozen: Collection[int]) -> str | None:
    """Why an item may not be in `after` (None when it may): once the assessment office confirmed a year
    (the evaluation service froze it), no item enters it or leaves it, so its scores stay as accepted.
    `before` is the item's year until now, None for an item being registered."""
    if before == after:
        return None
    if before is not None and before in frozen:
        return f"{before}年度考核已确认（冻结），不能再改动考核年度"
    if after in frozen:
        if before is None:
            return f"{after}年度考核已确认（冻结），不能再登记考核年度为{after}年的事项"
        return f"{after}年度考核已确认（冻结），不能再改动考核年度"
    return None


# --- 督查情况: the office's record of the item ----------------------------------------------------------

SWEEP_URGE = "系统催办"  # the sweep's own urges (late signing, missing reports), beside 电话督办 / 书面督办


def office_day(when: dt.date) -> str:
    return f"{when.year}年{when.month}月{when.day}日"


def urge_note(when: dt.datetime, unit_name: str, office_urge: bool, text: str) -> str:
    """One urge as the 督查情况 column says it: the office's own (its text starts with the method,
    "电话督办：...") or the sweep's."""
    unit = f"（{unit_name}）" if unit_name else ""
    if office_urge:
        method, _, said = text.partition("：")
        return f"{office_day(when)} {method}{unit}：{said}" if said else f"{office_day(when)} 督办{unit}：{text}"
    return f"{office_day(when)} {SWEEP_URGE}{unit}：{text}"


def status_note(when: dt.datetime, status: str) -> str:
    return f"{office_day(when)} 状态：{STATUSES.get(status, status)}"


def extension_note(when: dt.datetime, approved: bool, leader: str, reason: str, due_date: str) -> str:
    if approved:
        return f"{office_day(when)} 转期经{leader}同意（{reason}），完成时限调整为{due_date}"
    return f"{office_day(when)} 转期申请未获{leader}同意（{reason}），完成时限仍为{due_date}"


def supervision_record(typed: str, notes: Sequence[str]) -> str:
    """督查情况 as the forms print it: what the office typed, never changed, then the record of the item
    (urges, status moves, extension decisions) below it, oldest first."""
    typed = (typed or "").strip()
    return "\n".join([typed, *notes] if typed else notes)


# --- registration numbers -------------------------------------------------------------------------

_FORMATTER = string.Formatter()


def check_number_pattern(pattern: str) -> str:
    """A pattern such as "{year}-{seq:04d}" or "平督〔{year}〕{seq:03d}号".

    Both fields are required: numbers restart each year, so without {year} they would repeat.
    """
    try:
        fields = {name for _, name, _, _ in _FORMATTER.parse(pattern) if name is not None}
        pattern.format(year=2026, seq=1)
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"bad item number pattern {pattern!r}: {exc}") from None
    if fields != {"year", "seq"}:
        raise ValueError(f"item number pattern {pattern!r} must contain exactly {{year}} and {{seq}}")
    return pattern


def format_item_no(pattern: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq)


# --- change history -------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Whitespace-insensitive form used for import duplicate detection."""
    return _SPACE.sub(" ", text).strip()


def diff(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field, old, new) for every field whose value changed; the history records exactly these."""
    return [(k, before.get(k, ""), after[k]) for k in after if before.get(k, "") != after[k]]


@dataclass(frozen=True)
class Contacts:
    """How reminders reach a person (each "" when unknown)."""

    mobile: str = ""
    email: str = ""
    wecom_user_id: str = ""
    dingtalk_user_id: str = ""

    def stripped(self) -> Contacts:
        return Contacts(self.mobile.strip(), self.email.strip(), self.wecom_user_id.strip(), self.dingtalk_user_id.strip())


_MOBILE = re.compile(r"\+?[0-9][0-9-]{6,19}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_PLATFORM_ID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


def contact_errors(c: Contacts) -> dict[str, str]:
    """Field errors of a person's contacts: a mobile of digits (a leading + and dashes allowed), a mail
    address, and the platforms' user ids as they issue them (letters, digits, _ . @ -)."""
    errors = {}
    if c.mobile and not _MOBILE.fullmatch(c.mobile):
        errors["mobile"] = "手机号码应为7-20位数字（可含 + 和 -）"
    if c.email and (len(c.email) > 120 or not _EMAIL.fullmatch(c.email)):
        errors["email"] = "电子邮箱格式不正确"
    for name, label in (("wecom_user_id", "企业微信账号"), ("dingtalk_user_id", "钉钉账号")):
        value = getattr(c, name)
        if value and not _PLATFORM_ID.fullmatch(value):
            errors[name] = f"{label}应为1-64位字母、数字或 _ . @ -"
    return errors
