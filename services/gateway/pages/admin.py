"""Administrators manage accounts: role and further roles, unit, linked person, password, active."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from duban.ledger.v1 import ledger_pb2
from libs.common.errors import DomainError
from services.gateway import accounts
from services.gateway.auth import db, now, require
from services.gateway.calls import ledger
from services.gateway.orm import AuditEntry, User
from services.gateway.pages import bp


@bp.route("/admin/users", methods=["GET", "POST"])
@require("users.manage")
def admin_users() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    message = ""
    if request.method == "POST":
        form = request.form
        try:
            if form.get("user_id"):
                changes: dict[str, object] = {k: form.get(k, "") for k in ("role", "unit_id", "person_id", "display_name")}
                if form.get("password"):
                    changes["password"] = form["password"]
                changes["active"] = form.get("active") == "on"
                # A person may hold more than one role (the 区长: principal and responsible leader).
                changes["extra_roles"] = form.getlist("extra_roles")
                accounts.update_user(db(), accounts.get_user(db(), int(form["user_id"])), changes, now())
                message = "已保存"
            else:
                user = accounts.create_user(db(), form.get("username", ""), form.get("display_name", ""),
                                            form.get("password", ""), form.get("role", ""), form.get("unit_id", ""),
                                            form.get("person_id", ""), now=now())
                if form.getlist("extra_roles"):
                    accounts.update_user(db(), user, {"extra_roles": form.getlist("extra_roles")}, now())
                message = "已创建用户"
            db().commit()
            return redirect(url_for("pages.admin_users", message=message))
        except DomainError as exc:
            db().rollback()
            errors = exc.field_errors or {"form": exc.message}
    users = list(db().scalars(select(User).order_by(User.id)))
    units = ledger().call("ListUnits", ledger_pb2.ListUnitsRequest()).units
    people = ledger().call("ListPeople", ledger_pb2.ListPeopleRequest()).people
    audit = list(db().scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(30)))
    return render_template("admin/users.html", users=users, units=units, people=people, errors=errors,
                           message=request.args.get("message", ""), audit=audit), (422 if errors else 200)
