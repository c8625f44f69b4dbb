"""Multi-row INSERTs without the ORM's query compiler, for the writes made under the head lock.

Recording an event writes its entry, tree nodes and projection rows while every other writer
waits for the ledger head, and compiling a `bulk_create` (placeholders and conversions per
field and row) costs more there than the inserts themselves. Values go to the driver as they
are, except times and JSON, which are adapted as the ORM adapts them; callers pass the stored
types (ids for foreign keys, `str`, `int`, `bool`, `bytes`, aware datetimes, JSON values).
"""

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.db import connection, models

MAX_PARAMETERS = 5000  # per SQLite statement: well inside its limit of 32,766


def rows_insert(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence],
    *,
    returning: str | None = None,
    ignore_conflicts: bool = False,
) -> list:
    """Insert `rows` (values in the order of the fields `names`) into `model`'s table.

    With `returning`, that field's values of the new rows come back in the order of `rows`
    (PostgreSQL and SQLite 3.35+ return the rows of such an INSERT in order; Django's
    `bulk_create` relies on the same). With `ignore_conflicts`, rows that would break a
    unique constraint are skipped.
    """
    returned = []
    with connection.cursor() as cursor:
        for sql, params in insert_statements(
            model, names, rows, returning=returning, ignore_conflicts=ignore_conflicts
        ):
            cursor.execute(sql, params)
            if returning:
                returned.extend(row[0] for row in cursor.fetchall())
    return returned


def insert_statements(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence],
    *,
    returning: str | None = None,
    ignore_conflicts: bool = False,
) -> list[tuple[str, list]]:
    """The (sql, params) that insert `rows`, as `rows_insert` runs them: none for no rows, one
    on PostgreSQL, one per MAX_PARAMETERS values on SQLite."""
    if not rows:
        return []
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    adapters = [_adapter(field) for field in fields]
    values = [
        [value if adapt is None else adapt(value) for adapt, value in zip(adapters, row, strict=True)]
        for row in rows
    ]
    insert = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)})"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += f" RETURNING {quote(meta.get_field(returning).column)}"
    if connection.vendor == "postgresql" and len(values) > 1:
        # One array per column, as Django's bulk_create does on PostgreSQL: a placeholder per
        # column whatever the row count, where VALUES has the driver parse one per value.
        arrays = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
        return [
            (
                f"{insert} SELECT * FROM unnest({arrays}){tail}",
                [list(column) for column in zip(*values, strict=True)],
            )
        ]
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = (
        len(values) if connection.vendor == "postgresql" else max(1, MAX_PARAMETERS // len(fields))
    )
    statements = []
    for first in range(0, len(values), per_statement):
        chunk = values[first : first + per_statement]
        params = [value for row in chunk for value in row]
        statements.append((f"{insert} VALUES {', '.join([row_sql] * len(chunk))}{tail}", params))
    return statements


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a value of `field` must be adapted for the driver, or None if it goes as it is."""
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        return partial(connection.ops.adapt_json_value, encoder=field.encoder)
    return None


def rows_update(model: type[models.Model], key: str, names: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Set the fields `names` of the rows of `model` whose field `key` is each row's first value
    (rows are `(key value, *values in the order of names)`): one statement on PostgreSQL
    (`UPDATE … FROM unnest(…)`), one executed per row on SQLite."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in (key, *names)]
    quote = connection.ops.quote_name
    adapters = [_adapter(field) for field in fields]
    values = [
        [value if adapt is None else adapt(value) for adapt, value in zip(adapters, row, strict=True)]
        for row in rows
    ]
    table, columns = quote(meta.db_table), [quote(field.column) for field in fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
            assignments = ", ".join(f"{column} = given.{column}" for column in columns[1:])
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS given({', '.join(columns)})"
                f" WHERE {table}.{columns[0]} = given.{columns[0]}",
                [list(column) for column in zip(*values, strict=True)],
            )
        else:
            assignments = ", ".join(f"{column} = %s" for column in columns[1:])
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {columns[0]} = %s",
                [[*row[1:], row[0]] for row in values],
            )
