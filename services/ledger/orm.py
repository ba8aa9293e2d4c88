"""The ledger's tables (SQLAlchemy 2.0). Other services never read these; they get events."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from libs.common.db import UtcDateTime, orm_metadata


class Base(DeclarativeBase):
    metadata = orm_metadata()


def _registration_year(context: DefaultExecutionContext) -> int:
    registered_on = context.get_current_parameters()["registered_on"]
    return registered_on.year if isinstance(registered_on, dt.date) else int(str(registered_on)[:4])


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="department")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    head_person_id: Mapped[str] = mapped_column(String(40), default="")  # 单位负责人 (a person id, "" none)


class Person(Base):
    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(50), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How reminders reach them ("" unknown); the in-app inbox needs none of these.
    mobile: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    wecom_user_id: Mapped[str] = mapped_column(String(64), default="")
    dingtalk_user_id: Mapped[str] = mapped_column(String(64), default="")


class DirectoryVersion(Base):
    """One row whose number moves with every change to units or people, in the changing transaction:
    the registrations' in-memory copy of the directory (context.Ledger.directory) reloads when it moved."""

    __tablename__ = "directory_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)


class ItemSequence(Base):
    """The last number given per year; updated in the registering transaction, so numbers have no gaps."""

    __tablename__ = "item_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class Item(Base):
    __tablename__ = "items"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_no: Mapped[str] = mapped_column(String(60), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(40), index=True)
    category: Mapped[str] = mapped_column(String(10), index=True)
    key_tracking: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    # People by id with a frozen snapshot of name and unit at registration (same names and transfers happen).
    responsible_leader_id: Mapped[str] = mapped_column(String(40), default="", index=True)
    responsible_leader_name: Mapped[str] = mapped_column(String(50), default="")
    responsible_leader_unit: Mapped[str] = mapped_column(String(100), default="")
    responsible_person_id: Mapped[str] = mapped_column(String(40), default="")
    responsible_person_name: Mapped[str] = mapped_column(String(50), default="")
    responsible_person_unit: Mapped[str] = mapped_column(String(100), default="")
    supervisor_id: Mapped[str] = mapped_column(String(40), default="")
    supervisor_name: Mapped[str] = mapped_column(String(50), default="")
    supervisor_unit: Mapped[str] = mapped_column(String(100), default="")
    registered_on: Mapped[dt.date] = mapped_column(Date)
    assigned_on: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    due_date_reason: Mapped[str] = mapped_column(Text, default="")
    due_date_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # Tracking's status of the item, copied from item.status_changed (following.on_status_changed), and
    # the seq of the event it came from: an older event arriving late never moves it back.
    status: Mapped[str] = mapped_column(String(20), default="awaiting_notice", index=True)
    status_seq: Mapped[int] = mapped_column(Integer, default=0)
    supervision_status: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    closure_signature: Mapped[str] = mapped_column(String(200), default="")
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    extension_signature: Mapped[str] = mapped_column(String(200), default="")
    remarks: Mapped[str] = mapped_column(Text, default="")
    legacy_no: Mapped[str] = mapped_column(String(60), default="", index=True)
    # 续办: opened by a leader's new instruction on another item's completion report (its id and number).
    follow_up_of: Mapped[str] = mapped_column(String(36), default="", index=True)
    follow_up_of_no: Mapped[str] = mapped_column(String(60), default="")
    # 督查发现: made of an inspection finding (its id in inspection), which links back to this item.
    origin_finding_id: Mapped[str] = mapped_column(String(36), default="")
    # 督查通报要求整改: made of a problem a published bulletin requires fixed (the bulletin's id in notification).
    origin_bulletin_id: Mapped[str] = mapped_column(String(36), default="")
    # 考核年度: the year the item is scored in; its registration year unless the office moved it (never
    # into or out of a year in frozen_years). Registration sets it; a row written without it (a bulk load)
    # gets its registration year.
    assessment_year: Mapped[int] = mapped_column(Integer, default=_registration_year)
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    units: Mapped[list[ItemUnit]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ItemUnit.position", lazy="selectin"
    )

    __table_args__ = (Index("ix_items_ledger_order", "registered_on", "seq"),)


class ItemUnit(Base):
    """An undertaking unit of an item: the lead (主办) or a co unit (协办), each with its own duty."""

    __tablename__ = "item_units"
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))
    duty: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    item: Mapped[Item] = relationship(back_populates="units")

    __table_args__ = (Index("ix_item_units_unit_item", "unit_id", "item_id"),)


class ItemChange(Base):
    """Who changed what, when, and why: the item's history, never rewritten."""

    __tablename__ = "item_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[str] = mapped_column(String(40), default="")
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    actor_unit: Mapped[str] = mapped_column(String(40), default="")
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")


class FrozenYear(Base):
    """An assessment year the evaluation service froze (its year.frozen): no item moves into or out of it."""

    __tablename__ = "frozen_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    as_of: Mapped[str] = mapped_column(String(10), default="")  # the date the year's scores were taken at
    frozen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    frozen_by: Mapped[str] = mapped_column(String(100), default="")


class LightRaiser(Base):
    """Tracking's and inspection's open obligations of an item with a day: the projection the ledger's
    light reads, replaced per (item, source) by each item.raisers_changed event."""

    __tablename__ = "light_raisers"
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    ref_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    due_on: Mapped[dt.date] = mapped_column(Date)


class SupervisionNote(Base):
    """One line of the office's record of an item, from tracking's events (an urge, a status move, an
    extension decision): the 督查情况 column prints them below what the office typed."""

    __tablename__ = "supervision_notes"
    __table_args__ = (Index("ix_supervision_notes_item_id_noted_at", "item_id", "noted_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    noted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(20))  # urge | status | extension
    text: Mapped[str] = mapped_column(Text)


class ImportJob(Base):
    """One XLSX import, run by the ledger's import worker (importing.py), not by the call that uploads it.

    The file stays here until the job ends, so a job whose process died is resumed from its last
    committed step; the counts, errors and numbers are updated in the same transaction as the rows they
    describe, so they say exactly what was committed. Kept `DUBAN_IMPORT_RETENTION_HOURS` after it ends.
    """

    __tablename__ = "import_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str] = mapped_column(String(20))  # validate | all_or_nothing | good_rows
    state: Mapped[str] = mapped_column(String(20))  # queued | running | finished | failed
    phase: Mapped[str] = mapped_column(String(20), default="")  # reading | checking | writing, while running
    outcome: Mapped[str] = mapped_column(String(20), default="")  # validated | imported | rejected, once finished
    failure: Mapped[str] = mapped_column(Text, default="")  # why it failed, for the office (Chinese)
    actor: Mapped[str] = mapped_column(Text)  # who started it (JSON), the actor of every row it registers
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # dropped when the job ends
    size: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)  # rows of the current phase done
    phase_total: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)  # rows that passed the check (what would be written)
    error_rows: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[row, field, message], ...]
    item_nos: Mapped[str] = mapped_column(Text, default="[]")  # JSON: numbers of the items committed
    plan: Mapped[str] = mapped_column(Text, default="[]")  # JSON: indexes of the rows the write phase writes
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_import_jobs_state_created_at", "state", "created_at"),)
