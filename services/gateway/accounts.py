"""Accounts: argon2 password hashes, login with throttling, bearer tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from libs.common.errors import Conflict, InvalidInput, NotFound
from services.gateway import roles
from services.gateway.orm import ApiToken, DeviceToken, LoginFailure, User
from services.gateway.scope import Principal

_hasher = PasswordHasher()
TOKEN_PREFIX = "dbn_"
MIN_PASSWORD = 8
# A person's name is 50 characters in the ledger's directory and in every record of who acted.
NAME_MAX = 50


class LoginLocked(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after}s")
        self.retry_after = retry_after


class BadCredentials(Exception):
    pass


def principal(user: User) -> Principal:
    extra = tuple(r for r in (user.extra_roles or "").split(",") if r)
    return Principal(user.id, user.username, user.display_name, user.role, user.unit_id, user.person_id, extra)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_user_fields(role: str, unit_id: str, person_id: str, password: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if role not in roles.ROLES:
        errors["role"] = f"角色应为 {', '.join(roles.ROLES)}"
    if role == roles.UNIT_STAFF and not unit_id:
        errors["unit_id"] = "承办单位工作人员必须指定所属单位"
    if role == roles.LEADER and not person_id:
        errors["person_id"] = "责任领导必须关联人员编号"
    if password is not None and len(password) < MIN_PASSWORD:
        errors["password"] = f"密码至少{MIN_PASSWORD}位"
    return errors


def create_user(
    session: Session, username: str, display_name: str, password: str, role: str, unit_id: str = "",
    person_id: str = "", now: dt.datetime | None = None,
) -> User:
    errors = check_user_fields(role, unit_id, person_id, password)
    if not username.strip() or len(username) > 60:
        errors["username"] = "用户名不能为空且不超过60字符"
    if not display_name.strip() or len(display_name.strip()) > NAME_MAX:
        errors["display_name"] = f"姓名不能为空且不超过{NAME_MAX}字"
    if errors:
        raise InvalidInput("invalid user", errors)
    if session.scalars(select(User).where(User.username == username.strip())).first():
        raise Conflict(f"user {username} exists", {"username": "用户名已存在"})
    user = User(
        username=username.strip(), display_name=display_name.strip(), password_hash=hash_password(password),
        role=role, unit_id=unit_id, person_id=person_id, active=True, session_version=1,
        created_at=now or dt.datetime.now(dt.UTC),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, username: str, password: str, ip: str, now: dt.datetime, max_failures: int, lock_minutes: int
) -> User:
    """Check a password; after `max_failures` misses in `lock_minutes` the name (or address) is locked."""
    window_start = now - dt.timedelta(minutes=lock_minutes)
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - dt.timedelta(days=1)))
    recent = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.at >= window_start, (LoginFailure.username == username) | (LoginFailure.ip == ip)
        )
    ).one()
    by_name = session.scalar(
        select(func.count()).where(LoginFailure.at >= window_start, LoginFailure.username == username)
    ) or 0
    if by_name >= max_failures or recent[0] >= max_failures * 4:
        oldest = recent[1] if recent[1].tzinfo else recent[1].replace(tzinfo=dt.UTC)
        raise LoginLocked(max(1, int((oldest + dt.timedelta(minutes=lock_minutes) - now).total_seconds())))
    user = session.scalars(select(User).where(User.username == username)).first()
    ok = False
    if user is not None and user.active:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    if user is None or not ok:
        session.add(LoginFailure(username=username, ip=ip, at=now))
        session.commit()
        raise BadCredentials()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    user.last_login_at = now
    session.commit()
    return user


def issue_token(session: Session, user: User, name: str, now: dt.datetime, days: int) -> tuple[str, ApiToken]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, token_hash=_digest(raw), name=name[:100], created_at=now,
        expires_at=now + dt.timedelta(days=days), revoked=False,
    )
    session.add(token)
    session.flush()
    return raw, token


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_for_token(session: Session, raw: str, now: dt.datetime) -> tuple[User, ApiToken] | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(raw))).first()
    if token is None or token.revoked:
        return None
    expires = token.expires_at if token.expires_at.tzinfo else token.expires_at.replace(tzinfo=dt.UTC)
    if expires <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return user, token


def get_user(session: Session, user_id: int) -> User:
    # The route takes any digits; a number past the column's range is no user (PostgreSQL would refuse it).
    user = session.get(User, user_id) if 0 < user_id <= 2**31 - 1 else None
    if user is None:
        raise NotFound(f"user {user_id} not found", {"id": "用户不存在"})
    return user


def update_user(session: Session, user: User, changes: dict, now: dt.datetime | None = None) -> User:
    role = changes.get("role", user.role)
    unit_id = changes.get("unit_id", user.unit_id)
    person_id = changes.get("person_id", user.person_id)
    errors = check_user_fields(role, unit_id, person_id, changes.get("password"))
    if "display_name" in changes and not 0 < len(str(changes["display_name"]).strip()) <= NAME_MAX:
        errors["display_name"] = f"姓名不能为空且不超过{NAME_MAX}字"
    if errors:
        raise InvalidInput("invalid user", errors)
    if "extra_roles" in changes:
        extra = [r for r in changes["extra_roles"] if r != role]
        unknown = [r for r in extra if r not in roles.ROLES]
        if unknown:
            raise InvalidInput("invalid user", {"extra_roles": f"未知的角色：{'、'.join(unknown)}"})
        user.extra_roles = ",".join(dict.fromkeys(extra))
    user.role, user.unit_id, user.person_id = role, unit_id, person_id
    if "display_name" in changes:
        user.display_name = str(changes["display_name"]).strip()
    revoke = False
    if changes.get("password"):
        user.password_hash = hash_password(changes["password"])
        revoke = True
    if "active" in changes and bool(changes["active"]) != user.active:
        user.active = bool(changes["active"])
        revoke = True
    if revoke or {"role", "unit_id", "person_id", "extra_roles"} & set(changes):
        user.session_version += 1  # old sessions and tokens must not keep the old rights
        for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
            token.revoked = True
        # Bound tablets too (their queues stay on them; the page says why and offers to bind again).
        session.execute(update(DeviceToken).where(DeviceToken.user_id == user.id, DeviceToken.revoked_at.is_(None))
                        .values(revoked_at=now or dt.datetime.now(dt.UTC), revoked_by="账号变更"))
    return user
