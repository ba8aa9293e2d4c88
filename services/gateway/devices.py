"""Device tokens (绑定平板): an inspector binds a tablet from the web session, and the tablet's field pages
sync the day's work with that token, not with the 12-hour cookie. The office lists every bound tablet
with its last sync and revokes a lost one in one click; a revoked token is refused with the reason, which
the tablet shows beside the work it keeps. Only the SHA-256 of a token is stored.

A device token reaches only the field endpoints (FIELD_ENDPOINTS): the day's bundle and the writes the
tablet queues; everything else answers 403 to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from libs.common.clock import OFFICE_TZ
from services.gateway import metrics
from services.gateway.orm import DeviceToken, User

PREFIX = "dbd_"
# The tablet says with each call how many records are still waiting on it (the office's list shows it,
# so a revoked tablet's unsynced work is flagged).
UNSYNCED_HEADER = "X-Duban-Unsynced"
FIELD_ENDPOINTS = frozenset({"api.list_plans", "api.field_bundle", "api.record_visit", "api.record_finding",
                             "api.verify_rectification", "api.me"})
NAME_MAX = 100


@dataclass(frozen=True)
class Refusal:
    """Why a device token was refused: `reason` for the tablet's code, `detail` for the inspector."""

    reason: str  # device_revoked | device_expired | device_unknown
    detail: str
    token_id: int | None = None  # a known (revoked or expired) token: its unsynced count is still kept


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _local(at: dt.datetime) -> str:
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M")


def is_device_token(raw: str) -> bool:
    return raw.startswith(PREFIX)


def issue(session: Session, user: User, name: str, now: dt.datetime, days: int) -> tuple[str, DeviceToken]:
    """A new token for `user`'s tablet named `name` (the raw token is shown once, to the tablet)."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = DeviceToken(user_id=user.id, name=name.strip()[:NAME_MAX] or "平板", token_hash=_digest(raw),
                        created_at=now, expires_at=now + dt.timedelta(days=days), pending=0, revoked_by="")
    session.add(token)
    session.flush()
    metrics.DEVICE_TOKENS.labels("issued").inc()
    return raw, token


def lookup(session: Session, raw: str, now: dt.datetime) -> tuple[User, DeviceToken] | Refusal:
    """The user and token of a device token, or why it is refused."""
    token = session.scalars(select(DeviceToken).where(DeviceToken.token_hash == _digest(raw))).first()
    if token is None:
        return Refusal("device_unknown", "本平板的设备令牌无效，请重新登录并绑定本平板；未同步的记录仍保存在本平板上")
    if token.revoked_at is not None:
        who = f"由{token.revoked_by}" if token.revoked_by else ""
        return Refusal("device_revoked", f"本平板（{token.name}）已于 {_local(token.revoked_at)} {who}撤销绑定，不能再同步；"
                                         "未同步的记录仍保存在本平板上，请联系督查室", token.id)
    expires = token.expires_at if token.expires_at.tzinfo else token.expires_at.replace(tzinfo=dt.UTC)
    if expires <= now:
        return Refusal("device_expired", f"本平板的设备令牌已于 {_local(expires)} 过期，请登录后重新绑定；"
                                         "未同步的记录仍保存在本平板上", token.id)
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return Refusal("device_revoked", "绑定本平板的账号已停用，不能再同步；未同步的记录仍保存在本平板上，请联系督查室",
                       token.id)
    return user, token


def record_sync(session: Session, token_id: int, now: dt.datetime | None, unsynced: str) -> None:
    """A call of the tablet: its last sync time when it succeeded (`now`), and what it says still waits on
    it - kept for a revoked tablet too, so the office sees the work left on a lost one."""
    values: dict[str, object] = {"last_sync_at": now} if now is not None else {}
    if unsynced.isdigit():
        values["pending"] = min(int(unsynced), 1_000_000)
    if not values:
        return
    session.execute(update(DeviceToken).where(DeviceToken.id == token_id).values(**values))
    session.commit()


ID_MAX = 2**31 - 1  # the column's range: a larger id in a path names no tablet


def find(session: Session, device_id: int) -> DeviceToken | None:
    return session.get(DeviceToken, device_id) if 0 <= device_id <= ID_MAX else None


def revoke(session: Session, token: DeviceToken, by: str, now: dt.datetime) -> None:
    """Revoke once: a second click keeps the first time and name."""
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = now, by[:60]
        metrics.DEVICE_TOKENS.labels("revoked").inc()
    session.commit()


@dataclass(frozen=True)
class Listed:
    token: DeviceToken
    username: str
    display_name: str


def listed(session: Session, user_id: int | None = None) -> list[Listed]:
    """Bound tablets, newest first: all (the office), or one user's."""
    query = (select(DeviceToken, User.username, User.display_name).join(User, User.id == DeviceToken.user_id)
             .order_by(DeviceToken.created_at.desc(), DeviceToken.id.desc()))
    if user_id is not None:
        query = query.where(DeviceToken.user_id == user_id)
    return [Listed(token, username, name) for token, username, name in session.execute(query)]


def as_json(entry: Listed) -> dict[str, object]:
    t = entry.token

    def when(at: dt.datetime | None) -> str | None:
        return None if at is None else (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).isoformat()

    return {"id": t.id, "name": t.name, "username": entry.username, "display_name": entry.display_name,
            "created_at": when(t.created_at), "expires_at": when(t.expires_at), "last_sync_at": when(t.last_sync_at),
            "pending": t.pending, "revoked_at": when(t.revoked_at), "revoked_by": t.revoked_by}
