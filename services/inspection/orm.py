"""Inspection's tables: plans and their teams, visits, findings with photos, rectification rounds,
escalations, and a copy of the ledger's items (fed by its events) so a finding names its item without a
call per request."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from libs.common.db import UtcDateTime, orm_metadata

SNAPSHOT = 300  # an Actor.snapshot() (JSON: id, name, unit, role)


class Base(DeclarativeBase):
    metadata = orm_metadata()


class PlanSequence(Base):
    """Plan numbers (督查方案〔2026〕N号) per year, given on approval, gap-free."""

    __tablename__ = "plan_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class KnownItem(Base):
    """The ledger's item as inspection needs it (number, title, units, leader), from item.registered
    and item.updated; the status from tracking's item.status_changed."""

    __tablename__ = "known_items"
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_no: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    lead_unit_id: Mapped[str] = mapped_column(String(40), default="")
    unit_ids: Mapped[str] = mapped_column(String(400), default="")  # lead first, comma separated
    leader_id: Mapped[str] = mapped_column(String(40), default="")
    leader_name: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(20), default="awaiting_notice")
    status_seq: Mapped[int] = mapped_column(Integer, default=0)


class Plan(Base):
    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_no: Mapped[str] = mapped_column(String(60), default="")
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    preparation: Mapped[str] = mapped_column(Text, default="")
    training: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of checklist lines
    drafted_by: Mapped[str] = mapped_column(String(SNAPSHOT))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    approved_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    approver_person_id: Mapped[str] = mapped_column(String(40), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    items: Mapped[list[PlanItem]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="PlanItem.position")
    stops: Mapped[list[PlanStop]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="PlanStop.position")
    members: Mapped[list[PlanMember]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="PlanMember.position")
    leads: Mapped[list[PlanLead]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="PlanLead.position")
    changes: Mapped[list[PlanChange]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="PlanChange.at")


class PlanItem(Base):
    __tablename__ = "plan_items"
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PlanStop(Base):
    __tablename__ = "plan_stops"
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(200), default="")
    scheduled_on: Mapped[dt.date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PlanMember(Base):
    __tablename__ = "plan_members"
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    unit_id: Mapped[str] = mapped_column(String(40), default="")
    unit_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(10))  # leader | member
    seconded_from_unit_id: Mapped[str] = mapped_column(String(40), default="")
    seconded_from_unit_name: Mapped[str] = mapped_column(String(100), default="")
    training_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    position: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_plan_members_person", "person_id"),)


class PlanLead(Base):
    """问题线索 gathered before going (per unit or item)."""

    __tablename__ = "plan_leads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str] = mapped_column(String(40), default="")
    item_id: Mapped[str] = mapped_column(String(36), default="")
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class PlanChange(Base):
    """A change after approval: who, when, why, what (the approved plan is what the team is held to)."""

    __tablename__ = "plan_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(String(SNAPSHOT))
    reason: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)


class Visit(Base):
    __tablename__ = "visits"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    unit_id: Mapped[str] = mapped_column(String(40))
    unit_name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(200), default="")
    visited_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(SNAPSHOT))
    ledger_kept: Mapped[bool] = mapped_column(Boolean)
    ledger_current: Mapped[bool] = mapped_column(Boolean)
    ledger_note: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # The device's key (NULL without one): one visit per (plan, key), whatever the tablet's retries.
    client_key: Mapped[str | None] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64), default="")  # of the request that recorded it
    checks: Mapped[list[ItemCheck]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="ItemCheck.position")
    __table_args__ = (UniqueConstraint("plan_id", "client_key", name="uq_visits_plan_client_key"),)


class ItemCheck(Base):
    __tablename__ = "item_checks"
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_no: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    process: Mapped[str] = mapped_column(String(20))  # verified | discrepancy
    result: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Finding(Base):
    __tablename__ = "findings"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    visit_id: Mapped[str] = mapped_column(String(36), default="")
    unit_id: Mapped[str] = mapped_column(String(40), index=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    item_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    item_no: Mapped[str] = mapped_column(String(60), default="")
    item_title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    place: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float)  # WGS-84, as the device's Geolocation gave it
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    device_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(SNAPSHOT))
    # The device's key (NULL without one): one finding per (plan, key), whatever the retries.
    client_key: Mapped[str | None] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64), default="")  # of the request that recorded it
    registered_item_id: Mapped[str] = mapped_column(String(36), default="")
    registered_item_no: Mapped[str] = mapped_column(String(60), default="")
    escalation_id: Mapped[str] = mapped_column(String(36), default="")
    # Rectification: "" until ordered; its status kept with the finding for lists and sweeps.
    rect_mode: Mapped[str] = mapped_column(String(10), default="")
    rect_status: Mapped[str] = mapped_column(String(10), default="", index=True)
    relapses: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    photos: Mapped[list[Photo]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="Photo.position")
    rounds: Mapped[list[RectificationRound]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                            order_by="RectificationRound.number")
    __table_args__ = (UniqueConstraint("plan_id", "client_key", name="uq_findings_plan_client_key"),
                      Index("ix_findings_plan_order", "plan_id", "recorded_at", "id"))


class Photo(Base):
    """A stored photo (no EXIF) and its thumbnail: of the finding, the on-the-spot fix, a round's report
    or its re-inspection (`stage`, `round`)."""

    __tablename__ = "photos"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    finding_id: Mapped[str] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(12))  # finding | on_spot | report | verification
    round: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the uploaded bytes
    taken_at: Mapped[str] = mapped_column(String(30), default="")
    exif_latitude: Mapped[float | None] = mapped_column(Float)
    exif_longitude: Mapped[float | None] = mapped_column(Float)
    storage_key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[str] = mapped_column(String(200))


class RectificationRound(Base):
    __tablename__ = "rectification_rounds"
    finding_id: Mapped[str] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    due_date: Mapped[dt.date | None] = mapped_column(Date)  # None: fixed on the spot
    ordered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ordered_by: Mapped[str] = mapped_column(String(SNAPSHOT))
    requirement: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    reported_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    report_text: Mapped[str] = mapped_column(Text, default="")
    verified_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    verified_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    verdict: Mapped[str] = mapped_column(String(10), default="")
    verification_text: Mapped[str] = mapped_column(Text, default="")
    # The device's key of the 回头看 that gave the verdict (NULL without one): one verdict per key.
    verification_key: Mapped[str | None] = mapped_column(String(100))
    verification_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    overdue_announced: Mapped[bool] = mapped_column(Boolean, default=False)  # rectification.overdue sent
    __table_args__ = (Index("ix_rectification_rounds_due", "verdict", "reported_at", "due_date"),
                      UniqueConstraint("finding_id", "verification_key", name="uq_rectification_rounds_verification_key"))


class Escalation(Base):
    __tablename__ = "escalations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    finding_id: Mapped[str] = mapped_column(String(36), default="")
    item_id: Mapped[str] = mapped_column(String(36), default="")
    item_no: Mapped[str] = mapped_column(String(60), default="")
    unit_id: Mapped[str] = mapped_column(String(40), default="")
    unit_name: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    raised_by: Mapped[str] = mapped_column(String(SNAPSHOT))
    recipients: Mapped[list[EscalationRecipient]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                                 order_by="EscalationRecipient.position")


class EscalationRecipient(Base):
    __tablename__ = "escalation_recipients"
    escalation_id: Mapped[str] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    unit_id: Mapped[str] = mapped_column(String(40), default="")
    why: Mapped[str] = mapped_column(String(20))  # responsible_leader | office_head
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    position: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_escalation_recipients_open", "person_id", "acknowledged_at"),)


class ReportSequence(Base):
    """Report numbers (督查报告〔2026〕N号) per year, given on issue, gap-free."""

    __tablename__ = "report_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class InspectionReport(Base):
    """The plan's 专项 / 综合督查报告: one per plan, drafted by the system, edited by the office, issued."""

    __tablename__ = "reports"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    report_no: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    analysis: Mapped[str] = mapped_column(Text, default="")  # "" : the system's draft is used
    recommendations: Mapped[str] = mapped_column(Text, default="")
    docx_key: Mapped[str] = mapped_column(String(200), default="")  # the issued document, as issued
    issued_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    issued_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    feedback: Mapped[list[ReportFeedback]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                          order_by="ReportFeedback.position")


class ReportFeedback(Base):
    """反馈: one unit's part of an issued report, its acknowledgement and written answer."""

    __tablename__ = "report_feedback"
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    findings: Mapped[int] = mapped_column(Integer, default=0)
    answer_by: Mapped[dt.date] = mapped_column(Date)
    docx_key: Mapped[str] = mapped_column(String(200), default="")
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    answered_by: Mapped[str] = mapped_column(String(SNAPSHOT), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_report_feedback_unit", "unit_id", "answered_at"),)
