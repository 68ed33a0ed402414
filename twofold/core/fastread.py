"""Reads that every request makes, compiled once per process instead of once per request.

Each request reads its session, its user and the user's memberships. Through the ORM each of
those reads spends most of its time building and compiling the query (~1.2 ms apiece on the
reference machine, against ~0.1 ms for the database): :class:`FastRead` keeps the SQL and the
column converters of one fixed read per database connection and builds the same model instances
the ORM would (``Model.from_db``, the backend's and the fields' converters applied in the ORM's
order, a joined forward relation cached as ``select_related`` caches it).

Only for reads whose shape never changes: a fixed ``WHERE`` with positional parameters. The
tests compare every field of what it builds with the ORM's instances on both databases.
"""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)
N = TypeVar("N", bound=models.Model)

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Part:
    model: type[models.Model]
    attnames: list[str]
    start: int
    stop: int
    converters: list[tuple[int, list[Converter], Any]]
    pk: int  # the row index of the primary key


@dataclass(frozen=True)
class _Compiled:
    sql: str
    parts: list[_Part]


def _part(
    model: type[models.Model],
    alias: str,
    start: int,
    connection: Any,
    deferred: frozenset[str] = frozenset(),
) -> tuple[_Part, str]:
    fields = [f for f in model._meta.concrete_fields if f.name not in deferred]
    qn = connection.ops.quote_name
    converters: list[tuple[int, list[Converter], Any]] = []
    for i, field in enumerate(fields):
        col = field.get_col(alias)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((start + i, found, col))
    columns = ", ".join(f"{alias}.{qn(str(f.column))}" for f in fields)
    pk_field = model._meta.pk
    assert pk_field is not None
    pk = start + fields.index(pk_field)
    part = _Part(model, [f.attname for f in fields], start, start + len(fields), converters, pk)
    return part, columns


class FastRead(Generic[M]):
    """``SELECT`` every concrete column of ``model`` (alias ``t``) — and of the models of the
    forward foreign keys ``related`` (aliases ``r``, ``r2``, ``r3``…, joined as
    ``select_related`` joins them: ``INNER`` for a required key, ``LEFT OUTER`` for a nullable
    one, whose relation is then cached as ``None`` when empty) — ``WHERE where ORDER BY
    order_by`` (``LIMIT %s`` after it when ``limited``: the limit is the last parameter).

    ``where`` and ``order_by`` are SQL over those aliases with ``%s`` placeholders; write column
    names as the database has them (``t.user_id``, ``r.name``). ``defer`` names fields of
    ``model`` left unread, as ``QuerySet.defer`` leaves them (read on first access). ``extra``
    maps attribute names to a function of the connection's alias giving an SQL expression
    without parameters: its value, as the driver gives it, is set on each instance as the
    ORM's ``annotate`` sets one.
    """

    def __init__(
        self,
        model: type[M],
        where: str,
        *,
        order_by: str = "",
        related: str | tuple[str, ...] | None = None,
        limited: bool = False,
        defer: tuple[str, ...] = (),
        extra: dict[str, Callable[[str], str]] | None = None,
    ) -> None:
        self.model = model
        self.limited = limited
        self.extra = dict(extra or {})
        for name in defer:  # a typo would silently read everything
            field = model._meta.get_field(name)
            assert field.concrete and not field.primary_key, f"{name} cannot be deferred"
        self.defer = frozenset(defer)
        self.where = where
        self.order_by = order_by
        self.related: tuple[str, ...] = (
            () if related is None else (related,) if isinstance(related, str) else related
        )
        # Per connection object: the converters are bound to that connection's operations.
        self._compiled: weakref.WeakKeyDictionary[Any, _Compiled] = weakref.WeakKeyDictionary()

    def _compile(self, connection: Any) -> _Compiled:
        compiled = self._compiled.get(connection)
        if compiled is not None:
            return compiled
        qn = connection.ops.quote_name
        main, columns = _part(self.model, "t", 0, connection, self.defer)
        parts, selects = [main], [columns]
        source = f"{qn(self.model._meta.db_table)} t"
        for number, name in enumerate(self.related, start=1):
            fk = self.model._meta.get_field(name)
            assert isinstance(fk, models.ForeignKey), f"{name} is not a foreign key"
            target: type[models.Model] = fk.remote_field.model
            alias = "r" if number == 1 else f"r{number}"
            other, columns = _part(target, alias, parts[-1].stop, connection)
            parts.append(other)
            selects.append(columns)
            target_pk = target._meta.pk
            assert target_pk is not None
            join = "LEFT OUTER JOIN" if fk.null else "INNER JOIN"
            source += (
                f" {join} {qn(target._meta.db_table)} {alias}"
                f" ON {alias}.{qn(str(target_pk.column))} = t.{qn(str(fk.column))}"
            )
        extras = [expression(connection.alias) for expression in self.extra.values()]
        sql = f"SELECT {', '.join(selects + extras)} FROM {source} WHERE {self.where}"  # noqa: S608
        if self.order_by:
            sql += f" ORDER BY {self.order_by}"
        if self.limited:
            sql += " LIMIT %s"
        compiled = _Compiled(sql, parts)
        self._compiled[connection] = compiled
        return compiled

    def _sql_for(self, connection: Any, params: Sequence[Any]) -> str:
        return self._compile(connection).sql

    def all(self, params: Sequence[Any]) -> list[M]:
        """The instances the read finds, in its order."""
        using = router.db_for_read(self.model)
        connection = connections[using]
        compiled = self._compile(connection)
        rows = _fetch(self, connection, compiled.sql, params)
        related_fields = [self.model._meta.get_field(name) for name in self.related]
        main, joined = compiled.parts[0], compiled.parts[1:]
        out: list[M] = []
        for raw in rows:
            row = _converted(raw, compiled.parts, connection)
            obj = main.model.from_db(using, main.attnames, row[main.start : main.stop])
            if self.extra:  # after every part's columns
                for name, value in zip(self.extra, row[-len(self.extra) :], strict=True):
                    obj.__dict__[name] = value
            for field, part in zip(related_fields, joined, strict=True):
                # The joined row's primary key is NULL when the key was empty (an outer join).
                other = (
                    None
                    if row[part.pk] is None
                    else part.model.from_db(using, part.attnames, row[part.start : part.stop])
                )
                field.set_cached_value(obj, other)  # type: ignore[union-attr]
            out.append(obj)  # type: ignore[arg-type]
        return out

    def first(self, params: Sequence[Any]) -> M | None:
        """The first instance found, or ``None``."""
        found = self.all(params)
        return found[0] if found else None


def _converted(raw: Sequence[Any], parts: list[_Part], connection: Any) -> list[Any]:
    """A fetched row with the backend's and the fields' converters applied, as the ORM does."""
    row = list(raw)
    for part in parts:
        for index, converters, col in part.converters:
            value = row[index]
            for convert in converters:
                value = convert(value, col, connection)
            row[index] = value
    return row


class FastPairs(Generic[M, N]):
    """Each row of ``model`` (alias ``t``) with the one row of ``other`` (alias ``o``) that
    ``LEFT OUTER JOIN … ON on`` finds for it, or ``None``: two reads (the rows, then their
    dependants) in one round trip, e.g. a target's field definitions with its values.

    ``on`` and ``where`` are SQL with ``%s`` placeholders, in that order in the parameters.
    ``other_fk`` names the foreign key of ``other`` to ``model``, cached on the ``other``
    instance as ``select_related`` would (no query to follow it back). At most one ``other``
    row may match a ``model`` row (``on`` must say so): a second one would repeat the row.
    """

    def __init__(
        self,
        model: type[M],
        other: type[N],
        other_fk: str,
        on: str,
        where: str,
        *,
        order_by: str = "",
    ) -> None:
        self.model, self.other = model, other
        fk = other._meta.get_field(other_fk)
        assert isinstance(fk, models.ForeignKey) and fk.remote_field.model is model
        self.fk: models.ForeignKey[Any, Any] = fk
        self.on, self.where, self.order_by = on, where, order_by
        self._compiled: weakref.WeakKeyDictionary[Any, _Compiled] = weakref.WeakKeyDictionary()

    def _compile(self, connection: Any) -> _Compiled:
        compiled = self._compiled.get(connection)
        if compiled is None:
            qn = connection.ops.quote_name
            main, columns = _part(self.model, "t", 0, connection)
            joined, other_columns = _part(self.other, "o", main.stop, connection)
            sql = (
                f"SELECT {columns}, {other_columns} FROM {qn(self.model._meta.db_table)} t"  # noqa: S608
                f" LEFT OUTER JOIN {qn(self.other._meta.db_table)} o ON {self.on}"
                f" WHERE {self.where}"
            )
            if self.order_by:
                sql += f" ORDER BY {self.order_by}"
            compiled = self._compiled[connection] = _Compiled(sql, [main, joined])
        return compiled

    def _sql_for(self, connection: Any, params: Sequence[Any]) -> str:
        return self._compile(connection).sql

    def pairs(self, params: Sequence[Any]) -> list[tuple[M, N | None]]:
        using = router.db_for_read(self.model)
        connection = connections[using]
        compiled = self._compile(connection)
        rows = _fetch(self, connection, compiled.sql, params)
        main, joined = compiled.parts
        out: list[tuple[M, N | None]] = []
        for raw in rows:
            row = _converted(raw, compiled.parts, connection)
            obj = main.model.from_db(using, main.attnames, row[main.start : main.stop])
            other = None
            if row[joined.pk] is not None:
                other = joined.model.from_db(
                    using, joined.attnames, row[joined.start : joined.stop]
                )
                self.fk.set_cached_value(other, obj)
            out.append((obj, other))  # type: ignore[arg-type]
        return out


class FastRows:
    """The rows of a fixed ``values_list`` query of ``model`` whose SQL is compiled once per
    database connection.

    ``build(*params)`` returns the query; its compiled parameters must be exactly ``params``, in
    order (checked when it is compiled), so a later call only substitutes its own. The rows are
    what the driver returns, without Django's converters: callers convert what they use.
    """

    def __init__(self, model: type[models.Model], build: Callable[..., Any]) -> None:
        self.model = model
        self.build = build
        self._sql: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    def _sql_for(self, connection: Any, params: Sequence[Any]) -> str:
        sql = self._sql.get(connection)
        if sql is None:
            sql, compiled = self.build(*params).query.sql_with_params()
            if list(compiled) != list(params):
                raise ValueError(f"the query's parameters are {compiled!r}, not {params!r}")
            self._sql[connection] = sql
        return sql

    def rows(self, *params: Any) -> list[tuple[Any, ...]]:
        connection = connections[router.db_for_read(self.model)]
        return _fetch(self, connection, self._sql_for(connection, params), params)


class RawRows:
    """The rows of one fixed SQL statement (``%s`` placeholders, portable SQL) on ``model``'s
    database: for a read the ORM would spend more time building than the database running
    (several conditional counts in one pass). As :class:`FastRows`, the driver's values."""

    def __init__(self, model: type[models.Model], sql: str) -> None:
        self.model = model
        self.sql = sql

    def _sql_for(self, connection: Any, params: Sequence[Any]) -> str:
        return self.sql

    def rows(self, *params: Any) -> list[tuple[Any, ...]]:
        connection = connections[router.db_for_read(self.model)]
        return _fetch(self, connection, self.sql, params)


# --- Several reads in one round trip ------------------------------------------------------------

Reader = FastRead[Any] | FastPairs[Any, Any] | FastRows | RawRows
Read = tuple[Reader, Sequence[Any]]  # a read and its parameters
# Rows read ahead in this context, by (reader, parameters): each taken by the first call.
_AHEAD: ContextVar[dict[tuple[int, tuple[Any, ...]], list[tuple[Any, ...]]] | None] = ContextVar(
    "twofold_reads_ahead", default=None
)


def _fetch(reader: Reader, connection: Any, sql: str, params: Sequence[Any]) -> list[Any]:
    """The rows of ``sql``: read ahead by :func:`one_round_trip`, else read now."""
    ahead = _AHEAD.get()
    key = _key(reader, params) if ahead else None
    if ahead and key is not None:
        found = ahead.pop(key, None)
        if found is not None:
            return found
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows: list[Any] = cursor.fetchall()
    return rows


def _key(reader: Reader, params: Sequence[Any]) -> tuple[int, tuple[Any, ...]] | None:
    key = (id(reader), tuple(params))
    try:
        hash(key)
    except TypeError:  # an unhashable parameter: not read ahead
        return None
    return key


@contextmanager
def one_round_trip(reads: Sequence[tuple[Reader, Sequence[Any]]]) -> Iterator[None]:
    """Send ``reads`` (each a compiled read with its parameters) to PostgreSQL at once and
    take their answers in one round trip (psycopg's pipeline mode); inside the block, the
    first call of each read with those parameters uses the answer instead of a query.

    For a page that shows independent panels (a task's checklist, history, comments…) read in
    different places: on PostgreSQL each query waits ~0.15 ms for the server to wake and
    answer, which the reads then share. On SQLite (no round trips) nothing is read ahead and
    each read runs where it is called, as without the block. A read called with other
    parameters, a second time, or after the block queries as usual, so the block is only an
    optimisation: use it where nothing in it writes (a ``GET`` page), since an answer read ahead
    does not see a write made after it. The queries are logged as Django logs its own (query
    counts in tests stay the statements run). Inside another block, the reads that block has
    not sent are sent, and kept with its own until it ends.
    """
    outer = _AHEAD.get()
    if outer is not None:  # inside another block: read ahead only what it has not
        fresh = _read_ahead([(r, p) for r, p in reads if _key(r, p) not in outer])
        outer.update(fresh or {})
        yield
        return
    token = _AHEAD.set(_read_ahead(reads))
    try:
        yield
    finally:
        _AHEAD.reset(token)


@functools.cache
def _pipelines() -> bool:
    """psycopg's pipeline mode needs libpq 14 or later (the binary wheel has its own); with an
    older system libpq every read runs where it is called."""
    import psycopg

    return bool(psycopg.capabilities.has_pipeline())


def _read_ahead(
    reads: Sequence[tuple[Reader, Sequence[Any]]],
) -> dict[tuple[int, tuple[Any, ...]], list[tuple[Any, ...]]] | None:
    aliases = {router.db_for_read(reader.model) for reader, _params in reads}
    if len(reads) < 2 or len(aliases) != 1:
        return None
    connection = connections[aliases.pop()]
    if connection.vendor != "postgresql" or not _pipelines():
        return None
    statements = [
        (reader, reader._sql_for(connection, params), list(params)) for reader, params in reads
    ]
    with connection.cursor():  # connects, or checks the connection as Django does first
        pass
    raw = connection.connection
    started = time.monotonic()
    with connection.wrap_database_errors:
        with raw.pipeline():
            cursors = []
            for _reader, sql, params in statements:
                cursor = raw.cursor()
                cursor.execute(sql, params)
                cursors.append(cursor)
        answers = [cursor.fetchall() for cursor in cursors]
    if connection.queries_logged:
        each = (time.monotonic() - started) / len(statements)
        for _reader, sql, params in statements:
            connection.queries_log.append({"sql": f"{sql} -- {params!r}", "time": f"{each:.3f}"})
    ahead: dict[Any, list[tuple[Any, ...]]] = {}
    for (reader, _sql, params), rows in zip(statements, answers, strict=True):
        ahead[_key(reader, params)] = rows
    ahead.pop(None, None)
    return ahead
