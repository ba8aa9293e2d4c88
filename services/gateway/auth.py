"""Who is calling: a session cookie (pages) or a bearer token (API clients, tablets).

Loaded once per request into `g.user`; `require(permission)` guards views; CSRF protects cookie-based
state changes (forms carry a hidden token, scripts send X-CSRF-Token). Bearer calls need no CSRF token.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import delete
from sqlalchemy.orm import Session

from services.gateway import accounts, devices, metrics, roles
from services.gateway.orm import EndedSession, User
from services.gateway.problems import problem, wants_json
from services.gateway.scope import Principal

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
logger = logging.getLogger(__name__)


def db() -> Session:
    """The accounts database session of this request (closed at teardown)."""
    if "db" not in g:
        g.db = current_app.extensions["accounts_db"]()
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    session_ = g.pop("db", None)
    if session_ is not None:
        session_.close()


def now() -> dt.datetime:
    return current_app.extensions["clock"].now()


def client_ip() -> str:
    return request.remote_addr or ""


def load_user() -> None:
    """Sets g.user (a Principal or None) and g.via ('token', 'device', 'session' or None); a refused device
    token leaves its reason in g.device_refusal.

    A short read-only session of its own: nothing stays open (or locked) while the view calls services.
    """
    g.user, g.via = None, None
    header = request.headers.get("Authorization", "")
    with current_app.extensions["accounts_read"]() as reader:
        if header.lower().startswith("bearer ") and devices.is_device_token(header[7:].strip()):
            device = devices.lookup(reader, header[7:].strip(), now())
            if isinstance(device, devices.Refusal):
                g.device_refusal = device
                metrics.DEVICE_REFUSALS.labels(device.reason).inc()
            else:
                g.user, g.via, g.device_id = accounts.principal(device[0]), "device", device[1].id
            return
        if header.lower().startswith("bearer "):
            found = accounts.user_for_token(reader, header[7:].strip(), now())
            if found is not None:
                g.user, g.via = accounts.principal(found[0]), "token"
            else:
                g.bad_token = True
            return
        uid, sid = session.get("uid"), session.get("sid")
        if uid is None:
            return
        if not sid or reader.get(EndedSession, sid) is not None:  # logged out (or a cookie from before sids)
            session.clear()
            return
        user = reader.get(accounts.User, uid)
        if user is None or not user.active or user.session_version != session.get("sv"):
            session.clear()
            return
        g.user, g.via = accounts.principal(user), "session"


def check_device_scope() -> None:
    """A device token reaches the field endpoints only (services/gateway/devices.py)."""
    if g.get("via") == "device" and request.endpoint not in devices.FIELD_ENDPOINTS:
        abort(problem(403, "设备令牌只能用于现场督查的同步；其他操作请在网页登录后进行"))


def record_device_use(status: int) -> None:
    """After a field call with a device token: the tablet's last sync time (when it succeeded) and its
    unsynced count (a revoked tablet's too). A failure here is logged; the answer stands."""
    refusal: devices.Refusal | None = g.get("device_refusal")
    token_id = g.get("device_id") if g.get("via") == "device" else (refusal.token_id if refusal else None)
    if token_id is None:
        return
    try:
        devices.record_sync(db(), token_id, now() if refusal is None and status < 400 else None,
                            request.headers.get(devices.UNSYNCED_HEADER, ""))
    except Exception:  # noqa: BLE001
        db().rollback()
        logger.warning("could not record the sync of device %s", token_id, exc_info=True)


def attempt_login(username: str, password: str) -> User:
    """Check a password with throttling; counts failures. Raises LoginLocked or BadCredentials."""
    g.attempted_username = username
    settings = current_app.extensions["settings"]
    try:
        return accounts.authenticate(db(), username, password, client_ip(), now(), settings.login_max_failures,
                                     settings.login_lock_minutes)
    except accounts.LoginLocked:
        metrics.LOGIN_FAILURES.labels("locked").inc()
        raise
    except accounts.BadCredentials:
        metrics.LOGIN_FAILURES.labels("bad_credentials").inc()
        raise


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    """Cookie-authenticated state changes must prove they come from our own pages."""
    if request.method in SAFE_METHODS or g.get("via") in ("token", "device"):
        return
    if request.endpoint in ("pages.login", "api.create_token"):
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
        if request.endpoint == "api.create_token" and "uid" not in session and sent is None:
            return  # API clients log in without a session; nothing to forge
    else:
        if g.get("via") != "session":
            return  # unauthenticated: the view answers 401
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    expected = session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        if wants_json():
            abort(problem(403, "缺少或无效的 CSRF 令牌（X-CSRF-Token）"))
        abort(403)


def require(permission: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Login required; with a permission, the role must also have it (403 otherwise)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user: Principal | None = g.get("user")
            if user is None:
                refusal: devices.Refusal | None = g.get("device_refusal")
                if refusal is not None:
                    return problem(401, refusal.detail, reason=refusal.reason)
                if wants_json():
                    detail = "令牌无效或已过期" if g.get("bad_token") else "请先登录或提供 Bearer 令牌"
                    return problem(401, detail)
                return redirect(url_for("pages.login", next=request.full_path))
            if permission and not roles.allowed(user.roles, permission):
                if wants_json():
                    return problem(403, f"角色“{roles.ROLES[user.role]}”无权执行此操作")
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def start_session(user: User) -> None:
    """A new session at login: a fresh id and a fresh CSRF token (nothing carried over from the anonymous
    session a login form was served in)."""
    session.clear()
    session.permanent = True
    session.update(uid=user.id, sv=user.session_version, sid=secrets.token_urlsafe(32),
                   csrf=secrets.token_urlsafe(24))


def end_session() -> None:
    """Logout ends this session on the server too: a copy of its cookie no longer works. The user's
    other sessions and API tokens stay."""
    sid = session.get("sid")
    if sid:
        at = now()
        expires = at + dt.timedelta(hours=current_app.extensions["settings"].session_hours)
        db().add(EndedSession(sid=sid, ended_at=at, expires_at=expires))
        db().execute(delete(EndedSession).where(EndedSession.expires_at < at))  # no longer replayable
        db().commit()
    session.clear()
