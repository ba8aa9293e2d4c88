"""The directory of units and people that items name (kept by the admin, imported with the ledger)."""

from __future__ import annotations

import re

from sqlalchemy import select

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.errors import Conflict, InvalidInput
from services.ledger import domain, repository
from services.ledger.context import Ledger
from services.ledger.orm import Person, Unit


def list_units(ledger: Ledger, include_inactive: bool) -> list[Unit]:
    with ledger.uow.read() as tx:
        stmt = select(Unit).order_by(Unit.id)
        if not include_inactive:
            stmt = stmt.where(Unit.active.is_(True))
        return list(tx.session.scalars(stmt))


_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


def upsert_unit(ledger: Ledger, unit_id: str, name: str, kind: str, active: bool, actor: Actor,
                head_person_id: str = "") -> Unit:
    """A unit, with its head (单位负责人): a person of the directory in that unit, or "" for none."""
    permissions.require(actor.roles, "directory.write")
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
        head_person_id = head_person_id.strip()
        head = tx.session.get(Person, head_person_id) if head_person_id else None
        if head_person_id and (head is None or head.unit_id != unit_id):
            raise InvalidInput(f"no person {head_person_id} in {unit_id}",
                               {"head_person_id": "单位负责人应为本单位人员名录中的人员"})
        unit = tx.session.get(Unit, unit_id) or Unit(id=unit_id.strip())
        unit.name, unit.kind, unit.active, unit.head_person_id = name.strip(), kind, active, head_person_id
        tx.session.add(unit)
        repository.directory_changed(tx.session)
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


def upsert_person(ledger: Ledger, person_id: str, name: str, unit_id: str, role: str, title: str, active: bool,
                  actor: Actor, contacts: domain.Contacts | None = None) -> Person:
    """A person with how reminders reach them; `contacts` replace the stored ones (None: all "")."""
    contacts = (contacts or domain.Contacts()).stripped()
    permissions.require(actor.roles, "directory.write")
    errors = {}
    if not _CODE.fullmatch(person_id):
        errors["id"] = "人员编号应为1-40位字母、数字、- 或 _，以字母或数字开头"
    if not name.strip():
        errors["name"] = "姓名不能为空"
    if role not in domain.PERSON_ROLES:
        errors["role"] = f"人员角色应为 {', '.join(domain.PERSON_ROLES)}"
    errors.update(domain.contact_errors(contacts))
    with ledger.uow() as tx:
        if tx.session.get(Unit, unit_id) is None:
            errors["unit_id"] = f"未知的单位 {unit_id!r}"
        if errors:
            raise InvalidInput("invalid person", errors)
        person = tx.session.get(Person, person_id) or Person(id=person_id.strip())
        person.name, person.unit_id, person.role, person.title, person.active = (
            name.strip(), unit_id, role, title.strip(), active,
        )
        person.mobile, person.email = contacts.mobile, contacts.email
        person.wecom_user_id, person.dingtalk_user_id = contacts.wecom_user_id, contacts.dingtalk_user_id
        tx.session.add(person)
        repository.directory_changed(tx.session)
        tx.commit()
        return person
