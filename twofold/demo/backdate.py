"""The demo's clock: what the services stamp with the time of loading, moved back to when it
happened in the story.

The services stamp history entries, notifications and baselines with ``timezone.now()``, and
the demo loads in a minute: a project started months ago read "created today", its approved
plan "saved today" and every risk "raised today". A step of the story is wrapped in
``happened(organisation, at)``: the history entries and notifications written inside it are
stamped ``at`` afterwards (never later than now). Rows the step creates with a time of their
own (a risk's ``created_at``, a baseline's) are moved with ``.update()`` by the step itself.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Max
from django.utils import timezone

from twofold.accounts.models import Organisation
from twofold.core.models import HistoryEntry
from twofold.notifications.models import Notification

MARGIN = dt.timedelta(minutes=5)
"""Nothing is stamped later than this before now: a step of "today" happened before loading."""


def zone_of(organisation: Organisation) -> dt.tzinfo:
    return zoneinfo.ZoneInfo(organisation.timezone)


def at_local(
    organisation: Organisation, day: dt.date, hour: int = 9, minute: int = 0
) -> dt.datetime:
    """``day`` at ``hour:minute`` on the organisation's clock."""
    return dt.datetime.combine(day, dt.time(hour, minute), zone_of(organisation))


def workday(day: dt.date, *, back: bool = True) -> dt.date:
    """``day``, or the nearest weekday before it (after it with ``back=False``)."""
    step = -1 if back else 1
    while day.weekday() >= 5:
        day += dt.timedelta(days=step)
    return day


def workdays_after(day: dt.date, days: int) -> dt.date:
    """The weekday ``days`` weekdays after ``day`` (``day`` itself, or the next weekday, for 0)."""
    day = workday(day, back=False)
    for _ in range(days):
        day = workday(day + dt.timedelta(days=1), back=False)
    return day


def local_day(organisation: Organisation, moment: dt.datetime) -> dt.date:
    return moment.astimezone(zone_of(organisation)).date()


def past(moment: dt.datetime) -> dt.datetime:
    """``moment``, but never later than a few minutes before now."""
    return min(moment, timezone.now() - MARGIN)


def earlier_today(organisation: Organisation, hour: int = 8, minute: int = 30) -> dt.datetime:
    """This morning (``hour:minute`` today on the organisation's clock), or just before now."""
    return past(at_local(organisation, timezone.localdate(), hour, minute))


def _top(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(m=Max("id"))["m"] or 0)


@contextmanager
def happened(organisation: Organisation, at: dt.datetime) -> Iterator[dt.datetime]:
    """The history entries and notifications written inside the block are stamped ``at`` (or
    just before now, for a step of today not yet due); yields that moment, for the rows the
    step stamps itself."""
    moment = past(at)
    history, notes = _top(HistoryEntry), _top(Notification)
    yield moment
    HistoryEntry.objects.filter(organisation=organisation, pk__gt=history).update(at=moment)
    Notification.objects.filter(organisation=organisation, pk__gt=notes).update(created_at=moment)


def move_history(obj: models.Model, at: dt.datetime, *actions: str) -> None:
    """Stamp ``obj``'s history entries (those of ``actions``, or all) with ``at``."""
    rows = HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    )
    if actions:
        rows = rows.filter(action__in=actions)
    rows.update(at=past(at))


def stamp(obj: models.Model, at: dt.datetime, field: str = "created_at", **more: Any) -> None:
    """Set ``obj``'s own time ``field`` (and any ``more`` fields) without saving the rest."""
    moment = past(at)
    type(obj)._default_manager.filter(pk=obj.pk).update(**{field: moment}, **more)
    setattr(obj, field, moment)
