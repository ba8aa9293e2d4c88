"""insert_rows writes what a Core insert writes (dates, UTC instants, text), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Column, Date, ForeignKey, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from libs.common.bulk import insert_rows
from libs.common.db import insert_new, make_engine
from libs.common.sqltypes import UtcDateTime
from libs.common.testing import postgres_database

metadata = MetaData()
rows_table = Table(
    "bulk_rows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("name", String(50), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/bulk.db")
        yield engine
        engine.dispose()
    else:
        with postgres_database("duban_bulk") as url:
            engine = make_engine(url)
            yield engine
            engine.dispose()


@pytest.mark.parametrize("count", [1, 2, 1000])  # one INSERT, executemany, COPY on PostgreSQL
def test_rows_read_back_like_core_inserts(engine, count) -> None:
    metadata.create_all(engine)
    beijing = dt.timezone(dt.timedelta(hours=8))
    at = dt.datetime(2026, 11, 26, 9, 0, 0, 123456, tzinfo=beijing)
    days = [dt.date(2026, 12, 31), dt.date(2027, 1, 1)]
    with engine.begin() as conn:
        written = insert_rows(conn, rows_table, ("day", "name", "at"),
                              [(days[i % 2], f"督查室{i}", at) for i in range(count)])
        conn.execute(insert(rows_table), [{"day": days[0], "name": "core", "at": at}])
        assert insert_rows(conn, rows_table, ("day", "name", "at"), []) == 0
    assert written == count
    with engine.connect() as conn:
        got = conn.execute(select(rows_table).order_by(rows_table.c.id)).all()
    assert len(got) == count + 1
    assert got[0].day == days[0] and got[0].name == "督查室0" and got[-1].name == "core"
    if count > 1:
        assert got[1].day == days[1] and got[1].name == "督查室1"
    assert {r.at for r in got} == {at.astimezone(dt.UTC)}  # same instant, read back in UTC
    with engine.connect() as conn:  # comparisons see bulk rows and Core rows alike (same stored form)
        same = conn.execute(select(rows_table.c.name).where(rows_table.c.at == at, rows_table.c.day == days[0])).all()
    assert len(same) == (count + 1) // 2 + 1


def test_insert_new_applies_defaults_and_leaves_objects_readable(engine) -> None:
    class Base(DeclarativeBase):
        pass

    class Parent(Base):
        __tablename__ = "bulk_parents"
        id: Mapped[str] = mapped_column(String(10), primary_key=True)
        status: Mapped[str] = mapped_column(String(10), default="registered")
        note: Mapped[str | None] = mapped_column(String(10))

    class Child(Base):
        __tablename__ = "bulk_children"
        serial: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
        parent_id: Mapped[str] = mapped_column(ForeignKey("bulk_parents.id"))
        name: Mapped[str] = mapped_column(String(10))

    Base.metadata.create_all(engine)
    parent = Parent(id="p1")
    children = [Child(parent_id="p1", name=n) for n in ("a", "b")]
    with Session(engine) as session:
        insert_new(session, [parent, *children])
        session.commit()
    assert (parent.status, parent.note) == ("registered", None)  # the default is on the object too
    with Session(engine) as session:
        stored = session.get(Parent, "p1")
        assert stored is not None and stored.status == "registered"
        assert [(c.serial, c.name) for c in session.query(Child).order_by(Child.serial)] == [(1, "a"), (2, "b")]
