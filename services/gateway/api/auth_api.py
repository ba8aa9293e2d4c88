"""API login: bearer tokens for API clients and tablets, and who am I."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask.typing import ResponseReturnValue

from services.gateway import accounts
from services.gateway.api import bp
from services.gateway.auth import attempt_login, db, now, require
from services.gateway.orm import ApiToken
from services.gateway.present import Reader, json_body
from services.gateway.problems import problem
from services.gateway.scope import Principal


def principal_json(user: Principal) -> dict[str, Any]:
    return {"id": user.user_id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "unit_id": user.unit_id, "person_id": user.person_id}


@bp.post("/auth/token")
def create_token() -> ResponseReturnValue:
    reader = Reader(json_body())
    username, password = reader.text("username", 60), reader.text("password", 200)
    name = reader.text("name", 100) or "api"
    if not username:
        reader.errors["username"] = "请输入用户名"
    if not password:
        reader.errors["password"] = "请输入密码"
    reader.done()
    try:
        user = attempt_login(username, password)
    except accounts.LoginLocked as locked:
        response = problem(429, f"登录失败次数过多，请 {locked.retry_after} 秒后再试")
        response.headers["Retry-After"] = str(locked.retry_after)
        return response
    except accounts.BadCredentials:
        return problem(401, "用户名或密码错误")
    settings = current_app.extensions["settings"]
    raw, token = accounts.issue_token(db(), user, name, now(), settings.token_days)
    db().commit()
    g.user = accounts.principal(user)
    return {"token": raw, "token_type": "Bearer", "expires_at": token.expires_at.isoformat()}, 201


@bp.delete("/auth/token")
@require()
def revoke_token() -> ResponseReturnValue:
    if g.via != "token":
        return problem(400, "只能撤销 Bearer 令牌；网页会话请使用退出登录")
    found = accounts.user_for_token(db(), _raw_token(), now())
    if found is not None:
        token: ApiToken = found[1]
        token.revoked = True
        db().commit()
    return "", 204


def _raw_token() -> str:
    from flask import request

    return request.headers.get("Authorization", "")[7:].strip()


@bp.get("/me")
@require()
def me() -> dict[str, Any]:
    return principal_json(g.user)
