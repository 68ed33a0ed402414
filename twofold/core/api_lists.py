"""Lists a client can sync incrementally: ``updated_since``, pages, ETags, 304s.

Every API list that takes :class:`SyncQuery` answers the same way (docs/api.md, "Sync"):

- ``updated_since=<ISO date-time with offset>`` keeps the objects changed at or after it.
  "Changed" is read from the history every service writes (``core.history.record``: creation
  and every field change, with its time), so each list filters the same way without a
  timestamp column of its own on every model; a list whose rows are also written without an
  entry of their own (generated occurrences, comments, whose history is on their target) names
  its own time stamps (``stamps=("created_at", "completed_at")``), which count as changes too.
- ``offset`` / ``limit`` page the list; ``X-Total-Count`` says how many match in all.
- ``ETag`` fingerprints what the list would answer (count, newest id, newest change, sum of
  versions, the query, the user) in one query; a request whose ``If-None-Match`` carries it
  answers **304 Not Modified** without reading or serialising a row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import Field, Schema
from ninja.params import functions as param_functions
from pydantic import AfterValidator, AwareDatetime

from twofold.core.api_schemas import ErrorOut, ValidationErrorOut
from twofold.core.models import HistoryEntry

M = TypeVar("M", bound=models.Model)

MAX_LIMIT = 500

# The statuses a synced list answers besides 200: spread into ``response=``.
SYNCED = {304: None, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


UPDATED_SINCE = (
    "Only objects created or changed at or after this moment (ISO 8601 with an offset, e.g. "
    "2026-12-02T06:30:00Z). Send the `Date` header of your previous answer."
)


def _moment_in_range(value: dt.datetime) -> dt.datetime:
    """A moment the database can compare with: in UTC, years 1 to 9999 (``9999-12-31T23:59
    -12:00`` is in the year 10000 in UTC, and the comparison raised a 500)."""
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("must be between the years 1 and 9999 in UTC") from None
    if not dt.datetime(1, 1, 2, tzinfo=dt.UTC) <= utc <= dt.datetime(9999, 12, 30, tzinfo=dt.UTC):
        raise ValueError("must be between the years 1 and 9999 in UTC")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_moment_in_range)]
"""An aware date-time a query can compare stored moments with (a 422 naming it otherwise)."""


class SyncQuery(Schema):
    """The query parameters every synced list takes."""

    updated_since: Moment | None = Field(None, description=UPDATED_SINCE)
    offset: int = Field(0, ge=0, le=10**9, description="Rows to skip.")
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"Rows per page, 1 to {MAX_LIMIT}.")


# The parameter a synced list declares: ``sync: Sync`` (its fields become query parameters).
Sync = Annotated[SyncQuery, param_functions.Query()]


class NotModified(Exception):
    """The client's copy is current: answer 304 with the ETag (handled in ``twofold.api``)."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


def not_modified(etag: str) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"] = etag
    return response


@dataclass(frozen=True)
class SyncedPage(Generic[M]):
    """One page of a synced list: its rows (a sliced queryset), the total and the ETag.

    ``matching`` is every row the filters keep, unsliced: for a list ordered by something the
    database cannot sort (a computed priority), which then slices ``window`` itself.
    """

    rows: models.QuerySet[M]
    matching: models.QuerySet[M]
    window: slice
    count: int
    etag: str

    def stamp(self, response: HttpResponseBase) -> HttpResponseBase:
        """Put the ETag and the total on ``response`` (ninja's temporal response or a real one)."""
        response["ETag"] = self.etag
        response["X-Total-Count"] = str(self.count)
        return response


def changed_since(
    queryset: models.QuerySet[M], since: dt.datetime | None, stamps: Sequence[str] = ()
) -> models.QuerySet[M]:
    """The objects of ``queryset`` with a history entry (created or changed) or one of its
    ``stamps`` at or after ``since``; all of them when ``since`` is None."""
    if since is None:
        return queryset
    kind = ContentType.objects.get_for_model(queryset.model)
    touched = HistoryEntry.objects.filter(
        content_type=kind, object_id=OuterRef("pk"), at__gte=since
    )
    changed = Q(Exists(touched))
    for stamp in stamps:
        changed |= Q(**{f"{stamp}__gte": since})
    return queryset.filter(changed)


def fingerprint(queryset: models.QuerySet[Any], stamps: Sequence[str] = ()) -> tuple[int, str]:
    """(count, a digest of what the rows are now), in one query whatever the list's size."""
    kind = ContentType.objects.get_for_model(queryset.model)
    newest = (
        HistoryEntry.objects.filter(content_type=kind, object_id=OuterRef("pk"))
        .order_by("-at")
        .values("at")[:1]
    )
    aggregates: dict[str, Any] = {"n": Count("pk"), "top": Max("pk"), "last": Max("_changed")}
    if any(f.name == "version" for f in queryset.model._meta.concrete_fields):
        aggregates["versions"] = Sum("version")
    for stamp in stamps:
        aggregates[stamp] = Max(stamp)
    # Ordering is irrelevant to the aggregate and only costs a sort.
    found = queryset.order_by().annotate(_changed=Subquery(newest)).aggregate(**aggregates)
    parts = [found["n"], found["top"], found["last"], found.get("versions")]
    parts += [found[stamp] for stamp in stamps]
    return int(found["n"]), "|".join(str(p) for p in parts)


def synced_page(
    request: HttpRequest,
    queryset: models.QuerySet[M],
    query: SyncQuery,
    *,
    offset: int | None = None,
    limit: int | None = None,
    stamps: Sequence[str] = (),
) -> SyncedPage[M]:
    """Filter ``queryset`` by ``updated_since``, fingerprint it, and slice one page.

    Raises :class:`NotModified` when the request's ``If-None-Match`` holds the ETag: no row is
    read. Queries: one for the fingerprint, then the page's own when the caller iterates it.
    ``offset``/``limit`` override the query's (a list with its own paging parameters).
    """
    matching = changed_since(queryset, query.updated_since, stamps)
    count, digest = fingerprint(matching, stamps)
    user = getattr(request.user, "pk", None)
    key = f"{request.path}?{request.GET.urlencode()}|{user}|{digest}"
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    sent = request.headers.get("If-None-Match", "")
    if etag in {t.strip().removeprefix("W/") for t in sent.split(",")} or sent.strip() == "*":
        raise NotModified(etag)
    start = query.offset if offset is None else offset
    window = slice(start, start + (query.limit if limit is None else limit))
    return SyncedPage(
        rows=matching[window], matching=matching, window=window, count=count, etag=etag
    )
