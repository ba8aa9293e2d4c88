"""Units and people, the directory every service uses (kept by the ledger)."""

from __future__ import annotations

from typing import Any

from flask import g, request

from duban.ledger.v1 import ledger_pb2
from services.gateway.api import bp
from services.gateway.auth import require
from services.gateway.calls import actor, ledger
from services.gateway.idempotency import write
from services.gateway.present import Reader, json_body, to_json

# How reminders reach a person (the ledger checks their form); a PUT replaces them like every other field.
CONTACTS = {"mobile": 20, "email": 120, "wecom_user_id": 64, "dingtalk_user_id": 64}


@bp.get("/units")
@require("directory.read")
def list_units() -> dict[str, Any]:
    units = ledger().call("ListUnits", ledger_pb2.ListUnitsRequest()).units
    return {"units": [to_json(u) for u in units]}


@bp.put("/units/<unit_id>")
@require("directory.write")
def put_unit(unit_id: str) -> dict[str, Any]:
    reader = Reader(json_body())
    reader.unknown({"name", "kind", "active", "head_person_id"})
    active = reader.flag("active")
    unit = ledger_pb2.Unit(id=unit_id, name=reader.text("name", 100), kind=reader.text("kind", 20) or "department",
                           active=True if active is None else active, head_person_id=reader.text("head_person_id", 40))
    reader.done()
    return to_json(write(ledger(), "UpsertUnit", ledger_pb2.UpsertUnitRequest(unit=unit, actor=actor(g.user))).unit)


@bp.get("/people")
@require("directory.read")
def list_people() -> dict[str, Any]:
    reader = Reader(request.args)
    req = ledger_pb2.ListPeopleRequest(unit_id=reader.text("unit_id", 40), role=reader.text("role", 20))
    reader.done()
    return {"people": [to_json(p) for p in ledger().call("ListPeople", req).people]}


@bp.put("/people/<person_id>")
@require("directory.write")
def put_person(person_id: str) -> dict[str, Any]:
    reader = Reader(json_body())
    reader.unknown({"name", "unit_id", "role", "title", "active", *CONTACTS})
    active = reader.flag("active")
    person = ledger_pb2.Person(
        id=person_id, name=reader.text("name", 50), unit_id=reader.text("unit_id", 40), role=reader.text("role", 20),
        title=reader.text("title", 50), active=True if active is None else active,
        **{name: reader.text(name, length) for name, length in CONTACTS.items()},
    )
    reader.done()
    g.audit_target = person_id
    return to_json(write(ledger(), "UpsertPerson", ledger_pb2.UpsertPersonRequest(person=person,
                                                                                  actor=actor(g.user))).person)
