"""Queries over the ledger's tables: numbering, lookups and the keyset-paged ledger list."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, Select, Table, and_, bindparam, exists, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from libs.common import lights
from libs.common.db import next_in_sequence
from libs.common.directory_entries import PersonEntry, UnitEntry
from libs.common.errors import InvalidInput, NotFound
from services.ledger import domain
from services.ledger.orm import DirectoryVersion, FrozenYear, Item, ItemSequence, ItemUnit, LightRaiser, Person, Unit

MAX_PAGE = 500
DEFAULT_PAGE = 50


def next_sequence(session: Session, year: int) -> int:
    """The next registration number of `year`: unique and gap-free (see next_in_sequence)."""
    # A declarative class with mapped_column()s is mapped to a Table (typed as any FromClause).
    return next_in_sequence(session, cast(Table, ItemSequence.__table__), year)


def get_item(session: Session, id_or_no: str) -> Item:
    item = session.get(Item, id_or_no) or session.scalars(select(Item).where(Item.item_no == id_or_no)).first()
    if item is None:
        raise NotFound(f"item {id_or_no} not found", {"id": "督查事项不存在"})
    return item


def frozen_years(session: Session, *years: int) -> set[int]:
    """Which of `years` the evaluation service froze (freezing.py keeps them)."""
    return set(session.scalars(select(FrozenYear.year).where(FrozenYear.year.in_(years))))


@dataclass(frozen=True)
class Directory:
    """The units and people as plain values: what registrations check against and copy names from."""

    units: dict[str, UnitEntry]
    people: dict[str, PersonEntry]

    def person(self, person_id: str, field: str) -> PersonEntry:
        found = self.people.get(person_id)
        if found is None:
            raise InvalidInput(f"{field}: unknown person {person_id}", {field: f"未知的人员 {person_id!r}"})
        return found


# Built once: the version is read on every registration.
_DIRECTORY_VERSION = select(DirectoryVersion.version).where(DirectoryVersion.id == 1)


def directory_version(session: Session) -> int:
    return session.execute(_DIRECTORY_VERSION).scalar_one_or_none() or 0


def load_directory(session: Session) -> Directory:
    """Every unit and person (a district's directory is hundreds of rows, read again only after a change)."""
    units = {u.id: UnitEntry(u.id, u.name, u.kind, u.active)
             for u in session.execute(select(Unit.id, Unit.name, Unit.kind, Unit.active))}
    people = {p.id: PersonEntry(p.id, p.name, p.unit_id, p.role, p.title, p.active,
                                units[p.unit_id].name if p.unit_id in units else "")
              for p in session.execute(select(Person.id, Person.name, Person.unit_id, Person.role, Person.title,
                                              Person.active))}
    return Directory(units, people)


def directory_changed(session: Session) -> None:
    """Called in the transaction that changes a unit or person: every copy reloads after it commits."""
    session.execute(update(DirectoryVersion).where(DirectoryVersion.id == 1)
                    .values(version=DirectoryVersion.version + 1))


def units_by_id(session: Session) -> dict[str, Unit]:
    return {u.id: u for u in session.scalars(select(Unit))}


@dataclass(frozen=True)
class ItemQuery:
    unit_ids: tuple[str, ...] = ()
    source: str = ""
    category: str = ""
    key_tracking: bool | None = None
    status: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    text: str = ""
    responsible_leader_id: str = ""
    # (colour, today, last due date that is still yellow): the light as a due-date range, so a light
    # filter lists exactly the items that show that light.
    light: tuple[str, dt.date, dt.date] | None = None


def filtered(query: ItemQuery, exact_number: bool = False, base: Select | None = None) -> Select:
    """`base` (default: select(Item)) narrowed to the items the query asks for."""
    stmt = select(Item) if base is None else base
    if query.unit_ids:
        stmt = stmt.where(
            select(ItemUnit.item_id)
            .where(and_(ItemUnit.item_id == Item.id, ItemUnit.unit_id.in_(query.unit_ids)))
            .correlate(Item)
            .exists()
        )
    if query.source:
        stmt = stmt.where(Item.source == query.source)
    if query.category:
        stmt = stmt.where(Item.category == query.category)
    if query.key_tracking is not None:
        stmt = stmt.where(Item.key_tracking == query.key_tracking)
    if query.status:
        stmt = stmt.where(Item.status == query.status)
    if query.due_from:
        stmt = stmt.where(Item.due_date >= query.due_from)
    if query.due_to:
        stmt = stmt.where(Item.due_date <= query.due_to)
    if query.responsible_leader_id:
        stmt = stmt.where(Item.responsible_leader_id == query.responsible_leader_id)
    if query.light:
        # lights.colour_by_dates in SQL: deadline against today and the yellow edge, raised by the
        # obligations past their day (the projection of tracking's and inspection's raisers) - to red
        # by a source that raises to red, to yellow by any other.
        colour, today, yellow_end = query.light
        open_ = Item.status.not_in(domain.CLOSED_STATUSES)
        raised = exists().where(LightRaiser.item_id == Item.id, LightRaiser.due_on < today)
        raised_red = exists().where(LightRaiser.item_id == Item.id, LightRaiser.due_on < today,
                                    LightRaiser.source.in_(lights.sources_raising_to(lights.RED)))
        if colour == "red":
            stmt = stmt.where(open_, or_(Item.due_date < today, raised_red))
        elif colour == "yellow":
            stmt = stmt.where(open_, Item.due_date >= today, or_(Item.due_date <= yellow_end, raised), ~raised_red)
        else:
            stmt = stmt.where(open_, Item.due_date > yellow_end, ~raised)  # a closed item has no light
    if query.text:
        if exact_number:
            # A registration number: look it up through its index instead of scanning every title.
            stmt = stmt.where(or_(Item.item_no == query.text, Item.legacy_no == query.text))
        else:
            # The text is matched as typed: % and _ are characters to find, not wildcards ("q=%" used to
            # match every item).
            escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            stmt = stmt.where(or_(*(column.like(pattern, escape="\\")
                                    for column in (Item.item_no, Item.title, Item.content))))
    return stmt


def encode_token(item: Item) -> str:
    raw = json.dumps([item.registered_on.isoformat(), item.seq]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> tuple[dt.date, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        day, seq = json.loads(base64.urlsafe_b64decode(padded))
        return dt.date.fromisoformat(day), int(seq)
    except (ValueError, TypeError):
        raise InvalidInput("bad page_token", {"page_token": "分页标记无效"}) from None


def list_items(
    session: Session, query: ItemQuery, page_size: int, page_token: str, include_total: bool
) -> tuple[list[Item], str, int]:
    """One page of the ledger, newest registration first; keyset paging keeps deep pages fast.

    The order is (registered_on, seq) - seq, not the item number's text, so 2025-10000 follows 2025-9999 -
    and the row-value comparison is an index range on ix_items_ledger_order, however deep the page.
    """
    size = DEFAULT_PAGE if page_size <= 0 else min(page_size, MAX_PAGE)
    exact = bool(query.text) and session.scalar(
        select(Item.id).where(or_(Item.item_no == query.text, Item.legacy_no == query.text)).limit(1)
    ) is not None
    stmt = filtered(query, exact)
    if page_token:
        day, seq = decode_token(page_token)
        stmt = stmt.where(tuple_(Item.registered_on, Item.seq) < tuple_(day, seq))
    stmt = stmt.order_by(Item.registered_on.desc(), Item.seq.desc()).limit(size + 1)
    rows = list(session.scalars(stmt))
    next_token = encode_token(rows[size - 1]) if len(rows) > size else ""
    total = 0
    if include_total:
        total = session.execute(select(func.count()).select_from(filtered(query, exact).subquery())).scalar_one()
    return rows[:size], next_token, total


# What a listed item's message and light need, read as plain rows: a page of 50 costs a few
# milliseconds less without building and tracking 50 ORM objects (the session is read-only anyway).
ITEM_COLUMNS = (
    Item.id, Item.item_no, Item.title, Item.content, Item.source, Item.category, Item.key_tracking,
    Item.responsible_leader_id, Item.responsible_leader_name, Item.responsible_leader_unit,
    Item.responsible_person_id, Item.responsible_person_name, Item.responsible_person_unit,
    Item.supervisor_id, Item.supervisor_name, Item.supervisor_unit, Item.registered_on, Item.seq,
    Item.assigned_on, Item.due_date, Item.due_date_reason, Item.due_date_provisional, Item.status,
    Item.supervision_status, Item.result, Item.closure_signature, Item.extension_reason,
    Item.extension_signature, Item.remarks, Item.version, Item.created_at, Item.updated_at, Item.legacy_no,
    Item.follow_up_of, Item.follow_up_of_no, Item.origin_finding_id, Item.origin_bulletin_id, Item.assessment_year,
)
_ITEM_ROWS = select(*ITEM_COLUMNS)  # built once: coercing 35 columns cost more than running the query
_UNITS_OF = (select(ItemUnit.item_id, ItemUnit.unit_id, ItemUnit.unit_name, ItemUnit.role, ItemUnit.duty)
             .where(ItemUnit.item_id.in_(bindparam("ids", expanding=True)))
             .order_by(ItemUnit.item_id, ItemUnit.position))


@dataclass(frozen=True)
class ItemPage:
    rows: Sequence[Row[Any]]  # ITEM_COLUMNS, in ledger order
    units: dict[str, list[Any]]  # item id -> rows (item_id, unit_id, unit_name, role, duty), lead first
    next_token: str
    total: int


def list_item_rows(
    session: Session, query: ItemQuery, page_size: int, page_token: str, include_total: bool
) -> ItemPage:
    """list_items as rows: the same page, order, token and total, with each item's units in one query.
    Run on the session's connection: plain Core rows, without the ORM's result processing."""
    size = DEFAULT_PAGE if page_size <= 0 else min(page_size, MAX_PAGE)
    exact = bool(query.text) and session.scalar(
        select(Item.id).where(or_(Item.item_no == query.text, Item.legacy_no == query.text)).limit(1)
    ) is not None
    stmt = filtered(query, exact, _ITEM_ROWS)
    if page_token:
        day, seq = decode_token(page_token)
        stmt = stmt.where(tuple_(Item.registered_on, Item.seq) < tuple_(day, seq))
    stmt = stmt.order_by(Item.registered_on.desc(), Item.seq.desc()).limit(size + 1)
    connection = session.connection()
    rows = connection.execute(stmt).all()
    next_token = encode_token(rows[size - 1]) if len(rows) > size else ""  # type: ignore[arg-type]
    rows = rows[:size]
    units: dict[str, list[Any]] = {}
    if rows:
        for unit in connection.execute(_UNITS_OF, {"ids": [r.id for r in rows]}).all():
            units.setdefault(unit.item_id, []).append(unit)
    total = 0
    if include_total:
        total = session.execute(select(func.count()).select_from(filtered(query, exact).subquery())).scalar_one()
    return ItemPage(rows, units, next_token, total)


def iter_items(session: Session, query: ItemQuery, batch: int = 1000) -> Iterator[Item]:
    """Every matching item in ledger order, fetched in batches (for streaming exports)."""
    token = ""
    while True:
        rows, token, _ = list_items(session, query, batch, token, False)
        yield from rows
        if not token:
            return


# Built once, the ids bound as one expanding parameter: a page's 50 ids are not coerced one by one.
_RAISED = (select(LightRaiser.item_id, LightRaiser.source, func.count())
           .where(LightRaiser.item_id.in_(bindparam("ids", expanding=True)), LightRaiser.due_on < bindparam("today"))
           .group_by(LightRaiser.item_id, LightRaiser.source))


def raised_counts(session: Session, item_ids: list[str], today: dt.date) -> dict[str, dict[str, int]]:
    """Per item, how many obligations per source are past their day: what raises its light today."""
    if not item_ids:
        return {}
    found: dict[str, dict[str, int]] = {}
    for item_id, source, count in session.connection().execute(_RAISED, {"ids": item_ids, "today": today}).all():
        found.setdefault(item_id, {})[source] = count
    return found
