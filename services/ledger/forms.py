"""The ledger forms of the seed, column by column, and the full form used for import.

`ledger_710`: the attached "“710”台账（一般或复杂事项）", one sheet per unit.
`unit_ledger`: attachment 1 "单位督查事项管理台账", one sheet per unit, with no unit line (the seed's
sample has none: its 承办单位 column names the units). The seed's sample prints "交班时间", an evident
slip for 交办时间 (assignment date); the export uses 交办时间. Its 督查情况 is what the office typed,
then the item's record from tracking (urges, status moves, extension decisions).
`full`: every field of an item, one sheet; the import reads it (and the two seed forms) back. Only it has
考核年度 (the assessment year): the two seed forms keep the seed's columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from libs.common import deadline_text
from services.ledger import domain
from services.ledger.orm import Item

Cell = Callable[[Item], object]


def _co_units(item: Item) -> str:
    return "、".join(u.unit_name for u in item.units if u.role == "co")


def _lead_unit(item: Item) -> str:
    return next((u.unit_name for u in item.units if u.role == "lead"), "")


def _all_units(item: Item) -> str:
    return "、".join(u.unit_name for u in item.units)


def _due(item: Item) -> object:
    """The deadline as a date cell; a provisional one as text that says so (a reader of the printed form
    must see it is not final). Import reads such a cell as "count it again", not as a manual deadline."""
    if item.due_date_provisional:
        return deadline_text.due_date_text(item.due_date, True)
    return item.due_date


def _supervision(item: Item) -> str:
    return domain.supervision_record(item.supervision_status, item.notes)  # type: ignore[attr-defined]


# The cells that read an item's units (or its record): a form without them is exported without that query.
UNIT_CELLS: frozenset[Cell] = frozenset({_co_units, _lead_unit, _all_units})
NOTE_CELLS: frozenset[Cell] = frozenset({_supervision})


@dataclass(frozen=True)
class Form:
    name: str
    title: str  # may contain {org}
    per_unit: bool
    columns: tuple[tuple[str, Cell], ...]
    widths: tuple[float, ...]  # in characters; chosen so the form fits A4 landscape at about 95 %
    unit_line: bool = False  # a per-unit form's "单位（部门）：X" line under the title


LEDGER_710 = Form(
    name="ledger_710",
    title="{org}“710”台账（一般或复杂事项）",
    per_unit=True,
    unit_line=True,
    columns=(
        ("序号", lambda i: None),  # filled with the row number
        ("工作任务", lambda i: i.title),
        ("交办时间", lambda i: i.assigned_on),
        ("完成时限", _due),
        ("责任领导", lambda i: i.responsible_leader_name),
        ("责任人", lambda i: i.responsible_person_name),
        ("办理结果", lambda i: i.result),
        ("销号签字", lambda i: i.closure_signature),
        ("转期理由", lambda i: i.extension_reason),
        ("转期签字", lambda i: i.extension_signature),
        ("备注", lambda i: i.remarks),
    ),
    widths=(5, 28, 11, 11, 9, 9, 20, 11, 16, 11, 12),
)

UNIT_LEDGER = Form(
    name="unit_ledger",
    title="单位督查事项管理台账",
    per_unit=True,
    columns=(
        ("序号", lambda i: None),
        ("督查事项", lambda i: i.title),
        ("立项时间", lambda i: i.registered_on),
        ("承办单位", _all_units),
        ("交办时间", lambda i: i.assigned_on),
        ("完成时限", _due),
        ("督查责任人", lambda i: i.supervisor_name),
        ("督查情况", _supervision),
        ("办理结果", lambda i: i.result),
        ("备注", lambda i: i.remarks),
    ),
    widths=(5, 24, 11, 16, 11, 11, 11, 30, 18, 10),
)

FULL = Form(
    name="full",
    title="{org}督查事项台账（完整）",
    per_unit=False,
    columns=(
        ("序号", lambda i: None),
        ("立项编号", lambda i: i.item_no),
        ("事项名称", lambda i: i.title),
        ("事项内容", lambda i: i.content),
        ("事项来源", lambda i: domain.SOURCES.get(i.source, i.source)),
        ("事项类别", lambda i: domain.CATEGORIES.get(i.category, i.category)),
        ("重点跟踪", lambda i: "是" if i.key_tracking else "否"),
        ("牵头单位", _lead_unit),
        ("协办单位", _co_units),
        ("责任领导", lambda i: i.responsible_leader_name),
        ("责任人", lambda i: i.responsible_person_name),
        ("督查责任人", lambda i: i.supervisor_name),
        ("立项时间", lambda i: i.registered_on),
        ("交办时间", lambda i: i.assigned_on),
        ("完成时限", _due),
        ("时限理由", lambda i: i.due_date_reason),
        ("状态", lambda i: domain.STATUSES.get(i.status, i.status)),
        ("督查情况", _supervision),
        ("办理结果", lambda i: i.result),
        ("备注", lambda i: i.remarks),
        # Last, so the columns before it keep the places earlier exports (and their readers) have.
        ("考核年度", lambda i: i.assessment_year),
    ),
    widths=(5, 11, 20, 24, 14, 8, 8, 14, 14, 9, 9, 11, 11, 11, 11, 12, 8, 20, 16, 12, 8),
)

FORMS = {f.name: f for f in (LEDGER_710, UNIT_LEDGER, FULL)}
# Columns printed centred (numbers, dates, names and signatures); text columns read from the left.
CENTRED_HEADERS = frozenset({"序号", "立项编号", "立项时间", "考核年度", "交办时间", "完成时限", "责任领导", "责任人", "督查责任人",
                             "销号签字", "转期签字", "事项类别", "重点跟踪", "状态"})

# Header text -> field, for reading any of the forms back (several forms name a field differently).
IMPORT_HEADERS: dict[str, str] = {
    "立项编号": "item_no",
    "事项名称": "title",
    "工作任务": "title",
    "督查事项": "title",
    "事项内容": "content",
    "事项来源": "source",
    "事项类别": "category",
    "重点跟踪": "key_tracking",
    "牵头单位": "lead_unit",
    "主办单位": "lead_unit",
    "承办单位": "lead_unit",
    "协办单位": "co_units",
    "责任领导": "leader",
    "责任人": "person",
    "督查责任人": "supervisor",
    "立项时间": "registered_on",
    "交办时间": "assigned_on",
    "交班时间": "assigned_on",
    "完成时限": "due_date",
    "时限理由": "due_date_reason",
    "备注": "remarks",
    "考核年度": "assessment_year",
}
TITLE_FIELDS = {"title"}
UNIT_LINE_PREFIX = "单位（部门）："
