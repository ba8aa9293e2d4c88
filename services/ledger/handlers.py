"""The ledger's use cases: register, update, read, and keep the directory of units and people.

Each runs in one unit of work: the rows, the history and the outbox event commit together.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from libs.common.actor import Actor
from libs.common.calendar import WorkCalendar, load_calendar
from libs.common.clock import Clock
from libs.common.db import UnitOfWork, UnitOfWorkFactory, insert_new
from libs.common.errors import Conflict, InvalidInput, NotFound
from libs.common.lights import Light, LightPolicy, light_of
from services.ledger import domain, events, metrics, repository
from services.ledger.orm import Item, ItemChange, ItemUnit, Person, Unit


@dataclass
class Ledger:
    """Everything the use cases need, wired by bootstrap.py."""

    uow: UnitOfWorkFactory
    clock: Clock
    calendar: WorkCalendar
    policy: domain.DuePolicy
    item_no_pattern: str
    light_policy: LightPolicy = LightPolicy()
    calendar_dir: str | None = None

    def reload_calendar(self) -> None:
        """Pick up year tables installed since start-up (the office's admin path for next year)."""
        self.calendar = load_calendar(self.calendar_dir)

    def yellow_window(self) -> tuple[dt.date, dt.date]:
        """(today, last due date that is still yellow today) - the light thresholds as dates."""
        today = self.clock.today()
        first_green = self.calendar.add_working_days_provisional(today, self.light_policy.yellow_within + 1).value
        return today, first_green - dt.timedelta(days=1)

    def light(self, item: Item) -> Light:
        return light_of(
            self.calendar, self.light_policy, item.due_date, self.clock.today(),
            closed=item.status in ("closed", "archived"), provisional=item.due_date_provisional,
        )


def _change(item_id: str, at: dt.datetime, actor: Actor, field: str, old: str, new: str, reason: str = ""):
    return ItemChange(
        item_id=item_id, at=at, actor_id=actor.user_id, actor_name=actor.name, actor_role=actor.role,
        actor_unit=actor.unit_id, field=field, old_value=old, new_value=new, reason=reason,
    )


def _snapshot(session: Session, person_id: str, field: str, role: str | None,
              found: dict[str, tuple[Person, str]] | None = None) -> tuple[str, str, str]:
    """(id, name, unit name) of a person as they are now: the frozen snapshot kept with the act."""
    if not person_id:
        return "", "", ""
    if found is not None and person_id in found:
        person, unit_name = found[person_id]
    else:
        person = repository.get_person(session, person_id, field)
        unit = session.get(Unit, person.unit_id)
        unit_name = unit.name if unit else ""
    if role and person.role != role:
        raise InvalidInput(f"{field}: {person.name} is not a {role}", {field: f"{person.name} 不是{domain.PERSON_ROLES[role]}"})
    return person.id, person.name, unit_name


def register_in(
    ledger: Ledger,
    tx: UnitOfWork,
    reg: domain.Registration,
    actor: Actor,
    *,
    request_id: str = "",
    import_key: str | None = None,
    legacy_no: str = "",
    follow_up_of: Item | None = None,
) -> Item:
    """Register one item inside an open unit of work (used alone, by the all-or-nothing import, and for
    a follow-up item opened by a leader's new instruction on `follow_up_of`)."""
    session = tx.session
    units = repository.units_by_id(session, {reg.lead_unit_id, *(u for u, _ in reg.co_units)})
    reg = replace(reg, known_units=frozenset(u for u, unit in units.items() if unit.active))
    errors = domain.check_registration(reg)
    if errors:
        raise InvalidInput("invalid registration: " + ", ".join(sorted(errors)), errors)
    people = repository.people_with_units(
        session, {reg.responsible_leader_id, reg.responsible_person_id, reg.supervisor_id} - {""})
    leader = _snapshot(session, reg.responsible_leader_id, "responsible_leader_id", "leader", people)
    person = _snapshot(session, reg.responsible_person_id, "responsible_person_id", None, people)
    supervisor = _snapshot(session, reg.supervisor_id, "supervisor_id", None, people)

    now = ledger.clock.now()
    registered_on = (
        domain.parse_date(reg.registered_on, "registered_on") if reg.registered_on else ledger.clock.today()
    )
    if reg.due_date:
        due = domain.DueDate(domain.parse_date(reg.due_date, "due_date"), manual_reason=reg.due_date_reason.strip())
    else:
        due = domain.compute_due_date(ledger.calendar, ledger.policy, reg.category, registered_on)
    seq = repository.next_sequence(session, registered_on.year)
    item = Item(
        id=str(uuid.uuid4()),
        item_no=domain.format_item_no(ledger.item_no_pattern, registered_on.year, seq),
        year=registered_on.year,
        seq=seq,
        title=reg.title.strip(),
        content=reg.content.strip(),
        source=reg.source,
        category=reg.category,
        key_tracking=reg.key_tracking,
        lead_unit_id=reg.lead_unit_id,
        responsible_leader_id=leader[0], responsible_leader_name=leader[1], responsible_leader_unit=leader[2],
        responsible_person_id=person[0], responsible_person_name=person[1], responsible_person_unit=person[2],
        supervisor_id=supervisor[0], supervisor_name=supervisor[1], supervisor_unit=supervisor[2],
        registered_on=registered_on,
        due_date=due.value,
        due_date_reason=due.manual_reason,
        due_date_provisional=bool(due.provisional_years),
        status="registered",
        remarks=reg.remarks.strip(),
        legacy_no=legacy_no,
        follow_up_of=follow_up_of.id if follow_up_of else "",
        follow_up_of_no=follow_up_of.item_no if follow_up_of else "",
        import_key=import_key,
        request_id=request_id or None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    item.units = [ItemUnit(item_id=item.id, unit_id=reg.lead_unit_id, unit_name=units[reg.lead_unit_id].name,
                           role="lead", duty=reg.lead_duty.strip(), position=0)] + [
        ItemUnit(item_id=item.id, unit_id=u, unit_name=units[u].name, role="co", duty=d.strip(), position=i + 1)
        for i, (u, d) in enumerate(reg.co_units)
    ]
    insert_new(session, [item, *item.units, _change(item.id, now, actor, "registered", "", item.item_no,
                                                    due.manual_reason)])
    tx.publish(events.item_registered(item, now))
    metrics.ITEMS_REGISTERED.labels(reg.source, reg.category).inc()
    if due.provisional_years:
        metrics.PROVISIONAL_DUE_DATES.inc()
    return item


def register_item(ledger: Ledger, reg: domain.Registration, actor: Actor, request_id: str = "") -> tuple[Item, bool]:
    """Register an item; a retry with the same request_id returns the first registration (replayed)."""
    try:
        with ledger.uow() as tx:  # one transaction: the replay check and the registration
            if request_id:
                earlier = tx.session.scalars(repository.BY_REQUEST_ID, {"request_id": request_id}).first()
                if earlier is not None:
                    return earlier, True
            item = register_in(ledger, tx, reg, actor, request_id=request_id)
            tx.commit()
            return item, False
    except IntegrityError:
        if not request_id:
            raise
        # Two retries raced: the other one committed first; answer with its item.
        with ledger.uow.read() as tx:
            return tx.session.scalars(select(Item).where(Item.request_id == request_id)).one(), True


def get_item(ledger: Ledger, id_or_no: str) -> Item:
    with ledger.uow.read() as tx:
        return repository.get_item(tx.session, id_or_no)


def item_history(ledger: Ledger, id_or_no: str) -> list[ItemChange]:
    with ledger.uow.read() as tx:
        item = repository.get_item(tx.session, id_or_no)
        return list(tx.session.scalars(select(ItemChange).where(ItemChange.item_id == item.id).order_by(ItemChange.id)))


def list_items(ledger: Ledger, query: repository.ItemQuery, page_size: int, token: str, include_total: bool):  # type: ignore[no-untyped-def]
    with ledger.uow.read() as tx:
        return repository.list_items(tx.session, query, page_size, token, include_total)


# --- directory ------------------------------------------------------------------------------------


def list_units(ledger: Ledger, include_inactive: bool) -> list[Unit]:
    with ledger.uow.read() as tx:
        stmt = select(Unit).order_by(Unit.id)
        if not include_inactive:
            stmt = stmt.where(Unit.active.is_(True))
        return list(tx.session.scalars(stmt))


_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


def upsert_unit(ledger: Ledger, unit_id: str, name: str, kind: str, active: bool) -> Unit:
    errors = {}
    if not _CODE.fullmatch(unit_id):
        errors["id"] = "单位代码应为1-40位字母、数字、- 或 _，以字母或数字开头"
    if not name.strip():
        errors["name"] = "单位名称不能为空"
    if kind not in domain.UNIT_KINDS:
        errors["kind"] = f"单位类型应为 {', '.join(domain.UNIT_KINDS)}"
    if errors:
        raise InvalidInput("invalid unit", errors)
    with ledger.uow() as tx:
        clash = tx.session.scalars(select(Unit).where(Unit.name == name.strip(), Unit.id != unit_id)).first()
        if clash:
            raise Conflict(f"unit name {name} is used by {clash.id}", {"name": "单位名称已存在"})
        unit = tx.session.get(Unit, unit_id) or Unit(id=unit_id.strip())
        unit.name, unit.kind, unit.active = name.strip(), kind, active
        tx.session.add(unit)
        tx.commit()
        return unit


def list_people(ledger: Ledger, unit_id: str, role: str, include_inactive: bool) -> list[Person]:
    with ledger.uow.read() as tx:
        stmt = select(Person).order_by(Person.unit_id, Person.id)
        if unit_id:
            stmt = stmt.where(Person.unit_id == unit_id)
        if role:
            stmt = stmt.where(Person.role == role)
        if not include_inactive:
            stmt = stmt.where(Person.active.is_(True))
        return list(tx.session.scalars(stmt))


def upsert_person(ledger: Ledger, person_id: str, name: str, unit_id: str, role: str, title: str, active: bool) -> Person:
    errors = {}
    if not _CODE.fullmatch(person_id):
        errors["id"] = "人员编号应为1-40位字母、数字、- 或 _，以字母或数字开头"
    if not name.strip():
        errors["name"] = "姓名不能为空"
    if role not in domain.PERSON_ROLES:
        errors["role"] = f"人员角色应为 {', '.join(domain.PERSON_ROLES)}"
    with ledger.uow() as tx:
        if tx.session.get(Unit, unit_id) is None:
            errors["unit_id"] = f"未知的单位 {unit_id!r}"
        if errors:
            raise InvalidInput("invalid person", errors)
        person = tx.session.get(Person, person_id) or Person(id=person_id.strip())
        person.name, person.unit_id, person.role, person.title, person.active = (
            name.strip(), unit_id, role, title.strip(), active,
        )
        tx.session.add(person)
        tx.commit()
        return person


def require_item(session: Session, item_id: str) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} not found")
    return item
