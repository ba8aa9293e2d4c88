"""Notification's tables: what it keeps of the ledger's, tracking's and inspection's events (items, what
raises their lights, inspection problems), and the bulletins with their requirements, course and numbers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from libs.common.db import UtcDateTime, orm_metadata

SNAPSHOT = 300  # an Actor.snapshot() (JSON: id, name, unit, role)


class Base(DeclarativeBase):
    metadata = orm_metadata()


class KnownItem(Base):
    """An item as the bulletins count it: from the ledger's item.registered / item.updated (number, title,
    category, key tracking, lead unit, registration day, deadline) and tracking's events (the deadline after
    an approved extension, closure, status, the unit's latest words)."""

    __tablename__ = "known_items"
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_no: Mapped[str] = mapped_column(String(60), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(20), default="general")
    key_tracking: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(40), default="")
    unit_id: Mapped[str] = mapped_column(String(40), default="")  # lead unit
    unit_name: Mapped[str] = mapped_column(String(100), default="")
    leader_id: Mapped[str] = mapped_column(String(40), default="")
    person_id: Mapped[str] = mapped_column(String(40), default="")  # 责任人 (reminders reach them)
    registered_on: Mapped[dt.date] = mapped_column(Date, index=True)
    due_date: Mapped[dt.date | None] = mapped_column(Date)  # the working deadline (after approved extensions)
    original_due_date: Mapped[dt.date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="awaiting_notice")
    status_seq: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(500), default="")  # extension reason or last progress


class KnownRaiser(Base):
    """An open obligation of an item with a day (item.raisers_changed of tracking and inspection)."""

    __tablename__ = "known_raisers"
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    ref_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    due_on: Mapped[dt.date] = mapped_column(Date)


class KnownFinding(Base):
    """An inspection problem and its rectification state (finding.recorded, rectification.*)."""

    __tablename__ = "known_findings"
    finding_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    item_no: Mapped[str] = mapped_column(String(60), default="")
    unit_id: Mapped[str] = mapped_column(String(40), default="")
    unit_name: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    severity: Mapped[str] = mapped_column(String(20), default="general")
    rect_status: Mapped[str] = mapped_column(String(20), default="none")
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    relapses: Mapped[int] = mapped_column(Integer, default=0)
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    rectified_on: Mapped[dt.date | None] = mapped_column(Date)


class IssueSequence(Base):
    """期数 per year and kind ("2026:quarterly"), given at the first submission, gap-free."""

    __tablename__ = "issue_sequences"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class DocumentSequence(Base):
    """Document numbers (平督通〔2026〕N号) per year, given with the 期数."""

    __tablename__ = "document_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class Bulletin(Base):
    """A bulletin (or a 清零 report) from its draft to its publication. The facts are frozen at drafting (as
    of `as_of`, serialized duban.notification.v1.Facts or ClearanceFacts); the files are stored once
    submitted, and the approval binds their SHA-256."""

    __tablename__ = "bulletins"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    period_code: Mapped[str] = mapped_column(String(20), default="")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer, index=True)
    scope_unit_id: Mapped[str] = mapped_column(String(40), default="")
    # kind:period:scope of a regular bulletin or a clearance: one per period (the job runs twice, one draft)
    period_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    title: Mapped[str] = mapped_column(String(200))
    issue_no: Mapped[int] = mapped_column(Integer, default=0)
    issue_year: Mapped[int] = mapped_column(Integer, default=0)
    document_no: Mapped[str] = mapped_column(String(60), default="")
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    opening: Mapped[str] = mapped_column(Text, default="")
    closing: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[bytes] = mapped_column(LargeBinary)
    mentions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of facts.Mention fields
    named_unit_ids: Mapped[str] = mapped_column(Text, default="")  # ",fgj,jyj," (a unit's board: LIKE)
    as_of: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    corrects_bulletin_id: Mapped[str] = mapped_column(String(36), default="")
    corrected_by_bulletin_id: Mapped[str] = mapped_column(String(36), default="")
    docx_key: Mapped[str] = mapped_column(String(200), default="")
    pdf_key: Mapped[str] = mapped_column(String(200), default="")
    docx_sha256: Mapped[str] = mapped_column(String(64), default="")
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    approved_docx_sha256: Mapped[str] = mapped_column(String(64), default="")
    approved_pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    approved_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    published_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    return_comment: Mapped[str] = mapped_column(Text, default="")
    receipt: Mapped[str] = mapped_column(Text, default="")  # JSON of the 备案 receipt, clearance only
    drafted_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    requirements: Mapped[list[BulletinRequirement]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="BulletinRequirement.position")
    acts: Mapped[list[BulletinAct]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                   order_by="BulletinAct.seq")
    __table_args__ = (Index("ix_bulletins_created", "created_at", "id"),)


class BulletinRequirement(Base):
    """A problem the bulletin requires fixed within a set time; on publication a ledger item of source
    bulletin_rectification (registered_item_id), registered once under a key made of bulletin and problem."""

    __tablename__ = "bulletin_requirements"
    bulletin_id: Mapped[str] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    unit_id: Mapped[str] = mapped_column(String(40))
    unit_name: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    working_days: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    item_id: Mapped[str] = mapped_column(String(36), default="")
    item_no: Mapped[str] = mapped_column(String(60), default="")
    finding_id: Mapped[str] = mapped_column(String(36), default="")
    leader_id: Mapped[str] = mapped_column(String(40), default="")
    registered_item_id: Mapped[str] = mapped_column(String(36), default="")
    registered_item_no: Mapped[str] = mapped_column(String(60), default="")


class BulletinAct(Base):
    """The course: drafted, edited, submitted, returned, approved, published, filed."""

    __tablename__ = "bulletin_acts"
    bulletin_id: Mapped[str] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    act: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    by_person_id: Mapped[str] = mapped_column(String(40), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    docx_sha256: Mapped[str] = mapped_column(String(64), default="")
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")  # (bulletin_id, seq) is the primary key


class Message(Base):
    """A reminder in a recipient's inbox (消息): one per recipient, cause, subject and day (`dedupe_key`), so a
    redelivered or repeated event makes none twice. The recipient is a person, or a unit's staff (its desk:
    `recipient_person_id` "") when no person of the unit is named for the item."""

    __tablename__ = "messages"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_person_id: Mapped[str] = mapped_column(String(40), default="")
    recipient_unit_id: Mapped[str] = mapped_column(String(40), default="")
    recipient_name: Mapped[str] = mapped_column(String(100), default="")
    why: Mapped[str] = mapped_column(String(30), default="")
    cause: Mapped[str] = mapped_column(String(30))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    day: Mapped[dt.date] = mapped_column(Date)
    item_id: Mapped[str] = mapped_column(String(36), default="")
    item_no: Mapped[str] = mapped_column(String(60), default="")
    subject_id: Mapped[str] = mapped_column(String(36), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # 0 unread, 1 read: the inbox's first sort key (unread first), kept with read_at in one update
    is_read: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    read_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    __table_args__ = (
        # a person's inbox and a unit desk's, in the inbox's order
        Index("ix_messages_person_inbox", "recipient_person_id", "is_read", "created_at", "id"),
        Index("ix_messages_unit_inbox", "recipient_unit_id", "recipient_person_id", "is_read", "created_at", "id"),
    )
