"""The gateway's own tables: accounts, API and device tokens, login failures and the append-only audit log.

The gateway holds no domain data; items, units and people live in the services.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import UtcDateTime, orm_metadata


class Base(DeclarativeBase):
    metadata = orm_metadata()


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # Further roles of the same person, comma-separated (the 区长: principal_leader + leader).
    extra_roles: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[str] = mapped_column(String(40), default="")
    person_id: Mapped[str] = mapped_column(String(40), default="")  # the ledger's person, for leaders
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change or deactivation: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class ApiToken(Base):
    """Bearer tokens for API clients and tablets; only the SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class DeviceToken(Base):
    """A tablet bound by an inspector (绑定平板): its field pages sync with this token, not the 12-hour
    session; the office revokes a lost one in one click. Only the SHA-256 of the token is stored, with
    when it last synced and how many records it said were still waiting on it."""

    __tablename__ = "device_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(100))  # the inspector's name for the tablet
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    pending: Mapped[int] = mapped_column(Integer, default=0)  # unsynced records the tablet last reported
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str] = mapped_column(String(60), default="")  # the username who revoked it


class LoginFailure(Base):
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(60))
    ip: Mapped[str] = mapped_column(String(60))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    __table_args__ = (Index("ix_login_failures_username_at", "username", "at"), Index("ix_login_failures_ip_at", "ip", "at"))


class EndedSession(Base):
    """A web session ended by logout: its cookie stops working at once, though it could still be
    replayed until it expires (the cookie itself is signed, not stored). Kept until then."""

    __tablename__ = "ended_sessions"
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    ended_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class AuditEntry(Base):
    """Every state-changing request: who, in which role and unit, did what, when, from where.

    Append-only: database triggers refuse UPDATE and DELETE (see the migration).
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(60), default="")
    role: Mapped[str] = mapped_column(String(20), default="")
    unit_id: Mapped[str] = mapped_column(String(40), default="")
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[int] = mapped_column(Integer)
    ip: Mapped[str] = mapped_column(String(60), default="")
    user_agent: Mapped[str] = mapped_column(Text, default="")
