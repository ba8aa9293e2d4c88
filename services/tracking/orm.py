"""Tracking's tables. Items arrive as events from the ledger; nothing here reads the ledger's tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from libs.common import light_raisers
from libs.common.db import UtcDateTime, orm_metadata


class Base(DeclarativeBase):
    metadata = orm_metadata()


class NoticeSequence(Base):
    """Notice numbers (督办通知编号) per year, gap-free like registration numbers."""

    __tablename__ = "notice_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class Assignment(Base):
    """One supervised item as tracking sees it: from the notice to the dossier."""

    __tablename__ = "assignments"
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_no: Mapped[str] = mapped_column(String(60), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(40), default="")
    category: Mapped[str] = mapped_column(String(10))
    key_tracking: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_on: Mapped[dt.date] = mapped_column(Date)
    notice_due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    notice_no: Mapped[str] = mapped_column(String(60), default="")
    notice_issued_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    notice_key: Mapped[str] = mapped_column(String(200), default="")
    original_due_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    # Counted across a year without a published holiday table (the ledger's flag, followed by event).
    due_date_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the notice was issued with (requirements, contact: JSON), so a revision can print it again.
    notice_fields: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="awaiting_notice", index=True)
    # How many moves the item has made (moving.move): item.status_changed carries it, so a reader can
    # tell an older event from a newer one whatever order they arrive in.
    status_seq: Mapped[int] = mapped_column(Integer, default=0)
    leader_id: Mapped[str] = mapped_column(String(40), default="", index=True)
    leader_name: Mapped[str] = mapped_column(String(50), default="")
    # The lead unit again, beside its row in assignment_units: lists and the lights board show it for
    # every item, and a join per item doubled their cost. Written with the units (assigning.set_units).
    lead_unit_id: Mapped[str] = mapped_column(String(40), default="")
    lead_unit_name: Mapped[str] = mapped_column(String(100), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    dossier_key: Mapped[str] = mapped_column(String(200), default="")
    # The written reply (办理结果) and, when late, the root cause and measures (Art. 6.5).
    reply_result: Mapped[str] = mapped_column(Text, default="")
    reply_root_cause: Mapped[str] = mapped_column(Text, default="")
    reply_measures: Mapped[str] = mapped_column(Text, default="")
    reply_late: Mapped[bool] = mapped_column(Boolean, default=False)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    replied_by: Mapped[str] = mapped_column(String(200), default="")  # Actor.snapshot() JSON
    # The completion report (attachment 2) and the leader's signature (Art. 6.7).
    completion_kind: Mapped[str] = mapped_column(String(20), default="")
    completion_summary: Mapped[str] = mapped_column(Text, default="")
    completion_within_time: Mapped[bool] = mapped_column(Boolean, default=True)
    completion_filled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    completion_filled_by: Mapped[str] = mapped_column(String(200), default="")
    completion_key: Mapped[str] = mapped_column(String(200), default="")
    signature_opinion: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    signed_by: Mapped[str] = mapped_column(String(200), default="")
    signature_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_up: Mapped[str] = mapped_column(Text, default="")  # 新的批示 given when signing

    units: Mapped[list[AssignmentUnit]] = relationship(
        cascade="all, delete-orphan", order_by="AssignmentUnit.position", lazy="selectin"
    )
    # Work lists page through assignments by deadline: an index range, never a sort of every item.
    __table_args__ = (Index("ix_assignments_list_order", "due_date", "item_no", "item_id"),)

    expected: Mapped[list[ExpectedReport]] = relationship(
        cascade="all, delete-orphan", order_by="(ExpectedReport.due_on, ExpectedReport.period, ExpectedReport.unit_id)",
        lazy="selectin",
    )
    reports: Mapped[list[ProgressReport]] = relationship(
        cascade="all, delete-orphan", order_by="ProgressReport.filed_at", lazy="selectin"
    )
    extensions: Mapped[list[Extension]] = relationship(
        cascade="all, delete-orphan", order_by="Extension.requested_at", lazy="selectin"
    )
    office_urges: Mapped[list[OfficeUrge]] = relationship(
        cascade="all, delete-orphan", order_by="OfficeUrge.at", lazy="selectin"
    )
    notice_revisions: Mapped[list[NoticeRevision]] = relationship(
        cascade="all, delete-orphan", order_by="NoticeRevision.at", lazy="selectin"
    )
    # The files of its reports and reply (their names, sizes and keys; the bytes are in storage).
    attachments: Mapped[list[Attachment]] = relationship(
        cascade="all, delete-orphan", order_by="(Attachment.owner, Attachment.filename)", lazy="selectin"
    )
    # What other services keep open about the item (inspection's rectifications), for its light.
    raisers: Mapped[list[ItemRaiser]] = relationship(
        primaryjoin="Assignment.item_id == foreign(ItemRaiser.item_id)", viewonly=True, lazy="selectin"
    )


class AssignmentUnit(Base):
    __tablename__ = "assignment_units"
    item_id: Mapped[str] = mapped_column(ForeignKey("assignments.item_id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))
    duty: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    ack_due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (
        Index("ix_assignment_units_unit", "unit_id", "item_id"),
        # Only the units that have not signed (a few per cent of all): the sweep finds whom to urge
        # from here instead of walking every open item's units.
        Index("ix_assignment_units_unsigned", "ack_due_at", postgresql_where=text("acknowledged_at IS NULL"),
              sqlite_where=text("acknowledged_at IS NULL")),
    )


class ExpectedReport(Base):
    """Every report a unit owes is an object with its own due date and light (DESIGN #2)."""

    __tablename__ = "expected_reports"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("assignments.item_id", ondelete="CASCADE"))
    unit_id: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="expected", index=True)
    report_id: Mapped[str] = mapped_column(String(36), default="")
    urged: Mapped[int] = mapped_column(Integer, default=0)
    # An item's reports by item id (loading), and its missed count answered from the index alone.
    __table_args__ = (Index("ix_expected_reports_item_status_due", "item_id", "status", "due_on"),)


class ProgressReport(Base):
    __tablename__ = "progress_reports"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("assignments.item_id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(10), default="")
    expected_report_id: Mapped[str] = mapped_column(String(36), default="")
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    filed_by: Mapped[str] = mapped_column(String(200), default="")


class Attachment(Base):
    """A file given with a progress report or the reply; who gave it and when are its owner's."""

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("assignments.item_id", ondelete="CASCADE"), index=True)
    owner: Mapped[str] = mapped_column(String(60))  # "report:<id>" | "reply"
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))


class Extension(Base):
    __tablename__ = "extensions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("assignments.item_id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    progress: Mapped[str] = mapped_column(Text, default="")
    old_due_date: Mapped[dt.date] = mapped_column(Date)
    new_due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    comment: Mapped[str] = mapped_column(Text, default="")


class Urge(Base):
    """A chasing message sent; unique per reason, unit, report and day so a sweep never doubles it."""

    __tablename__ = "urges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(30))
    expected_report_id: Mapped[str] = mapped_column(String(36), default="")
    day: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # Day first: a sweep's tens of thousands of rows land at the end of the index (one day's range),
    # not at random places among every earlier day's rows, and "today's urges" is a range scan.
    __table_args__ = (UniqueConstraint("day", "item_id", "unit_id", "reason", "expected_report_id",
                                       name="uq_urges_once_a_day"),)


class OverdueMark(Base):
    """item.overdue is published once per item per day: this row is the proof it was."""

    __tablename__ = "overdue_marks"
    # Day first, as for urges: a day's marks are appended together.
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class AuditEntry(Base):
    """Signed acts (extension decisions, completion signatures): who, when, decision, comment."""

    __tablename__ = "signed_acts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(36), index=True)
    act: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[str] = mapped_column(String(40))
    person_name: Mapped[str] = mapped_column(String(50))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class OfficeUrge(Base):
    """催办 by the office itself (a phone call, a written reminder): as many as it takes, each recorded."""

    __tablename__ = "office_urges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("assignments.item_id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str] = mapped_column(String(40))
    unit_name: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(200))  # person snapshot (JSON)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class NoticeRevision(Base):
    """The notice revised after it went out: the published calendar moved its provisional deadline."""

    __tablename__ = "notice_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("assignments.item_id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    old_due_date: Mapped[dt.date] = mapped_column(Date)
    new_due_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    calendar_years: Mapped[str] = mapped_column(String(40))  # "2027" or "2027,2028"
    notice_key: Mapped[str] = mapped_column(String(200), default="")  # the revised document ("" if not reprinted)
    previous_notice_key: Mapped[str] = mapped_column(String(200), default="")


class ItemRaiser(Base):
    """An open obligation another service keeps about an item (inspection's rectification orders), as
    its item.raisers_changed said last: the full set replaces the rows of its (item, source). Once its
    day has passed it raises the item's light (libs/common/lights.py). No foreign key: an event may come
    before the item's registration reaches tracking (another topic), and it counts from then on."""

    __tablename__ = "item_raisers"
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(light_raisers.SOURCE_MAX), primary_key=True)
    ref_id: Mapped[str] = mapped_column(String(light_raisers.REF_MAX), primary_key=True)
    due_on: Mapped[dt.date] = mapped_column(Date)
