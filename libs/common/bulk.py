"""Many rows into one table through the driver's executemany, for jobs that write tens of thousands.

SQLAlchemy's Core insert builds and processes a parameter dict per row, which at 100k rows costs more
than the database's own work. Here each column's bind processing (UTC datetimes, dates on SQLite) runs
once per distinct value - a sweep's rows share their day and instant - and the tuples go straight to
the driver: executemany on SQLite, COPY on PostgreSQL. Only for plain INSERTs of already validated
values; everything else uses the ORM or Core.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table

# Below this many rows COPY's extra round trips (start, data, end) cost more than the INSERTs it saves.
COPY_FROM = 50


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    dialect = connection.dialect
    quote = dialect.identifier_preparer
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    memo: list[dict[object, object]] = [{} for _ in columns]
    converting = [i for i, p in enumerate(processors) if p is not None]

    def convert(row: Sequence[object]) -> tuple[object, ...]:
        if not converting:
            return tuple(row)
        values = list(row)
        for i in converting:
            value = values[i]
            seen = memo[i]
            if value in seen:
                values[i] = seen[value]
            else:
                values[i] = seen[value] = processors[i](value)  # type: ignore[misc]
        return tuple(values)

    params = [convert(r) for r in rows]
    if not params:
        return 0
    if len(params) == 1:  # one event of a use case: a plain INSERT, one round trip
        connection.exec_driver_sql(sql, params[0])
    elif dialect.name == "postgresql" and len(params) >= COPY_FROM:
        # COPY is PostgreSQL's bulk path: one statement streams every row (executemany parses and
        # plans one INSERT per row). Same connection, so the same transaction.
        columns_sql = ", ".join(quote.quote(c) for c in columns)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {quote.format_table(table)} ({columns_sql}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
    else:
        connection.exec_driver_sql(sql, params)
    return len(params)
