"""Multi-row INSERTs without the ORM's query compiler, for the writes made under the head lock.

Recording an event writes its entry, tree nodes and projection rows while every other writer
waits for the ledger head, and compiling a `bulk_create` (placeholders and conversions per
field and row) costs more there than the inserts themselves. Values go to the driver as they
are, except times and JSON, which are adapted as the ORM adapts them; callers pass the stored
types (ids for foreign keys, `str`, `int`, `bool`, `bytes`, aware datetimes, JSON values).

`insert_prepare` goes further for the rows of a batch: it builds the whole statement before
the head lock, its rows quoted into the text (on PostgreSQL), so that under the lock it is only
sent; the entry seqs it holds are filled in then.
"""

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from psycopg import sql as psycopg_sql
from psycopg.types.json import Jsonb

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
    on PostgreSQL (its rows quoted into the text, params None), one per MAX_PARAMETERS values on
    SQLite."""
    if not rows:
        return []
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = _adapted_columns(rows, fields)
    insert = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)})"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += f" RETURNING {quote(meta.get_field(returning).column)}"
    if connection.vendor == "postgresql":
        # One array per column, as Django's bulk_create does on PostgreSQL, quoted into the text
        # here (Django's psycopg cursor binds on the client: it would quote them just the same)
        # so that columns quoted before the head lock (Quoted) are not quoted again.
        arrays = ", ".join(
            _array(column, _db_type(field)) for column, field in zip(columns, fields, strict=True)
        )
        return [(f"{insert} SELECT * FROM unnest({arrays}){tail}", None)]
    values = [[_unquoted(value) for value in row] for row in zip(*columns, strict=True)]
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, MAX_PARAMETERS // len(fields))
    statements = []
    for first in range(0, len(values), per_statement):
        chunk = values[first : first + per_statement]
        params = [value for row in chunk for value in row]
        statements.append((f"{insert} VALUES {', '.join([row_sql] * len(chunk))}{tail}", params))
    return statements


class Quoted(str):
    """A value already quoted as an SQL literal (by `prequote`, before the head lock), with the value."""

    value: Any


def prequote(model: type[models.Model], name: str, value: Any) -> Any:
    """`value` of the field `name` quoted for insert_statements, to do that before the head lock
    (on PostgreSQL; elsewhere the value as it is)."""
    if connection.vendor != "postgresql":
        return value
    adapt = _adapter(model._meta.get_field(name))
    quoted = Quoted(sql_literal(value if adapt is None else adapt(value)))
    quoted.value = value
    return quoted


def _unquoted(value: Any) -> Any:
    return value.value if isinstance(value, Quoted) else value


def sql_literal(value: Any) -> str:
    """`value` as an SQL literal, quoted by the driver (PostgreSQL)."""
    connection.ensure_connection()
    return psycopg_sql.Literal(value).as_string(connection.connection)


def _db_type(field: models.Field) -> str:
    return field.db_type(connection).split("(")[0]


def _array(values: Sequence, db_type: str) -> str:
    """An SQL array literal of `values` (Quoted or not) cast to `db_type[]`."""
    types = set(map(type, values))
    if types == {Quoted}:
        return f"ARRAY[{', '.join(values)}]::{db_type}[]"
    if Quoted in types:
        values = [_unquoted(value) for value in values]
    text = array_text(values)
    if text is None:
        return f"{sql_literal(values)}::{db_type}[]"
    return f"{sql_literal(text)}::{db_type}[]"


def _element(value: Any) -> str | None:
    """One element of a PostgreSQL array's text form, double-quoted; None for a type not handled."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        return "t" if value else "f"
    elif isinstance(value, int):
        return str(value)
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            return None
        text = value.isoformat()
    elif isinstance(value, Jsonb):
        text = (value.dumps or json.dumps)(value.obj)
    else:
        return None
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _texts(values: Sequence, kind: type) -> Sequence[str] | None:
    """The elements' texts, unquoted, of a column whose values are all of type `kind`; None if
    it is not a type array_text joins as a whole."""
    if kind is str:
        return values
    if kind is Jsonb:
        return [(value.dumps or json.dumps)(value.obj) for value in values]
    if issubclass(kind, datetime):
        formatted = {value: value.isoformat() for value in set(values)}
        if any(value.tzinfo is None for value in formatted):
            return None
        return [formatted[value] for value in values]
    return None


def array_text(values: Sequence) -> str | None:
    """The text form of a one-dimensional PostgreSQL array of `values` (str, int, bool, aware
    datetimes, Jsonb, None), built by joining strings: psycopg's own list dumper walks every
    element in Python and was the largest part of quoting a batch's rows (5,000-row transfers).
    Every element but NULL is double-quoted, with backslashes and quotes escaped, which the
    array input of every type reads as its text. None if a value is of another type.

    A column of one type (a batch's rows: thousands of codes, masses, one time, empty
    chemistries) is joined in a few calls over the whole column: integers and booleans bare;
    strings, JSON documents and times (each distinct one formatted once) joined with NUL,
    escaped as one string and then split into quoted elements (NUL is in no PostgreSQL text nor
    JSON document; a value holding one takes the element-by-element path)."""
    types = set(map(type, values))
    if types == {int}:
        return "{" + ",".join(map(str, values)) + "}"
    if types == {bool}:
        return "{" + ",".join(["t" if value else "f" for value in values]) + "}"
    if len(types) == 1:
        texts = _texts(values, next(iter(types)))
        if texts is not None:
            joined = "\0".join(texts)
            if joined.count("\0") == len(texts) - 1:
                if "\\" in joined or '"' in joined:
                    joined = joined.replace("\\", "\\\\").replace('"', '\\"')
                return '{"' + joined.replace("\0", '","') + '"}'
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
            continue
        part = _element(value)
        if part is None:
            return None
        parts.append(part)
    return "{" + ",".join(parts) + "}"


def _adapted_columns(rows: Sequence[Sequence], fields: Sequence[models.Field]) -> list[list]:
    """The rows' values column by column (one list per field), each adapted for the driver as
    the ORM adapts it (see _adapter); values already quoted (Quoted) are left as they are.
    Column by column, the adapter is looked up once per field, not once per value."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    if len(columns) != len(fields):
        raise ValueError(f"rows of {len(columns)} values for {len(fields)} fields")
    for index, field in enumerate(fields):
        adapt = _adapter(field)
        if adapt is not None:
            columns[index] = [
                value if isinstance(value, Quoted) else adapt(value) for value in columns[index]
            ]
    return columns


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
    adapted = _adapted_columns(rows, fields)
    table, columns = quote(meta.db_table), [quote(field.column) for field in fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The arrays quoted into the text (as insert_statements does): no parameters to bind.
            arrays = [_array(column, _db_type(field)) for column, field in zip(adapted, fields, strict=True)]
            assignments = ", ".join(f"{column} = given.{column}" for column in columns[1:])
            # The rows are found by their keys as a semi-join on the unnested keys (as AnyOf): the
            # join to the given rows alone was planned, with or without statistics, as a hash join
            # over every row of the table (a transfer's 5,000 lots: a scan of every lot ever made).
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({', '.join(arrays)})"
                f" AS given({', '.join(columns)})"
                f" WHERE {table}.{columns[0]} = given.{columns[0]}"
                f" AND {table}.{columns[0]} IN (SELECT unnest({arrays[0]}))"
            )
        else:
            assignments = ", ".join(f"{column} = %s" for column in columns[1:])
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {columns[0]} = %s",
                [[*row[1:], row[0]] for row in zip(*adapted, strict=True)],
            )


BASE = "{head_seq}"  # in a prepared statement's text, where the head's seq goes
# Before the head lock, the entries of a transaction have the seqs STAND_IN_SEQ, STAND_IN_SEQ + 1,
# …: after every entry there is, as their real seqs will be.
STAND_IN_SEQ = 1 << 62


class Prepared:
    """An INSERT built before the head lock; `run(head_seq)` executes it under the lock.

    In the given rows, values of the `seqs` columns from STAND_IN_SEQ on stand for the seqs of
    this transaction's entries (STAND_IN_SEQ the first): `head_seq` + 1 + their offset.
    """

    def __init__(self, head: str, select: str, tail: str, params: list | None, rows: list) -> None:
        self._head, self._select, self._tail = head, select, tail
        self._params, self._rows = params, rows

    def run(self, head_seq: int) -> int:
        """Insert the rows, the seqs filled in; the number of rows inserted."""
        select = self._select.replace(BASE, str(int(head_seq)))
        with connection.cursor() as cursor:
            if self._params is None:  # PostgreSQL: the rows are in the text
                cursor.execute(self._head + select + self._tail)
                return cursor.rowcount
            inserted = 0
            for text, params in self._rows:
                cursor.execute(text.replace(BASE, str(int(head_seq))), params)
                inserted += cursor.rowcount
            return inserted


def insert_prepare(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence],
    *,
    seqs: Sequence[str] = (),
    codes: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> Prepared | None:
    """`rows` (values in the order of the fields `names`) of `model`, ready to insert; None if
    there are none. Columns in `seqs` hold entry seqs (see Prepared); foreign keys in `codes`
    are given by the `code` of the row they point to, looked up as the statement runs (so they
    may name rows that an earlier statement of the same transaction inserts)."""
    if not rows:
        return None
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in fields]
    adapted = _adapted_columns(rows, fields)
    expressions = []
    for name, field, column in zip(names, fields, columns, strict=True):
        given = f"given.{column}"
        if name in seqs:
            expressions.append(
                f"CASE WHEN {given} >= {STAND_IN_SEQ}"
                f" THEN {BASE} + 1 + {given} - {STAND_IN_SEQ} ELSE {given} END"
            )
        elif name in codes:
            target = field.related_model._meta
            expressions.append(
                f"(SELECT {quote(target.pk.column)} FROM {quote(target.db_table)}"
                f" WHERE {quote(target.get_field('code').column)} = {given})"
            )
        else:
            expressions.append(given)
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) SELECT "
    select = ", ".join(expressions)
    conflicts = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    types = ["text" if name in codes else _db_type(field) for name, field in zip(names, fields, strict=True)]
    if connection.vendor == "postgresql":
        arrays = ", ".join(_array(column, type_) for column, type_ in zip(adapted, types, strict=True))
        tail = f" FROM unnest({arrays}) AS given({', '.join(columns)}){conflicts}"
        return Prepared(head, select, tail, None, [])
    # SQLite: a VALUES list per MAX_PARAMETERS values, named by a common table expression.
    per_statement = max(1, MAX_PARAMETERS // len(fields))
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = list(zip(*adapted, strict=True))
    statements = []
    for first in range(0, len(values), per_statement):
        chunk = values[first : first + per_statement]
        statements.append(
            (
                # The WITH goes inside the INSERT: sqlite3 counts the rows of statements that
                # start with INSERT only.
                f"{head.removesuffix('SELECT ')}WITH given ({', '.join(columns)}) AS "
                f"(VALUES {', '.join([row_sql] * len(chunk))}) "
                f"SELECT {select} FROM given WHERE true{conflicts}",
                [value for row in chunk for value in row],
            )
        )
    return Prepared(head, select, "", [], statements)


class AnyOf(models.Lookup):
    """`field__any_of=values`: the field is one of a long list of plain values (codes, ids).

    As `__in`, but compiled in one piece: on PostgreSQL `IN (SELECT unnest(%s::type[]))` with the
    list bound as one array text (array_text), elsewhere `IN (%s, …)`. Django's `__in` prepares,
    normalises and binds every element in Python: for the thousands of codes of a batch that was
    most of the time of looking them up. The semi-join on the unnested array is planned as a probe
    of the field's index per value whatever the planner knows of the table; `= ANY(array)` and
    `IN (list)` of thousands of values were planned as a sequential scan of every lot whenever the
    table had no statistics yet (or, joined to the lots' holders, as a scan of every holder row
    with them), so a batch's cost grew with the history. An empty list matches nothing, as `__in`
    does."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            text = array_text(self.rhs)
            if text is not None:
                return (
                    f"{lhs} IN (SELECT unnest(%s::{_db_type(self.lhs.output_field)}[]))",
                    [*lhs_params, text],
                )
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection, prepared=False) for value in self.rhs]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
