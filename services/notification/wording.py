"""The words the system writes for a bulletin (pure): its title and its draft opening and closing, which the
office keeps or replaces (EditBulletin); the numbers in them come from the facts."""

from __future__ import annotations

from services.notification import domain

_SUBJECT = {domain.QUARTERLY: "一般督查事项", domain.SEMIANNUAL: "复杂督查事项", domain.MONTHLY: "重点跟踪督查事项",
            domain.SPECIAL: "督查事项"}


def title(kind: str, label: str, scope_unit_name: str = "") -> str:
    if kind == domain.CLEARANCE:
        return f"关于{label}督查事项清零情况的报告"
    subject = _SUBJECT.get(kind, "督查事项")
    if scope_unit_name:
        return f"{scope_unit_name}关于{label}内部{subject}办理情况的通报"
    return f"关于{label}{subject}办理情况的通报"


def opening(kind: str, label: str, in_scope: int, as_of_text: str) -> str:
    if kind == domain.CLEARANCE:
        return (f"根据“710”工作制度关于年底前督查事项全部清零的要求，现将{label}督查事项清零情况报告如下"
                f"（统计截至{as_of_text}）。")
    subject = _SUBJECT.get(kind, "督查事项")
    return (f"为深入落实“710”工作制度，推动督查事项限时办结、落地见效，现将{label}{subject}办理情况通报如下"
            f"（统计截至{as_of_text}，共{in_scope}件）。")


def closing(kind: str) -> str:
    if kind == domain.CLEARANCE:
        return ("尚未办结的事项，各承办单位要说明原因、明确时限，确保按期办结销号；清零情况报送区考核办，"
                "作为年度目标考核的重要依据。")
    return ("各单位要对照本通报反映的问题，认真分析原因，限时办结、整改到位，并在整改期限内将整改情况书面报送督查室。"
            "对整改不力、逾期未办结的，将依照有关规定予以通报批评，并纳入年度目标考核。")
