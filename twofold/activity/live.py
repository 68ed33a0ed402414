"""Live pages by cheap conditional polling (docs/architecture.md, "Live pages").

A page that shows a subject (a project's board, task table and Gantt; a queue's board; a
request) carries the subject's change counter; ``static/activity/live.js`` asks
``/live/<key>/`` every second with ``If-None-Match``. The answer is 304 until a recorded change
raised the counter, then 200 with the new one, and the page fetches itself again and swaps the
regions marked ``data-live-region`` (never one the viewer is typing in).

Counters are rows, raised with one ``UPDATE … SET version = version + 1`` after the commit of
each change, so any number of app processes on SQLite or PostgreSQL agree without a broker.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.apps import apps
from django.core import signing
from django.db import connections, models, router, transaction
from django.db.models import F

from twofold.activity.models import LiveVersion
from twofold.activity.scopes import LIVE
from twofold.core.fastread import FastRows, Read

logger = logging.getLogger(__name__)

SUBJECTS = {
    "project": "projects.Project",
    "queue": "operations.Queue",
    "request": "operations.Request",
}
PREFIXES = set(SUBJECTS)


def key_for(prefix: str, pk: int) -> str:
    return f"{prefix}-{pk}"


def bump(organisation_id: int, keys: list[str]) -> None:
    """Raise the counters of ``keys`` (creating missing ones).

    The ``UPDATE`` is written once here rather than built by the ORM on every change (most of
    the ~0.25 ms it cost after each write's commit on PostgreSQL was building it)."""
    connection = connections[router.db_for_write(LiveVersion)]
    qn = connection.ops.quote_name
    table, key_column, version_column = (
        qn(LiveVersion._meta.db_table),
        qn(str(LiveVersion._meta.get_field("key").column)),
        qn(str(LiveVersion._meta.get_field("version").column)),
    )
    raise_one = (
        f"UPDATE {table} SET {version_column} = {version_column} + 1"  # noqa: S608
        f" WHERE {key_column} = %s"
    )
    for key in keys:
        with connection.cursor() as cursor:
            cursor.execute(raise_one, [key])
            if cursor.rowcount:
                continue
        LiveVersion.objects.bulk_create(
            [LiveVersion(key=key, organisation_id=organisation_id, version=0)],
            ignore_conflicts=True,
        )
        LiveVersion.objects.filter(key=key).update(version=F("version") + 1)


def keys_of(label: str, pk: Any) -> list[str]:
    """The live subjects a change to ``label``/``pk`` shows on (one query, or none)."""
    targets = LIVE.get(label)
    if not targets:
        return []
    model = apps.get_model(label)
    lookups = [path for _prefix, path in targets if path != "pk"]
    values: dict[str, Any] = {"pk": pk}
    if lookups:
        row = model._base_manager.filter(pk=pk).order_by().values(*lookups).first()
        if row is None:
            return []
        values.update(row)
    return [key_for(prefix, values[path]) for prefix, path in targets if values.get(path)]


def on_record(obj: models.Model, action: str, organisation_id: int) -> None:
    """``core.history`` record listener: after the commit, raise the counters of the pages
    showing ``obj``. The subjects are the object's own fields (its ``project_id``, ``queue_id``
    or key), read from the instance the service recorded, so no query finds them; a rolled-back
    change raises nothing (``on_commit``) and a failing bump never undoes the write."""
    targets = LIVE.get(obj._meta.label_lower)
    if not targets or obj.pk is None:
        return
    keys = [
        key_for(prefix, value)
        for prefix, path in targets
        if (value := obj.pk if path == "pk" else getattr(obj, path, None))
    ]
    if keys:
        transaction.on_commit(lambda: bump(organisation_id, keys), robust=True)


# A key's organisation and counter, compiled once (core/fastread.py): every live page and every
# poll reads one. The key is unique.
_COUNTER_OF = FastRows(
    LiveVersion,
    lambda key: LiveVersion.objects.filter(key=key).values_list("organisation_id", "version"),
)


def version(organisation_id: int, key: str) -> int:
    """The counter a page renders with (read before the page's data, so a change that lands
    while the page renders only causes one extra refresh, never a missed one). A subject
    nobody has changed since counters began has no row: 0. Reading never writes."""
    found = _COUNTER_OF.rows(key)
    return int(found[0][1]) if found else 0


def version_read(key: str) -> Read:
    """:func:`version`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    return _COUNTER_OF, [key]


_PREFIX_OF = {label: prefix for prefix, label in SUBJECTS.items()}


def subject_version_reads(subject: models.Model) -> list[Read]:
    """The read of ``{% live_subject %}`` for ``subject`` (none if it is not a live subject)."""
    prefix = _PREFIX_OF.get(subject._meta.label)
    return [version_read(key_for(prefix, subject.pk))] if prefix else []


def current(organisation_id: int, key: str) -> int | None:
    """The counter of ``key`` if its subject belongs to the organisation, else None."""
    row = LiveVersion.objects.filter(key=key).values_list("organisation_id", "version").first()
    if row is not None:
        return int(row[1]) if row[0] == organisation_id else None
    prefix, _, pk = key.partition("-")
    label = SUBJECTS.get(prefix)
    if label is None or not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
        return None
    exists = apps.get_model(label)._default_manager.filter(
        pk=int(pk), organisation_id=organisation_id
    )
    return 0 if exists.exists() else None


# --- The fast path: a signed ticket instead of a session, a counter cached for a moment ------

TICKET_SALT = "twofold.activity.live"
TICKET_MAX_AGE = 12 * 3600  # a page left open longer falls back to the session check
CACHE_SECONDS = 0.25  # each process reads a counter at most four times a second
_cache: dict[str, tuple[float, int | None, int]] = {}  # key -> (read at, organisation, version)


def ticket(organisation_id: int, key: str) -> str:
    """What a page the viewer may see gets: proof that its viewer was allowed ``key``."""
    return signing.TimestampSigner(salt=TICKET_SALT).sign(f"{organisation_id}.{key}")


def ticket_allows(value: str, key: str) -> int | None:
    """The organisation a valid, fresh ticket for ``key`` names, else None."""
    try:
        plain = signing.TimestampSigner(salt=TICKET_SALT).unsign(value, max_age=TICKET_MAX_AGE)
    except signing.BadSignature:
        return None
    org, _, signed_key = plain.partition(".")
    return int(org) if signed_key == key and org.isascii() and org.isdigit() else None


def cached_current(organisation_id: int, key: str) -> int | None:
    """``current`` through a per-process cache of ``CACHE_SECONDS``: 200 viewers polling one
    board cost each process about four indexed reads a second, whatever their number."""
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is None or now - hit[0] > CACHE_SECONDS:
        rows = _COUNTER_OF.rows(key)
        row = rows[0] if rows else None
        # No row yet: nobody changed it since counters began; the ticket vouches for the org.
        hit = (now, row[0], int(row[1])) if row else (now, organisation_id, 0)
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = hit
    return hit[2] if hit[1] == organisation_id else None
