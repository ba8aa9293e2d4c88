"""A deadline as people read it, provisional or not: the one wording every page, document, export and
light reason uses, so "暂定" never leaves the system without saying what it waits for.

A deadline is provisional when it was counted across a year whose holiday arrangement the State
Council has not published yet (libs/common/calendar: statutory holidays counted, 调休 and 补休 not).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from libs.common.calendar.statutory import RULES, rule_for


def chinese_date(day: dt.date) -> str:
    """2027-01-07 -> "2027年1月7日" (no zero padding, as official documents write dates)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _years(years: Iterable[int]) -> str:
    return "、".join(str(y) for y in sorted(set(years))) + "年"


def provisional_note(years: Iterable[int]) -> str:
    """ "暂定，待国务院公布2027年节假日安排后确认" - what a provisional deadline waits for."""
    return f"暂定，待国务院公布{_years(years)}节假日安排后确认"


def due_date_text(due: dt.date, provisional: bool, years: Iterable[int] = ()) -> str:
    """ "2027年1月7日（暂定，待国务院公布2027年节假日安排后确认）", or just "2026年12月7日" when final.
    `years`: the years counted provisionally (the deadline's own year when not known)."""
    if not provisional:
        return chinese_date(due)
    return f"{chinese_date(due)}（{provisional_note(tuple(years) or (due.year,))}）"


def provisional_explanation(years: Iterable[int]) -> str:
    """What is known and what is not, for the place a provisional deadline is explained."""
    known = tuple(sorted(set(years)))
    rule = rule_for(known[-1]) if known else RULES[-1]
    return (f"国务院尚未公布{_years(known)}节假日安排：该年度已按{rule.source}扣除法定节假日（{rule.summary()}）"
            "和周末，调休上班日和节假日逢周末的补休尚不确定。安排公布并载入后，完成时限将重新计算；"
            "如有调整，督办通知随之修订，承办单位会收到修订通知。")


def recomputed_text(old: dt.date, new: dt.date, years: Iterable[int]) -> str:
    """The history's line when the published table moved (or confirmed) a provisional deadline."""
    why = f"国务院公布{_years(years)}节假日安排"
    if old == new:
        return f"办理时限{chinese_date(new)}已确认（{why}）"
    return f"办理时限由{chinese_date(old)}调整为{chinese_date(new)}（{why}）"
