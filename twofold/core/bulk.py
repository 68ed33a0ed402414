"""Inserting many rows fast: ids allocated in one query, rows written with one ``executemany``.

``bulk_create`` prepares every field of every object through the ORM's compiler (about 20 µs a
value: ~8 s for 10,000 tasks of 30 columns) and, to learn the ids of objects that others point
at, must insert them level by level. Here the caller allocates the ids first
(:func:`allocate_ids`), so rows can point at each other before anything is written, and passes
only the columns it sets as plain tuples (:func:`insert`); every other column gets the model
field's default, prepared once. No model instance is built, no signal is sent (as with
``bulk_create``).

Both must run inside one ``transaction.atomic`` block: on SQLite (``BEGIN IMMEDIATE``, see
``twofold.dburl``) that block holds the write lock, so the ids after the table's largest (and its
AUTOINCREMENT counter) stay free until the insert; on PostgreSQL they come from the table's
sequence. Allocate, insert, and only then allocate again for the same table.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

# Values of these field types go to the database driver as they are (ints, strings, bools).
_PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "FloatField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallAutoField",
    "SmallIntegerField",
    "TextField",
}


def _field_type(field: models.Field[Any, Any]) -> str:
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    return str(target.get_internal_type())


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """None when values need no preparation, else how one (not None) value is prepared."""
    kind = _field_type(field)
    if kind in _PLAIN:
        return None
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    return lambda value: field.get_db_prep_save(value, connection)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block without the cyclic garbage collector (re-enabled after, if it was on).

    Building tens of thousands of objects triggers collections that re-scan every object
    the process holds (Django, numpy, the parsed file): about 40 % of the CPU time of a
    10,000-task import. Reference counting still frees what the block drops; cycles made
    meanwhile wait for the next collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _default_maker(field: models.Field[Any, Any]) -> Callable[[], Any]:
    """A fresh prepared default per row (a callable default, such as a new UUID)."""
    return lambda: field.get_db_prep_save(field.get_default(), connection)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys of ``model`` (call inside ``transaction.atomic``)."""
    if count <= 0:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("allocate_ids must run inside transaction.atomic")
    meta = model._meta
    assert meta.pk is not None
    table, column = meta.db_table, str(meta.pk.column)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(connection.vendor)
        # Under the write lock of this transaction: past the largest id and the AUTOINCREMENT
        # counter (ids of deleted rows are never reused).
        cursor.execute(
            f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608 - quoted name
            f"coalesce((SELECT max({qn(column)}) FROM {qn(table)}), 0))",
            [table],
        )
        first = int(cursor.fetchone()[0]) + 1
    return list(range(first, first + count))


def insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT ``rows`` (tuples in the order of ``columns``, attribute names such as ``id`` or
    ``project_id``) into ``model``'s table in one ``executemany``; the other columns get their
    field's default (a callable default is called per row; ``auto_now(_add)``: now)."""
    meta = model._meta
    fields = {f.attname: f for f in meta.concrete_fields}
    unknown = [c for c in columns if c not in fields]
    if unknown:
        raise ValueError(f"{meta.label} has no column {unknown[0]!r}")
    converters = [_converter(fields[c]) for c in columns]
    constants: list[tuple[str, Any]] = []
    per_row: list[tuple[str, Callable[[], Any]]] = []
    now = timezone.now()
    for name, field in fields.items():
        if name in columns:
            continue
        if field.primary_key:
            raise ValueError(f"{meta.label}: give the ids (allocate_ids)")
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            constants.append((name, field.get_db_prep_save(now, connection)))
        elif field.has_default() and callable(field.default):
            per_row.append((name, _default_maker(field)))
        else:
            constants.append((name, field.get_db_prep_save(field.get_default(), connection)))
    names = [*columns, *(n for n, _ in constants), *(n for n, _ in per_row)]
    fixed = tuple(v for _, v in constants)
    makers = [make for _, make in per_row]
    qn = connection.ops.quote_name
    head = (
        "INSERT OR IGNORE INTO"
        if ignore_conflicts and connection.vendor == "sqlite"
        else "INSERT INTO"
    )
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts and connection.vendor != "sqlite" else ""
    sql = "{} {} ({}) VALUES ({}){}".format(
        head,
        qn(meta.db_table),
        ", ".join(qn(str(fields[n].column)) for n in names),
        ", ".join(["%s"] * len(names)),
        tail,
    )
    if any(converters):
        prepared: Iterable[Sequence[Any]] = (
            [
                c(v) if c is not None and v is not None else v
                for c, v in zip(converters, row, strict=True)
            ]
            for row in rows
        )
    else:
        prepared = rows
    params = [(*row, *fixed, *(make() for make in makers)) for row in prepared]
    if not params:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
