"""Changing a registered item: every change is kept as history and announced as item.updated."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.errors import Conflict, FailedPrecondition, InvalidInput
from services.ledger import domain, events, repository
from services.ledger.context import Ledger
from services.ledger.orm import Item, ItemUnit, Unit
from services.ledger.registering import history_row, person_snapshot

SIMPLE_TEXT = ("title", "content", "supervision_status", "remarks")


def _fields(item: Item) -> dict[str, str]:
    """The item as the history sees it: every user-editable field as text."""
    return {
        "title": item.title,
        "content": item.content,
        "source": item.source,
        "category": item.category,
        "key_tracking": "是" if item.key_tracking else "否",
        "lead_unit_id": item.lead_unit_id,
        "co_units": "、".join(f"{u.unit_name}" for u in item.units if u.role == "co"),
        "responsible_leader": item.responsible_leader_name,
        "responsible_person": item.responsible_person_name,
        "supervisor": item.supervisor_name,
        "due_date": item.due_date.isoformat(),
        "supervision_status": item.supervision_status,
        "remarks": item.remarks,
        "assessment_year": str(item.assessment_year),
    }


def update_item(
    ledger: Ledger, id_or_no: str, expected_version: int, patch: dict[str, Any], reason: str, actor: Actor
) -> Item:
    """Apply `patch` (only the keys present); `co_units` replaces the co units when given."""
    permissions.require(actor.roles, "items.update")
    with ledger.uow() as tx:
        session = tx.session
        item = repository.get_item(session, id_or_no)
        if expected_version and expected_version != item.version:
            raise Conflict(
                f"item {item.item_no} is at version {item.version}, not {expected_version}",
                {"expected_version": "该事项已被他人修改，请刷新后重试"},
            )
        if item.status in ("closed", "archived"):
            raise FailedPrecondition(f"item {item.item_no} is {item.status}", {"status": "已销号的事项不能修改"})
        before = _fields(item)
        errors: dict[str, str] = {}
        suggestions: dict[str, str] = {}
        units = repository.units_by_id(session)

        for name in SIMPLE_TEXT:
            if name in patch:
                setattr(item, name, str(patch[name]).strip())
        if "title" in patch and not item.title:
            errors["title"] = "事项名称不能为空"
        elif len(item.title) > domain.TITLE_MAX:  # the column's size: a longer title would fail the write
            errors["title"] = f"事项名称不能超过{domain.TITLE_MAX}字"
        if "source" in patch:
            if patch["source"] not in domain.SOURCES:
                errors["source"] = domain.source_error(str(patch["source"]))
            item.source = patch["source"]
        category_changed = "category" in patch and patch["category"] != item.category
        if "category" in patch:
            if patch["category"] not in domain.CATEGORIES:
                errors["category"] = domain.category_error(str(patch["category"]))
            item.category = patch["category"]
        if "key_tracking" in patch:
            item.key_tracking = bool(patch["key_tracking"])
        if "lead_unit_id" in patch and patch["lead_unit_id"] != item.lead_unit_id:
            new_lead = patch["lead_unit_id"]
            if new_lead not in units:
                errors["lead_unit_id"] = f"未知的单位 {new_lead!r}"
            else:
                _set_lead(item, units[new_lead])
        if "co_units" in patch:
            _set_co_units(item, patch["co_units"], units, errors)
        for field, role in (("responsible_leader_id", "leader"), ("responsible_person_id", None), ("supervisor_id", None)):
            if field in patch:
                prefix = field.removesuffix("_id")
                snap = person_snapshot(ledger.directory.get(session), patch[field], field, role)
                setattr(item, f"{prefix}_id", snap[0])
                setattr(item, f"{prefix}_name", snap[1])
                setattr(item, f"{prefix}_unit", snap[2])
        if "due_date" in patch:
            due = domain.parse_date(patch["due_date"], "due_date")
            refused = ledger.calendar.day_off_refusal(due)
            if due < item.registered_on:
                errors["due_date"] = "完成时限不能早于立项时间"
            elif due != item.due_date and refused is not None:
                errors["due_date"], suggestions["due_date"] = refused[0], refused[1].isoformat()
            elif due != item.due_date:
                if not reason.strip():
                    errors["reason"] = "修改完成时限必须说明理由"
                item.due_date, item.due_date_reason, item.due_date_provisional = due, reason.strip(), False
        elif category_changed and not item.due_date_reason:
            # The deadline was computed from the category: a new category means a new deadline.
            computed = domain.compute_due_date(ledger.calendar, ledger.policy, item.category, item.registered_on)
            item.due_date, item.due_date_provisional = computed.value, bool(computed.provisional_years)
        if "assessment_year" in patch:
            _set_assessment_year(session, item, int(patch["assessment_year"]), errors)
        if errors:
            raise InvalidInput("invalid update: " + ", ".join(sorted(errors)), errors, suggestions)

        changed = domain.diff(before, _fields(item))
        if not changed:
            return item
        now = ledger.clock.now()
        item.version += 1
        item.updated_at = now
        changes = [history_row(item.id, now, actor, f, old, new, reason.strip()) for f, old, new in changed]
        session.add_all(changes)
        session.flush()
        tx.publish(events.item_updated(item, changes, now))
        tx.commit()
        return item


def _set_assessment_year(session: Session, item: Item, year: int, errors: dict[str, str]) -> None:
    """考核年度: a year in range, never into or out of a frozen one (FailedPrecondition, at once: no other
    correction of the request makes it possible)."""
    invalid = domain.assessment_year_error(year)
    if invalid:
        errors["assessment_year"] = invalid
        return
    refused = domain.frozen_year_refusal(
        item.assessment_year, year, repository.frozen_years(session, item.assessment_year, year))
    if refused:
        raise FailedPrecondition(f"item {item.item_no}: assessment year {item.assessment_year} -> {year} touches a "
                                 "frozen year", {"assessment_year": refused})
    item.assessment_year = year


def _set_lead(item: Item, unit: Unit) -> None:
    item.lead_unit_id = unit.id
    item.units = [u for u in item.units if u.role != "lead" and u.unit_id != unit.id]
    item.units.insert(0, ItemUnit(unit_id=unit.id, unit_name=unit.name, role="lead", duty="", position=0))


def _set_co_units(item: Item, co_units: list[tuple[str, str]], units: dict[str, Unit], errors: dict[str, str]) -> None:
    lead = [u for u in item.units if u.role == "lead"]
    fresh = []
    seen = {item.lead_unit_id}
    for i, (unit_id, duty) in enumerate(co_units):
        if unit_id not in units:
            errors[f"co_units[{i}].unit_id"] = f"未知的单位 {unit_id!r}"
            continue
        if unit_id in seen:
            errors[f"co_units[{i}].unit_id"] = "协办单位重复或与牵头单位相同"
            continue
        seen.add(unit_id)
        fresh.append(ItemUnit(unit_id=unit_id, unit_name=units[unit_id].name, role="co", duty=duty, position=i + 1))
    item.units = lead + fresh
