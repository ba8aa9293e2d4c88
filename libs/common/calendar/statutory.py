"""The statutory public holidays (法定节假日) of a year, known years before the State Council's arrangement.

国务院《全国年节及纪念日放假办法》 fixes which days are holidays; the yearly notice (国务院办公厅关于某年部分
节假日安排的通知) only adds the 调休 swaps (weekend days worked so the holidays join up) and the 补休 for a
holiday that falls on a weekend. So a year without a published table is counted with these days off and
every weekend off - still provisional, since the swaps and make-up days are unknown.

The lunar holidays (春节 from 除夕, 端午, 中秋) and 清明 (a solar term) come from `lunar_python` (6tail's
lunar calendar, pinned in requirements.txt); the rest are fixed Gregorian days.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from lunar_python import Lunar, Solar

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class HolidayRule:
    """One revision of the 放假办法: the days each holiday lasts, from the first year it applied."""

    first_year: int
    source: str
    new_year: int  # 元旦, from 1 January
    spring_festival: int  # 春节
    spring_from_eve: bool  # counted from 除夕 (else from 正月初一)
    labour_day: int  # 劳动节, from 1 May
    national_day: int  # 国庆节, from 1 October
    qingming: int = 1  # 清明节, the solar term's day
    dragon_boat: int = 1  # 端午节, 五月初五
    mid_autumn: int = 1  # 中秋节, 八月十五

    def summary(self) -> str:
        """What the rule counts, in the words an office reads: "元旦1天、春节4天（除夕起）、…"."""
        spring = f"春节{self.spring_festival}天（{'除夕' if self.spring_from_eve else '正月初一'}起）"
        return "、".join([f"元旦{self.new_year}天", spring, f"清明节{self.qingming}天", f"劳动节{self.labour_day}天",
                          f"端午节{self.dragon_boat}天", f"中秋节{self.mid_autumn}天", f"国庆节{self.national_day}天"])


# Newest last. A year is counted with the last revision in force that year (earlier years than the first
# revision listed with the first one: a provisional count that far back only happens for old imports).
RULES: tuple[HolidayRule, ...] = (
    HolidayRule(2014, "国务院《全国年节及纪念日放假办法》（2013年12月11日修订）",
                new_year=1, spring_festival=3, spring_from_eve=False, labour_day=1, national_day=3),
    HolidayRule(2025, "国务院《全国年节及纪念日放假办法》（2024年11月10日修订，自2025年1月1日起施行）",
                new_year=1, spring_festival=4, spring_from_eve=True, labour_day=2, national_day=3),
)


def rule_for(year: int) -> HolidayRule:
    return next((rule for rule in reversed(RULES) if rule.first_year <= year), RULES[0])


def _lunar(year: int, month: int, day: int) -> dt.date:
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> dt.date:
    # The solar terms of the lunar year that contains mid-April; 清明 falls on 4, 5 or 6 April.
    term = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    return dt.date(term.getYear(), term.getMonth(), term.getDay())


def _run(first: dt.date, days: int) -> list[dt.date]:
    return [first + i * _DAY for i in range(days)]


@functools.lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """Every statutory holiday day of `year` under the rule in force then, day -> holiday name (a day two
    holidays share, as 中秋 on 1-3 October, names both)."""
    rule = rule_for(year)
    spring_day = _lunar(year, 1, 1)
    runs = [
        ("元旦", _run(dt.date(year, 1, 1), rule.new_year)),
        ("春节", _run(spring_day - _DAY if rule.spring_from_eve else spring_day, rule.spring_festival)),
        ("清明节", _run(_qingming(year), rule.qingming)),
        ("劳动节", _run(dt.date(year, 5, 1), rule.labour_day)),
        ("端午节", _run(_lunar(year, 5, 5), rule.dragon_boat)),
        ("中秋节", _run(_lunar(year, 8, 15), rule.mid_autumn)),
        ("国庆节", _run(dt.date(year, 10, 1), rule.national_day)),
    ]
    days: dict[dt.date, str] = {}
    for name, run in runs:
        for day in run:
            days[day] = f"{days[day]}、{name}" if day in days else name
    return dict(sorted(days.items()))
