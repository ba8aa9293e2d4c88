"""User administration and the audit trail (administrators only)."""

from __future__ import annotations

from typing import Any

from flask import g, request
from sqlalchemy import select

from services.gateway import accounts
from services.gateway.api import bp
from services.gateway.auth import db, now, require
from services.gateway.orm import AuditEntry, User
from services.gateway.present import Reader, json_body

# The longest value of each text field (the columns' sizes: a longer one is a field error, not a failed write).
LIMITS = {"username": 60, "display_name": accounts.NAME_MAX, "password": 200, "role": 20, "unit_id": 40,
          "person_id": 40}


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
        "extra_roles": [r for r in (user.extra_roles or "").split(",") if r],
        "unit_id": user.unit_id, "person_id": user.person_id, "active": user.active,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


@bp.get("/users")
@require("users.manage")
def list_users() -> dict[str, Any]:
    users = db().scalars(select(User).order_by(User.id))
    return {"users": [user_json(u) for u in users]}


@bp.post("/users")
@require("users.manage")
def create_user() -> tuple[dict[str, Any], int]:
    reader = Reader(json_body())
    reader.unknown({"username", "display_name", "password", "role", "unit_id", "person_id", "extra_roles"})
    fields = {k: reader.text(k, LIMITS[k]) for k in ("username", "display_name", "password", "role", "unit_id", "person_id")}
    extra = extra_roles(reader, json_body())
    reader.done()
    user = accounts.create_user(db(), now=now(), **fields)
    if extra is not None:
        accounts.update_user(db(), user, {"extra_roles": extra}, now())
    db().commit()
    g.audit_target = user.username
    return user_json(user), 201


@bp.patch("/users/<int:user_id>")
@require("users.manage")
def update_user(user_id: int) -> dict[str, Any]:
    body = json_body()
    reader = Reader(body)
    reader.unknown({"display_name", "password", "role", "unit_id", "person_id", "active", "extra_roles"})
    changes: dict = {k: reader.text(k, LIMITS[k]) for k in ("display_name", "password", "role", "unit_id", "person_id")
                     if k in body}
    if "active" in body:
        changes["active"] = reader.flag("active")
    extra = extra_roles(reader, body)
    if extra is not None:
        changes["extra_roles"] = extra
    reader.done()
    user = accounts.update_user(db(), accounts.get_user(db(), user_id), changes, now())
    db().commit()
    return user_json(user)


@bp.get("/audit")
@require("audit.read")
def list_audit() -> dict[str, Any]:
    reader = Reader(request.args)
    before = reader.integer("before_id", 0, 0, 2**31 - 1)
    size = reader.integer("page_size", 100, 1, 500)
    reader.done()
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(size)
    if before:
        stmt = stmt.where(AuditEntry.id < before)
    rows = list(db().scalars(stmt))
    return {
        "entries": [
            {"id": e.id, "at": e.at.isoformat(), "username": e.username, "role": e.role, "unit_id": e.unit_id,
             "method": e.method, "path": e.path, "action": e.action, "target": e.target, "status": e.status,
             "ip": e.ip}
            for e in rows
        ],
        "next_before_id": rows[-1].id if len(rows) == size else None,
    }


def extra_roles(reader: Reader, body: dict) -> list[str] | None:
    """The further roles of an account (a list of role names), or None when the body has none."""
    if "extra_roles" not in body:
        return None
    value = body["extra_roles"]
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        reader.errors["extra_roles"] = "应为角色名称的列表"
        return None
    return value
