"""Evaluation's tables: the archive of every event it heard (and of its own acts), the facts kept of
items, the score entries (append-only), their totals (a projection), the assessment years, the rule
versions and the adjustments of frozen years.

A generation is one scoring of a year: the live consumer writes into the year's current one; accepting
a new rule version or rebuilding from the archive writes a new one and points the year at it, keeping
the old entries as they were.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import UtcDateTime, orm_metadata


class Base(DeclarativeBase):
    metadata = orm_metadata()


class ArchivedEvent(Base):
    """Every consumed event as it was read (append-only; compacted topics cannot replay a year)."""

    __tablename__ = "event_archive"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(100), default="", index=True)  # the item, for most
    time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    topic: Mapped[str] = mapped_column(String(100), default="")
    partition: Mapped[int] = mapped_column(Integer, default=-1)
    offset: Mapped[int] = mapped_column(BigInteger, default=-1)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ItemRow(Base):
    """An item's facts (domain.ItemFacts as JSON), with its year for the freeze's open items."""

    __tablename__ = "items"
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    facts: Mapped[str] = mapped_column(Text)


class Entry(Base):
    """A score entry. Never updated but for its state (a pending adjustment decided); never deleted."""

    __tablename__ = "score_entries"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[str] = mapped_column(String(40))
    subject_name: Mapped[str] = mapped_column(String(100), default="")
    subject_unit_id: Mapped[str] = mapped_column(String(40), default="")
    rule: Mapped[str] = mapped_column(String(40))
    rule_version: Mapped[int] = mapped_column(Integer)
    points_centi: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(200))
    day: Mapped[str] = mapped_column(String(10))
    explanation: Mapped[str] = mapped_column(String(500))
    item_id: Mapped[str] = mapped_column(String(36), default="")
    item_no: Mapped[str] = mapped_column(String(60), default="")
    cause_seq: Mapped[int] = mapped_column(BigInteger)  # the archived event that caused it
    calendar_version: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(10))  # counted | pending | rejected
    __table_args__ = (
        Index("ix_score_entries_year_subject", "year", "generation", "subject_kind", "subject_id"),
        Index("ix_score_entries_year_item", "year", "generation", "item_id"),
    )


class Total(Base):
    """A subject's total for a year in a generation: the sum of its counted entries."""

    __tablename__ = "score_totals"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_name: Mapped[str] = mapped_column(String(100), default="")
    subject_unit_id: Mapped[str] = mapped_column(String(40), default="")
    total_centi: Mapped[int] = mapped_column(Integer, default=0)
    plus_centi: Mapped[int] = mapped_column(Integer, default=0)
    minus_centi: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)


class Year(Base):
    """An assessment year (考核年度): open, or frozen once the assessment office accepted it."""

    __tablename__ = "assessment_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    generation: Mapped[int] = mapped_column(Integer, default=1)
    as_of: Mapped[str] = mapped_column(String(10), default="")
    frozen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    frozen_by: Mapped[str] = mapped_column(String(100), default="")
    frozen_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # the archived year.assessed


class RuleVersion(Base):
    """A year's rule set, version by version (the YAML as written)."""

    __tablename__ = "rule_versions"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_from: Mapped[str] = mapped_column(String(10))
    yaml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # accepted | proposed | superseded (never accepted)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100), default="")


class Adjustment(Base):
    """A late event's entry for a frozen year, waiting for the assessment office's decision."""

    __tablename__ = "adjustments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the entry's id
    year: Mapped[int] = mapped_column(Integer, index=True)
    generation: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Clearance(Base):
    """The year's 清零 result and its filing (notification's clearance.published / clearance.filed)."""

    __tablename__ = "clearances"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    bulletin_id: Mapped[str] = mapped_column(String(36))
    document_no: Mapped[str] = mapped_column(String(100), default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    units: Mapped[str] = mapped_column(Text, default="[]")  # [{unit_id, unit_name, in_scope, closed, still_open}]
    not_closed: Mapped[str] = mapped_column(Text, default="[]")  # [{item_id, item_no, unit_id}]
    receipt_no: Mapped[str] = mapped_column(String(100), default="")
    filed_on: Mapped[str] = mapped_column(String(10), default="")


class Commendation(Base):
    """The decision on a subject the scores suggested for commendation (评先树优)."""

    __tablename__ = "commendations"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # accepted | declined
    reason: Mapped[str] = mapped_column(String(500))
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class CalendarVersion(Base):
    """The working-day tables an entry counted on, kept by the version entries name (old tables stay)."""

    __tablename__ = "calendar_versions"
    version: Mapped[str] = mapped_column(String(16), primary_key=True)
    tables: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
