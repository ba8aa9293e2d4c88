"""立项: registering items, alone, by an import job and as a follow-up of a closure.

Each registration runs in one unit of work: the rows, the history and the outbox event commit together.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.db import UnitOfWork, insert_new
from libs.common.directory_entries import UnitEntry
from libs.common.errors import FailedPrecondition, InvalidInput
from services.ledger import domain, events, metrics, repository
from services.ledger.context import Ledger
from services.ledger.orm import Item, ItemChange, ItemUnit


def history_row(
    item_id: str, at: dt.datetime, actor: Actor, field: str, old: str, new: str, reason: str = ""
) -> ItemChange:
    return ItemChange(
        item_id=item_id, at=at, actor_id=actor.user_id, actor_name=actor.name, actor_role=actor.role,
        actor_unit=actor.unit_id, field=field, old_value=old, new_value=new, reason=reason,
    )


def person_snapshot(directory: repository.Directory, person_id: str, field: str,
                    role: str | None) -> tuple[str, str, str]:
    """(id, name, unit name) of a person as they are now: the frozen snapshot kept with the act."""
    if not person_id:
        return "", "", ""
    person = directory.person(person_id, field)
    if role and person.role != role:
        raise InvalidInput(f"{field}: {person.name} is not a {role}", {field: f"{person.name} 不是{domain.PERSON_ROLES[role]}"})
    return person.id, person.name, person.unit_name


@dataclass(frozen=True)
class Checked:
    """A registration that passed every check, with what its rows are made of."""

    reg: domain.Registration
    units: dict[str, UnitEntry]
    registered_on: dt.date
    due: domain.DueDate
    leader: tuple[str, str, str]
    person: tuple[str, str, str]
    supervisor: tuple[str, str, str]
    assessment_year: int


def check_in(ledger: Ledger, session: Session, reg: domain.Registration) -> Checked:
    """Every check of a registration, reading only (the import's check phase runs it without writing);
    InvalidInput names each bad field; FailedPrecondition (field assessment_year) refuses an item into an
    assessment year already frozen."""
    directory = ledger.directory.get(session)
    named = {reg.lead_unit_id, *(u for u, _ in reg.co_units)}
    units = {u: directory.units[u] for u in named if u in directory.units}
    reg = replace(reg, known_units=frozenset(u for u, unit in units.items() if unit.active))
    errors = domain.check_registration(reg)
    suggestions: dict[str, str] = {}
    if not errors:
        errors, suggestions = domain.check_registration_dates(reg, ledger.calendar, ledger.clock.today())
    if errors:
        raise InvalidInput("invalid registration: " + ", ".join(sorted(errors)), errors, suggestions)
    leader = person_snapshot(directory, reg.responsible_leader_id, "responsible_leader_id", "leader")
    person = person_snapshot(directory, reg.responsible_person_id, "responsible_person_id", None)
    supervisor = person_snapshot(directory, reg.supervisor_id, "supervisor_id", None)
    registered_on = (
        domain.parse_date(reg.registered_on, "registered_on") if reg.registered_on else ledger.clock.today()
    )
    year = domain.assessment_year_of(reg.assessment_year, registered_on)
    refused = domain.frozen_year_refusal(None, year, repository.frozen_years(session, year))
    if refused:
        raise FailedPrecondition(f"assessment year {year} is frozen", {"assessment_year": refused})
    if reg.due_date:
        due = domain.DueDate(domain.parse_date(reg.due_date, "due_date"), manual_reason=reg.due_date_reason.strip())
    else:
        due = domain.compute_due_date(ledger.calendar, ledger.policy, reg.category, registered_on)
    return Checked(reg, units, registered_on, due, leader, person, supervisor, year)


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
    """Register one item inside an open unit of work (used alone, by the import's write phase, and for
    a follow-up item opened by a leader's new instruction on `follow_up_of`)."""
    session = tx.session
    checked = check_in(ledger, session, reg)
    reg, units, registered_on, due = checked.reg, checked.units, checked.registered_on, checked.due
    leader, person, supervisor = checked.leader, checked.person, checked.supervisor
    now = ledger.clock.now()
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
        status="awaiting_notice",  # tracking's first status, before its assignment exists (Art. 6.2)
        remarks=reg.remarks.strip(),
        legacy_no=legacy_no,
        follow_up_of=follow_up_of.id if follow_up_of else "",
        follow_up_of_no=follow_up_of.item_no if follow_up_of else "",
        origin_finding_id=reg.origin_finding_id,
        origin_bulletin_id=reg.origin_bulletin_id,
        assessment_year=checked.assessment_year,
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
    insert_new(session, [item, *item.units, history_row(item.id, now, actor, "registered", "", item.item_no,
                                                    due.manual_reason)])
    tx.publish(events.item_registered(item, now))
    metrics.ITEMS_REGISTERED.labels(reg.source, reg.category).inc()
    if due.provisional_years:
        metrics.PROVISIONAL_DUE_DATES.inc()
    return item


def register_item(ledger: Ledger, reg: domain.Registration, actor: Actor, request_id: str = "") -> tuple[Item, bool]:
    """Register an item; a retry with the same request_id returns the first registration (replayed)."""
    permissions.require(actor.roles, "items.register")
    try:
        with ledger.uow() as tx:
            item = register_in(ledger, tx, reg, actor, request_id=request_id)
            tx.commit()
            return item, False
    except IntegrityError:
        if not request_id:
            raise
        # The request id's unique index found the earlier registration (a retry, or two racing): no
        # read before every insert, only for the rare retry. Answer with the first item.
        with ledger.uow.read() as tx:
            earlier = tx.session.scalars(select(Item).where(Item.request_id == request_id)).first()
        if earlier is None:  # another constraint failed, not the request id's
            raise
        return earlier, True


